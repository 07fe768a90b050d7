/**
 * The context engine: Go's context tree (cancelCtx, timerCtx, valueCtx, withoutCancelCtx, afterFuncCtx)
 * with lazily made done channels and AbortSignals.
 *
 * Invariants:
 * - A CancelCtx's `errv` goes from undefined to an error once and never changes again; `causev` is set
 *   at the same moment (to the cause given, else to `errv`). Everything else that cancelling does (close
 *   the done channel, abort the signal, cancel children, stop the timer, remove listeners) follows from it
 *   and happens at most once.
 * - Children of a CancelCtx live in an intrusive doubly linked list (`head`, `prevSib`/`nextSib`); a node
 *   is in at most one list and its `owner` names it (null when in none). Unlinking clears the node's
 *   links, so a cancelled child keeps no reference to its siblings or its parent's list, and the parent
 *   none to it: a long-lived parent with many short-lived children holds nothing for the dead ones.
 * - Nothing is added to a cancelled CancelCtx's list: a child of a done parent is cancelled at birth with
 *   the parent's err and cause.
 * - Cancellation walks the subtree iteratively (an explicit work list, no recursion, so depth is not
 *   limited by the call stack). A node is unlinked from its parent's list before it is handled, so user
 *   code that runs meanwhile (abort listeners) may cancel, detach or create nodes without breaking the
 *   walk; a node already cancelled by such code is skipped.
 * - A node that listens to something outside the tree (a foreign parent's signal, fromSignal's signal)
 *   keeps the matching removal in `unhook`, called when the node is cancelled or stopped. Such signals
 *   carry one listener each however many nodes watch them (`watchSignal`), removed with the last one.
 * - The done channel and the AbortController are made on first use; if the context is already cancelled
 *   then, they are made closed/aborted. A done channel belongs to the synctest bubble the context was made
 *   in, so a bubble goroutine waiting on it is durably blocked.
 * - Timers come from the clock seam (clockOf) of the goroutine that made the context; a timer is cleared
 *   when its context is cancelled for any reason.
 *
 * Lock order: none (single-threaded); the only reentrancy is user code run by AbortSignal listeners and
 * afterFunc goroutines, which the invariants above make safe.
 *
 * Why an intrusive list rather than a Set of children: unlink is O(1) either way, but the list allocates
 * nothing per child and leaves no tombstones in a hash table that only shrinks on rehash.
 */
import { Chan } from "../internal/chan.js";
import { type Clock, type TimerHandle, clockOf } from "../internal/clock.js";
import { type BubbleHooks, currentG, spawn } from "../internal/scheduler.js";
import { durationString } from "../time/duration.js";
import { Canceled } from "./errors.js";
import { contextName, formatTime, stringify } from "./format.js";
import { watchSignal } from "./watch.js";

/**
 * Context is the interface every context implements: Go's `context.Context` plus an AbortSignal. Its
 * methods never block; `done()` returns a channel to wait on (in `select`, or with `recv`). Pass a
 * context as the first argument of functions that do cancellable work, never store it in a struct.
 * Other implementations are accepted as parents as long as their `signal` aborts when they are done.
 *
 * @example
 * ```ts
 * import { select, recv } from "goroutine";
 * import * as context from "goroutine/context";
 * import * as time from "goroutine/time";
 * async function work(ctx: context.Context): Promise<string> {
 *   return select([recv(time.after(time.Second), () => "done"), recv(ctx.done(), () => String(ctx.err()?.message))]);
 * }
 * const [ctx, cancel] = context.withTimeout(context.background(), 5);
 * console.log(await work(ctx)); // "context deadline exceeded"
 * cancel();
 * ```
 */
export interface Context {
  /** The time at which the context will be cancelled by a deadline, if any. */
  deadline(): Date | undefined;
  /** A channel closed when the context is cancelled; a nil channel if it can never be. */
  done(): Chan<void>;
  /** undefined until the context is done; then {@link Canceled} or {@link DeadlineExceeded}. */
  err(): Error | undefined;
  /** The value associated with `key` by the nearest `withValue`, or undefined. */
  value<T = unknown>(key: unknown): T | undefined;
  /** An AbortSignal aborted when the context is cancelled, with the context's cause as its reason. */
  readonly signal: AbortSignal;
  /** How the context prints (Go's `String()`), e.g. "context.Background.WithCancel". */
  toString(): string;
}

/** CancelFunc cancels a context; calls after the first do nothing. Never blocks, never throws. */
export type CancelFunc = () => void;
/**
 * CancelCauseFunc cancels a context, recording `cause` (default: {@link Canceled}); calls after the
 * first do nothing. Never blocks, never throws.
 */
