/**
 * goroutine/threads atomics: Go's `sync/atomic` types (`atomic.Int32`, `atomic.Int64`, `atomic.Bool`)
 * over one word of the shared heap, so every thread that holds the object reads and writes the same
 * value.
 *
 * Invariants:
 * - Every access is an `Atomics` operation on the object's word: all operations on one object are
 *   sequentially consistent (Go's memory model for sync/atomic), across all threads.
 * - Arithmetic wraps around like Go's fixed-width integers; arguments outside the type's range are
 *   refused (RangeError) rather than silently truncated, except bit masks, which may also be given as
 *   unsigned values.
 * - The object's state is its word alone; a proxy on another thread (after passing it to a worker or
 *   task) acts on the same word.
 */
import { SHARED } from "../internal/threads/codec.js";
import { heap } from "../internal/threads/heap.js";
import {
  type SharedRef,
  checkBig,
  checkBool,
  checkInt,
  sharedKind,
  sharedObject,
} from "../internal/threads/shared.js";

const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;
const U32_MAX = 0xffff_ffff;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Int32 is an atomic 32-bit signed integer shared by every thread it is passed to (Go's
 * `atomic.Int32`). Arithmetic wraps around at ±2^31 as in Go.
 *
 * Happens-before: as Go's sync/atomic, every operation is sequentially consistent; a store observed by
 * a load on another thread synchronizes before that load returns.
 *
 * **Errors**: the constructor and every method throw TypeError for a non-number argument and
 * RangeError for a non-integer or out-of-range one (values in [-2^31, 2^31-1]; masks may also be
 * unsigned, up to 2^32-1).
 *
 * **Cancellation**: nothing here waits.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const hits = new threads.Int32(10);
 * console.log(hits.add(5)); // 15
 * console.log(hits.compareAndSwap(15, 0), hits.load()); // true 0
 * console.log(hits.or(0b101), hits.load()); // 0 5
 * ```
 */
export class Int32 {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly i: number;

  /** Makes an Int32 holding `initial` (default 0). */
  constructor(initial = 0) {
    this[SHARED] = sharedObject(this, "threads.Int32", 4, {
      check: () => checkInt("threads.Int32: initial value", initial, I32_MIN, I32_MAX),
      init: (off) => Atomics.store(heap().i32, off >> 2, initial),
    });
    this.i = this[SHARED].off >> 2;
  }
  /** load atomically loads the value. */
  load(): number {
    return Atomics.load(heap().i32, this.i);
  }
  /** store atomically stores `v`. */
  store(v: number): void {
    Atomics.store(heap().i32, this.i, checkInt("threads.Int32.store: value", v, I32_MIN, I32_MAX));
  }
  /** add atomically adds `delta` and returns the new value. */
  add(delta: number): number {
    checkInt("threads.Int32.add: delta", delta, I32_MIN, I32_MAX);
    return (Atomics.add(heap().i32, this.i, delta) + delta) | 0;
  }
  /** sub atomically subtracts `delta` and returns the new value. */
  sub(delta: number): number {
    checkInt("threads.Int32.sub: delta", delta, I32_MIN, I32_MAX);
    return (Atomics.sub(heap().i32, this.i, delta) - delta) | 0;
  }
  /** and atomically ANDs the value with `mask` and returns the old value (Go 1.23's And). */
  and(mask: number): number {
    return Atomics.and(heap().i32, this.i, checkInt("threads.Int32.and: mask", mask, I32_MIN, U32_MAX) | 0);
  }
  /** or atomically ORs the value with `mask` and returns the old value. */
  or(mask: number): number {
    return Atomics.or(heap().i32, this.i, checkInt("threads.Int32.or: mask", mask, I32_MIN, U32_MAX) | 0);
  }
  /** xor atomically XORs the value with `mask` and returns the old value. */
  xor(mask: number): number {
    return Atomics.xor(heap().i32, this.i, checkInt("threads.Int32.xor: mask", mask, I32_MIN, U32_MAX) | 0);
  }
  /** swap atomically stores `v` and returns the old value. */
  swap(v: number): number {
    return Atomics.exchange(heap().i32, this.i, checkInt("threads.Int32.swap: value", v, I32_MIN, I32_MAX));
  }
  /** compareAndSwap stores `next` if the value is `old`; returns whether it did. */
  compareAndSwap(old: number, next: number): boolean {
    checkInt("threads.Int32.compareAndSwap: old", old, I32_MIN, I32_MAX);
    checkInt("threads.Int32.compareAndSwap: new", next, I32_MIN, I32_MAX);
    return Atomics.compareExchange(heap().i32, this.i, old, next) === old;
  }
}
sharedKind("threads.Int32", () => new Int32());

/**
 * Int64 is an atomic 64-bit signed integer shared by every thread it is passed to (Go's
 * `atomic.Int64`), with bigint values. Arithmetic wraps around at ±2^63 as in Go.
 *
 * Happens-before: every operation is sequentially consistent, as Go's sync/atomic.
 *
 * **Errors**: TypeError for a non-bigint argument, RangeError for one outside [-2^63, 2^63-1] (masks
 * may also be unsigned, up to 2^64-1).
 *
 * **Cancellation**: nothing here waits.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const bytes = new threads.Int64(1n << 40n);
 * console.log(String(bytes.add(1n))); // "1099511627777"
 * console.log(String(bytes.swap(0n)), String(bytes.load())); // "1099511627777" "0"
 * ```
 */
