/**
 * `goroutine/backoff`: github.com/cenkalti/backoff/v5 — retry an operation with exponential (or
 * constant) backoff, honouring a context, a maximum number of tries and a maximum elapsed time.
 * Waits use the library's clock, so retries run in virtual time inside `synctest.test`.
 *
 * Invariants:
 * - `retry` runs the operation at least once and never waits after the last try; between tries it
 *   waits on one clock timer and a context watcher, and leaves neither behind whichever ends first.
 * - Backoff intervals are kept in whole nanoseconds and randomized with Go's formula (including its
 *   `+1` ns), so sequences match cenkalti/backoff's for the same random numbers.
 */
import { type Context, cause as causeOf } from "../context/index.js";
import { clockOf } from "../internal/clock.js";
import { waitUntil } from "../internal/ctxwait.js";
import { done } from "../internal/scheduler.js";
import { Chan } from "../internal/chan.js";
import { go } from "../go.js";
import { recv, select, send } from "../select.js";
import { checkSize } from "../internal/size.js";
import { durationString } from "../time/duration.js";
import { Timer } from "../time/timer.js";

/** STOP is what {@link BackOff.nextBackOff} returns when no more retries should be made (Go's Stop, -1). */
export const STOP = -1;

/** DefaultMaxElapsedTime is retry's default limit on the total time spent (15 min). */
export const DefaultMaxElapsedTime = 15 * 60_000;

/** BackOff is a backoff policy (Go's backoff.BackOff): the wait before the next try, in ms, or STOP. */
export interface BackOff {
  nextBackOff(): number;
  reset(): void;
}

/** ZeroBackOff retries at once, for ever. */
export class ZeroBackOff implements BackOff {
  nextBackOff(): number {
    return 0;
  }
  reset(): void {}
}

/** StopBackOff never retries. */
export class StopBackOff implements BackOff {
  nextBackOff(): number {
    return STOP;
  }
  reset(): void {}
}

/**
 * ConstantBackOff waits the same `interval` before every retry.
 *
 * @example
 * ```ts
 * import { ConstantBackOff } from "goroutine/backoff";
 * console.log(new ConstantBackOff(250).nextBackOff()); // 250
 * ```
 */
export class ConstantBackOff implements BackOff {
  /** @throws RangeError if `interval` is NaN or negative. */
  constructor(public interval: number) {
    if (typeof interval !== "number" || !(interval >= 0)) {
      throw new RangeError(`backoff.NewConstantBackOff: interval must be a number of milliseconds >= 0, got ${String(interval)}`);
    }
  }
  nextBackOff(): number {
    return this.interval;
  }
  reset(): void {}
}

const NS = 1e6; // ns per ms

/**
 * ExponentialBackOff grows the wait by `multiplier` after every try, up to `maxInterval`, and
 * randomizes each wait within ±`randomizationFactor` of the current interval (Go's
 * ExponentialBackOff). Defaults are Go's: 500 ms, 0.5, 1.5, 60 s — so waits of [250, 750] ms, then
 * [375, 1125] ms, and so on. `random` (default Math.random) is the source of the uniform [0, 1) numbers.
 *
 * @example
 * ```ts
 * import { ExponentialBackOff } from "goroutine/backoff";
 * const b = new ExponentialBackOff({ randomizationFactor: 0 });
 * console.log(b.nextBackOff(), b.nextBackOff(), b.nextBackOff()); // 500 750 1125
 * ```
 */
export class ExponentialBackOff implements BackOff {
  initialInterval: number;
  randomizationFactor: number;
  multiplier: number;
  maxInterval: number;
  random: () => number;
  /** The current interval, in ns (Go's time.Duration). */
  #cur = 0;

  /** @throws RangeError for NaN or negative options. */
  constructor(
    opts: {
      initialInterval?: number;
      randomizationFactor?: number;
      multiplier?: number;
      maxInterval?: number;
      random?: () => number;
    } = {},
  ) {
    const num = (v: number | undefined, d: number, what: string): number => {
      if (v === undefined) return d;
      if (typeof v !== "number" || !(v >= 0)) {
        throw new RangeError(`backoff.ExponentialBackOff: ${what} must be a number >= 0, got ${String(v)}`);
      }
      return v;
    };
    this.initialInterval = num(opts.initialInterval, 500, "initialInterval");
    this.randomizationFactor = num(opts.randomizationFactor, 0.5, "randomizationFactor");
    this.multiplier = num(opts.multiplier, 1.5, "multiplier");
    this.maxInterval = num(opts.maxInterval, 60_000, "maxInterval");
    this.random = opts.random ?? Math.random;
    this.reset();
  }

  /** The interval the next wait is randomized around, in ms. */
  get currentInterval(): number {
    return this.#cur / NS;
  }