export type CancelCauseFunc = (cause?: Error) => void;

// ---- shared pieces -------------------------------------------------------------------------------------

const NIL_DONE: Chan<void> = Chan.nil<void>();
/** A signal that never aborts, for contexts that can never be cancelled. */
const NEVER = new AbortController().signal;

/** Closes a done channel from wherever cancellation happens, even outside the channel's bubble. */
function closeDone(ch: Chan<void>): void {
  ch.closeUnchecked();
}

/** Something that can hang off a CancelCtx and be told when it is cancelled. */
interface Node {
  prevSib: Node | null;
  nextSib: Node | null;
  owner: CancelCtx | null;
  /** Removes a listener outside the tree (foreign parent); null if none. */
  unhook: (() => void) | null;
  /** The parent (or whatever this node watches) was cancelled. */
  parentDone(err: Error, cause: Error): void;
}

function unlink(n: Node): void {
  const o = n.owner;
  if (o === null) return;
  const p = n.prevSib;
  const x = n.nextSib;
  if (p !== null) p.nextSib = x;
  else o.head = x;
  if (x !== null) x.prevSib = p;
  n.prevSib = n.nextSib = null;
  n.owner = null;
  o.nchildren--;
}

/** Moves every child of `p` out of its list onto `out`. */
function takeChildren(p: CancelCtx, out: Node[]): void {
  let n: Node | null;
  while ((n = p.head) !== null) {
    unlink(n);
    out.push(n);
  }
}

/** Detaches a node from whatever would cancel it. */
function detach(n: Node): void {
  unlink(n);
  const u = n.unhook;
  if (u !== null) {
    n.unhook = null;
    u();
  }
}

// ---- the context classes -------------------------------------------------------------------------------

/** The common base of this module's contexts. */
abstract class BaseCtx implements Context {
  abstract deadline(): Date | undefined;
  abstract done(): Chan<void>;
  abstract err(): Error | undefined;
  abstract get signal(): AbortSignal;
  value<T = unknown>(key: unknown): T | undefined {
    return lookup(this, key) as T | undefined;
  }
  /** Go's `contextName`: how this context prints, e.g. "context.Background.WithCancel". */
  abstract toString(): string;
}

/** A context that can never be cancelled and has no deadline: background, todo and withoutCancel. */
abstract class NeverDoneCtx extends BaseCtx {
  deadline(): undefined {
    return undefined;
  }
  done(): Chan<void> {
    return NIL_DONE;
  }
  err(): undefined {
    return undefined;
  }
  get signal(): AbortSignal {
    return NEVER;
  }
}

/** background() and todo(): never cancelled, no values, no deadline. */
class EmptyCtx extends NeverDoneCtx {
  constructor(private readonly name: string) {
    super();
  }
  toString(): string {
    return this.name;
  }
}

export const BACKGROUND: Context = new EmptyCtx("context.Background");
export const TODO: Context = new EmptyCtx("context.TODO");

/** withValue: one key/value pair over a parent. */
export class ValueCtx extends BaseCtx {
  constructor(
    readonly parent: Context,
    readonly key: unknown,
    readonly val: unknown,
  ) {
    super();
    this.base = parent instanceof ValueCtx ? parent.base : parent;
  }
  /** The nearest ancestor that is not a ValueCtx: done, err and signal are its (no walk per call). */
  readonly base: Context;
  deadline(): Date | undefined {
    return deadlineOf(this.base);
  }
  done(): Chan<void> {
    return this.base.done();
  }
  err(): Error | undefined {
    return this.base.err();
  }
  get signal(): AbortSignal {
    return this.base.signal;
  }
  toString(): string {
    return `${contextName(this.parent)}.WithValue(${stringify(this.key)}, ${stringify(this.val)})`;
  }
}

/** withoutCancel: the parent's values, none of its cancellation or deadline. */
export class WithoutCancelCtx extends NeverDoneCtx {
  constructor(readonly parent: Context) {
    super();
  }
  toString(): string {
    return `${contextName(this.parent)}.WithoutCancel`;
  }
}

