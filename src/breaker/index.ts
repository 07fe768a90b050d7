/**
 * `goroutine/breaker`: github.com/sony/gobreaker/v2 — a circuit breaker that stops calling a failing
 * dependency, lets a few probe requests through after a timeout, and closes again once they succeed.
 * `CircuitBreaker` wraps a call, `TwoStepCircuitBreaker` splits admission and outcome, and
 * `DistributedCircuitBreaker` keeps its state in a {@link SharedDataStore} shared by many processes.
 *
 * Semantics are gobreaker's: Counts are cleared on every state change (a new generation) and every
 * closed-state `interval` (or rolled bucket by bucket with `bucketPeriod`); results of requests that
 * started in an earlier generation are ignored; half-open admits `maxRequests` requests, closes after
 * that many consecutive successes and re-opens on the first failure. Time is read from the library's
 * clock, so a breaker runs in virtual time inside `synctest.test`.
 *
 * Invariants: the state machine lives in src/internal/breaker.ts; every call here runs it to
 * completion synchronously, so a breaker shared by many goroutines needs no lock.
 */
import type { Core } from "../internal/breaker.js";
import { type Counts, type Settings, type State, newCore, stateName } from "./settings.js";

export { DistributedCircuitBreaker, MemoryStore, type SharedDataStore } from "./distributed.js";
export {
  BreakerError,
  type Counts,
  ErrOpenState,
  ErrTooManyRequests,
  type Settings,
  type State,
} from "./settings.js";

/** What both local breakers share: the state machine, its name, state and counts. */
abstract class LocalBreaker {
  /** @internal */
  protected readonly core: Core;

  /** Makes a breaker from `settings` (gobreaker's NewCircuitBreaker). @throws RangeError on bad numbers. */
  constructor(settings?: Settings) {
    this.core = newCore(settings);
  }

  /** The breaker's name. */
  get name(): string {
    return this.core.s.name;
  }

  /** The current state, after applying any timeout or interval that has passed. */
  state(): State {
    return stateName(this.core.current());
  }

  /** A copy of the current generation's counts (not advanced by the clock, as in Go). */
  counts(): Counts {
    return this.core.view();
  }
}

/**
 * CircuitBreaker is gobreaker's CircuitBreaker: a state machine that refuses requests likely to fail.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, ErrOpenState } from "goroutine/breaker";
 * const cb = new CircuitBreaker<string>({ name: "api", readyToTrip: (c) => c.consecutiveFailures >= 2 });
 * const down = async (): Promise<string> => { throw new Error("503"); };
 * for (let i = 0; i < 2; i++) await cb.execute(down).catch(() => {});
 * console.log(cb.state()); // "open"
 * const err = await cb.execute(down).catch((e: unknown) => e);
 * console.log(err === ErrOpenState); // true
 * ```
 */
export class CircuitBreaker<T = unknown> extends LocalBreaker {

  /**
   * execute runs `fn` if the breaker admits it and resolves or rejects with its outcome, which it
   * records. A refused request rejects at once with {@link ErrOpenState} or {@link ErrTooManyRequests}
   * and `fn` is not called. `fn` is called synchronously; a throw counts as a failure (gobreaker's
   * panic) unless `isSuccessful`/`isExcluded` say otherwise.
   *
   * **Cancellation**: the breaker never waits; cancel the work inside `fn`. An outcome that arrives after
   * the breaker changed generation is ignored.
   */
  execute(fn: () => T | Promise<T>): Promise<T> {
    const c = this.core;
    let gen: number;
    try {
      gen = c.before();
    } catch (e) {
      return Promise.reject(e);
    }
    const age = c.reqAge;
    let r: T | Promise<T>;
    try {
      r = fn();
    } catch (e) {
      c.after(gen, age, e, true);
      return Promise.reject(e);
    }
    if (r instanceof Promise) {
      // The caller gets fn's own promise; the outcome is recorded by a reaction registered before the
      // caller's, so it has run when the caller resumes. Rejected alternative: returning r.then(...),
      // a second promise in the chain — 2.2× a bare `await fn()` instead of about 1.3×.
      c.prime(gen, age);
      void r.then(c.okFn, c.errFn);
      return r;
    }
    c.after(gen, age, undefined, false);
    return Promise.resolve(r);
  }
}

/**
 * TwoStepCircuitBreaker is gobreaker's TwoStepCircuitBreaker: `allow` admits a request and returns the
 * callback that reports its outcome.
 *
 * @example
 * ```ts
 * import { TwoStepCircuitBreaker } from "goroutine/breaker";
 * const cb = new TwoStepCircuitBreaker({ name: "db" });
 * const done = cb.allow();
 * done(true);
 * console.log(cb.counts().totalSuccesses); // 1
 * ```
 */
export class TwoStepCircuitBreaker extends LocalBreaker {
  /**
   * allow admits a request and returns `done`, to be called once with its outcome: `true` for success,
   * `false` for failure (gobreaker v2.3). Any other value is taken as gobreaker v2.4's error value —
   * `undefined`/`null` a success, anything else an error — passed through `isExcluded`/`isSuccessful`.
   * Never blocks.
   * @throws ErrOpenState or ErrTooManyRequests when the request is refused.
   */
  allow(): (success: boolean) => void {
    const c = this.core;
    const gen = c.before();
    const age = c.reqAge;
    return (outcome: unknown) => {
      if (typeof outcome === "boolean") c.after(gen, age, undefined, !outcome, true);
      else c.after(gen, age, outcome ?? undefined, outcome !== undefined && outcome !== null);
    };
  }
}
