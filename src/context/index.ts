/**
 * `goroutine/context`: Go's `context` package. A Context carries a deadline, a cancellation signal and
 * request-scoped values across goroutines; cancellation flows from a context to all its descendants,
 * never upward. Every context also exposes a real `AbortSignal` (`ctx.signal`) for fetch and other
 * AbortSignal-aware APIs, and {@link fromSignal} goes the other way.
 *
 * Done channels and AbortSignals are made on first use, and a cancelled child is removed from its parent
 * at once, so many short-lived children of one long-lived parent cost nothing once they are cancelled.
 * Deadlines run on the clock seam: inside a synctest bubble they use the bubble's fake clock.
 */
import {
  AfterFuncNode,
  BACKGROUND,
  type CancelCauseFunc,
  type CancelFunc,
  CancelCtx,
  type Context,
  SignalCtx,
  TODO,
  TimerCtx,
  ValueCtx,
  WithoutCancelCtx,
  causeOf,
  checkParent,
  clockOf,
  isContext,
  propagate,
  setAfterFuncSkip,
} from "./ctx.js";
import { MAX_TIME_MS } from "../internal/clock.js";
import { Canceled, DeadlineExceeded } from "./errors.js";
import { watchSignal } from "./watch.js";

export type { CancelCauseFunc, CancelFunc, Context } from "./ctx.js";
export { Canceled, CanceledError, DeadlineExceeded, DeadlineExceededError } from "./errors.js";

/**
 * background returns the empty root context: never cancelled, no values, no deadline; its `done()` is a
 * nil channel and its `signal` never aborts. Use it in main, initialisation and tests, as the top of
 * every context tree.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const ctx = context.background();
 * console.log(ctx.err(), String(ctx)); // undefined "context.Background"
 * ```
 */
export function background(): Context {
  return BACKGROUND;
}

/**
 * todo returns an empty root context like {@link background}, for code where it is not yet clear which
 * context to use. It prints as "context.TODO".
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * console.log(String(context.todo())); // "context.TODO"
 * ```
 */
export function todo(): Context {
  return TODO;
}

/** A message for a non-Error cause; never throws (it runs on cancel paths). */
function describeValue(x: unknown): string {
  try {
    if (x !== null && typeof x === "object") return JSON.stringify(x) ?? "object";
    return String(x);
  } catch {
    return typeof x;
  }
}

function cancelFuncOf(c: CancelCtx): CancelFunc {
  return () => c.cancel(true, Canceled, undefined);
}

/**
 * withCancel returns a child of `parent` and a function that cancels it. The child is done when the
 * cancel function is called or when `parent` is done, whichever happens first; its err is then
 * {@link Canceled} (or the parent's err). Calling cancel releases everything the child holds and removes
 * it from the parent: always call it (e.g. in `finally`) once the work is over. Later calls do nothing.
 *
 * A child of a parent that is already done is born done, with the parent's err and cause.
 *
 * @throws TypeError "cannot create context from nil parent" for null/undefined, or if `parent` is not a
 * Context.
 *
 * @example
 * ```ts
 * import { go, Chan } from "goroutine";
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withCancel(context.background());
 * const stopped = new Chan<string>();
 * go(async () => {
 *   await ctx.done().recv(); // the worker waits until it is told to stop
 *   await stopped.send(`worker stopped: ${ctx.err()?.message}`);
 * });
 * cancel();
 * console.log(await stopped.recv()); // "worker stopped: context canceled"
 * console.log(ctx.signal.aborted); // true
 * ```
 */
export function withCancel(parent: Context): [Context, CancelFunc] {
  checkParent(parent, "WithCancel");
  const c = new CancelCtx(parent);
  propagate(c, parent);
  return [c, cancelFuncOf(c)];
}

/**
 * withCancelCause is like {@link withCancel} but its cancel function takes the cause of the
 * cancellation: `cancel(cause)` makes `err()` {@link Canceled} and {@link cause}`(ctx)` (and the signal's
 * reason) `cause`; `cancel()` with no cause records Canceled. Descendants report the same cause. A cause
 * that is not an Error is wrapped in one (message `String(cause)`, `.cause` the original).
 *
 * @throws TypeError as {@link withCancel}.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withCancelCause(context.background());
 * cancel(new Error("shutting down"));
 * console.log(ctx.err() === context.Canceled); // true
 * console.log(context.cause(ctx)?.message); // "shutting down"
 * ```
 */
