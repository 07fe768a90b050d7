/**
 * The channel engine (Go's runtime/chan.go): a ring buffer plus two FIFO queues of parked goroutines.
 *
 * Invariants:
 * - At least one of `recvq` and `sendq` is empty. A waiting receiver exists only while the buffer is
 *   empty; a waiting sender only while the buffer is full (for an unbuffered channel: always "full").
 * - A receiver that finds a waiting sender takes the sender's value directly (unbuffered), or takes the
 *   buffer's head and moves the sender's value to the tail (buffered), so FIFO order holds across both.
 * - Every sudog in a queue is live: a select that completes removes its sudogs from all queues at once.
 * - Once `closed` is set it stays set, and both queues are empty (close drains them).
 * - A channel made inside a synctest bubble (`bubble` set) may only be used by that bubble's goroutines.
 * - Waiters of a select that also waits on cross-thread channels may linger after that select was won
 *   elsewhere; `WaitQ.shift` drops them, so every dequeue here goes through `shift`.
 * - A poll (`pollRecv`, `pollSend`) returns its result as a value; the select engine (select.ts) commits
 *   a case through a poll or, once parked, through `fire`, which hands a select's sudog to its
 *   SelectState (pass 3 of select happens there).
 *
 * Completion: the state change (value moved, waiter removed, goroutine marked ready) happens at once and
 * synchronously; only the settlement of the waiter's promise may be deferred by preemption. So a value is
 * never delivered twice or lost, whatever the order in which continuations later run.
 */
import {
  type BubbleHooks,
  type G,
  currentG,
  doneWith,
  done,
  park,
  pending,
  ready,
  wake,
  wakeNow,
} from "./scheduler.js";
import { Ring } from "./ring.js";
import type { RemoteChan } from "./select.js";
import { checkSize } from "./size.js";
import { M_ITER, M_RECV, M_RECV_OK, M_SEND, Sudog, WaitQ, setSudogSettler } from "./waitq.js";

/**
 * ChanClosedError is thrown for misuse of a channel's closed state: a send on a closed channel
 * ("send on closed channel"), closing it twice ("close of closed channel") or closing a nil channel
 * ("close of nil channel"). These are panics in Go.
 */
export class ChanClosedError extends Error {
  override readonly name = "ChanClosedError";
}

/** `pollRecv`'s result when a receive would block. */
export const WOULD_BLOCK: unique symbol = Symbol("would block");
/** `pollRecv`'s result on a closed channel with nothing left in it (Go's `ok == false`). */
export const DRAINED: unique symbol = Symbol("closed and drained");
/** What `pollRecv` returns: a received value, or one of the two markers above. */
export type Polled<T> = T | typeof WOULD_BLOCK | typeof DRAINED;

/**
 * Settles a parked sudog: `elem`/`ok` for receivers, `closedSend` for senders woken by close.
 *
 * `hold`: the woken goroutine runs when the waker blocks (see `wake` in scheduler.ts), which lets the
 * two ends of a buffered channel work in batches instead of alternating value by value. On an unbuffered
 * channel the waker must block after one value anyway, so holding gains nothing there and the waiter is
 * settled at once.
 */
export function fire(sg: Sudog, elem: unknown, ok: boolean, closedSend: boolean, hold: boolean): void {
  const sel = sg.sel;
  if (sel !== null && sel.claim >= 0) return sel.decideShared(sg, elem, ok, closedSend);
  ready(sg.g, sg.durable);
  if (sel !== null) {
    sel.decide(sg, elem, ok, closedSend);
    if (hold) wake(sel.resolve);
    else wakeNow(sel.resolve);
    return;
  }
  sg.elem = elem;
  sg.ok = ok;
  sg.closedSend = closedSend;
  if (hold) wake(sg);
  else wakeNow(sg);
}

setSudogSettler(settle);

