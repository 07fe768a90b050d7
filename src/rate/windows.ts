/**
 * The seeds' other rate-limiting algorithms — leaky bucket, fixed window, sliding window log, sliding
 * window counter — behind {@link RateLimiter}, on one FIFO waiting engine.
 *
 * Invariants:
 * - An algorithm only answers two questions: `take(now, n)` (admit n events now, or change nothing and
 *   say false) and `nextAt(now, n)` (the earliest time `take` could admit n if nobody else took any;
 *   Infinity if never). The engine does the waiting.
 * - Waiters are served in arrival order: while anyone waits, `allow` is false and a new `wait` queues
 *   behind them, so a stream of small requests cannot starve a large one. One clock timer per limiter,
 *   set for the head waiter's `nextAt`, exists exactly while someone waits.
 * - A cancelled waiter leaves the count of queued events at once and the queue when it reaches the
 *   head; if it was the head, the next waiters are examined at once (they may fit now).
 * - All times come from the clock seam, so these limiters run on a synctest bubble's fake clock.
 */
import { type Context, afterFunc } from "../context/index.js";
import { type TimerHandle, clockOf } from "../internal/clock.js";
import { neverDone } from "../internal/ctxwait.js";
import { type G, currentG, done, park, ready, wake } from "../internal/scheduler.js";
import { checkN, checkPeriod, checkSize, checkTime, nowMs } from "./check.js";
import type { Limit } from "./limiter.js";
import type { RateLimiter } from "./ratelimiter.js";

/**
 * RateLimitError is the rejection of a `wait` that the limiter refuses to queue: a full leaky bucket.
 * `retryAfter` is the milliseconds until the bucket next lets an event leave.
 */
export class RateLimitError extends Error {
  override readonly name = "RateLimitError";
  constructor(
    message: string,
    /** Milliseconds until the next event can leave. */
    readonly retryAfter: number,
  ) {
    super(message);
  }
}

interface Algo {
  take(now: number, n: number): boolean;
  nextAt(now: number, n: number): number;
}

