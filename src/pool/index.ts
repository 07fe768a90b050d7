/**
 * `goroutine/pool`: sourcegraph/conc's pools, stream and iter — bounded groups of goroutines.
 *
 * A pool runs the tasks given to `go` on at most `withMaxGoroutines(n)` goroutines, started lazily (never
 * more goroutines than tasks), and `wait` waits for all of them. The conversions choose what a task may
 * do: `withErrors()` (its errors are collected), `withContext(ctx)` (it receives a context, cancelled
 * with `withCancelOnError()` at the first error), `Pool.withResults<T>()` (its value is kept, in
 * submission order). Configuration methods throw once `go` has been called, as conc's panic.
 *
 * Invariants (the engine is src/internal/pool.ts): every task accepted by `go` runs exactly once, and
 * its error (if any) reaches `wait`; results are stored at their submission index, assigned in `go`.
 */
import { type Context } from "../context/index.js";
import { Engine, FIRST, type Task, rejectWith } from "../internal/pool.js";

export { Stream, type Callback } from "./stream.js";
export * as iter from "./iter.js";

function checkFn(fn: unknown): void {
  if (typeof fn !== "function") throw new TypeError(`pool: go expects a function, got ${typeof fn}`);
}

/** What every pool has: its engine and its limit. */
abstract class Limited {
  /** @internal */
  readonly e: Engine;
  /** @internal */
  constructor(e: Engine) {
    this.e = e;
  }

  /**
   * withMaxGoroutines limits the pool to `n` goroutines (default: unlimited) and returns the pool.
   * @throws RangeError unless `n` is a whole number ≥ 1; Error if `go` was already called.
   */
  withMaxGoroutines(n: number): this {
    this.e.setMax(n);
    return this;
  }

  /** maxGoroutines is the pool's limit (`Infinity` when unlimited). */
  maxGoroutines(): number {
    return this.e.max;
  }

  /** @internal Waits for the round and returns the error `wait` rejects with, if any. */
  protected async round(): Promise<unknown> {
    return this.e.error(await this.e.drain());
  }
}

/** Pools whose `wait` joins every error, or reports the first. */
abstract class Collecting extends Limited {
  /** withFirstError makes `wait` reject with the first error only. */
  withFirstError(): this {
    this.e.checkConfig();
    this.e.mode = FIRST;
    return this;
  }
}

/** Pools whose tasks receive a context. */
abstract class WithContext extends Collecting {
  /** @internal */
  constructor(e: Engine, ctx: Context) {
    super(e);
    e.withContext(ctx);
  }

  /** withCancelOnError cancels the pool's context at the first error, with that error as the cause. */
  withCancelOnError(): this {
    this.e.checkConfig();
    this.e.cancelOnError = true;
    return this;
  }

  /** withFailFast is `withFirstError().withCancelOnError()`. */
  withFailFast(): this {
    return this.withFirstError().withCancelOnError();
  }
}

/**
 * Pool is a pool of goroutines that run tasks concurrently (conc's `pool.Pool`). A new Pool is valid and
 * unlimited. A task that throws makes `wait` reject with that error (conc re-panics it in `Wait`); the
 * other tasks still run.
 *
 * Happens-before: the completion of every task synchronizes before the return of the `wait` that waits
 * for it.
 *
 * @example
 * ```ts
 * import { Pool } from "goroutine/pool";
 * const p = new Pool().withMaxGoroutines(2);
 * let sum = 0;
 * for (let i = 1; i <= 4; i++) await p.go(async () => { sum += i; });
 * await p.wait();
 * console.log(sum); // 10
 * ```
 */
export class Pool extends Limited {
  constructor() {
    super(new Engine());
  }

  /**
   * go submits a task. If all the pool's goroutines are busy it blocks (the returned promise is pending,
   * and the caller is parked on "chan send" in the goroutine dump) until a goroutine takes the task;
   * otherwise it resolves at once. It never rejects: the task's error goes to `wait`.
   *
   * **Cancellation**: a submission cannot be withdrawn; the task runs when a goroutine frees up.
   */
  go(fn: () => unknown): Promise<void> {
    checkFn(fn);
    return this.e.go(fn);
  }

