/**
 * Limiter: golang.org/x/time/rate's token bucket, exactly.
 *
 * Invariants:
 * - `tokens` is the bucket's content at time `last` (it may be negative: reservations in debt); the
 *   content at any t is `advance(t)` = min(burst, tokens + elapsed·limit), computed, never stored,
 *   except by a reservation or a setLimit/setBurst (which first advance to their t, as Go does).
 * - `lastEvent` is the time to act of the latest reservation (past or future); a cancel refunds only
 *   the tokens no later reservation has consumed, and does nothing once its time to act has passed.
 * - Times are epoch milliseconds (fractions allowed); durations computed from tokens are truncated to
 *   whole nanoseconds as Go's `time.Duration` conversion does, so delays match Go's to the ns.
 *   `last = -Infinity` is Go's zero time (a new limiter is full at its first use).
 * - Reads of the clock go through the clock seam (`clockOf`), so a limiter used inside a synctest
 *   bubble runs on the fake clock. Goroutines in `wait` sit in a heap ordered by time to act (then
 *   arrival); one clock timer, set for the earliest, exists exactly while someone waits; a cancelled
 *   waiter is marked and dropped when it reaches the top.
 * - Single-threaded: every method runs to completion, so Go's mutex has no counterpart.
 */
import type { Context } from "../context/index.js";
import { afterFunc } from "../context/index.js";
import { type Clock, type TimerHandle, clockOf } from "../internal/clock.js";
import { neverDone } from "../internal/ctxwait.js";
import { type G, currentG, done, park, ready, wake } from "../internal/scheduler.js";
import type { RateLimiter } from "./ratelimiter.js";
import { checkN, checkSize, checkTime, nowMs } from "./check.js";

/** Limit is the maximum frequency of events, in events per second (Go's rate.Limit). */
export type Limit = number;

/** Inf is the infinite rate limit: every event is allowed, even with a burst of 0. */
export const Inf: Limit = Infinity;

/** InfDuration is the delay of a Reservation that is not OK (Go's rate.InfDuration): Infinity. */
export const InfDuration = Infinity;

const MAX_NS = 2 ** 63 - 1; // math.MaxInt64 (rounds to 2^63 as a double, as Go's float64 comparison does)

/**
 * every converts a minimum interval between events (ms) to a Limit (Go's rate.Every); an interval
 * <= 0 gives {@link Inf}.
 *
 * @example
 * ```ts
 * import { Inf, every } from "goroutine/rate";
 * console.log(every(100), every(0) === Inf); // 10 true
 * ```
 */
export function every(interval: number): Limit {
  if (typeof interval !== "number" || Number.isNaN(interval)) {
    throw new RangeError(`rate.Every: interval must be a number of milliseconds, got ${String(interval)}`);
  }
  return interval <= 0 ? Inf : 1000 / interval;
}

/** Go's Limit.durationFromTokens: ms, truncated to whole ns; Infinity for a limit <= 0 or overflow. */
function durationFromTokens(limit: Limit, tokens: number): number {
  if (limit <= 0) return Infinity;
  const ns = (tokens / limit) * 1e9;
  if (ns > MAX_NS) return Infinity;
  return Math.trunc(ns) / 1e6;
}

/** Go's Limit.tokensFromDuration (d in ms). */
function tokensFromDuration(limit: Limit, d: number): number {
  if (limit <= 0 || d <= 0) return 0; // d <= 0 also keeps Inf·0 from being NaN
  return (d / 1000) * limit;
}

function checkLimit(r: unknown, fn: string): Limit {
  if (typeof r !== "number" || Number.isNaN(r)) {
    throw new RangeError(`rate.${fn}: limit must be a number of events per second, got ${String(r)}`);
  }
  return r;
}

function checkBurst(b: unknown, fn: string): number {
  return checkSize(b, "burst", fn);
}

const WAITING = 0;
const RELEASED = 1;
const CANCELLED = 2;

/** A goroutine in wait: its reservation, and how to wake it. */
class Sleeper {
  state = WAITING;
  stop: (() => boolean) | undefined = undefined;
  constructor(
    readonly r: Reservation,
    readonly g: G,
    readonly resolve: () => void,
    readonly reject: (e: unknown) => void,
    readonly seq: number,
  ) {}
}

const before = (a: Sleeper, b: Sleeper): boolean =>
  a.r.timeToAct < b.r.timeToAct || (a.r.timeToAct === b.r.timeToAct && a.seq < b.seq);

