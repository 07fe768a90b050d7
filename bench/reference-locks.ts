/**
 * Reference locks for bench/sync.ts: the least a promise-based lock can do, to show where the floor of
 * the contended-mutex workload is. They are not part of the library and not peers: each does only what
 * its name says — no goroutine registry (so no dump, no deadlock detection), no guard object (`lock`
 * resolves to nothing), no starvation mode, no error on a bad unlock.
 *
 * - {@link BareFifoLock}: strict FIFO hand-off. unlock resolves the next waiter directly.
 * - {@link BareBargingLock}: Go's normal mode reduced to its mechanism: unlock frees the lock and gives
 *   the head waiter its chance one promise reaction later, so a caller that re-locks meanwhile barges.
 *
 * Both keep waiters' resolve functions in the library's ring buffer (src/internal/ring.ts, the one
 * channels use; no record per waiter) and return one shared settled promise on the fast path.
 */
import { Ring } from "../src/internal/ring.js";

const SETTLED: Promise<void> = Promise.resolve();

/** What both locks share: the flag, the waiters, and a fast path that returns one settled promise. */
abstract class BareLock {
  protected locked = false;
  protected readonly q = new Ring<(v: void) => void>();

  lock(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return SETTLED;
    }
    return new Promise<void>((r) => this.q.push(r));
  }

  abstract unlock(): void;
}

/** Strict FIFO hand-off with nothing else. */
export class BareFifoLock extends BareLock {
  unlock(): void {
    if (this.q.length === 0) this.locked = false;
    else this.q.shift()(); // stays locked: handed to the next waiter
  }
}

/** Go's normal-mode barging window with nothing else. */
export class BareBargingLock extends BareLock {
  private woken = false;
  private readonly retryFn = (): void => this.retry();

  unlock(): void {
    this.locked = false;
    if (this.q.length === 0 || this.woken) return;
    this.woken = true;
    void SETTLED.then(this.retryFn);
  }

  private retry(): void {
    this.woken = false;
    if (this.q.length === 0 || this.locked) return; // a caller barged in: the head waits for the next unlock
    this.locked = true;
    this.q.shift()();
  }
}
