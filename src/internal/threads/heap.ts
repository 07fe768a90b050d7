/**
 * The shared heap: one growable SharedArrayBuffer that every thread of the process maps, so a shared
 * object (a cross-thread channel, mutex, task record, encoded value) is just a byte offset into it and
 * crosses threads as a number. The main thread makes it on first use; workers adopt it from their
 * workerData before running any task.
 *
 * Layout: a header of int32 words (allocator state and a few well-known words), then blocks. Every block
 * has an 8-byte header [size class, owner tag] before its payload; `alloc` returns the payload's offset,
 * which is 8-aligned, so any typed view (Int32, Float64, BigInt64) can address it.
 *
 * Invariants:
 * - A block's size is 2^class bytes including its header; a freed block goes on its class's free list
 *   and is reused only for that class. The bump pointer only grows; the buffer grows with it.
 * - Allocator state (bump, free lists) changes only under the allocator's spinlock, whose critical
 *   sections are a few loads and stores (no allocation, no call out), so spinning is bounded.
 * - Every operation starts with `heap()`, which remakes this thread's fixed-length views if the buffer
 *   has grown since (in any thread), so any offset the operation was given is inside them. A lock is
 *   taken with {@link acquire} (or {@link locked}), which returns the heap with views made after the
 *   lock, so a block another thread linked in under the lock is inside them too. `alloc` remakes the
 *   views of the Heap object when it grows the buffer: read `h.i32` again after an alloc, never keep an
 *   older view across one.
 * - Structs in the heap (task records) are read and written through named {@link Field}s
 *   ({@link struct}), given the view the operation took at its start.
 * - `alloc` returns zeroed memory (freed blocks are cleared on reuse) unless told the caller overwrites it.
 *
 * Why not one SharedArrayBuffer per object: a SharedArrayBuffer can only reach another thread through
 * postMessage, which is asynchronous and targets one thread; a task queued in shared memory may be taken
 * by any worker, which must be able to reach every object it refers to at once.
 */
import { isMainThread, workerData } from "node:worker_threads";

/** Word indices of the header (int32). */
export const W_MAGIC = 0;
const W_ALLOC_LOCK = 1;
const W_BUMP = 2;
/** Source of thread numbers (main thread is 0). */
export const W_THREAD_SEQ = 3;
/** The buffer's byte length, stored after each growth (cheaper to read than a growable buffer's length). */
const W_SIZE = 4;
const W_FREE = 8; // 32 free-list heads, words 8..39
/**
 * The progress word: bumped by every cross-thread notification and task completion, so the deadlock
 * watchdog (quiet.ts) can tell that something happened between two of its looks.
 */
export const W_PROGRESS = 64;

/** Records cross-thread progress (see {@link W_PROGRESS}). */
export function markProgress(i32: Int32Array): void {
  Atomics.add(i32, W_PROGRESS, 1);
}
const HEADER_BYTES = 512;
const MAGIC = 0x60_12_0a_11;
const MIN_CLASS = 4; // 16 bytes
const MAX_CLASS = 30; // 1 GiB

/** The heap handle a worker receives in its workerData under this key. */
export const HEAP_KEY = "goroutine.heap";

function maxBytes(): number {
  const mb = Number(process.env.GOROUTINE_SHARED_HEAP_MB ?? "1024");
  if (!Number.isFinite(mb) || mb < 1) return 1024 * 1024 * 1024;
  return Math.floor(mb) * 1024 * 1024;
}

/** The shared heap and its views. */
export class Heap {
  // Fixed-length views, remade by `heap()` when the buffer has grown (in any thread). Why not
  // length-tracking views, which would follow growth by themselves: on Node 20 every Atomics operation
  // through one costs about 80 ns, against 18 ns through a fixed-length view.
  i32!: Int32Array;
  u32!: Uint32Array;
  u8!: Uint8Array;
  f64!: Float64Array;
  i64!: BigInt64Array;
  dv!: DataView;
  /** The buffer's length when the views were made. */
  bytes = -1;

  constructor(readonly sab: SharedArrayBuffer) {
    this.refresh();
  }

