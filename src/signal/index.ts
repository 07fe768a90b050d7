/**
 * `goroutine/signal`: Go's `os/signal.NotifyContext` — a context cancelled by an OS signal.
 *
 * Invariants:
 * - Between notifyContext and the first call of its stop function, exactly one listener per requested
 *   signal is installed on `process`; stop removes them all (once) and cancels the context, which also
 *   detaches it from its parent.
 * - While the listeners are installed, Node does not apply the default action (exit) for those signals,
 *   even after the context is done: as in Go, call stop to restore it, so a second Ctrl-C kills.
 * - `waiting` holds the contexts that are neither done nor stopped. `keepAlive` is armed only when the
 *   event loop is about to run dry while goroutines are blocked and `waiting` is not empty (a goroutine
 *   may be waiting for the signal, as a Go program blocks on it), and disarmed as soon as `waiting`
 *   empties. Signal listeners alone do not keep Node alive, and the deadlock check would otherwise
 *   report a program that waits for SIGTERM as deadlocked.
 *
 * Why not keep the process alive for as long as a context is active: a program that finishes its work
 * and forgets stop would then hang; Go exits when main returns, and Node's equivalent is an empty loop.
 */
import { constants } from "node:os";
import { afterFunc, type Context, withCancelCause } from "../context/index.js";
import { type TimerHandle, realClock } from "../internal/clock.js";
import { WAITING, addLivenessCheck, allGoroutines } from "../internal/scheduler.js";

const waiting = new Set<Context>();
let keepAlive: TimerHandle | undefined;
let checkInstalled = false;

function anyBlocked(): boolean {
  for (const g of allGoroutines()) if (g.state === WAITING) return true;
  return false;
}

/** Liveness check: a blocked goroutine may be waiting for a signal; keep the loop alive for it. */
function pendingSignal(): boolean {
  if (waiting.size === 0 || !anyBlocked()) return false;
  // A handle, not time-keeping: an infinitely distant real timer holds the event loop open.
  keepAlive ??= realClock.setTimer(Infinity, () => {});
  return true;
}

function release(ctx: Context): void {
  waiting.delete(ctx);
  if (waiting.size === 0 && keepAlive !== undefined) {
    keepAlive.clear();
    keepAlive = undefined;
  }
}

/**
 * SignalError is the cause recorded when a signal cancels a {@link notifyContext} context; `signal`
 * names the signal.
 *
 * @example
 * ```ts
 * import * as signal from "goroutine/signal";
 * const e = new signal.SignalError("SIGINT");
 * console.log(e.message, e.signal); // "signal: received SIGINT" "SIGINT"
 * ```
 */
export class SignalError extends Error {
  override readonly name = "SignalError";
  constructor(
    /** The signal that arrived, e.g. "SIGTERM". */
    readonly signal: NodeJS.Signals,
  ) {
    super(`signal: received ${signal}`);
  }
}

const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

function checkSignal(s: unknown): NodeJS.Signals {
  if (typeof s !== "string" || !Object.prototype.hasOwnProperty.call(constants.signals, s)) {
    throw new TypeError(`signal.NotifyContext: unknown signal ${JSON.stringify(s) ?? String(s)}`);
  }
  if (UNCATCHABLE.has(s)) throw new TypeError(`signal.NotifyContext: ${s} cannot be caught`);
  return s as NodeJS.Signals;
}

/**
 * notifyContext returns a copy of `parent` that is cancelled when one of `signals` arrives (default:
 * SIGINT and SIGTERM), when the returned `stop` is called, or when `parent` is done, whichever is first.
 * When a signal cancels it, `ctx.err()` is `Canceled` and `context.cause(ctx)` is a {@link SignalError}
 * naming the signal.
 *
 * `stop` removes the signal listeners, restoring Node's default handling (for SIGINT/SIGTERM: exit), and
 * cancels the context; call it as soon as the context is no longer needed. Until then the listed signals
 * are caught even after the first one has cancelled the context.
 *
 * While the context is waiting for a signal and goroutines are blocked, the process stays alive (a
 * signal may still come), so the runtime's deadlock report is off until the context is done or stopped,
 * as Go's deadlock detection is off once signals are being caught.
 *
 * @throws TypeError for an unknown signal name or SIGKILL/SIGSTOP, or a nil or non-Context parent.
 *
 * @example
 * ```ts
 * import { select, recv } from "goroutine";
 * import * as context from "goroutine/context";
 * import * as signal from "goroutine/signal";
 * import * as time from "goroutine/time";
 * const [ctx, stop] = signal.notifyContext(context.background(), "SIGTERM");
 * process.kill(process.pid, "SIGTERM"); // as `kill -TERM <pid>` would
 * await select([recv(ctx.done()), recv(time.after(5 * time.Second))]);
 * console.log(context.cause(ctx)?.message); // "signal: received SIGTERM"
 * stop();
 * ```
 */
export function notifyContext(parent: Context, ...signals: NodeJS.Signals[]): [Context, () => void] {
  const sigs = (signals.length === 0 ? (["SIGINT", "SIGTERM"] as const) : signals).map(checkSignal);
  const [ctx, cancel] = withCancelCause(parent);
  if (!checkInstalled) {
    checkInstalled = true;
    addLivenessCheck(pendingSignal);
  }
  if (ctx.err() === undefined) {
    waiting.add(ctx);
    afterFunc(ctx, () => release(ctx));
  }
  const handlers: [NodeJS.Signals, () => void][] = [];
  for (const s of new Set(sigs)) {
    const h = (): void => cancel(new SignalError(s));
    process.on(s, h);
    handlers.push([s, h]);
  }
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const [s, h] of handlers) process.removeListener(s, h);
    handlers.length = 0;
    cancel();
  };
  return [ctx, stop];
}
