/**
 * A growable ring buffer: the element buffer of a buffered channel.
 *
 * Invariants:
 * - `items.length` is a power of two (or 0 before first use) and `length <= items.length`.
 * - Elements live at `(head + i) & mask` for i in [0, length); vacated slots are cleared so the buffer
 *   holds no reference to a value that was received.
 * - Storage grows by doubling on demand, so `new Chan(1e9)` costs nothing until values arrive.
 */
export class Ring<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  length = 0;

  push(v: T): void {
    const n = this.items.length;
    if (this.length === n) this.grow(n);
    this.items[(this.head + this.length) & (this.items.length - 1)] = v;
    this.length++;
  }

  shift(): T {
    const i = this.head;
    const v = this.items[i] as T;
    this.items[i] = undefined;
    this.head = (i + 1) & (this.items.length - 1);
    this.length--;
    return v;
  }

  private grow(n: number): void {
    const next: (T | undefined)[] = new Array<T | undefined>(n === 0 ? 8 : n * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & (n - 1)];
    this.items = next;
    this.head = 0;
  }
}