export function withCancelCause(parent: Context): [Context, CancelCauseFunc] {
  checkParent(parent, "WithCancelCause");
  const c = new CancelCtx(parent);
  propagate(c, parent);
  return [
    c,
    (cause?: Error) => {
      // Never throw from a cancel path (it often runs in finally): wrap a non-Error cause instead.
      const c2: unknown = cause;
      const e =
        c2 === undefined || c2 === null || c2 instanceof Error
          ? (c2 ?? undefined)
          : new Error(describeValue(c2), { cause: c2 });
      c.cancel(true, Canceled, e);
    },
  ];
}

function deadlineMs(at: Date, fn: string): number {
  const ms = at instanceof Date ? at.getTime() : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`context.${fn}: deadline must be a valid Date`);
  return ms;
}

function timeoutMs(d: number, fn: string): number {
  if (typeof d !== "number") {
    throw new TypeError(`context.${fn}: timeout must be a number of milliseconds, got ${typeof d}`);
  }
  return d > 0 ? d : 0; // negative and NaN: already expired
}

/** The engine of withDeadline and friends; `at` is epoch milliseconds on the caller's clock. */
function deadlineCtx(parent: Context, at: number, cause: Error | undefined): [Context, CancelFunc] {
  const cur = parent.deadline();
  if (!(at <= MAX_TIME_MS) || (cur !== undefined && cur.getTime() < at)) {
    // No deadline (an infinite timeout, or one beyond any Date: never), or the parent's deadline comes
    // first and will cancel this context anyway: a plain cancelable child.
    const c = new CancelCtx(parent);
    propagate(c, parent);
    return [c, cancelFuncOf(c)];
  }
  const clock = clockOf();
  const c = new TimerCtx(parent, at, clock);
  propagate(c, parent);
  if (c.errv === undefined) {
    if (at <= clock.now()) {
      c.cancel(true, DeadlineExceeded, cause);
    } else {
      c.timer = clock.setTimer(at, () => c.cancel(true, DeadlineExceeded, cause));
    }
  }
  return [c, cancelFuncOf(c)];
}

function checkCause(cause: unknown, fn: string): Error | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) throw new TypeError(`context.${fn}: cause must be an Error, got ${typeof cause}`);
  return cause;
}

/**
 * withDeadline returns a child of `parent` that is cancelled with {@link DeadlineExceeded} when the
 * clock reaches `at`, or with {@link Canceled} when the returned function is called or the parent is
 * done, whichever comes first. If the parent's deadline is earlier, the child just follows the parent's
 * (a child's deadline is never later than its parent's). A deadline already past gives a context that
 * is born done. Cancelling clears the timer: call the cancel function as soon as the work is over.
 *
 * @throws TypeError for a nil or non-Context parent, or if `at` is not a valid Date.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as time from "goroutine/time";
 * const [ctx, cancel] = context.withDeadline(context.background(), new Date(time.now().getTime() + 5));
 * await ctx.done().recv();
 * console.log(ctx.err() === context.DeadlineExceeded); // true
 * cancel();
 * ```
 */
export function withDeadline(parent: Context, at: Date): [Context, CancelFunc] {
  checkParent(parent, "WithDeadline");
  return deadlineCtx(parent, deadlineMs(at, "WithDeadline"), undefined);
}

/**
 * withDeadlineCause is {@link withDeadline} that records `cause` (see {@link cause}) when the deadline
 * passes. The returned cancel function records no cause (Canceled).
 *
 * @throws TypeError as {@link withDeadline}, or if `cause` is not an Error.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const slow = new Error("backend too slow");
 * const [ctx, cancel] = context.withDeadlineCause(context.background(), new Date(0), slow);
 * console.log(ctx.err() === context.DeadlineExceeded, context.cause(ctx) === slow); // true true
 * cancel();
 * ```
 */
export function withDeadlineCause(parent: Context, at: Date, cause: Error): [Context, CancelFunc] {
  checkParent(parent, "WithDeadlineCause");
  return deadlineCtx(parent, deadlineMs(at, "WithDeadlineCause"), checkCause(cause, "WithDeadlineCause"));
}

