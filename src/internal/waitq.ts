/**
 * Wait queues of channels: intrusive doubly linked lists of {@link Sudog}s (Go's `waitq` of `sudog`s).
 *
 * Invariants:
 * - A sudog is in at most one queue at a time, and `sg.queue` names it (null when in none).
 * - push, shift and remove are O(1); removal is what lets a finished select take its other cases out of
 *   every channel at once, so no stale waiter is ever left behind (a select looping on a quiet channel
 *   would otherwise grow that channel's queue without bound).
 * - Why not sync/waitlist.ts's WaitList, which is the same list: that one serves five node classes, so
 *   its methods' property accesses are megamorphic; the channel queue sees only Sudogs and stays
 *   monomorphic on the hottest path of the library.
 * - `push` and `remove` are the only mutators (`shift` goes through `remove`), so a subclass that
 *   overrides those two sees every waiter arrive and leave; weaktimer.ts relies on it to keep a timer
 *   channel's Node timer alive exactly while someone waits on the channel.
 * - A select that also waits on cross-thread channels (threads.Chan) owns a shared claim cell: whoever
 *   commits one of its cases first CASes the cell 0 → caseIndex+1. Its sudogs stay queued until the
 *   select's goroutine runs again, so `shift` skips (and drops) a sudog whose select another party already
 *   claimed, and claims the select for the sudog it returns (Go's `selectDone` CAS in `dequeue`).
 */
import type { G } from "./scheduler.js";
import type { SelectState } from "./select.js";

/** How a parked operation completes. */
export const M_RECV = 0; // resolve(value)
export const M_RECV_OK = 1; // resolve([value, ok])
export const M_ITER = 2; // resolve(IteratorResult)
export const M_SEND = 3; // resolve() / reject(closed)
export const M_SELECT = 4; // complete the select's state (select.ts's SelectState)

let settleSudog: (sg: Sudog) => void = () => {};
/** Installed by chan.ts (which knows the error types) so that a woken sudog can settle itself. */
export function setSudogSettler(f: (sg: Sudog) => void): void {
  settleSudog = f;
}

/** A goroutine waiting in one channel's queue (Go's sudog). */
export class Sudog {
  next: Sudog | null = null;
  prev: Sudog | null = null;
  queue: WaitQ | null = null;
  /** The value to send, or the value received. */
  elem: unknown;
  ok = false;
  /** What this waiter's park said (for a select: the select's). */
  durable = false;
  /** A send waiter woken by close: it rejects. */
  closedSend = false;
  /** Set by the channel engine: settles this waiter's promise from elem/ok/closedSend. */
  settle(): void {
    settleSudog(this);
  }
  resolve: ((v: never) => void) | null = null;
  reject: ((e: unknown) => void) | null = null;
  constructor(
    readonly g: G,
    readonly mode: number,
    readonly sel: SelectState | null,
    readonly caseIndex: number,
  ) {}
}

/** A FIFO of sudogs. */
export class WaitQ {
  first: Sudog | null = null;
  last: Sudog | null = null;
  size = 0;

  push(sg: Sudog): void {
    sg.queue = this;
    sg.prev = this.last;
    sg.next = null;
    if (this.last === null) this.first = sg;
    else this.last.next = sg;
    this.last = sg;
    this.size++;
  }

  /**
   * Removes and returns the oldest live waiter, or null. A waiter of a select with a shared claim is live
   * only if this call wins the claim for it; one whose select was claimed elsewhere is dropped.
   */
  shift(): Sudog | null {
    let sg = this.first;
    while (sg !== null) {
      this.remove(sg);
      const sel = sg.sel;
      if (sel === null || sel.claim < 0 || Atomics.compareExchange(sel.cells!, sel.claim, 0, sg.caseIndex + 1) === 0) {
        return sg;
      }
      sg = this.first;
    }
    return null;
  }

  remove(sg: Sudog): void {
    if (sg.queue !== this) return;
    const p = sg.prev;
    const n = sg.next;
    if (p === null) this.first = n;
    else p.next = n;
    if (n === null) this.last = p;
    else n.prev = p;
    sg.prev = sg.next = null;
    sg.queue = null;
    this.size--;
  }
}
