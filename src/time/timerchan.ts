/**
 * The channel of a Timer or Ticker, with Go 1.23 semantics: it behaves as an unbuffered channel (len and
 * cap report 0) and never yields a value that was prepared before a `stop` or `reset`.
 *
 * Invariants:
 * - The ring buffer of the underlying Chan holds at most one value: the tick or expiry that fired while
 *   no receiver was waiting. `cap` is 0, so ordinary sends could never add to it; only `deliver` does.
 * - A value is put in the buffer only while no receiver waits (pollSend failed), so "a waiting receiver
 *   exists only while the buffer is empty" still holds for select and recv, which read the buffer first.
 * - `drain` is called by stop and reset of the owner: after it, the value (if any) is gone, which is what
 *   makes a stale value impossible. Its result says whether a value was pending, which Go counts as
 *   "the timer had not fired yet" (Go 1.23's timerchandrain).
 *
 * Why a one-slot hidden buffer rather than a true rendezvous that creates the value when a receiver
 * arrives: a receiver may arrive long after expiry (or be a select polling with a default), and the value
 * must be the time at which the timer fired, so it has to be stored somewhere; hiding the slot keeps the
 * engine in src/internal/chan.ts unchanged.
 *
 * - The receive queue is a WatchedQ (internal/weaktimer.ts): a Timer's clock timer exists, and a Ticker's real timer
 *   is ref'd, exactly while a receiver is parked, so an abandoned timer costs nothing and does not keep
 *   the process alive.
 * - Every receive attempt goes through `pollRecv`, which first lets a Timer that is due deliver.
 *
 * Owner: the Timer or Ticker that made the channel; user code may only receive from it.
 */
import { Chan, type Polled } from "../internal/chan.js";
import type { WaitQ } from "../internal/waitq.js";
import { WatchedQ } from "../internal/weaktimer.js";

/** The receive-only channel of a Timer or Ticker. */
export class TimerChan extends Chan<Date> {
  /**
   * @param onWaiters told when the first receiver parks and when the last one leaves, so the owner can
   * keep its clock timer armed (a Timer) or ref'd (a Ticker) exactly while someone waits (see internal/weaktimer.ts).
   * @param runIfDue called before every receive attempt (recv, tryRecv, iteration, a select's poll): a
   * Timer with nobody parked has no clock timer, and delivers its value here once it is due (Go 1.23's
   * maybeRunChan).
   */
  constructor(
    onWaiters: (parked: boolean) => void,
    private readonly runIfDue?: () => void,
  ) {
    super(0);
    // The queue is empty here, so swapping it for a watched one is invisible to the engine.
    (this as { recvq: WaitQ }).recvq = new WatchedQ(onWaiters);
  }

  /** @internal A receive attempt: lets a due Timer deliver first (see the constructor). */
  override pollRecv(): Polled<Date> {
    this.runIfDue?.();
    return super.pollRecv();
  }

  /** @internal Whether a receiver is parked on the channel now. */
  get parked(): boolean {
    return this.recvq.size > 0;
  }

  /** Always 0: a timer channel behaves as unbuffered (Go 1.23). */
  override get len(): number {
    return 0;
  }

  /** Sending on a timer's channel is a programming error (it is receive-only in Go). */
  override send(_value: Date): Promise<void> {
    return Promise.reject(new TypeError("time: send on a timer's receive-only channel"));
  }

  /** Sending on a timer's channel is a programming error (it is receive-only in Go). */
  override trySend(_value: Date): boolean {
    throw new TypeError("time: send on a timer's receive-only channel");
  }

  /** Closing a timer's channel is a programming error (it is receive-only in Go). */
  override close(): void {
    throw new TypeError("time: close of a timer's receive-only channel");
  }

  /**
   * @internal Hands `v` to a waiting receiver, or keeps it in the hidden slot. Returns false (and drops
   * `v`) if the slot is already taken, which is how a ticker drops ticks for a slow receiver.
   */
  deliver(v: Date): boolean {
    if (this.buf.length > 0) return false;
    if (!this.pollSend(v)) this.buf.push(v);
    return true;
  }

  /** @internal Discards a pending value; true if there was one. */
  drain(): boolean {
    if (this.buf.length === 0) return false;
    this.buf.shift();
    return true;
  }
}