/**
 * withTimeout is `withDeadline(parent, now + d)`: the child is cancelled with {@link DeadlineExceeded}
 * after `d` milliseconds (negative or NaN: at once). Call the cancel function as soon as the work is done
 * to release the timer: until it fires or is released, it keeps the process alive, like a setTimeout.
 *
 * `d = Infinity` means no deadline (Go has no infinite Duration): the child is then like
 * `withCancel(parent)`, and its `deadline()` is the parent's (`undefined` under background). So is a
 * finite `d` that puts the deadline beyond the latest Date (year 275760). Any other `d` is honoured
 * exactly, however long: waits beyond Node's setTimeout limit (2^31 − 1 ms, about 24.8 days) are armed
 * in steps and never fire early.
 *
 * @throws TypeError for a nil or non-Context parent, or if `d` is not a number.
 *
 * @example
 * ```ts
 * import { select, recv } from "goroutine";
 * import * as context from "goroutine/context";
 * import * as time from "goroutine/time";
 * const [ctx, cancel] = context.withTimeout(context.background(), 5 * time.Millisecond);
 * try {
 *   const r = await select([
 *     recv(time.after(time.Second), () => "work finished"),
 *     recv(ctx.done(), () => `gave up: ${ctx.err()?.message}`),
 *   ]);
 *   console.log(r); // "gave up: context deadline exceeded"
 * } finally {
 *   cancel();
 * }
 * ```
 */
export function withTimeout(parent: Context, d: number): [Context, CancelFunc] {
  checkParent(parent, "WithTimeout");
  const ms = timeoutMs(d, "WithTimeout");
  return deadlineCtx(parent, clockOf().now() + ms, undefined);
}

/**
 * withTimeoutCause is {@link withTimeout} that records `cause` (see {@link cause}) when the timeout
 * expires. `d = Infinity` means no deadline, as for withTimeout.
 *
 * @throws TypeError as {@link withTimeout}, or if `cause` is not an Error.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withTimeoutCause(context.background(), 2, new Error("too slow"));
 * await ctx.done().recv();
 * console.log(context.cause(ctx)?.message, ctx.signal.reason === context.cause(ctx)); // "too slow" true
 * cancel();
 * ```
 */
export function withTimeoutCause(parent: Context, d: number, cause: Error): [Context, CancelFunc] {
  checkParent(parent, "WithTimeoutCause");
  const ms = timeoutMs(d, "WithTimeoutCause");
  return deadlineCtx(parent, clockOf().now() + ms, checkCause(cause, "WithTimeoutCause"));
}

/**
 * withValue returns a child of `parent` in which `value(key)` is `val`; other keys are looked up in the
 * parent. Use it for request-scoped data (a request id, a logger), not for optional parameters; use a
 * module-private symbol or object as the key so packages cannot collide. Cancellation and deadline are
 * the parent's.
 *
 * @throws TypeError for a nil or non-Context parent, or a null/undefined key ("nil key").
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const requestId = Symbol("requestId");
 * const ctx = context.withValue(context.background(), requestId, "r-42");
 * console.log(ctx.value<string>(requestId)); // "r-42"
 * ```
 */
export function withValue(parent: Context, key: unknown, val: unknown): Context {
  checkParent(parent, "WithValue");
  if (key === null || key === undefined) throw new TypeError("context: nil key");
  return new ValueCtx(parent, key, val);
}

/**
 * withoutCancel returns a context with `parent`'s values but none of its cancellation: it is never done,
 * has no deadline, its `done()` is a nil channel and its `signal` never aborts. Use it for work that must
 * outlive the request that started it (an audit write, a cache fill).
 *
 * @throws TypeError for a nil or non-Context parent.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [req, cancel] = context.withCancel(context.withValue(context.background(), "user", "ann"));
 * const bg = context.withoutCancel(req);
 * cancel();
 * console.log(req.err()?.message, bg.err(), bg.value("user")); // "context canceled" undefined "ann"
 * ```
 */
export function withoutCancel(parent: Context): Context {
  checkParent(parent, "WithoutCancel");
  return new WithoutCancelCtx(parent);
}

