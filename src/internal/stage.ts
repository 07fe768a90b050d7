/**
 * The moving parts of `goroutine/pipeline`: receive and send that give up when the context is done, and
 * how a stage's goroutine is started and what happens when it throws.
 *
 * Invariants:
 * - `recvCtx` and `sendCtx` never block once `ctx` is done; before that, they commit exactly one of
 *   "the value moved" or "ctx is done" (a `select`), so a value is either delivered or left where it was
 *   — never half-sent. The fast path (`tryRecv`/`trySend`) allocates no select and no promise.
 * - A stage goroutine belongs to the errgroup whose derived context the stage was given (if any), so the
 *   group's `wait` waits for it and its error is the group's; otherwise an error cancels the stage's
 *   context (when it is one of ours that can be cancelled), with the error as the cause, so every stage
 *   built on it winds down and `context.cause(ctx)` tells why. With nothing to cancel the error is the
 *   goroutine's panic, as in Go.
 */
import { go } from "../go.js";
import { recv, select, send } from "../select.js";
import { type Chan } from "./chan.js";
import { type Context } from "../context/index.js";
import { CancelCtx, ValueCtx } from "../context/ctx.js";
import { Canceled } from "../context/errors.js";
import { groupOfContext } from "./groupctx.js";
import { toError } from "./pool.js";

/** What `recvCtx` returns when the input is closed and drained or the context is done. */
export const STOP: unique symbol = Symbol("pipeline.stop");
export type Stop = typeof STOP;

function stop(): Stop {
  return STOP;
}

/** Receives from `ch`, or STOP once it is closed and drained or `ctx` is done. */
export function recvCtx<T>(ctx: Context, ch: Chan<T>): T | Stop | Promise<T | Stop> {
  if (ctx.err() !== undefined) return STOP;
  const r = ch.tryRecv();
  if (r !== undefined) return r[1] ? (r[0] as T) : STOP;
  return select([recv(ch, (v, ok) => (ok ? (v as T) : STOP)), recv(ctx.done(), stop)]);
}

function yes(): boolean {
  return true;
}
function no(): boolean {
  return false;
}

/** Sends `v` on `ch`; false (and `v` not sent) if `ctx` is done first. */
export function sendCtx<T>(ctx: Context, ch: Chan<T>, v: T): boolean | Promise<boolean> {
  if (ctx.err() !== undefined) return false;
  if (ch.trySend(v)) return true;
  return select([send(ch, v, yes), recv(ctx.done(), no)]);
}

/** Starts a stage goroutine running `body`, in the context's errgroup if it has one. */
export function spawnStage(ctx: Context, body: () => Promise<void>): void {
  let c: Context = ctx;
  while (c instanceof ValueCtx) c = c.parent; // a value context is done exactly when its parent is
  const g = groupOfContext.get(c);
  if (g !== undefined) void g.go(body);
  else go(runStage, c, body);
}

async function runStage(ctx: Context, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(ctx instanceof CancelCtx)) throw e; // nothing to cancel: the goroutine panics, as in Go
    ctx.cancel(true, Canceled, toError(e));
  }
}

/** The common checks of a stage's arguments. */
export function checkStage(name: string, ctx: unknown, input?: unknown): void {
  if (ctx === null || typeof ctx !== "object" || typeof (ctx as Context).done !== "function") {
    throw new TypeError(`pipeline: ${name} expects a Context, got ${ctx === null ? "null" : typeof ctx}`);
  }
  if (arguments.length > 2 && (input === null || typeof input !== "object" || typeof (input as Chan<unknown>).tryRecv !== "function")) {
    throw new TypeError(`pipeline: ${name} expects an input Chan, got ${input === null ? "null" : typeof input}`);
  }
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as PromiseLike<unknown>).then === "function";
}