/** Settles a channel waiter's promise from what `fire` stored on it. */
export function settle(sg: Sudog): void {
  const elem = sg.elem;
  const ok = sg.ok;
  switch (sg.mode) {
    case M_RECV:
      (sg.resolve as (v: unknown) => void)(elem);
      break;
    case M_RECV_OK:
      (sg.resolve as (v: unknown) => void)([elem, ok]);
      break;
    case M_ITER:
      (sg.resolve as (v: unknown) => void)(ok ? { value: elem, done: false } : { value: undefined, done: true });
      break;
    default:
      if (sg.closedSend) sg.reject!(new ChanClosedError("send on closed channel"));
      else (sg.resolve as (v: unknown) => void)(undefined);
  }
}

function wrap(mode: number, v: unknown, ok: boolean): unknown {
  if (mode === M_RECV) return v;
  if (mode === M_RECV_OK) return [v, ok];
  return ok ? { value: v, done: false } : { value: undefined, done: true };
}

function checkCapacity(capacity: unknown): number {
  return capacity === undefined ? 0 : checkSize(capacity, "makechan", "capacity"); // see size.ts
}

/**
 * Chan is Go's `chan T`: a typed conduit between goroutines, unbuffered (rendezvous) or buffered.
 *
 * - Unbuffered (`new Chan<T>()`): `send` completes only when a receiver takes the value.
 * - Buffered (`new Chan<T>(n)`): `send` blocks only while the buffer is full, `recv` only while it is empty.
 * - Waiting senders and receivers are served in FIFO order; a waiting receiver gets a value directly from
 *   the sender. A send happens before the corresponding receive completes.
 * - `close()` wakes every blocked receiver (they get `undefined` / `ok = false` once the buffer is drained)
 *   and makes every blocked and future sender reject with {@link ChanClosedError}.
 * - {@link Chan.nil} makes a nil channel: every operation on it blocks forever, and `select` never picks it.
 *
 * **Cancellation:** a pending `send` or `recv` cannot be abandoned; to stop waiting, use {@link select}
 * with a cancellation case (`recv(ctx.done())`). A losing select case never sends or consumes a value.
 *
 * @example
 * ```ts
 * import { go, Chan } from "goroutine";
 * const ch = new Chan<number>(2);
 * go(async () => {
 *   for (let i = 1; i <= 3; i++) await ch.send(i);
 *   ch.close();
 * });
 * const got: number[] = [];
 * for await (const v of ch) got.push(v);
 * console.log(got); // [1, 2, 3]
 * ```
 */
export class Chan<T> implements AsyncIterable<T> {
  /** The buffer's capacity; 0 for an unbuffered or nil channel. */
  readonly cap: number;
  /** @internal */ readonly buf = new Ring<T>();
  /** @internal */ readonly recvq = new WaitQ();
  /** @internal */ readonly sendq = new WaitQ();
  /** @internal */ closed = false;
  /** @internal */ readonly isNil: boolean;
  /** @internal The synctest bubble that made this channel, if any. */
  readonly bubble: BubbleHooks | undefined;
  /** @internal Set by a channel whose state lives in shared memory (threads.Chan); select drives it. */
  readonly remote: RemoteChan | null = null;

  /**
   * Makes a channel with room for `capacity` buffered values (default 0: unbuffered).
   * @throws RangeError if `capacity` is negative, fractional, NaN or infinite (any integer >= 0 is
   *   accepted, however large: the buffer grows as values arrive); TypeError if not a number.
   */
  constructor(capacity?: number) {
    this.cap = checkCapacity(capacity);
    this.isNil = false;
    this.bubble = currentG().bubble;
  }

  /**
   * Chan.nil returns a nil channel (Go's `var ch chan T`): `send`, `recv` and iteration block forever,
   * `trySend`/`tryRecv` never succeed, `close` throws, and `select` never chooses its cases.
   *
   * @example
   * ```ts
   * import { Chan, select, recv } from "goroutine";
   * const off = Chan.nil<number>();
   * console.log(select([recv(off)], () => "default")); // "default"
   * ```
   */
  static nil<T>(): Chan<T> {
    const c = new Chan<T>(0);
    (c as { isNil: boolean }).isNil = true;
    (c as { bubble: BubbleHooks | undefined }).bubble = undefined;
    return c;
  }