  /**
   * wait blocks until every submitted task has finished and the pool's goroutines have returned, then
   * resolves, or rejects with the first error a task threw. The pool can be used again afterwards.
   * **Cancellation**: not cancellable.
   */
  async wait(): Promise<void> {
    const err = await this.round();
    return err !== undefined ? rejectWith(err) : undefined;
  }

  /** withErrors converts the pool to an {@link ErrorPool}, whose `wait` rejects with every error. */
  withErrors(): ErrorPool {
    return new ErrorPool(this.e.copyAll());
  }

  /** withContext converts the pool to a {@link ContextPool} whose tasks receive a child of `ctx`. */
  withContext(ctx: Context): ContextPool {
    return new ContextPool(this.e.copyAll(), ctx);
  }

  /** withResults makes a {@link ResultPool}: tasks return values, `wait` returns them in submission order. */
  static withResults<T>(): ResultPool<T> {
    return new ResultPool<T>(new Engine());
  }
}

/**
 * ErrorPool is a pool whose tasks may fail (conc's `ErrorPool`): `wait` rejects with an AggregateError of
 * every error, in the order they happened (`errors`), or, after `withFirstError()`, with the first one.
 * Failures do not stop the other tasks.
 *
 * @example
 * ```ts
 * import { Pool } from "goroutine/pool";
 * const p = new Pool().withErrors();
 * for (const n of [1, 2, 3]) p.go(() => { if (n !== 2) throw new Error(`bad ${n}`); });
 * const err = await p.wait().catch((e: AggregateError) => e);
 * console.log(err?.errors.length); // 2
 * ```
 */
export class ErrorPool extends Collecting {
  /** go submits a task, blocking while the pool is full (see {@link Pool.go}). */
  go(fn: () => unknown): Promise<void> {
    checkFn(fn);
    return this.e.go(fn);
  }

  /**
   * wait blocks until every task has finished; it rejects with an AggregateError of all their errors
   * (or the first error, with {@link ErrorPool.withFirstError}). **Cancellation**: not cancellable.
   */
  async wait(): Promise<void> {
    const err = await this.round();
    return err !== undefined ? rejectWith(err) : undefined;
  }

  /** withContext converts the pool to a {@link ContextPool}, keeping its settings. */
  withContext(ctx: Context): ContextPool {
    return new ContextPool(this.e.copy(), ctx);
  }
}

/**
 * ContextPool is an error pool whose tasks receive a context (conc's `ContextPool`): a child of the
 * given one, cancelled when `wait` returns, or — with `withCancelOnError()` — as soon as a task fails,
 * with that error as its cause, so the other tasks can stop early.
 *
 * **Cancellation**: cancelling the parent context cancels the tasks' context; tasks that return because
 * of it and throw its error are counted as failures, as in conc.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import { Pool } from "goroutine/pool";
 * const p = new Pool().withContext(context.background()).withCancelOnError().withFirstError();
 * p.go(async () => { throw new Error("boom"); });
 * p.go(async (ctx) => { await ctx.done().recv(); });
 * await p.wait().catch((e: Error) => console.log(e.message)); // "boom"
 * ```
 */
export class ContextPool extends WithContext {
  /** go submits a task that receives the pool's context, blocking while the pool is full. */
  go(fn: (ctx: Context) => unknown): Promise<void> {
    checkFn(fn);
    const ctx = this.e.ctx!;
    return this.e.go(() => fn(ctx));
  }

  /** wait is {@link ErrorPool.wait}; it also cancels the pool's context. */
  async wait(): Promise<void> {
    const err = await this.round();
    return err !== undefined ? rejectWith(err) : undefined;
  }
}