  /** Remakes the views over the whole buffer as it is now. */
  refresh(): void {
    const sab = this.sab;
    const n = sab.byteLength;
    this.bytes = n;
    this.i32 = new Int32Array(sab, 0, n >> 2);
    this.u32 = new Uint32Array(sab, 0, n >> 2);
    this.u8 = new Uint8Array(sab, 0, n);
    this.f64 = new Float64Array(sab, 0, n >> 3);
    this.i64 = new BigInt64Array(sab, 0, n >> 3);
    this.dv = new DataView(sab, 0, n);
  }

  static create(): Heap {
    const sab = new SharedArrayBuffer(4 * 1024 * 1024, { maxByteLength: maxBytes() });
    const h = new Heap(sab);
    h.i32[W_MAGIC] = MAGIC;
    h.i32[W_BUMP] = HEADER_BYTES;
    h.i32[W_SIZE] = sab.byteLength;
    return h;
  }

  /**
   * Allocates a block with room for `bytes` bytes and returns its payload's byte offset (8-aligned). The
   * block is zeroed unless `zero` is false (for a block its caller overwrites at once).
   * @throws RangeError if the heap cannot grow enough (`GOROUTINE_SHARED_HEAP_MB` sets its limit).
   */
  alloc(bytes: number, zero = true): number {
    const need = bytes + 8;
    let cls = MIN_CLASS;
    while (1 << cls < need) {
      if (++cls > MAX_CLASS) throw new RangeError(`threads: cannot allocate ${bytes} bytes of shared memory`);
    }
    lockWord(this.i32, W_ALLOC_LOCK);
    if (this.sab.byteLength !== this.bytes) this.refresh(); // a free block may lie past our old views
    let i32 = this.i32;
    let block = i32[W_FREE + cls];
    let reused = false;
    if (block !== 0) {
      i32[W_FREE + cls] = i32[(block + 8) >> 2]; // the next link lives in the first payload word
      reused = true;
    } else {
      block = i32[W_BUMP];
      const end = block + (1 << cls);
      if (end > this.sab.byteLength && !this.growTo(end)) {
        unlockWord(i32, W_ALLOC_LOCK);
        throw new RangeError(
          `threads: shared heap exhausted (${this.sab.byteLength} bytes in use; raise GOROUTINE_SHARED_HEAP_MB)`,
        );
      }
      i32 = this.i32; // remade if it grew
      i32[W_BUMP] = end;
    }
    unlockWord(i32, W_ALLOC_LOCK);
    i32[block >> 2] = cls;
    i32[(block >> 2) + 1] = 0;
    if (reused && zero) this.u8.fill(0, block + 8, block + (1 << cls));
    return block + 8;
  }

  /** The payload capacity of the block at `off` (at least what `alloc` was asked for). */
  capacity(off: number): number {
    return (1 << this.i32[(off - 8) >> 2]) - 8;
  }

  /** Returns the block at `off` to its free list. Freeing a block twice corrupts the heap. */
  free(off: number): void {
    if (this.sab.byteLength !== this.bytes) this.refresh();
    const i32 = this.i32;
    const block = off - 8;
    const cls = i32[block >> 2];
    lockWord(i32, W_ALLOC_LOCK);
    i32[off >> 2] = i32[W_FREE + cls];
    i32[W_FREE + cls] = block;
    unlockWord(i32, W_ALLOC_LOCK);
  }

  /** Bytes taken from the buffer so far (blocks in use and on free lists). */
  get used(): number {
    return Atomics.load(this.i32, W_BUMP);
  }

  private growTo(end: number): boolean {
    let size = this.sab.byteLength;
    const max = this.sab.maxByteLength;
    if (end > max) return false;
    while (size < end) size = Math.min(max, size * 2);
    try {
      this.sab.grow(size);
    } catch {
      return false;
    }
    this.refresh();
    Atomics.store(this.i32, W_SIZE, size);
    return true;
  }
}

/**
 * Takes a spinlock word (0 free, 1 held). For critical sections of a few instructions only: after a
 * burst of failed attempts it sleeps briefly, which is allowed on every Node thread.
 */
export function lockWord(i32: Int32Array, idx: number): void {
  if (Atomics.compareExchange(i32, idx, 0, 1) === 0) return;
  let spins = 0;
  while (Atomics.compareExchange(i32, idx, 0, 1) !== 0) {
    if (++spins > 200) {
      Atomics.wait(i32, idx, 1, 0.05);
      spins = 0;
    }
  }
}