/** A binary min-heap of sleepers (reservations are almost always in order, so pushes rarely sift). */
class Heap {
  private a: Sleeper[] = [];
  peek(): Sleeper | undefined {
    return this.a[0];
  }
  push(x: Sleeper): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(x, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    const n = a.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && before(a[l + 1], a[l]) ? l + 1 : l;
      if (!before(a[c], last)) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = last;
  }
}

/**
 * A Reservation holds information about events permitted by a Limiter to happen after a delay
 * (Go's rate.Reservation). It may be cancelled, which may let the limiter permit other events sooner.
 */
export class Reservation {
  /** @internal */
  constructor(
    private readonly lim: Limiter,
    private readonly isOk: boolean,
    /** @internal */ readonly n: number,
    /** @internal */ readonly timeToAct: number,
    /** The limit at reservation time. */
    private readonly limit: Limit,
  ) {}

  /** ok reports whether the limiter can provide the tokens within the maximum wait (false only when n > burst with a finite limit, or a wait limit is exceeded). */
  ok(): boolean {
    return this.isOk;
  }

  /** delay is delayFrom(now): the milliseconds to wait before acting; {@link InfDuration} if not ok. */
  delay(): number {
    return this.delayFrom(nowMs());
  }

  /** delayFrom returns the milliseconds from `t` until the reserved action may happen (0: now). */
  delayFrom(t: Date | number): number {
    if (!this.isOk) return InfDuration;
    const d = this.timeToAct - checkTime(t, "Reservation.DelayFrom");
    return d < 0 ? 0 : d;
  }

  /** cancel is cancelAt(now). */
  cancel(): void {
    this.cancelAt(nowMs());
  }

  /**
   * cancelAt says the holder will not act, and gives back as many tokens as later reservations have
   * not already counted on. No effect if not ok, if the limit is Inf, for 0 tokens, or once the time to
   * act is before `t`.
   */
  cancelAt(t: Date | number): void {
    if (!this.isOk) return;
    this.lim.cancelReservation(this, checkTime(t, "Reservation.CancelAt"), this.limit);
  }
}

/**
 * Limiter controls how frequently events may happen: a token bucket of size `b`, initially full and
 * refilled at `r` tokens per second (Go's rate.Limiter). With `r` = {@link Inf}, `b` is ignored.
 * `new Limiter()` is Go's zero Limiter: it allows nothing.
 *
 * - allow/allowN: take tokens now or report false.
 * - reserve/reserveN: take tokens now or in the future (going into debt), with a delay to honour.
 * - wait/waitN: block until the tokens are available or the context ends.
 *
 * @example
 * ```ts
 * import { Limiter } from "goroutine/rate";
 * const lim = new Limiter(10, 2); // 10 events/s, bursts of 2
 * console.log(lim.allow(), lim.allow(), lim.allow()); // true true false
 * const r = lim.reserve();
 * console.log(r.ok(), Math.round(r.delay())); // true 100
 * ```
 */
export class Limiter implements RateLimiter {
  #limit: Limit;
  #burst: number;
  #tokens: number;
  /** The last time tokens was updated (Go's zero time: -Infinity). */
  #last = -Infinity;
  /** The latest time of a rate-limited event, past or future. */
  #lastEvent = -Infinity;
  /** Goroutines in wait, earliest time to act first (ties: arrival order). */
  readonly #heap = new Heap();
  #seq = 0;
  /** The one timer, set for the earliest waiter's time (timerAt) on `clock`. */
  #timer: TimerHandle | undefined;
  #timerAt = 0;
  #clock: Clock | undefined;
  readonly #onTimer = (): void => this.#release();

  /**
   * Makes a limiter for rate `r` (events per second) with bursts of up to `b`, initially full
   * (Go's rate.NewLimiter). With no arguments it is Go's zero Limiter (limit 0, burst 0).
   * @throws RangeError if `r` is NaN or `b` is not a whole number >= 0.
   */
  constructor(r: Limit = 0, b = 0) {
    this.#limit = checkLimit(r, "NewLimiter");
    this.#burst = checkBurst(b, "NewLimiter");
    this.#tokens = b;
  }

  /** The maximum overall event rate. */
  limit(): Limit {
    return this.#limit;
  }
  /** The maximum burst size: the most tokens one call can take (unless the limit is Inf). */
  burst(): number {
    return this.#burst;
  }
  /** The tokens available now (may be negative while reservations are in debt). */
  tokens(): number {
    return this.#advance(nowMs());
  }
  /** The tokens available at time `t`. */
  tokensAt(t: Date | number): number {
    return this.#advance(checkTime(t, "TokensAt"));
  }

