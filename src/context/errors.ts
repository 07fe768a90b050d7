/**
 * The context package's errors: the Canceled and DeadlineExceeded sentinels and their classes.
 *
 * Invariants:
 * - Exactly one instance of each class is made (the sentinels), so `===` and `instanceof` agree.
 * - The sentinels carry no stack: made at module load, frames would point there and mislead.
 */
/**
 * The class of {@link Canceled}, for `instanceof` guards (compare the value itself with `===`).
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * console.log(context.Canceled instanceof context.CanceledError); // true
 * ```
 */
export class CanceledError extends Error {
  override readonly name = "CanceledError";
}

/**
 * The class of {@link DeadlineExceeded}; `timeout()` is true, as Go's error reports.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const e: unknown = context.DeadlineExceeded;
 * console.log(e instanceof context.DeadlineExceededError && e.timeout()); // true
 * ```
 */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
  /** Always true: this error is a timeout (Go's `net.Error`-style method). */
  timeout(): boolean {
    return true;
  }
  /** Always true (Go's DeadlineExceeded reports Temporary() true). */
  temporary(): boolean {
    return true;
  }
}

/**
 * Makes a sentinel error without a stack: it is created at module load, so frames would point there
 * and mislead whoever sees it thrown (fetch rejects with a signal's reason, for instance).
 */
function sentinel<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Canceled is the error {@link Context.err} returns when the context was cancelled by its cancel
 * function (or its parent was). A sentinel: compare with `===`.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withCancel(context.background());
 * cancel();
 * console.log(ctx.err() === context.Canceled, ctx.err()?.message); // true "context canceled"
 * ```
 */
export const Canceled: Error = sentinel(() => new CanceledError("context canceled"));
/**
 * DeadlineExceeded is the error {@link Context.err} returns when the context's deadline passed.
 * A sentinel: compare with `===`; its `timeout()` is true.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withTimeout(context.background(), 0);
 * const err = ctx.err();
 * console.log(err === context.DeadlineExceeded, context.DeadlineExceeded.timeout()); // true true
 * cancel();
 * ```
 */
export const DeadlineExceeded: DeadlineExceededError = sentinel(
  () => new DeadlineExceededError("context deadline exceeded"),
);
