/**
 * threads.Chan: Go's channel between threads. The engine is src/internal/threads/chan.ts (state in the
 * shared heap) and src/internal/threads/select.ts (select with cross-thread cases).
 *
 * Invariants:
 * - One proxy per channel per thread (cached by heap offset), so identity holds within a thread however
 *   many times the channel crosses; all of a proxy's state is the heap offset.
 * - A proxy never uses the in-thread engine it inherits (buffer, queues): every method goes to the shared
 *   engine; `remote` routes select to it.
 * - Values are encoded before any lock is taken and decoded after it is released.
 */
import { Chan as CoreChan, ChanClosedError, DRAINED, type Polled, WOULD_BLOCK } from "../internal/chan.js";
import type { RemoteChan } from "../internal/select.js";
import { done, doneWith } from "../internal/scheduler.js";
import { M_ITER, M_RECV, M_RECV_OK } from "../internal/waitq.js";
import { SHARED, decodeValue, discard, encodeValue, registerShared } from "../internal/threads/codec.js";
import * as eng from "../internal/threads/chan.js";
import { waitWhile } from "../internal/threads/futex.js";
import { remoteSelect } from "../internal/threads/select.js";

const TAG = "threads.Chan";
/** This thread's proxy of each channel, held weakly: a channel nobody here uses any more is collectable. */
const proxies = new Map<number, WeakRef<Chan<unknown>>>();
const gone = new FinalizationRegistry<number>((off) => {
  if (proxies.get(off)?.deref() === undefined) proxies.delete(off);
});
let adopting = 0;

function wrap(mode: number, v: unknown, ok: boolean): unknown {
  if (mode === M_RECV) return v;
  if (mode === M_RECV_OK) return [v, ok];
  return ok ? { value: v, done: false } : { value: undefined, done: true };
}

/** The value of the block received last (gotBlock/gotOk), decoded. */
function received(): unknown {
  return eng.gotOk ? decodeValue(eng.gotBlock) : undefined;
}

/**
 * Chan is Go's `chan T` shared between threads: the same channel can be used from the main thread and
 * from any worker, and passed to them (as a task argument, or inside a value sent on another channel).
 * It has the core {@link CoreChan | Chan}'s semantics and methods, and `select` accepts it next to
 * in-thread channels (`recv(ch)`, `send(ch, v)`), committing exactly one case.
 *
 * - Unbuffered (`new threads.Chan<T>()`): `send` completes only when a receiver on some thread takes the
 *   value. Buffered (`new threads.Chan<T>(n)`): `send` waits only while the buffer is full.
 * - Waiters are served in FIFO order across all threads. A send happens before the receive that gets it.
 * - Values cross by copy (numbers, strings, typed arrays, plain data by structured clone); shared objects
 *   (channels, threads.Mutex, ...) cross as themselves.
 * - Waiting never blocks a thread: the goroutine spins briefly, then parks until woken.
 *
 * **Cancellation:** a pending `send` or `recv` cannot be abandoned; use `select` with a cancellation case
 * (`recv(ctx.done())`). A losing select case never sends or consumes a value.
 *
 * **Errors:** `send` rejects (and `trySend` throws) {@link ChanClosedError} "send on closed channel" and
 * a `TypeError` for a value that cannot cross threads (a function, a symbol, a class instance's methods
 * are dropped by structured clone); `close` of a closed channel throws "close of closed channel".
 *
 * @example
 * ```ts
 * import { go, recv, select } from "goroutine";
 * import * as threads from "goroutine/threads";
 * const ch = new threads.Chan<number>(2);
 * go(async () => {
 *   for (let i = 1; i <= 3; i++) await ch.send(i);
 *   ch.close();
 * });
 * const got: number[] = [];
 * for await (const v of ch) got.push(v);
 * console.log(got); // [1, 2, 3]
 * console.log(await select([recv(ch, (v, ok) => ok)])); // false
 * ```
 */
export class Chan<T> extends CoreChan<T> {
  /** @internal The heap offset of the channel's state; how it crosses threads. */
  readonly [SHARED]: { readonly tag: string; readonly off: number };
  /** @internal */
  override readonly remote: RemoteChan | null = remoteSelect;
  readonly #off: number;

  /**
   * Makes a channel with room for `capacity` buffered values (default 0: unbuffered).
   * @throws RangeError if `capacity` is negative, fractional, NaN, infinite or above 2^26; TypeError if it
   *   is not a number.
   */
  constructor(capacity?: number) {
    const adopt = adopting;
    adopting = 0;
    super(adopt !== 0 ? eng.capOf(adopt) : capacity);
    (this as { bubble: unknown }).bubble = undefined;
    if (this.cap > eng.MAX_CAP) {
      throw new RangeError(`makechan: size out of range (threads.Chan capacity must be <= ${eng.MAX_CAP})`);
    }
    const off = adopt !== 0 ? adopt : eng.makeChan(this.cap);
    this.#off = off;
    this[SHARED] = { tag: TAG, off };
    proxies.set(off, new WeakRef<Chan<unknown>>(this));
    gone.register(this, off);
  }