  /** allow reports whether one event may happen now, taking its token if so. Never blocks. */
  allow(): boolean {
    return this.#take(nowMs(), 1);
  }

  /**
   * allowN reports whether `n` events may happen at time `t`, taking the tokens if so. Use it to drop
   * or skip events that exceed the limit. Never blocks.
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  allowN(t: Date | number, n: number): boolean {
    return this.#take(checkTime(t, "AllowN"), checkN(n, "AllowN"));
  }

  /** reserve is reserveN(now, 1). */
  reserve(): Reservation {
    return this.#reserve(nowMs(), 1, Infinity);
  }

  /**
   * reserveN reserves `n` tokens at time `t`, going into debt if needed; the Reservation says how long
   * to wait before acting. `ok()` is false if `n` exceeds the burst (finite limit). Never blocks.
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  reserveN(t: Date | number, n: number): Reservation {
    return this.#reserve(checkTime(t, "ReserveN"), checkN(n, "ReserveN"), Infinity);
  }

  /** wait is waitN(ctx, 1). */
  wait(ctx: Context): Promise<void> {
    return this.#wait(ctx, 1);
  }

  /**
   * waitN blocks until the limiter permits `n` events (Go's WaitN). It rejects at once with
   * `Error("rate: Wait(n=3) exceeds limiter's burst 2")` if `n` exceeds the burst (finite limit), with
   * `ctx.err()` if the context is already done, and with `Error("rate: Wait(n=1) would exceed context
   * deadline")` if the tokens cannot be had before the context's deadline.
   *
   * **Cancellation**: when `ctx` ends mid-wait, the reservation is cancelled (its tokens are refunded as
   * far as later reservations allow), the timer is cleared, and the promise rejects with `ctx.err()`.
   * @throws RangeError (synchronously) if `n` is not a whole number >= 0.
   *
   * @example
   * ```ts
   * import * as context from "goroutine/context";
   * import { Limiter } from "goroutine/rate";
   * import * as time from "goroutine/time";
   * const lim = new Limiter(0.5, 1); // a token every 2 s
   * const [ctx, cancel] = context.withTimeout(context.background(), time.Second);
   * await lim.waitN(ctx, 1); // the burst token: at once
   * const err = await lim.waitN(ctx, 1).catch((e: unknown) => (e as Error).message); // next token in 2 s > 1 s
   * console.log(err); // "rate: Wait(n=1) would exceed context deadline"
   * cancel();
   * ```
   */
  waitN(ctx: Context, n: number): Promise<void> {
    return this.#wait(ctx, checkN(n, "WaitN"));
  }