/**
 * cause returns why `ctx` was cancelled: the cause given to a cancel-cause function or to
 * withDeadlineCause/withTimeoutCause (of `ctx` or the ancestor whose cancellation reached it), else
 * `ctx.err()`. undefined while `ctx` is not done.
 *
 * @throws TypeError if `ctx` is not a Context.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const [parent, cancel] = context.withCancelCause(context.background());
 * const [child] = context.withCancel(parent);
 * cancel(new Error("disk full"));
 * console.log(child.err()?.message, context.cause(child)?.message); // "context canceled" "disk full"
 * ```
 */
export function cause(ctx: Context): Error | undefined {
  if (!isContext(ctx)) throw new TypeError("context.Cause: argument is not a Context");
  return causeOf(ctx);
}

/**
 * afterFunc arranges for `fn` to run in its own goroutine once `ctx` is done (at once, if it already
 * is). It returns `stop`, which unregisters `fn`: `stop()` returns true if it stopped `fn` from being
 * run, false if `fn` has already been started or `stop` was already called. `stop` does not wait for a
 * running `fn`. Several afterFuncs on one context run independently.
 *
 * An error thrown by `fn` is a goroutine panic (see `runtime.setPanicHandler`).
 *
 * @throws TypeError if `ctx` is not a Context or `fn` not a function.
 *
 * @example
 * ```ts
 * import { Chan } from "goroutine";
 * import * as context from "goroutine/context";
 * const [ctx, cancel] = context.withCancel(context.background());
 * const closed = new Chan<string>(1);
 * context.afterFunc(ctx, () => closed.trySend("connection closed"));
 * const stop = context.afterFunc(ctx, () => console.log("never runs"));
 * console.log(stop()); // true
 * cancel();
 * console.log(await closed.recv()); // "connection closed"
 * ```
 */
export function afterFunc(ctx: Context, fn: () => unknown): () => boolean {
  if (!isContext(ctx)) {
    if (ctx === null || ctx === undefined) throw new TypeError("context.AfterFunc: nil context");
    throw new TypeError("context.AfterFunc: argument is not a Context");
  }
  if (typeof fn !== "function") throw new TypeError(`context.AfterFunc: expected a function, got ${typeof fn}`);
  const a = new AfterFuncNode(fn);
  propagate(a, ctx);
  return () => a.stop();
}
setAfterFuncSkip(afterFunc);

/**
 * fromSignal returns a child of `parent` that is also cancelled when `signal` aborts: its err is then
 * {@link DeadlineExceeded} if the reason is a `TimeoutError` (as from `AbortSignal.timeout`), else
 * {@link Canceled}, and its cause is the abort reason (wrapped in an Error if it is not one). A signal
 * that has already aborted gives a context that is born done. The listener on `signal` is removed when
 * the context is cancelled for any reason, so a long-lived signal keeps nothing for dead contexts (and
 * however many contexts watch one signal, it carries a single listener).
 *
 * Note: `AbortSignal.timeout`'s timer does not keep Node alive. If goroutines wait only on such a
 * context and nothing else is pending, the process has nothing left to run and the runtime reports a
 * deadlock; use {@link withTimeout} for a deadline.
 *
 * @throws TypeError for a nil or non-Context parent, or if `signal` is not an AbortSignal.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * const ac = new AbortController();
 * const [ctx, cancel] = context.fromSignal(context.background(), ac.signal);
 * ac.abort(new Error("user left"));
 * console.log(ctx.err() === context.Canceled, context.cause(ctx)?.message); // true "user left"
 * cancel();
 * ```
 */
export function fromSignal(parent: Context, signal: AbortSignal): [Context, CancelFunc] {
  checkParent(parent, "FromSignal");
  if (!(signal instanceof AbortSignal)) throw new TypeError("context.FromSignal: signal must be an AbortSignal");
  const c = new SignalCtx(parent);
  propagate(c, parent);
  if (c.errv === undefined) {
    if (signal.aborted) {
      abortedBy(c, signal);
    } else {
      c.signalHook = watchSignal(signal, () => {
        c.signalHook = null;
        abortedBy(c, signal);
      });
    }
  }
  return [c, cancelFuncOf(c)];
}

function abortedBy(c: SignalCtx, signal: AbortSignal): void {
  const r: unknown = signal.reason;
  const timeout = r instanceof Error && r.name === "TimeoutError";
  const cause = r instanceof Error ? r : new Error(`context: signal aborted: ${describeValue(r)}`, { cause: r });
  c.cancel(true, timeout ? DeadlineExceeded : Canceled, cause);
}
