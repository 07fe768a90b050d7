/**
 * sync.Once and the OnceFunc family.
 *
 * Invariants:
 * - `state` only moves forward: IDLE -> RUNNING (async f pending) -> DONE, or IDLE -> DONE (sync f).
 * - `running` is set exactly while state is RUNNING; every concurrent `do` awaits it, so no caller of
 *   `do` returns before f has completed (Go: "no call to Do returns until the one call to f returns").
 *   Those callers are parked ("sync.Once.Do") and made ready when f completes; in a synctest bubble the
 *   wait is durable when f was started in the same bubble.
 *
 * Async functions: Go's Do blocks concurrent callers until f returns. The TypeScript equivalent of "f
 * returns" for an async f is "its promise settles", so `do` always returns a promise that resolves
 * once f has completed, and concurrent callers share the first call's completion. Rejected alternative:
 * treating an async f as done when it returns its promise — callers would then proceed before the
 * initialisation they rely on has happened.
 */
import { type BubbleHooks, type G, currentG, done, park, ready } from "../internal/scheduler.js";

const IDLE = 0;
const RUNNING = 1;
const DONE = 2;

/**
 * Once performs exactly one action (Go's `sync.Once`). A new Once has not run anything.
 *
 * `do(f)` calls `f` only the first time `do` is called for this Once, even with a different `f`.
 * Every call returns a promise that resolves when that one call of `f` has completed (for an async `f`,
 * when its promise settles); concurrent callers wait for it. Happens-before, in Go's words: the
 * completion of the single call of f synchronizes before the return of any call of `do`.
 *
 * Errors: as in Go, if `f` throws (or rejects), `do` considers it done anyway: the error reaches the
 * caller that ran `f` (its promise rejects), while every other caller — concurrent or later — resolves
 * normally and `f` is never called again. Use {@link onceFunc} to have the error re-thrown on every call.
 *
 * @example
 * ```ts
 * import { Once } from "goroutine/sync";
 * const once = new Once();
 * let inits = 0;
 * await Promise.all([1, 2, 3].map(() => once.do(async () => { inits++; })));
 * console.log(inits); // 1
 * ```
 */
export class Once {
  private state = IDLE;
  private running: Promise<void> | undefined;
  /** Goroutines waiting for the running f (Go: blocked on the Once's mutex). */
  private parked: { g: G; durable: boolean }[] = [];
  /** The synctest bubble of the goroutine that started f. */
  private runner: BubbleHooks | undefined;

  /**
   * do calls `f` if and only if this is the first call of `do` on this Once, and resolves once `f` has
   * completed. Rejects only for the caller that ran `f`, with `f`'s error.
   *
   * **Cancellation**: not cancellable; a caller that arrives while an async `f` runs is parked
   * ("sync.Once.Do") until `f` settles.
   */
  do(f: () => unknown): Promise<void> {
    if (typeof f !== "function") throw new TypeError(`sync.Once.Do: f must be a function, got ${typeof f}`);
    if (this.state === DONE) return done();
    if (this.state === RUNNING) {
      const g = currentG();
      // Go blocks on the Once's mutex, which is never durable, so a bubble could not advance time
      // while f sleeps. Only f's completion can wake us: durable when f runs in our own bubble.
      const durable = g.bubble !== undefined && g.bubble === this.runner;
      this.parked.push({ g, durable });
      park(g, "sync.Once.Do", durable);
      return this.running!;
    }
    let r: unknown;
    try {
      r = f();
    } catch (e) {
      this.state = DONE;
      // f may throw a non-Error; the caller gets exactly what f threw.
      return Promise.reject(e);
    }
    if (r === null || typeof r !== "object" || typeof (r as PromiseLike<unknown>).then !== "function") {
      this.state = DONE;
      return done();
    }
    this.state = RUNNING;
    this.runner = currentG().bubble;
    const p = Promise.resolve(r);
    // Concurrent callers wait for f but never see its error (Go: only the caller that ran f panics).
    this.running = p.then(
      () => this.finish(),
      () => this.finish(),
    );
    return p.then(() => undefined);
  }

  private finish(): void {
    this.state = DONE;
    this.running = undefined;
    const gs = this.parked;
    this.parked = [];
    for (const w of gs) ready(w.g, w.durable);
  }
}

/**
 * onceFunc returns a function that calls `f` only once (Go's `sync.OnceFunc`). Every call returns what
 * the first call returned; for an async `f` that is the same promise, so concurrent callers await the
 * same completion. If `f` throws, every call throws the same error.
 *
 * @example
 * ```ts
 * import { onceFunc } from "goroutine/sync";
 * let inits = 0;
 * const init = onceFunc(() => { inits++; });
 * init(); init();
 * console.log(inits); // 1
 * ```
 */
export function onceFunc<R extends void | Promise<void>>(f: () => R): () => R {
  if (typeof f !== "function") throw new TypeError(`sync.OnceFunc: f must be a function, got ${typeof f}`);
  return onceValue(f);
}

/**
 * onceValue returns a function that calls `f` only once and returns its value on every call (Go's
 * `sync.OnceValue`). If `f` throws, every call throws the same error. For an async `f` every call gets
 * the same promise (which rejects for everyone if `f` rejects).
 *
 * @example
 * ```ts
 * import { onceValue } from "goroutine/sync";
 * let calls = 0;
 * const config = onceValue(() => { calls++; return { port: 8080 }; });
 * console.log(config().port, config() === config(), calls); // 8080 true 1
 * ```
 */
export function onceValue<T>(f: () => T): () => T {
  if (typeof f !== "function") throw new TypeError(`sync.OnceValue: f must be a function, got ${typeof f}`);
  let state = IDLE;
  let value: T;
  let error: unknown;
  let failed = false;
  let fn: (() => T) | undefined = f;
  return () => {
    if (state === IDLE) {
      state = DONE;
      const g = fn!;
      fn = undefined; // let f be collected, as Go does
      try {
        value = g();
      } catch (e) {
        failed = true;
        error = e;
      }
    }
    if (failed) throw error;
    return value;
  };
}

/**
 * onceValues returns a function that calls `f` only once and returns its pair of values on every call
 * (Go's `sync.OnceValues`, whose usual shape is `(value, error)`). If `f` throws, every call throws the
 * same error.
 *
 * @example
 * ```ts
 * import { onceValues } from "goroutine/sync";
 * const load = onceValues(() => [42, undefined] as const);
 * const [v, err] = load();
 * console.log(v, err); // 42 undefined
 * ```
 */
export function onceValues<A, B>(f: () => readonly [A, B]): () => readonly [A, B] {
  if (typeof f !== "function") throw new TypeError(`sync.OnceValues: f must be a function, got ${typeof f}`);
  return onceValue(f);
}