  /** Starts again from `initialInterval`. */
  reset(): void {
    this.#cur = Math.trunc(this.initialInterval * NS);
  }

  /** The next wait in ms: the current interval randomized, after which the interval grows. */
  nextBackOff(): number {
    if (this.#cur === 0) this.#cur = Math.trunc(this.initialInterval * NS);
    const next = randomized(this.randomizationFactor, this.random(), this.#cur);
    // Go's overflow guard: once the next step would pass maxInterval, stay at maxInterval.
    const max = Math.trunc(this.maxInterval * NS);
    this.#cur = this.#cur >= max / this.multiplier ? max : Math.trunc(this.#cur * this.multiplier);
    return next / NS;
  }
}

/** Go's getRandomValueFromInterval, in ns: a value in [cur − f·cur, cur + f·cur] (+1 ns so both ends can come up). */
export function randomized(factor: number, random: number, cur: number): number {
  if (factor === 0) return cur;
  const delta = factor * cur;
  const min = cur - delta;
  const max = cur + delta;
  return Math.trunc(min + random * (max - min + 1));
}

/** The error class of {@link permanent}. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
  constructor(readonly err: unknown) {
    super(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** The error class of {@link retryAfter}. */
export class RetryAfterError extends Error {
  override readonly name = "RetryAfterError";
  constructor(
    /** The wait before the next try, in ms. */
    readonly duration: number,
    /** The error that asked for the wait, if any. */
    readonly err?: unknown,
  ) {
    super(`retry after ${durationString(duration)}`, err === undefined ? undefined : { cause: err });
  }
}

/**
 * permanent wraps `err` so that `retry` stops at once and rejects with `err` itself.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import { permanent, retry } from "goroutine/backoff";
 * let tries = 0;
 * const err = await retry(context.background(), () => {
 *   tries++;
 *   throw permanent(new Error("404"));
 * }).catch((e: unknown) => e);
 * console.log(tries, (err as Error).message); // 1 "404"
 * ```
 */
export function permanent(err: unknown): Error {
  return new PermanentError(err);
}

/**
 * retryAfter makes an error that tells `retry` to wait exactly `ms` before the next try (an HTTP
 * Retry-After) and to reset the backoff; the policy, maxTries and maxElapsedTime still apply.
 * `cause`, if given, is what `retry` rejects with if it stops after this error.
 * @throws RangeError if `ms` is NaN or negative.
 */
export function retryAfter(ms: number, cause?: unknown): Error {
  if (typeof ms !== "number" || !(ms >= 0)) {
    throw new RangeError(`backoff.RetryAfter: ms must be a number of milliseconds >= 0, got ${String(ms)}`);
  }
  return new RetryAfterError(ms, cause);
}

/** The first error of class `C` in `err`'s cause chain (Go's errors.As). */
function find<C extends Error>(err: unknown, cls: new (...a: never[]) => C): C | undefined {
  for (let e = err, i = 0; e instanceof Error && i < 32; e = e.cause, i++) if (e instanceof cls) return e;
  return undefined;
}

/** The options of {@link retry}. */
export interface RetryOptions {
  /** The policy (default: a new ExponentialBackOff with Go's defaults). */
  backOff?: BackOff;
  /** The most tries in all (default 0: no limit). */
  maxTries?: number;
  /** The most time from the first try to the start of the last (default 15 min; 0: no limit). */
  maxElapsedTime?: number;
  /** Called before each wait with the error and the wait in ms. */
  notify?: (err: unknown, next: number) => void;
  /** Retry only errors this returns true for; others reject at once (default: all). */
  retryIf?: (err: unknown) => boolean;
}

/**
 * retry runs `op(attempt)` (attempt 1, 2, …) until it succeeds, and resolves with its value
 * (cenkalti/backoff v5's Retry). After a failure it stops and rejects with the error when `maxTries`
 * is reached, when the error is {@link permanent} (rejecting with the wrapped error) or fails
 * `retryIf`, when the policy says STOP, or when the next wait would pass `maxElapsedTime`; otherwise it
 * calls `notify(err, wait)` and waits (exactly the {@link retryAfter} duration, if the error asks).
 *
 * **Cancellation**: if `ctx` is done after a failed try, or ends during a wait, retry rejects with
 * `context.cause(ctx)`; the timer and the context watcher are removed, and `op` is not called again.
 * A try in progress is not interrupted (pass `ctx` to it).
 *
 * @throws RangeError (synchronously) if `maxTries` or `maxElapsedTime` is negative or NaN.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import { ConstantBackOff, retry } from "goroutine/backoff";
 * const v = await retry(context.background(), (attempt) => {
 *   if (attempt < 3) throw new Error("flaky");
 *   return `ok on try ${attempt}`;
 * }, { backOff: new ConstantBackOff(1) });
 * console.log(v); // "ok on try 3"
 * ```
 */
export function retry<T>(ctx: Context, op: (attempt: number) => T | Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxTries = opts.maxTries ?? 0;
  checkSize(maxTries, "backoff.Retry", "maxTries");
  const maxElapsed = opts.maxElapsedTime ?? DefaultMaxElapsedTime;
  if (typeof maxElapsed !== "number" || !(maxElapsed >= 0)) {
    throw new RangeError(`backoff.Retry: maxElapsedTime must be a number of milliseconds >= 0, got ${String(maxElapsed)}`);
  }
  if (typeof op !== "function") throw new TypeError("backoff.Retry: op must be a function");
  return run(ctx, op, opts.backOff ?? new ExponentialBackOff(), maxTries, maxElapsed, opts.notify, opts.retryIf);
}

async function run<T>(
  ctx: Context,
  op: (attempt: number) => T | Promise<T>,
  b: BackOff,
  maxTries: number,
  maxElapsed: number,
  notify: ((err: unknown, next: number) => void) | undefined,
  retryIf: ((err: unknown) => boolean) | undefined,
): Promise<T> {
  const clock = clockOf();
  const startedAt = clock.now();
  b.reset();
  for (let tries = 1; ; tries++) {
    let err: unknown;
    try {
      return await op(tries);
    } catch (e) {
      err = e;
    }
    const perm = find(err, PermanentError);
    if (perm !== undefined) throw perm.err;
    const after = find(err, RetryAfterError);
    // What to reject with if we stop here: a retryAfter's cause stands in for it.
    const last = after !== undefined && after.err !== undefined ? after.err : err;
    if (maxTries > 0 && tries >= maxTries) throw last;
    if (retryIf !== undefined && !retryIf(err)) throw last;
    const cerr = causeOf(ctx);
    if (cerr !== undefined) throw cerr;
    let next = b.nextBackOff();
    if (next === STOP) throw last;
    if (after !== undefined) {
      next = after.duration;
      b.reset();
    }
    if (maxElapsed > 0 && clock.now() - startedAt + next > maxElapsed) throw last;
    notify?.(err, next);
    if (next > 0) await waitUntil(ctx, clock.now() + next, "backoff.Retry", () => causeOf(ctx));
    else await done(); // a turn for the scheduler, so a zero backoff cannot starve timers and I/O
  }
}

/**
 * Ticker delivers ticks on {@link Ticker.c} at times a {@link BackOff} decides (cenkalti/backoff v5's
 * `NewTicker`): the first tick at once, then each after `nextBackOff()` ms counted from when the
 * previous one was taken. The channel is closed when {@link Ticker.stop} is called or the policy
 * returns {@link STOP}. Ticks are not dropped: the next wait starts only after a tick is received, so a
 * slow receiver is never handed two ticks in a row. Do not call the policy's methods while the ticker
 * runs. Built on the library's goroutines, channels and timers, so it runs in virtual time inside
 * `synctest.test`.
 *
 * **Cancellation**: `stop()` ends the ticker's goroutine and its pending timer at once, and closes `c`.
 *
 * @example
 * ```ts
 * import { ConstantBackOff, Ticker } from "goroutine/backoff";
 * const t = new Ticker(new ConstantBackOff(1));
 * let tries = 0;
 * for await (const _ of t.c) {
 *   if (++tries === 3) break; // the operation succeeded on the third try
 * }
 * t.stop();
 * console.log(tries); // 3
 * ```
 */
export class Ticker {
  /** The channel of ticks (the time of each); closed when the ticker stops. */
  readonly c: Chan<Date>;
  readonly #stop = new Chan<void>();
  #stopped = false;

  /**
   * Starts ticking (the policy is reset first).
   * @throws TypeError if `b` is not a BackOff.
   */
  constructor(b: BackOff) {
    if (b === null || typeof b !== "object" || typeof b.nextBackOff !== "function" || typeof b.reset !== "function") {
      throw new TypeError("backoff.NewTicker: b must be a BackOff");
    }
    const c = new Chan<Date>();
    this.c = c;
    const stop = this.#stop;
    b.reset();
    go(async function backoffTicker() {
      try {
        let tick = new Date(clockOf().now());
        for (;;) {
          const sent = await select([send(c, tick, () => true), recv(stop, () => false)]);
          if (!sent) return;
          const next = b.nextBackOff();
          if (next === STOP) return;
          const t = new Timer(next);
          const fired = await select([recv(t.c, (at) => at), recv(stop, () => undefined)]);
          if (fired === undefined) {
            t.stop();
            return;
          }
          tick = fired;
        }
      } finally {
        c.close();
      }
    });
  }

  /** stop ends the ticker and closes {@link Ticker.c} (idempotent). Ticks not yet received are not sent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stop.close();
  }
}