export class Int64 {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly i: number;

  /** Makes an Int64 holding `initial` (default 0n). */
  constructor(initial = 0n) {
    this[SHARED] = sharedObject(this, "threads.Int64", 8, {
      check: () => checkBig("threads.Int64: initial value", initial, I64_MIN, I64_MAX),
      init: (off) => Atomics.store(heap().i64, off >> 3, initial),
    });
    this.i = this[SHARED].off >> 3;
  }
  /** load atomically loads the value. */
  load(): bigint {
    return Atomics.load(heap().i64, this.i);
  }
  /** store atomically stores `v`. */
  store(v: bigint): void {
    Atomics.store(heap().i64, this.i, checkBig("threads.Int64.store: value", v, I64_MIN, I64_MAX));
  }
  /** add atomically adds `delta` and returns the new value. */
  add(delta: bigint): bigint {
    checkBig("threads.Int64.add: delta", delta, I64_MIN, I64_MAX);
    return BigInt.asIntN(64, Atomics.add(heap().i64, this.i, delta) + delta);
  }
  /** sub atomically subtracts `delta` and returns the new value. */
  sub(delta: bigint): bigint {
    checkBig("threads.Int64.sub: delta", delta, I64_MIN, I64_MAX);
    return BigInt.asIntN(64, Atomics.sub(heap().i64, this.i, delta) - delta);
  }
  /** and atomically ANDs the value with `mask` and returns the old value. */
  and(mask: bigint): bigint {
    return Atomics.and(heap().i64, this.i, mask64("and", mask));
  }
  /** or atomically ORs the value with `mask` and returns the old value. */
  or(mask: bigint): bigint {
    return Atomics.or(heap().i64, this.i, mask64("or", mask));
  }
  /** xor atomically XORs the value with `mask` and returns the old value. */
  xor(mask: bigint): bigint {
    return Atomics.xor(heap().i64, this.i, mask64("xor", mask));
  }
  /** swap atomically stores `v` and returns the old value. */
  swap(v: bigint): bigint {
    return Atomics.exchange(heap().i64, this.i, checkBig("threads.Int64.swap: value", v, I64_MIN, I64_MAX));
  }
  /** compareAndSwap stores `next` if the value is `old`; returns whether it did. */
  compareAndSwap(old: bigint, next: bigint): boolean {
    checkBig("threads.Int64.compareAndSwap: old", old, I64_MIN, I64_MAX);
    checkBig("threads.Int64.compareAndSwap: new", next, I64_MIN, I64_MAX);
    return Atomics.compareExchange(heap().i64, this.i, old, next) === old;
  }
}
sharedKind("threads.Int64", () => new Int64());

function mask64(op: string, mask: bigint): bigint {
  return BigInt.asIntN(64, checkBig(`threads.Int64.${op}: mask`, mask, I64_MIN, U64_MAX));
}

/**
 * Bool is an atomic boolean shared by every thread it is passed to (Go's `atomic.Bool`).
 *
 * Happens-before: every operation is sequentially consistent, as Go's sync/atomic.
 *
 * **Errors**: TypeError for a non-boolean argument.
 *
 * **Cancellation**: nothing here waits.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const stop = new threads.Bool();
 * console.log(stop.compareAndSwap(false, true)); // true
 * console.log(stop.swap(false), stop.load()); // true false
 * ```
 */
export class Bool {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly i: number;

  /** Makes a Bool holding `initial` (default false). */
  constructor(initial = false) {
    this[SHARED] = sharedObject(this, "threads.Bool", 4, {
      check: () => checkBool("threads.Bool: initial value", initial),
      init: (off) => Atomics.store(heap().i32, off >> 2, initial ? 1 : 0),
    });
    this.i = this[SHARED].off >> 2;
  }
  /** load atomically loads the value. */
  load(): boolean {
    return Atomics.load(heap().i32, this.i) !== 0;
  }
  /** store atomically stores `v`. */
  store(v: boolean): void {
    Atomics.store(heap().i32, this.i, checkBool("threads.Bool.store: value", v) ? 1 : 0);
  }
  /** swap atomically stores `v` and returns the old value. */
  swap(v: boolean): boolean {
    return Atomics.exchange(heap().i32, this.i, checkBool("threads.Bool.swap: value", v) ? 1 : 0) !== 0;
  }
  /** compareAndSwap stores `next` if the value is `old`; returns whether it did. */
  compareAndSwap(old: boolean, next: boolean): boolean {
    const o = checkBool("threads.Bool.compareAndSwap: old", old) ? 1 : 0;
    const n = checkBool("threads.Bool.compareAndSwap: new", next) ? 1 : 0;
    return Atomics.compareExchange(heap().i32, this.i, o, n) === o;
  }
}
sharedKind("threads.Bool", () => new Bool());