  /** The number of values queued in the buffer (a snapshot: other threads may change it at once). */
  override get len(): number {
    return eng.lenOf(this.#off);
  }

  /**
   * send sends `value`, waiting until a receiver on any thread takes it or the buffer has room.
   *
   * **Errors:** rejects with {@link ChanClosedError} if the channel is closed before or while the send
   * waits (the value is then not delivered), with `TypeError` if the value cannot cross threads.
   *
   * **Cancellation:** none; use `select([send(ch, v), recv(ctx.done())])` to give up.
   */
  override send(value: T): Promise<void> {
    let v: number;
    try {
      v = encodeValue(value, "the value sent");
    } catch (e) {
      return Promise.reject(e);
    }
    const s = eng.sendOrPark(this.#off, v);
    if (s === eng.DONE) return done();
    if (s === eng.CLOSED) {
      discard(v);
      return Promise.reject(new ChanClosedError("send on closed channel"));
    }
    return sendWait(s, v);
  }

  /**
   * recv receives the next value, waiting until one is available; `undefined` once the channel is
   * closed and drained (use {@link Chan.recvOk} to tell that from a sent `undefined`).
   *
   * **Cancellation:** none; use `select([recv(ch), recv(ctx.done())])` to give up.
   */
  override recv(): Promise<T | undefined> {
    return this.recvAs(M_RECV) as Promise<T | undefined>;
  }

  /** recvOk is Go's `v, ok := <-ch`: `ok` is false once the channel is closed and drained. */
  override recvOk(): Promise<[value: T | undefined, ok: boolean]> {
    return this.recvAs(M_RECV_OK) as Promise<[T | undefined, boolean]>;
  }

  private recvAs(mode: number): Promise<unknown> {
    const s = eng.recvOrPark(this.#off);
    if (s === eng.DONE) return doneWith(wrap(mode, received(), eng.gotOk));
    return recvWait(s, mode);
  }

  /**
   * trySend sends `value` if no wait is needed and returns true; otherwise returns false (not sent).
   * @throws ChanClosedError if the channel is closed; TypeError if the value cannot cross threads.
   */
  override trySend(value: T): boolean {
    const v = encodeValue(value, "the value sent");
    const s = eng.trySend(this.#off, v);
    if (s === eng.DONE) return true;
    discard(v);
    if (s === eng.CLOSED) throw new ChanClosedError("send on closed channel");
    return false;
  }

  /**
   * tryRecv receives without waiting: `[value, true]`, `[undefined, false]` once closed and drained, or
   * `undefined` if a receive would wait.
   */
  override tryRecv(): [value: T | undefined, ok: boolean] | undefined {
    if (eng.tryRecv(this.#off) === eng.BLOCKED) return undefined;
    const ok = eng.gotOk;
    return [received() as T | undefined, ok];
  }

  /**
   * close closes the channel for every thread: blocked receivers get `undefined` / `ok = false` once the
   * buffer drains, blocked and future senders reject with {@link ChanClosedError}.
   * @throws ChanClosedError "close of closed channel".
   */
  override close(): void {
    if (!eng.closeChan(this.#off)) throw new ChanClosedError("close of closed channel");
  }

  /** @internal */
  override closeUnchecked(): void {
    this.close();
  }

  /** Iterates like Go's `for v := range ch`, ending once the channel is closed and drained. */
  override [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.recvAs(M_ITER) as Promise<IteratorResult<T>>,
      return: (): Promise<IteratorResult<T>> => Promise.resolve({ value: undefined, done: true }),
    };
  }

  /** @internal Receives without waiting: the value, DRAINED (closed and empty) or WOULD_BLOCK. */
  override pollRecv(): Polled<T> {
    if (eng.tryRecv(this.#off) === eng.BLOCKED) return WOULD_BLOCK;
    return eng.gotOk ? (decodeValue(eng.gotBlock) as T) : DRAINED;
  }

  /** @internal Sends without waiting. */
  override pollSend(value: T): boolean {
    return this.trySend(value);
  }
}

async function sendWait(r: number, v: number): Promise<void> {
  await waitWhile(eng.ownCell(r), 0, "threads.chan send");
  const closed = eng.recordResult(r);
  eng.freeRecord(r);
  if (closed) {
    discard(v);
    throw new ChanClosedError("send on closed channel");
  }
}

async function recvWait(r: number, mode: number): Promise<unknown> {
  await waitWhile(eng.ownCell(r), 0, "threads.chan receive");
  eng.recordResult(r);
  eng.freeRecord(r);
  return wrap(mode, received(), eng.gotOk);
}

registerShared(TAG, (off) => {
  const p = proxies.get(off)?.deref();
  if (p !== undefined) return p;
  adopting = off;
  return new Chan<unknown>();
});