/** withCancel / withCancelCause: a cancellable node of the tree. */
export class CancelCtx extends BaseCtx implements Node {
  prevSib: Node | null = null;
  nextSib: Node | null = null;
  owner: CancelCtx | null = null;
  unhook: (() => void) | null = null;
  /** @internal First child; see the invariants. */
  head: Node | null = null;
  /** @internal Number of children in the list (for tests and leak checks). */
  nchildren = 0;
  errv: Error | undefined = undefined;
  causev: Error | undefined = undefined;
  private ch: Chan<void> | undefined = undefined;
  private ac: AbortController | undefined = undefined;
  readonly bubble: BubbleHooks | undefined;

  constructor(readonly parent: Context) {
    super();
    this.bubble = currentG().bubble;
  }

  deadline(): Date | undefined {
    return deadlineOf(this.parent);
  }

  done(): Chan<void> {
    let c = this.ch;
    if (c === undefined) {
      c = Chan.inBubble<void>(this.bubble);
      this.ch = c;
      if (this.errv !== undefined) closeDone(c);
    }
    return c;
  }

  err(): Error | undefined {
    return this.errv;
  }

  get signal(): AbortSignal {
    let a = this.ac;
    if (a === undefined) {
      a = new AbortController();
      this.ac = a;
      if (this.errv !== undefined) a.abort(this.causev);
    }
    return a.signal;
  }

  /** Child's view (library-internal): its parent was cancelled (it is already out of the parent's list). */
  parentDone(err: Error, cause: Error): void {
    this.cancel(false, err, cause);
  }

  /**
   * @internal Cancels this context and its descendants with `err` and `cause` (default `err`), and, if
   * `removeFromParent`, detaches it from whatever would cancel it.
   */
  cancel(removeFromParent: boolean, err: Error, cause: Error | undefined): void {
    const c = cause ?? err;
    if (!this.mark(err, c)) return;
    if (removeFromParent) detach(this);
    if (this.head === null) {
      this.ac?.abort(c); // fast path: no descendants
      return;
    }
    // Descendants iteratively (a chain 10^5 deep must not overflow the stack). Each node is unlinked
    // before it is handled, so abort listeners (user code) that cancel or create nodes meanwhile are safe.
    const work: Node[] = [];
    takeChildren(this, work);
    this.ac?.abort(c);
    let n: Node | undefined;
    while ((n = work.pop()) !== undefined) {
      if (n instanceof CancelCtx) {
        if (!n.mark(err, c)) continue;
        takeChildren(n, work);
        n.ac?.abort(c);
      } else {
        n.parentDone(err, c);
      }
    }
  }

  /** @internal Records err and cause, frees timers/listeners, closes the done channel; false if already done. */
  mark(err: Error, cause: Error): boolean {
    if (this.errv !== undefined) return false;
    this.errv = err;
    this.causev = cause;
    this.release();
    if (this.ch !== undefined) closeDone(this.ch);
    return true;
  }

  /** @internal Frees what a subclass holds (timer, listeners); called once, on cancel. */
  protected release(): void {}

  toString(): string {
    return `${contextName(this.parent)}.WithCancel`;
  }
}

/** withDeadline / withTimeout: a CancelCtx with a timer. */
export class TimerCtx extends CancelCtx {
  timer: TimerHandle | undefined = undefined;
  constructor(
    parent: Context,
    readonly at: number,
    readonly clock: Clock,
  ) {
    super(parent);
  }
  override deadline(): Date {
    return new Date(this.at);
  }
  protected override release(): void {
    const t = this.timer;
    if (t !== undefined) {
      this.timer = undefined;
      t.clear();
    }
  }
  override toString(): string {
    return `${contextName(this.parent)}.WithDeadline(${formatTime(this.at)} [${durationString(this.at - this.clock.now())}])`;
  }
}

/** fromSignal: a CancelCtx also cancelled by a foreign AbortSignal. */
export class SignalCtx extends CancelCtx {
  signalHook: (() => void) | null = null;
  protected override release(): void {
    const u = this.signalHook;
    if (u !== null) {
      this.signalHook = null;
      u();
    }
  }
  override toString(): string {
    return `${contextName(this.parent)}.FromSignal`;
  }
}

/** afterFunc's registration: a node that starts `fn` in a goroutine when its context is cancelled. */
export class AfterFuncNode implements Node {
  prevSib: Node | null = null;
  nextSib: Node | null = null;
  owner: CancelCtx | null = null;
  unhook: (() => void) | null = null;
  /** Go's once: set when fn is started or the registration stopped. */
  used = false;
  readonly bubble: BubbleHooks | undefined;
  constructor(private fn: (() => unknown) | undefined) {
    this.bubble = currentG().bubble;
  }
  parentDone(): void {
    detach(this); // a foreign source's listener, if any
    if (this.used) return;
    this.used = true;
    const fn = this.fn!;
    this.fn = undefined;
    spawn(fn, [], afterFuncSkip, this.bubble);
  }
  stop(): boolean {
    if (this.used) return false;
    this.used = true;
    this.fn = undefined;
    detach(this);
    return true;
  }
}