  #wait(ctx: Context, n: number): Promise<void> {
    if (n > this.#burst && this.#limit !== Inf) {
      return Promise.reject(new Error(`rate: Wait(n=${n}) exceeds limiter's burst ${this.#burst}`));
    }
    const err = ctx.err();
    if (err !== undefined) return Promise.reject(err);
    const t = nowMs();
    const dl = ctx.deadline();
    const waitLimit = dl === undefined ? Infinity : dl.getTime() - t;
    const r = this.#reserve(t, n, waitLimit);
    if (!r.ok()) return Promise.reject(new Error(`rate: Wait(n=${n}) would exceed context deadline`));
    if (r.timeToAct <= t) return done();
    return this.#sleep(ctx, r);
  }

  /**
   * Parks the caller until `r.timeToAct` on the limiter's one timer. Rejected alternative: a timer per
   * waiter — with thousands waiting, Node's timer lists and its cached loop time reorder timers due
   * within the same millisecond and fire some early (re-armed later), so releases lost FIFO order and
   * ran ~15 ms late at p50 with 10,000 waiters; one timer for the earliest waiter releases every due
   * waiter in order.
   */
  #sleep(ctx: Context, r: Reservation): Promise<void> {
    const g = currentG();
    let w!: Sleeper;
    const p = new Promise<void>((resolve, reject) => {
      w = new Sleeper(r, g, resolve, reject, this.#seq++);
    });
    park(g, "rate.Wait", true);
    this.#heap.push(w);
    if (this.#heap.peek() === w) this.#arm(clockOf(g));
    if (!neverDone(ctx)) {
      w.stop = afterFunc(ctx, () => {
        if (w.state !== WAITING) return;
        w.state = CANCELLED;
        r.cancel();
        ready(g, true);
        const e = ctx.err();
        wake(() => w.reject(e));
        if (this.#heap.peek() === w) this.#release(); // drops it and re-arms for the next
      });
    }
    return p;
  }

  /** Sets the one timer for the earliest waiter (replacing one set for a later time). */
  #arm(clock: Clock): void {
    const head = this.#heap.peek();
    if (head === undefined) return;
    const at = head.r.timeToAct;
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      this.#timer.clear();
    }
    this.#timerAt = at;
    this.#clock = clock;
    this.#timer = at === Infinity ? undefined : clock.setTimer(at, this.#onTimer);
  }

  /** Releases, in order, every waiter whose time has come; drops cancelled ones; re-arms. */
  #release(): void {
    const clock = this.#clock ?? clockOf();
    this.#timer?.clear();
    this.#timer = undefined;
    const now = clock.now();
    const h = this.#heap;
    for (let w = h.peek(); w !== undefined; w = h.peek()) {
      if (w.state === WAITING) {
        if (w.r.timeToAct > now) break;
        w.state = RELEASED;
        w.stop?.();
        ready(w.g, true);
        wake(w.resolve);
      }
      h.pop();
    }
    this.#arm(clock);
  }

  /** setLimit is setLimitAt(now, r). */
  setLimit(r: Limit): void {
    this.setLimitAt(nowMs(), r);
  }
  /**
   * setLimitAt sets a new limit, after advancing the bucket to `t`. Reservations made earlier keep their
   * times. @throws RangeError if `r` is NaN.
   */
  setLimitAt(t: Date | number, r: Limit): void {
    const at = checkTime(t, "SetLimitAt");
    checkLimit(r, "SetLimitAt");
    this.#tokens = this.#advance(at);
    this.#last = at;
    this.#limit = r;
  }
  /** setBurst is setBurstAt(now, b). */
  setBurst(b: number): void {
    this.setBurstAt(nowMs(), b);
  }
  /** setBurstAt sets a new burst size, after advancing the bucket to `t`. @throws RangeError on a bad burst. */
  setBurstAt(t: Date | number, b: number): void {
    const at = checkTime(t, "SetBurstAt");
    checkBurst(b, "SetBurstAt");
    this.#tokens = this.#advance(at);
    this.#last = at;
    this.#burst = b;
  }

  /** The tokens at `t` (Go's advance; does not change the limiter). */
  #advance(t: number): number {
    const last = t < this.#last ? t : this.#last;
    const tokens = this.#tokens + tokensFromDuration(this.#limit, t - last);
    return tokens > this.#burst ? this.#burst : tokens;
  }

  /** allowN without a Reservation object: reserveN(t, n, 0).ok. */
  #take(t: number, n: number): boolean {
    const limit = this.#limit;
    if (limit === Inf) return true;
    const tokens = this.#advance(t) - n;
    if (n > this.#burst) return false;
    // Go: ok only if the wait is 0 — a deficit worth less than 1 ns still passes, as there.
    if (tokens < 0 && durationFromTokens(limit, -tokens) > 0) return false;
    this.#last = t;
    this.#tokens = tokens;
    this.#lastEvent = t;
    return true;
  }

  #reserve(t: number, n: number, maxFutureReserve: number): Reservation {
    const limit = this.#limit;
    if (limit === Inf) return new Reservation(this, true, n, t, 0);
    const tokens = this.#advance(t) - n;
    const wait = tokens < 0 ? durationFromTokens(limit, -tokens) : 0;
    const ok = n <= this.#burst && wait <= maxFutureReserve;
    if (!ok) return new Reservation(this, false, 0, 0, limit);
    const at = t + wait;
    this.#last = t;
    this.#tokens = tokens;
    this.#lastEvent = at;
    return new Reservation(this, true, n, at, limit);
  }

  /** @internal Go's CancelAt, under the limiter. */
  cancelReservation(r: Reservation, t: number, limit: Limit): void {
    if (this.#limit === Inf || r.n === 0 || r.timeToAct < t) return;
    // Tokens reserved after r (between its time to act and the latest event) are not given back.
    const restore = r.n - tokensFromDuration(limit, this.#lastEvent - r.timeToAct);
    if (restore <= 0) return;
    let tokens = this.#advance(t) + restore;
    if (tokens > this.#burst) tokens = this.#burst;
    this.#last = t;
    this.#tokens = tokens;
    if (r.timeToAct === this.#lastEvent) {
      const prev = r.timeToAct + durationFromTokens(limit, -r.n);
      if (prev >= t) this.#lastEvent = prev;
    }
  }
}