class Waiter {
  cancelled = false;
  stop: (() => boolean) | undefined = undefined;
  constructor(
    readonly n: number,
    readonly g: G,
    readonly resolve: () => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

class Queued implements RateLimiter {
  #q: (Waiter | undefined)[] = [];
  #head = 0;
  /** Events queued by waiters that are not cancelled. */
  #queued = 0;
  #timer: TimerHandle | undefined;
  #timerAt = 0;
  readonly #pump = (): void => this.#run();

  constructor(
    readonly algo: Algo,
    readonly fn: string,
    /** The most events one call can ever take, and what to call it in the error. */
    readonly max: number,
    readonly maxWhat: string,
    /** The most events that may wait (a leaky bucket's capacity); Infinity elsewhere. */
    readonly queueCap: number,
  ) {}

  allow(): boolean {
    return this.#queued === 0 && this.algo.take(nowMs(), 1);
  }

  allowN(t: Date, n: number): boolean {
    const at = checkTime(t, `${this.fn}.AllowN`);
    checkN(n, `${this.fn}.AllowN`);
    return this.#queued === 0 && this.algo.take(at, n);
  }

  wait(ctx: Context): Promise<void> {
    return this.#wait(ctx, 1);
  }

  waitN(ctx: Context, n: number): Promise<void> {
    return this.#wait(ctx, checkN(n, `${this.fn}.WaitN`));
  }

  #wait(ctx: Context, n: number): Promise<void> {
    if (n > this.max) return Promise.reject(new Error(`rate: Wait(n=${n}) exceeds ${this.maxWhat} ${this.max}`));
    const err = ctx.err();
    if (err !== undefined) return Promise.reject(err);
    const g = currentG();
    const now = clockOf(g).now();
    if (this.#queued === 0 && this.algo.take(now, n)) return done();
    if (this.#queued + n > this.queueCap) {
      const retry = Math.max(0, this.algo.nextAt(now, 1) - now);
      return Promise.reject(new RateLimitError(`rate: ${this.fn} is full (capacity ${this.queueCap})`, retry));
    }
    const dl = ctx.deadline();
    // Even with nobody ahead it could not make the deadline: fail now, as Limiter.waitN does.
    if (dl !== undefined && this.algo.nextAt(now, n) > dl.getTime()) {
      return Promise.reject(new Error(`rate: Wait(n=${n}) would exceed context deadline`));
    }
    let w!: Waiter;
    const p = new Promise<void>((resolve, reject) => {
      w = new Waiter(n, g, resolve, reject);
    });
    this.#q.push(w);
    this.#queued += n;
    park(g, "rate.Wait", true);
    if (!neverDone(ctx)) w.stop = afterFunc(ctx, () => this.#cancel(w, ctx));
    if (this.#q.length - this.#head === 1) this.#schedule(now);
    return p;
  }

  #cancel(w: Waiter, ctx: Context): void {
    if (w.cancelled || w.stop === undefined) return; // granted (stop cleared) or already gone
    w.cancelled = true;
    this.#queued -= w.n;
    ready(w.g, true);
    const e = ctx.err();
    wake(() => w.reject(e));
    if (this.#q[this.#head] === w) this.#run();
  }

  /** Admits every waiter at the head that fits now, then re-arms the timer for the new head. */
  #run(): void {
    this.#clearTimer(); // fired (a no-op then), or a cancelled head's: either way it is replaced below
    const now = nowMs();
    const q = this.#q;
    while (this.#head < q.length) {
      const w = q[this.#head]!;
      if (!w.cancelled) {
        if (!this.algo.take(now, w.n)) break;
        this.#queued -= w.n;
        const stop = w.stop;
        w.stop = undefined;
        stop?.();
        ready(w.g, true);
        wake(w.resolve);
      }
      q[this.#head++] = undefined;
    }
    if (this.#head === q.length) {
      this.#q = [];
      this.#head = 0;
      this.#clearTimer();
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#q = q.slice(this.#head);
      this.#head = 0;
    }
    this.#schedule(now);
  }

  #schedule(now: number): void {
    const head = this.#q[this.#head]!;
    let at = this.algo.nextAt(now, head.n);
    if (at <= now) at = now + 1e-3; // rounding: take refused what nextAt promised; look again in 1 µs
    if (this.#timer !== undefined) {
      if (this.#timerAt === at) return;
      this.#timer.clear();
      this.#timer = undefined;
    }
    if (at === Infinity) return; // only cancellation can help
    this.#timerAt = at;
    this.#timer = clockOf().setTimer(at, this.#pump);
  }

  #clearTimer(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  /** @internal Waiters not cancelled, for tests. */
  get waiting(): number {
    let k = 0;
    for (let i = this.#head; i < this.#q.length; i++) if (this.#q[i]?.cancelled === false) k++;
    return k;
  }
}

function rateOf(r: unknown): Limit {
  if (typeof r !== "number" || !(r > 0)) {
    throw new RangeError(`rate.LeakyBucket: rate must be a positive number of events per second, got ${String(r)}`);
  }
  return r;
}

/**
 * leakyBucket makes a leaky bucket: callers queue (up to `capacity` events) and leave one by one at a
 * constant `rate` per second, with no bursts; a `wait` that would overfill the queue rejects at once
 * with {@link RateLimitError}. `allow` is true only when the bucket is empty and the next slot is due.
 * An event of weight n takes n slots.
 *
 * @throws RangeError if `rate` is not > 0 or `capacity` is not a whole number >= 1.
 *
 * @example
 * ```ts
 * import { leakyBucket } from "goroutine/rate";
 * const lb = leakyBucket({ rate: 10, capacity: 5 });
 * console.log(lb.allow(), lb.allow()); // true false
 * ```
 */
export function leakyBucket(opts: { rate: Limit; capacity: number }): RateLimiter {
  const rate = rateOf(opts?.rate);
  const capacity = checkSize(opts.capacity, "capacity", "LeakyBucket", 1);
  const interval = 1000 / rate;
  let next = -Infinity; // when the next event may leave
  const algo: Algo = {
    take(now, n) {
      if (next > now) return false;
      // A timer a little late keeps the cadence; after an idle spell the clock restarts at now.
      const start = now - next < interval ? next : now;
      next = start + n * interval;
      return true;
    },
    nextAt: (now) => (next > now ? next : now),
  };
  return new Queued(algo, "LeakyBucket", capacity, "capacity", capacity);
}

/**
 * fixedWindow allows `limit` events per window of `window` ms, windows aligned to multiples of
 * `window` since the epoch; the count starts again at each window's start.
 *
 * @throws RangeError if `limit` is not a whole number >= 0 or `window` not a positive duration.
 *
 * @example
 * ```ts
 * import { fixedWindow } from "goroutine/rate";
 * const fw = fixedWindow({ limit: 2, window: 1000 });
 * const t = new Date(5000);
 * console.log(fw.allowN(t, 1), fw.allowN(t, 1), fw.allowN(t, 1), fw.allowN(new Date(6000), 2)); // true true false true
 * ```
 */
export function fixedWindow(opts: { limit: number; window: number }): RateLimiter {
  const limit = checkSize(opts?.limit, "limit", "FixedWindow");
  const window = checkPeriod(opts.window, "window", "FixedWindow");
  let cur = -Infinity;
  let count = 0;
  const algo: Algo = {
    take(now, n) {
      const w = Math.floor(now / window);
      if (w !== cur) {
        cur = w;
        count = 0;
      }
      if (count + n > limit) return false;
      count += n;
      return true;
    },
    nextAt(now, n) {
      const w = Math.floor(now / window);
      return (w === cur ? count : 0) + n <= limit ? now : (w + 1) * window;
    },
  };
  return new Queued(algo, "FixedWindow", limit, "limit", Infinity);
}

/**
 * slidingWindowLog allows at most `limit` events in any `window` ms: it keeps the time of every
 * admitted event, and an event leaves the window `window` ms after it happened. Exact, at the cost of
 * memory proportional to `limit`.
 *
 * @throws RangeError if `limit` is not a whole number >= 0 or `window` not a positive duration.
 *
 * @example
 * ```ts
 * import { slidingWindowLog } from "goroutine/rate";
 * const sw = slidingWindowLog({ limit: 2, window: 1000 });
 * console.log(sw.allowN(new Date(0), 2), sw.allowN(new Date(999), 1), sw.allowN(new Date(1000), 1)); // true false true
 * ```
 */
export function slidingWindowLog(opts: { limit: number; window: number }): RateLimiter {
  const limit = checkSize(opts?.limit, "limit", "SlidingWindowLog");
  const window = checkPeriod(opts.window, "window", "SlidingWindowLog");
  let times: number[] = [];
  let weights: number[] = [];
  let head = 0;
  let sum = 0;
  const evict = (now: number): void => {
    while (head < times.length && times[head] + window <= now) sum -= weights[head++];
    if (head > 64 && head * 2 > times.length) {
      times = times.slice(head);
      weights = weights.slice(head);
      head = 0;
    }
  };
  const algo: Algo = {
    take(now, n) {
      evict(now);
      if (sum + n > limit) return false;
      if (n > 0) {
        times.push(now);
        weights.push(n);
        sum += n;
      }
      return true;
    },
    nextAt(now, n) {
      evict(now);
      let excess = sum + n - limit;
      if (excess <= 0) return now;
      for (let i = head; i < times.length; i++) {
        excess -= weights[i];
        if (excess <= 0) return times[i] + window;
      }
      return Infinity;
    },
  };
  return new Queued(algo, "SlidingWindowLog", limit, "limit", Infinity);
}

/**
 * slidingWindowCounter approximates a sliding window with two counters: the current aligned window's
 * and the previous one's, weighted by how much of the previous window still overlaps the sliding one
 * (`prev · (1 − elapsed/window) + cur`). Constant memory; admits at most `limit` by that estimate.
 *
 * @throws RangeError if `limit` is not a whole number >= 0 or `window` not a positive duration.
 *
 * @example
 * ```ts
 * import { slidingWindowCounter } from "goroutine/rate";
 * const sc = slidingWindowCounter({ limit: 10, window: 1000 });
 * console.log(sc.allowN(new Date(500), 10)); // true
 * // Half-way through the next window, half of the previous one still counts: 5 of 10.
 * console.log(sc.allowN(new Date(1500), 6), sc.allowN(new Date(1500), 5)); // false true
 * ```
 */
export function slidingWindowCounter(opts: { limit: number; window: number }): RateLimiter {
  const limit = checkSize(opts?.limit, "limit", "SlidingWindowCounter");
  const window = checkPeriod(opts.window, "window", "SlidingWindowCounter");
  const EPS = 1e-9;
  let cw = -Infinity;
  let cur = 0;
  let prev = 0;
  const roll = (now: number): void => {
    const w = Math.floor(now / window);
    if (w === cw) return;
    prev = w === cw + 1 ? cur : 0;
    cur = 0;
    cw = w;
  };
  const estimate = (now: number): number => prev * (1 - (now - cw * window) / window) + cur;
  const algo: Algo = {
    take(now, n) {
      roll(now);
      if (estimate(now) + n > limit + EPS) return false;
      cur += n;
      return true;
    },
    nextAt(now, n) {
      roll(now);
      if (estimate(now) + n <= limit + EPS) return now;
      const start = cw * window;
      // Later in this window, once enough of the previous one has slid out.
      if (cur + n <= limit) return start + window * (1 - (limit - cur - n) / prev);
      // In the next window, where this one becomes the previous.
      const at = (cw + 1) * window;
      return cur + n - limit <= 0 ? at : at + window * (1 - (limit - n) / cur);
    },
  };
  return new Queued(algo, "SlidingWindowCounter", limit, "limit", Infinity);
}