  /**
   * @internal Makes a channel that belongs to `bubble` wherever it is made (a context's done channel
   * belongs to the bubble the context was made in, though it is created lazily, maybe from outside).
   */
  static inBubble<T>(bubble: BubbleHooks | undefined, capacity?: number): Chan<T> {
    const c = new Chan<T>(capacity);
    (c as { bubble: BubbleHooks | undefined }).bubble = bubble;
    return c;
  }

  /** The number of values queued in the buffer. */
  get len(): number {
    return this.buf.length;
  }

  /** @internal Throws when a goroutine outside this channel's bubble touches it. */
  checkBubble(g: G, op: string): void {
    if (g.bubble !== this.bubble) throw new Error(`${op} synctest channel from outside bubble`);
  }

  /**
   * send sends `value`, waiting (asynchronously) until a receiver takes it or the buffer has room.
   * Blocks forever on a nil channel.
   *
   * **Errors:** rejects with {@link ChanClosedError} ("send on closed channel") if the channel is closed
   * before or while the send waits; the value is then not delivered.
   *
   * **Cancellation:** none; use `select([send(ch, v), recv(ctx.done())])` to give up.
   */
  send(value: T): Promise<void> {
    // Fast path: room in the buffer and nobody waiting to receive (so the value must be buffered).
    const buf = this.buf;
    if (buf.length < this.cap && this.recvq.first === null && !this.closed && this.bubble === undefined) {
      buf.push(value);
      return done();
    }
    if (this.bubble !== undefined) this.checkBubble(currentG(), "send on");
    if (this.isNil) return parkForever("chan send (nil chan)");
    if (this.closed) return Promise.reject(new ChanClosedError("send on closed channel"));
    if (this.pollSend(value)) return done();
    const g = currentG();
    const sg = new Sudog(g, M_SEND, null, 0);
    sg.elem = value;
    sg.durable = this.bubble !== undefined;
    const p = pending<void>(sg);
    this.sendq.push(sg);
    park(g, "chan send", sg.durable, this);
    return p;
  }

  /**
   * recv receives the next value, waiting until one is available. Once the channel is closed and its
   * buffer drained it resolves `undefined` at once; use {@link Chan.recvOk} to tell that apart from a sent
   * `undefined`. Blocks forever on a nil channel.
   *
   * **Cancellation:** none; use `select([recv(ch), recv(ctx.done())])` to give up.
   */
  recv(): Promise<T | undefined> {
    const buf = this.buf;
    if (buf.length > 0 && this.sendq.first === null && this.bubble === undefined) return doneWith(buf.shift());
    return this.recvMode(M_RECV) as Promise<T | undefined>;
  }

  /**
   * recvOk is Go's `v, ok := <-ch`: `ok` is true for a value that was sent, false once the channel is
   * closed and drained (then `value` is `undefined`).
   */
  recvOk(): Promise<[value: T | undefined, ok: boolean]> {
    return this.recvMode(M_RECV_OK) as Promise<[T | undefined, boolean]>;
  }

  private recvMode(mode: number): Promise<unknown> {
    if (this.bubble !== undefined) this.checkBubble(currentG(), "receive on");
    if (this.isNil) return parkForever("chan receive (nil chan)");
    const v = this.pollRecv();
    if (v !== WOULD_BLOCK) return doneWith(v === DRAINED ? wrap(mode, undefined, false) : wrap(mode, v, true));
    const g = currentG();
    const sg = new Sudog(g, mode, null, 0);
    sg.durable = this.bubble !== undefined;
    const p = pending<unknown>(sg);
    this.recvq.push(sg);
    park(g, "chan receive", sg.durable, this);
    return p;
  }

  /**
   * trySend sends `value` if that can happen without waiting (a receiver is waiting or the buffer has
   * room) and returns true; otherwise it returns false and the value is not sent. Never blocks.
   * @throws ChanClosedError if the channel is closed ("send on closed channel").
   */
  trySend(value: T): boolean {
    if (this.bubble !== undefined) this.checkBubble(currentG(), "send on");
    if (this.isNil) return false;
    if (this.closed) throw new ChanClosedError("send on closed channel");
    return this.pollSend(value);
  }

