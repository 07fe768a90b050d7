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
import { type SelectCase, recv, select, send } from "../select.js";
import { type Chan } from "./chan.js";
import { type Context } from "../context/index.js";
import { CancelCtx, ValueCtx } from "../context/ctx.js";
import { Canceled } from "../context/errors.js";
import { groupOfContext } from "./groupctx.js";
import { isThenable, toError } from "./pool.js";

export { isThenable };

/** What `recvCtx` returns when the input is closed and drained or the context is done. */
export const STOP: unique symbol = Symbol("pipeline.stop");
export type Stop = typeof STOP;

function stop(): Stop {
  return STOP;
}

function pick(v: unknown, ok: boolean): unknown {
  return ok ? v : STOP;
}
function yes(): boolean {
  return true;
}
function no(): boolean {
  return false;
}
function okOrStop<T>(r: [T | undefined, boolean]): T | Stop {
  return r[1] ? (r[0] as T) : STOP;
}

/**
 * One stage's view of its context: the done case, built once and reused by every select of the stage
 * (a case is immutable), and whether the context can be done at all (`background()`'s done channel is
 * nil: then a plain send or receive does, with no select).
 */
export class Watch {
  readonly never: boolean;
  readonly doneNo: SelectCase<boolean>;
  readonly doneStop: SelectCase<Stop>;
  constructor(readonly ctx: Context) {
    const d = ctx.done();
    this.never = d.isNil;
    this.doneNo = recv(d, no);
    this.doneStop = recv(d, stop);
  }

  /** Sends `v` on `ch`; false (and `v` not sent) if the context is done first. */
  send<T>(ch: Chan<T>, v: T): boolean | Promise<boolean> {
    if (this.ctx.err() !== undefined) return false;
    if (ch.trySend(v)) return true;
    if (this.never) return ch.send(v).then(yes);
    return select([send(ch, v, yes), this.doneNo]);
  }

  /** A receiving end of `ch` watched by this context. */
  inlet<T>(ch: Chan<T>): Inlet<T> {
    return new Inlet<T>(this, ch);
  }
}

/** Receives from one channel, or STOP once it is closed and drained or the context is done. */
export class Inlet<T> {
  private readonly cases: readonly SelectCase<T | Stop>[];
  constructor(
    private readonly w: Watch,
    readonly ch: Chan<T>,
  ) {
    this.cases = [recv(ch, pick as (v: T | undefined, ok: boolean) => T | Stop), w.doneStop];
  }

  recv(): T | Stop | Promise<T | Stop> {
    const w = this.w;
    if (w.ctx.err() !== undefined) return STOP;
    const r = this.ch.tryRecv();
    if (r !== undefined) return r[1] ? (r[0] as T) : STOP;
    if (w.never) return this.ch.recvOk().then(okOrStop<T>);
    return select(this.cases);
  }
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
