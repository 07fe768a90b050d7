/**
 * The one intrusive waiter list of the library ({@link WaitList}), and the channel's use of it: Go's
 * `waitq` of {@link Sudog}s ({@link WaitQ}). The sync primitives (Cond, RWMutex) and singleflight queue
 * their own node classes on the same list.
 *
 * Invariants:
 * - A node is in at most one list at a time, and `node.list` names it (null when in none).
 * - push, shift and remove are O(1) and allocate nothing: the links live in the node (Array#shift is
 *   O(n), and a queue of 10,000 waiters would make every grant a copy). Removal from the middle is what
 *   lets a finished select take its other cases out of every channel at once, so no stale waiter is ever
 *   left behind (a select looping on a quiet channel would otherwise grow that channel's queue without
 *   bound), and what lets a singleflight caller whose signal or context is done leave early.
 * - `push` and `remove` are the only mutators (`shift` goes through `remove`), so a subclass that
 *   overrides those two sees every waiter arrive and leave; weaktimer.ts relies on it to keep a timer
 *   channel's Node timer alive exactly while someone waits on the channel.
 * - A select that also waits on cross-thread channels (threads.Chan) owns a shared claim cell: whoever
 *   commits one of its cases first CASes the cell 0 → caseIndex+1. Its sudogs stay queued until the
 *   select's goroutine runs again, so `WaitQ.shift` skips (and drops) a sudog whose select another party
 *   already claimed, and claims the select for the sudog it returns (Go's `selectDone` CAS in `dequeue`).
 * - Special cases that do not use this list, each with the bench row that pays for it and the test that
 *   pins it named in its comment: the Mutex's ring of parallel arrays (sync/mutex.ts) and the
 *   semaphore's ring of flat entries (semaphore/index.ts). A new special case needs the same. (WaitGroup,
 *   Once and errgroup wake all their waiters at once and never remove one early: a plain array.)
 *
 * The channel queue once had its own copy of this list, so that its property accesses would see only
 * Sudogs. Paired runs of the channel rows in one process (bench/core.ts's `select`, `pingpong`,
 * `stream`, and a select that parks), also after Cond, RWMutex and singleflight waiters had been through
 * the list code, showed no difference beyond noise on a loaded 2-core machine, so there is one list.
 * With Sudog extending WaitNode the select that parks measured 5–15% slower; declaring its links itself
 * (below) brought it back within noise.
 */
import type { G } from "./scheduler.js";
import type { SelectState } from "./select.js";

/** The links a node of a {@link WaitList} carries: its neighbours and the list it is in. */
export interface WaitLinks {
  next: WaitLinks | null;
  prev: WaitLinks | null;
  list: WaitList<WaitLinks> | null;
}

/** A node of a {@link WaitList}: waiters extend it with what they need to wake the waiter. */
export class WaitNode implements WaitLinks {
  next: this | null = null;
  prev: this | null = null;
  list: WaitList<WaitLinks> | null = null;
}

/** A doubly linked FIFO of {@link WaitLinks} nodes. */
export class WaitList<N extends WaitLinks> {
  first: N | null = null;
  last: N | null = null;
  size = 0;

  /** Appends `n` (the usual arrival order). */
  push(n: N): void {
    n.list = this;
    n.prev = this.last;
    n.next = null;
    if (this.last === null) this.first = n;
    else this.last.next = n;
    this.last = n;
    this.size++;
  }

  /** Removes and returns the oldest node, or null. */
  shift(): N | null {
    const n = this.first;
    if (n !== null) this.remove(n);
    return n;
  }

  /** Removes `n` if it is in this list; a no-op otherwise. */
  remove(n: N): void {
    if (n.list !== (this as WaitList<WaitLinks>)) return;
    const p = n.prev;
    const x = n.next;
    if (p === null) this.first = x as N | null;
    else p.next = x;
    if (x === null) this.last = p as N | null;
    else x.prev = p;
    n.prev = n.next = null;
    n.list = null;
    this.size--;
  }
}

/** How a parked channel operation completes. */
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

/**
 * A goroutine waiting in one channel's queue (Go's sudog). It declares its {@link WaitLinks} itself
 * instead of extending WaitNode: a sudog is made by every blocking channel operation and every case of a
 * parked select, and a base class constructor keeps that allocation as cheap as it was.
 */
export class Sudog implements WaitLinks {
  next: Sudog | null = null;
  prev: Sudog | null = null;
  list: WaitList<WaitLinks> | null = null;
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

/** A channel's queue of sudogs: a {@link WaitList} whose `shift` knows the cross-thread select claim. */
export class WaitQ extends WaitList<Sudog> {
  /**
   * Removes and returns the oldest live waiter, or null. A waiter of a select with a shared claim is live
   * only if this call wins the claim for it; one whose select was claimed elsewhere is dropped.
   */
  override shift(): Sudog | null {
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
}