let afterFuncSkip: (...args: never[]) => unknown = () => undefined;
/** Lets the facade name its public afterFunc as the frame to hide from creation sites. */
export function setAfterFuncSkip(f: (...args: never[]) => unknown): void {
  afterFuncSkip = f;
}

// ---- tree operations -----------------------------------------------------------------------------------

/** True for an object that implements the Context interface. */
export function isContext(x: unknown): x is Context {
  if (x instanceof BaseCtx) return true;
  if (x === null || typeof x !== "object") return false;
  const c = x as Record<string, unknown>;
  return (
    typeof c["done"] === "function" &&
    typeof c["err"] === "function" &&
    typeof c["value"] === "function" &&
    typeof c["deadline"] === "function" &&
    c["signal"] instanceof AbortSignal
  );
}

/** Validates a parent argument: Go panics "cannot create context from nil parent". */
export function checkParent(parent: unknown, fn: string): asserts parent is Context {
  if (parent === null || parent === undefined) throw new TypeError("cannot create context from nil parent");
  if (!isContext(parent)) {
    throw new TypeError(`context.${fn}: parent is not a Context (got ${describe(parent)})`);
  }
}

function describe(x: unknown): string {
  if (x === null || typeof x !== "object") return typeof x;
  const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object";
}

/** Error class for a foreign context's cancellation, from its err() and its signal's reason. */
function foreignCause(p: Context, err: Error): Error {
  const r: unknown = p.signal.reason;
  return r instanceof Error ? r : err;
}

/**
 * Go's propagateCancel: arranges for `child` to be cancelled when `parent` is, or cancels it now if
 * `parent` already is.
 */
export function propagate(child: Node, parent: Context): void {
  let p: Context = parent;
  while (p instanceof ValueCtx) p = p.parent;
  if (p instanceof CancelCtx) {
    if (p.errv !== undefined) {
      child.parentDone(p.errv, p.causev!);
      return;
    }
    const h = p.head;
    child.nextSib = h;
    if (h !== null) h.prevSib = child;
    p.head = child;
    child.owner = p;
    p.nchildren++;
    return;
  }
  if (p instanceof BaseCtx) return; // background, todo, withoutCancel: never cancelled
  // A foreign implementation: watch its signal (part of the interface), no goroutine needed.
  const foreign = p;
  const e = foreign.err();
  if (e !== undefined || foreign.signal.aborted) {
    const err = e ?? Canceled;
    child.parentDone(err, foreignCause(foreign, err));
    return;
  }
  child.unhook = watchSignal(foreign.signal, () => {
    child.unhook = null;
    const err = foreign.err() ?? Canceled;
    child.parentDone(err, foreignCause(foreign, err));
  });
}

/** The deadline of `c`, found iteratively (a deep chain must not overflow the stack). */
function deadlineOf(c: Context): Date | undefined {
  for (;;) {
    if (c instanceof TimerCtx) return new Date(c.at);
    if (c instanceof CancelCtx || c instanceof ValueCtx) c = c.parent;
    else return c.deadline();
  }
}

/** Go's Context.Value walk, iterative over this module's contexts. */
function lookup(c: Context, key: unknown): unknown {
  for (;;) {
    if (c instanceof ValueCtx) {
      if (c.key === key) return c.val;
      c = c.parent;
    } else if (c instanceof CancelCtx || c instanceof WithoutCancelCtx) {
      c = c.parent;
    } else if (c instanceof EmptyCtx) {
      return undefined;
    } else {
      return c.value(key);
    }
  }
}

/** Go's context.Cause. */
export function causeOf(c: Context): Error | undefined {
  for (;;) {
    if (c instanceof ValueCtx) c = c.parent;
    else if (c instanceof CancelCtx) return c.causev;
    else if (c instanceof BaseCtx) return undefined;
    else {
      const e = c.err();
      return e === undefined ? undefined : foreignCause(c, e);
    }
  }
}

/** Number of live children registered on `c` (0 for contexts that keep none). For tests. */
export function childCount(c: Context): number {
  let p = c;
  while (p instanceof ValueCtx) p = p.parent;
  return p instanceof CancelCtx ? p.nchildren : 0;
}

/** The clock of the calling goroutine (re-exported for the facade). */
export { clockOf };
