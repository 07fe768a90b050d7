/**
 * An intrusive FIFO of parked waiters, shared by the sync primitives and the semaphore.
 *
 * Invariants:
 * - A node is in at most one list at a time; `node.list` names it (null when in none).
 * - pushBack, shift and remove are O(1) and allocate nothing: the links live in the node.
 *   (Array#shift is O(n) and a queue of 10,000 waiters would make every grant a copy.)
 */

/** A node of a {@link WaitList}: primitives extend it with what they need to wake the waiter. */
export class WaitNode {
  /** @internal */ next: WaitNode | null = null;
  /** @internal */ prev: WaitNode | null = null;
  /** @internal */ list: WaitList<WaitNode> | null = null;
}

/** A doubly linked FIFO of {@link WaitNode}s. */
export class WaitList<N extends WaitNode> {
  first: N | null = null;
  last: N | null = null;
  size = 0;

  /** Appends `n` (the usual arrival order). */
  pushBack(n: N): void {
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
    if (n.list !== (this as WaitList<WaitNode>)) return;
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