  /**
   * tryRecv receives without waiting: `[value, true]` for a value, `[undefined, false]` if the channel is
   * closed and drained, and `undefined` if a receive would block. Never blocks.
   */
  tryRecv(): [value: T | undefined, ok: boolean] | undefined {
    if (this.bubble !== undefined) this.checkBubble(currentG(), "receive on");
    if (this.isNil) return undefined;
    const v = this.pollRecv();
    if (v === WOULD_BLOCK) return undefined;
    return v === DRAINED ? [undefined, false] : [v, true];
  }

  /**
   * close closes the channel: blocked receivers get `undefined` / `ok = false` once the buffer drains,
   * blocked senders reject with {@link ChanClosedError}, and values already buffered stay receivable.
   * Closing a channel happens before a receive that returns because it is closed.
   * @throws ChanClosedError "close of closed channel" or "close of nil channel".
   */
  close(): void {
    if (this.isNil) throw new ChanClosedError("close of nil channel");
    if (this.bubble !== undefined) this.checkBubble(currentG(), "close of");
    this.closeUnchecked();
  }

  /**
   * @internal Closes without the bubble-ownership check, for the library's own channels that may be
   * closed by an event from outside their bubble (a context cancelled by a parent made outside it).
   */
  closeUnchecked(): void {
    if (this.closed) throw new ChanClosedError("close of closed channel");
    this.closed = true;
    let sg: Sudog | null;
    while ((sg = this.recvq.shift()) !== null) fire(sg, undefined, false, false, false);
    while ((sg = this.sendq.shift()) !== null) fire(sg, undefined, false, true, false);
  }

  /**
   * Iterates like Go's `for v := range ch`: yields each value received and ends once the channel is
   * closed and drained. Breaking out of the loop leaves the channel and its other receivers untouched.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const iter = {
      next: (): Promise<IteratorResult<T>> => {
        // Fast path: a buffered value and no sender waiting to refill its slot.
        const buf = this.buf;
        if (buf.length > 0 && this.sendq.first === null && this.bubble === undefined) {
          return doneWith({ value: buf.shift(), done: false });
        }
        return this.recvMode(M_ITER) as Promise<IteratorResult<T>>;
      },
      return: (): Promise<IteratorResult<T>> => Promise.resolve({ value: undefined, done: true }),
    };
    return iter;
  }

  /**
   * @internal Receives without blocking if possible: the value received, {@link DRAINED} if the channel
   * is closed and drained, or {@link WOULD_BLOCK}. The caller has checked isNil.
   */
  pollRecv(): Polled<T> {
    const buf = this.buf;
    if (buf.length > 0) {
      const v = buf.shift();
      // The buffer had been full with a sender waiting: move its value into the freed slot.
      const sg = this.sendq.shift();
      if (sg !== null) {
        buf.push(sg.elem as T);
        fire(sg, undefined, true, false, true);
      }
      return v;
    }
    const sg = this.sendq.shift();
    if (sg !== null) {
      const v = sg.elem as T; // read first: fire overwrites a plain sender's elem
      fire(sg, undefined, true, false, this.cap > 0);
      return v;
    }
    return this.closed ? DRAINED : WOULD_BLOCK;
  }

  /** @internal Sends without blocking if possible. The caller has checked isNil and closed. */
  pollSend(value: T): boolean {
    const sg = this.recvq.shift();
    if (sg !== null) {
      fire(sg, value, true, false, this.cap > 0);
      return true;
    }
    if (this.buf.length < this.cap) {
      this.buf.push(value);
      return true;
    }
    return false;
  }
}

/** Parks the current goroutine forever (nil channel operations, `select([])`). */
export function parkForever<R>(reason: string): Promise<R> {
  const g = currentG();
  return new Promise<R>(() => park(g, reason, true));
}