/** Releases a spinlock word taken with {@link lockWord}. */
export function unlockWord(i32: Int32Array, idx: number): void {
  Atomics.store(i32, idx, 0);
}

let theHeap: Heap | undefined;

/** This thread's view of the process-wide shared heap (made on first use on the main thread). */
export function heap(): Heap {
  const h = theHeap;
  if (h !== undefined) {
    // An offset this thread learnt of was allocated before it was published to us, so views remade
    // now cover it. (Callers re-read heap() after every await for that reason.)
    if (Atomics.load(h.i32, W_SIZE) !== h.bytes) h.refresh();
    return h;
  }
  const fromParent = !isMainThread ? (workerData as Record<string, unknown> | null)?.[HEAP_KEY] : undefined;
  if (fromParent instanceof SharedArrayBuffer) {
    theHeap = new Heap(fromParent);
    if (theHeap.i32[W_MAGIC] !== MAGIC) throw new Error("threads: workerData carries a foreign shared heap");
  } else {
    theHeap = Heap.create();
  }
  return theHeap;
}

/** This thread's number: 0 on the main thread, a process-unique positive number on each worker. */
let threadNo: number | undefined;
export function threadNumber(): number {
  if (threadNo === undefined) threadNo = isMainThread ? 0 : Atomics.add(heap().i32, W_THREAD_SEQ, 1) + 1;
  return threadNo;
}

// ---- access helpers ----------------------------------------------------------------------------------

/**
 * Takes spinlock word `idx` and returns the heap with its views remade after the lock was taken (what
 * another thread allocated and linked in under the lock lies inside them). Pair with {@link release}
 * in a `finally`.
 */
export function acquire(idx: number): Heap {
  lockWord(heap().i32, idx);
  return heap();
}

/** Releases spinlock word `idx` taken with {@link acquire}. */
export function release(idx: number): void {
  unlockWord(theHeap!.i32, idx);
}

/** Runs `fn` holding spinlock word `idx`, with the heap's views remade after the lock was taken. */
export function locked<T>(idx: number, fn: (h: Heap) => T): T {
  const h = acquire(idx);
  try {
    return fn(h);
  } finally {
    release(idx);
  }
}

/**
 * One int32 field of a struct in the shared heap: the word at a fixed index from the struct's start
 * (`at`, the struct's byte offset). Accessors take the view to use — an operation takes `heap().i32`
 * once at its start (again after anything that allocates) and passes it on, as everywhere in the heap:
 * one `heap()` per field access would double the cost of a task record's round trip. `get`/`set` are
 * plain accesses (for fields only one thread touches at that point of the protocol); `load`, `store`,
 * `cas` and `add` are atomic.
 */
export class Field {
  constructor(
    /** Word index from the struct's start. */
    readonly index: number,
    readonly name: string,
  ) {}

  /** The field's word index in the heap for the struct at `at` (to wait on or notify it). */
  word(at: number): number {
    return (at >> 2) + this.index;
  }

  get(i32: Int32Array, at: number): number {
    return i32[(at >> 2) + this.index];
  }

  set(i32: Int32Array, at: number, v: number): void {
    i32[(at >> 2) + this.index] = v;
  }

  load(i32: Int32Array, at: number): number {
    return Atomics.load(i32, (at >> 2) + this.index);
  }

  store(i32: Int32Array, at: number, v: number): void {
    Atomics.store(i32, (at >> 2) + this.index, v);
  }

  /** Compare-and-swap: true if the field held `expected` (it now holds `v`), false if it held something else. */
  cas(i32: Int32Array, at: number, expected: number, v: number): boolean {
    return Atomics.compareExchange(i32, (at >> 2) + this.index, expected, v) === expected;
  }

  /** Adds `d` atomically; returns the value before. */
  add(i32: Int32Array, at: number, d: number): number {
    return Atomics.add(i32, (at >> 2) + this.index, d);
  }
}

/** A struct layout: one {@link Field} per name, in order, and the struct's size. */
export type Struct<N extends string> = { readonly [K in N]: Field } & { readonly words: number; readonly bytes: number };

/** Lays out int32 fields `names` one after another from word 0. */
export function struct<const N extends string>(...names: N[]): Struct<N> {
  const out: Record<string, unknown> = { words: names.length, bytes: names.length * 4 };
  names.forEach((n, i) => (out[n] = new Field(i, n)));
  return Object.freeze(out) as Struct<N>;
}
