/**
 * Run queues in the shared heap (Go's runtime/proc.go `runq*` and `globrunq*`): one global queue per
 * runtime, one local queue per worker (Go's P). Entries are task-record offsets.
 *
 * Local queue: a ring of 256 slots with `head` and `tail` counters (int32 words, differences taken modulo
 * 2^32). Only its owner pushes (at the tail) and pops; other workers steal half of it at a time. Popping
 * and stealing both advance `head` with a compare-and-swap, so a record is taken by exactly one thread.
 * When the ring is full the owner moves half of it, plus the new record, to the global queue.
 *
 * Global queue: a growable ring under a spinlock (Go's `sched.lock`): the main thread's submissions and
 * local-queue overflow go here; a worker takes a fair share at once into its local queue.
 *
 * Invariants:
 * - A slot between head and tail is written before `tail` is published (Atomics.store), and read before
 *   the compare-and-swap on `head` that claims it; a thief that loses the race rereads.
 * - 0 is never a record offset (the heap header occupies offset 0), so 0 means "empty".
 * - The global ring's fields change only under its lock; its slot array may be replaced (grown) then,
 *   so the lock is taken with `acquire`, which returns views made after it (the new array may lie past
 *   older views).
 */
import { type Heap, acquire, heap, release } from "./heap.js";

export const LOCAL_SIZE = 256;
/** Words of a local queue: head, tail, then LOCAL_SIZE slots. */
export const LOCAL_WORDS = 2 + LOCAL_SIZE;

/** Pushes `rec` onto local queue `q` (word index); on overflow moves half of it to global queue `gq`. */
export function localPut(q: number, gq: number, rec: number): void {
  const i32 = heap().i32;
  for (;;) {
    const h = Atomics.load(i32, q);
    const t = i32[q + 1];
    if (((t - h) | 0) < LOCAL_SIZE) {
      i32[q + 2 + ((t >>> 0) % LOCAL_SIZE)] = rec;
      Atomics.store(i32, q + 1, (t + 1) | 0);
      return;
    }
    if (localPutSlow(q, gq, rec, h, t)) return;
  }
}

const batch: number[] = [];

function localPutSlow(q: number, gq: number, rec: number, h: number, t: number): boolean {
  const i32 = heap().i32;
  const n = ((t - h) | 0) >> 1;
  batch.length = 0;
  for (let i = 0; i < n; i++) batch.push(i32[q + 2 + (((h + i) >>> 0) % LOCAL_SIZE)]);
  if (Atomics.compareExchange(i32, q, h, (h + n) | 0) !== h) return false; // thieves took some: retry
  batch.push(rec);
  globalPutMany(gq, batch);
  return true;
}

/** Pops the oldest record of the caller's own local queue `q`, or 0. */
export function localGet(q: number): number {
  const i32 = heap().i32;
  for (;;) {
    const h = Atomics.load(i32, q);
    const t = Atomics.load(i32, q + 1);
    if (t === h) return 0;
    const rec = i32[q + 2 + ((h >>> 0) % LOCAL_SIZE)];
    if (Atomics.compareExchange(i32, q, h, (h + 1) | 0) === h) return rec;
  }
}

/** How many records local queue `q` holds (a snapshot). */
export function localLen(q: number): number {
  const i32 = heap().i32;
  return (Atomics.load(i32, q + 1) - Atomics.load(i32, q)) | 0;
}

/**
 * Steals half of `victim`'s local queue into the caller's local queue `q` and returns one of the stolen
 * records (0 if there was nothing to steal). Only the owner of `q` may call this.
 */
export function steal(q: number, victim: number): number {
  const i32 = heap().i32;
  for (;;) {
    const h = Atomics.load(i32, victim);
    const t = Atomics.load(i32, victim + 1);
    let n = (t - h) | 0;
    n = n - (n >> 1);
    if (n <= 0) return 0;
    if (n > LOCAL_SIZE / 2 + 1) continue; // read head and tail at different moments: retry
    batch.length = 0;
    for (let i = 0; i < n; i++) batch.push(i32[victim + 2 + (((h + i) >>> 0) % LOCAL_SIZE)]);
    if (Atomics.compareExchange(i32, victim, h, (h + n) | 0) !== h) continue;
    const first = batch[0];
    // Our own queue is empty (we only steal when it is), so the rest fits.
    const ot = i32[q + 1];
    for (let i = 1; i < n; i++) i32[q + 2 + (((ot + i - 1) >>> 0) % LOCAL_SIZE)] = batch[i];
    Atomics.store(i32, q + 1, (ot + n - 1) | 0);
    return first;
  }
}