/** Collects results at their submission index. */
class Results<T> {
  private values: T[] = [];
  private next = 0;
  wrap(fn: () => T | PromiseLike<T>): Task {
    const i = this.next++;
    const values = this.values;
    return async () => {
      values[i] = await fn();
    };
  }
  take(): T[] {
    const v = this.values;
    v.length = this.next; // holes of failed tasks stay undefined
    this.values = [];
    this.next = 0;
    return v;
  }
  /** The end of a round: the values, or a rejection with the round's error. */
  settle(err: unknown): T[] | Promise<never> {
    const values = this.take();
    return err !== undefined ? rejectWith(err) : values;
  }
}

/**
 * ResultPool runs tasks that return values (conc's `ResultPool`); `wait` resolves with them in the order
 * the tasks were submitted, whatever order they finished in. Make one with `Pool.withResults<T>()`.
 * A task that throws makes `wait` reject with that error.
 *
 * @example
 * ```ts
 * import { Pool } from "goroutine/pool";
 * import * as time from "goroutine/time";
 * const p = Pool.withResults<number>().withMaxGoroutines(3);
 * for (const n of [30, 10, 20]) p.go(async () => { await time.sleep(n); return n; });
 * console.log(await p.wait()); // [30, 10, 20]
 * ```
 */
export class ResultPool<T> extends Limited {
  private readonly r = new Results<T>();

  /** go submits a task whose value `wait` returns, blocking while the pool is full. */
  go(fn: () => T | PromiseLike<T>): Promise<void> {
    checkFn(fn);
    return this.e.go(this.r.wrap(fn));
  }

  /** wait resolves with every task's value in submission order, or rejects as {@link Pool.wait}. */
  async wait(): Promise<T[]> {
    return this.r.settle(await this.round());
  }

  /** withErrors converts to a {@link ResultErrorPool}. */
  withErrors(): ResultErrorPool<T> {
    return new ResultErrorPool<T>(this.e.copyAll());
  }

  /** withContext converts to a {@link ResultContextPool}. */
  withContext(ctx: Context): ResultContextPool<T> {
    return new ResultContextPool<T>(this.e.copyAll(), ctx);
  }
}

/**
 * ResultErrorPool is a {@link ResultPool} whose `wait` rejects like {@link ErrorPool.wait}: with an
 * AggregateError of every error, or the first with `withFirstError()`.
 */
export class ResultErrorPool<T> extends Collecting {
  private readonly r = new Results<T>();

  /** go submits a task, blocking while the pool is full. */
  go(fn: () => T | PromiseLike<T>): Promise<void> {
    checkFn(fn);
    return this.e.go(this.r.wrap(fn));
  }

  /** wait resolves with the values in submission order if no task failed; else rejects. */
  async wait(): Promise<T[]> {
    return this.r.settle(await this.round());
  }

  /** withContext converts to a {@link ResultContextPool}, keeping the settings. */
  withContext(ctx: Context): ResultContextPool<T> {
    return new ResultContextPool<T>(this.e.copy(), ctx);
  }
}

/**
 * ResultContextPool is a {@link ResultPool} whose tasks receive a context, with the options of
 * {@link ContextPool}.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import { Pool } from "goroutine/pool";
 * const p = Pool.withResults<string>().withContext(context.background()).withMaxGoroutines(2);
 * for (const s of ["a", "b"]) p.go(async (ctx) => (ctx.err() ? "" : s.toUpperCase()));
 * console.log(await p.wait()); // ["A", "B"]
 * ```
 */
export class ResultContextPool<T> extends WithContext {
  private readonly r = new Results<T>();

  /** go submits a task that receives the pool's context, blocking while the pool is full. */
  go(fn: (ctx: Context) => T | PromiseLike<T>): Promise<void> {
    checkFn(fn);
    const ctx = this.e.ctx!;
    return this.e.go(this.r.wrap(() => fn(ctx)));
  }

  /** wait is {@link ResultErrorPool.wait}; it also cancels the pool's context. */
  async wait(): Promise<T[]> {
    return this.r.settle(await this.round());
  }
}
