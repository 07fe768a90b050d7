/**
 * The engine of threads.Semaphore: a weighted semaphore whose count and FIFO waiter queue live in the
 * shared heap, guarded by a spinlock word, so any thread may acquire, release or cancel.
 *
 * Block layout (int32 words, then float64s): [LOCK, HEAD, TAIL, -] [size] [cur].
 * Waiter node (one heap block per waiting acquire): [STATE, PREV, NEXT, -] [n].
 *
 * Invariants:
 * - `0 <= cur <= size`; `cur` and the queue change only under LOCK, and every critical section is a few
 *   loads and stores (no allocation, no call that can throw), so spinning on LOCK is bounded.
 * - A node is in the queue exactly while its STATE is WAITING. It leaves either GRANTED (its weight
 *   moved into `cur` in the same critical section) or CANCELLED (nothing moved), never both: the grant
 *   and the cancellation both decide under LOCK, and the first wins.
 * - Strict FIFO: while the head cannot be satisfied nobody behind it is granted, and the fast path is
 *   taken only when the queue is empty. Rejected alternative: granting any waiter that fits — a stream
 *   of small requests would then starve a large one forever (x/sync's semaphore makes the same call).
 * - When the head leaves by cancellation and weight is free, the queue is re-examined at once.
 * - A node is freed by its own waiter, after it has seen the final STATE. A granter notifies the node's
 *   word after releasing LOCK; if the waiter has freed the node by then, the notify reaches whatever
 *   reuses the word, which is harmless: every wait re-checks its word's value.
 */
import { acquire, heap, release } from "./heap.js";
import { notifyWord } from "./futex.js";

const LOCK = 0;
const HEAD = 1;
const TAIL = 2;
const SIZE = 2; // float64 index relative to off >> 3
const CUR = 3;

export const WAITING = 0;
export const GRANTED = 1;
export const CANCELLED = 2;
const N_STATE = 0;
const N_PREV = 1;
const N_NEXT = 2;
const N_WEIGHT = 2; // float64 index relative to node >> 3

/** Bytes of a semaphore block. */
export const SEMA_BYTES = 32;

/** Initializes a fresh (zeroed) block as a semaphore of `size`. */
export function semaInit(off: number, size: number): void {
  heap().f64[(off >> 3) + SIZE] = size;
}

export function semaSize(off: number): number {
  return heap().f64[(off >> 3) + SIZE];
}

/** Takes `n` if free and nobody waits; otherwise changes nothing. */
export function semaTry(off: number, n: number): boolean {
  const h = heap();
  const w = off >> 2;
  const f = off >> 3;
  acquire(w + LOCK); // remakes h's views after the lock: other threads' nodes may lie past them
  const ok = h.i32[w + HEAD] === 0 && h.f64[f + SIZE] - h.f64[f + CUR] >= n;
  if (ok) h.f64[f + CUR] += n;
  release(w + LOCK);
  return ok;
}

/**
 * Takes `n` at once (returns 0) or queues a waiter node and returns its offset; the caller waits on
 * the node's STATE word, then calls {@link semaFinish}.
 */
export function semaEnqueue(off: number, n: number): number {
  const h = heap();
  const w = off >> 2;
  const f = off >> 3;
  const node = h.alloc(24); // before LOCK: alloc takes its own lock and may throw
  acquire(w + LOCK); // remakes h's views after the lock: other threads' nodes may lie past them
  if (h.i32[w + HEAD] === 0 && h.f64[f + SIZE] - h.f64[f + CUR] >= n) {
    h.f64[f + CUR] += n;
    release(w + LOCK);
    h.free(node);
    return 0;
  }
  const x = node >> 2;
  h.f64[(node >> 3) + N_WEIGHT] = n;
  const tail = h.i32[w + TAIL];
  h.i32[x + N_PREV] = tail;
  if (tail === 0) h.i32[w + HEAD] = node;
  else h.i32[(tail >> 2) + N_NEXT] = node;
  h.i32[w + TAIL] = node;
  release(w + LOCK);
  return node;
}

/** The i32 index of a node's STATE word (what its waiter waits on). */
export function stateWord(node: number): number {
  return (node >> 2) + N_STATE;
}

/** Frees a node whose STATE is final and returns that state. */
export function semaFinish(node: number): number {
  const h = heap();
  const st = Atomics.load(h.i32, node >> 2);
  h.free(node);
  return st;
}

/** Cancels a waiting node (no effect if it was granted first). */
export function semaCancel(off: number, node: number): void {
  const h = heap();
  const w = off >> 2;
  acquire(w + LOCK); // remakes h's views after the lock: other threads' nodes may lie past them
  if (Atomics.load(h.i32, node >> 2) !== WAITING) {
    release(w + LOCK);
    return;
  }
  const wasHead = h.i32[w + HEAD] === node;
  unlink(h.i32, w, node);
  Atomics.store(h.i32, node >> 2, CANCELLED);
  const f = off >> 3;
  const n = wasHead && h.f64[f + SIZE] > h.f64[f + CUR] ? grant(w, f) : 0;
  release(w + LOCK);
  notifyWord(stateWord(node));
  notifyGranted(n);
}

/**
 * Returns `n`. Returns false (changing nothing) if more than is held would be released.
 */
export function semaRelease(off: number, n: number): boolean {
  const h = heap();
  const w = off >> 2;
  const f = off >> 3;
  acquire(w + LOCK); // remakes h's views after the lock: other threads' nodes may lie past them
  if (n > h.f64[f + CUR]) {
    release(w + LOCK);
    return false;
  }
  h.f64[f + CUR] -= n;
  const k = h.i32[w + HEAD] === 0 ? 0 : grant(w, f);
  release(w + LOCK);
  notifyGranted(k);
  return true;
}

/** [cur, waiting] — for tests and the dump. */
export function semaState(off: number): [cur: number, waiting: number] {
  const h = heap();
  const w = off >> 2;
  acquire(w + LOCK); // remakes h's views after the lock: other threads' nodes may lie past them
  const cur = h.f64[(off >> 3) + CUR];
  let k = 0;
  for (let x = h.i32[w + HEAD]; x !== 0; x = h.i32[(x >> 2) + N_NEXT]) k++;
  release(w + LOCK);
  return [cur, k];
}

function unlink(i32: Int32Array, w: number, node: number): void {
  const x = node >> 2;
  const prev = i32[x + N_PREV];
  const next = i32[x + N_NEXT];
  if (prev === 0) i32[w + HEAD] = next;
  else i32[(prev >> 2) + N_NEXT] = next;
  if (next === 0) i32[w + TAIL] = prev;
  else i32[(next >> 2) + N_PREV] = prev;
}

// Nodes granted in the current critical section, notified after LOCK is released (notify is a system
// call; keeping it out of the critical section keeps spinning on LOCK short).
const granted: number[] = [];

/** Under LOCK: grants waiters from the head while they fit; returns how many (listed in `granted`). */
function grant(w: number, f: number): number {
  const h = heap();
  let k = 0;
  for (;;) {
    const node = h.i32[w + HEAD];
    if (node === 0) break;
    const n = h.f64[(node >> 3) + N_WEIGHT];
    if (h.f64[f + SIZE] - h.f64[f + CUR] < n) break; // the head waits; nobody overtakes it
    h.f64[f + CUR] += n;
    unlink(h.i32, w, node);
    Atomics.store(h.i32, node >> 2, GRANTED);
    granted[k++] = node;
  }
  return k;
}

function notifyGranted(k: number): void {
  for (let i = 0; i < k; i++) notifyWord(stateWord(granted[i]));
}