// ---- the global queue --------------------------------------------------------------------------------

/** Words of the global queue header: lock, head, tail, capacity, slot-array byte offset, size. */
export const GQ_WORDS = 6;
const G_LOCK = 0;
const G_HEAD = 1;
const G_CAP = 3;
const G_SLOTS = 4;
const G_SIZE = 5;

/** Initialises a global queue header at word `gq`. */
export function globalInit(h: Heap, gq: number, capacity = 1024): void {
  h.i32[gq + G_CAP] = capacity;
  h.i32[gq + G_SLOTS] = h.alloc(capacity * 4);
}

function growLocked(h: Heap, gq: number): void {
  let i32 = h.i32;
  const cap = i32[gq + G_CAP];
  const head = i32[gq + G_HEAD];
  const size = i32[gq + G_SIZE];
  const old = i32[gq + G_SLOTS] >> 2;
  const next = h.alloc(cap * 8);
  i32 = h.i32; // alloc may have grown the heap: the new array may lie past the old views
  const n2 = next >> 2;
  for (let i = 0; i < size; i++) i32[n2 + i] = i32[old + ((head + i) % cap)];
  h.free(old << 2);
  i32[gq + G_SLOTS] = next;
  i32[gq + G_CAP] = cap * 2;
  i32[gq + G_HEAD] = 0;
  i32[gq + 2] = size;
}

/** Appends records to global queue `gq`. */
export function globalPutMany(gq: number, recs: readonly number[]): void {
  const h = acquire(gq + G_LOCK); // views after the lock: another thread may have grown the heap for a new slot array
  try {
    for (const rec of recs) putLocked(h, gq, rec);
  } finally {
    release(gq + G_LOCK);
  }
}

/** Appends one record to global queue `gq`. */
export function globalPut(gq: number, rec: number): void {
  const h = acquire(gq + G_LOCK);
  try {
    putLocked(h, gq, rec);
  } finally {
    release(gq + G_LOCK);
  }
}

function putLocked(h: Heap, gq: number, rec: number): void {
  if (h.i32[gq + G_SIZE] === h.i32[gq + G_CAP]) growLocked(h, gq);
  const i32 = h.i32; // after growLocked: views remade if it grew the heap
  const cap = i32[gq + G_CAP];
  const tail = i32[gq + 2];
  i32[(i32[gq + G_SLOTS] >> 2) + tail] = rec;
  i32[gq + 2] = (tail + 1) % cap;
  i32[gq + G_SIZE]++;
}

/** How many records global queue `gq` holds (a snapshot, read without the lock). */
export function globalLen(gq: number): number {
  return Atomics.load(heap().i32, gq + G_SIZE);
}

/**
 * Takes up to a fair share (`size / shares + 1`, at most half a local queue) of global queue `gq`: returns
 * the first record and puts the rest into local queue `q` (which must be empty). 0 if it was empty.
 */
export function globalGet(gq: number, q: number, shares: number): number {
  if (Atomics.load(heap().i32, gq + G_SIZE) === 0) return 0;
  const i32 = acquire(gq + G_LOCK).i32; // after the lock: the slot array may be new, past our old views
  const size = i32[gq + G_SIZE];
  if (size === 0) {
    release(gq + G_LOCK);
    return 0;
  }
  const n = Math.min(size, Math.floor(size / shares) + 1, LOCAL_SIZE / 2);
  const cap = i32[gq + G_CAP];
  const slots = i32[gq + G_SLOTS] >> 2;
  let head = i32[gq + G_HEAD];
  const first = i32[slots + head];
  head = (head + 1) % cap;
  const ot = i32[q + 1];
  for (let i = 1; i < n; i++) {
    i32[q + 2 + (((ot + i - 1) >>> 0) % LOCAL_SIZE)] = i32[slots + head];
    head = (head + 1) % cap;
  }
  i32[gq + G_HEAD] = head;
  Atomics.store(i32, gq + G_SIZE, size - n);
  release(gq + G_LOCK);
  if (n > 1) Atomics.store(i32, q + 1, (ot + n - 1) | 0);
  return first;
}
