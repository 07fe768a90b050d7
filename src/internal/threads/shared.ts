/**
 * Plumbing shared by the cross-thread primitives (goroutine/threads Mutex, WaitGroup, Cond, Semaphore,
 * Once, Int32, Int64, Bool): one proxy per heap offset per thread, and argument checks.
 *
 * Invariants:
 * - A primitive's whole state lives in its heap block; a proxy holds only the block's offset (and
 *   derived word indices), so any number of proxies on any threads act on one object.
 * - Within a thread, one live proxy per offset (cached weakly): a primitive that crosses threads and
 *   comes back is the same object, and per-thread bookkeeping on a proxy (Mutex's last guard) is seen by
 *   every goroutine of the thread.
 * - Every primitive's constructor gets its block from {@link sharedObject}, the one place that decides
 *   between adopting the offset being revived (set only during a synchronous revival, so it never leaks
 *   into another construction) and allocating, checking and initialising a new block.
 * - Blocks of primitives are never freed: a proxy on another thread may still refer to one, and no
 *   thread knows when the last one is gone. (A few dozen bytes per primitive made.)
 */
import { SHARED, registerShared } from "./codec.js";
import { heap } from "./heap.js";

/** The `[SHARED]` record of a primitive. */
export interface SharedRef {
  readonly tag: string;
  readonly off: number;
}

const proxies = new Map<number, WeakRef<object>>();
const gone = new FinalizationRegistry<number>((off) => {
  const r = proxies.get(off);
  if (r !== undefined && r.deref() === undefined) proxies.delete(off);
});

let revivingOff = 0;

/**
 * The offset a constructor must adopt (a proxy being revived), or 0 to allocate a new object. Offsets
 * are never 0 (the heap starts with its header).
 */
function reviving(): number {
  const off = revivingOff;
  revivingOff = 0;
  return off;
}

/** Records `obj` as this thread's proxy for `off` and gives it its `[SHARED]` record. */
function adopt(obj: object, tag: string, off: number): SharedRef {
  proxies.set(off, new WeakRef(obj));
  gone.register(obj, off);
  return Object.freeze({ tag, off });
}

/** How {@link sharedObject} makes a new object's block. */
export interface SharedInit {
  /** Argument checks, run before a new object's block is allocated (never when reviving). */
  check?(): void;
  /** Initialises a new object's (zeroed) block at byte offset `off`. */
  init?(off: number): void;
}

/**
 * The one way a shared object's constructor gets its block: the block of the object being revived
 * (another thread's, see {@link sharedKind}), or a new block of `bytes` bytes, checked and initialised
 * by `how`. Records `obj` as this thread's proxy and returns its `[SHARED]` record. (A constructor
 * called to revive gets no arguments: that is how one that needs to can tell.)
 */
export function sharedObject(obj: object, tag: string, bytes: number, how?: SharedInit): SharedRef {
  let off = reviving();
  if (off === 0) {
    how?.check?.();
    off = heap().alloc(bytes);
    how?.init?.(off);
  }
  return adopt(obj, tag, off);
}

/** Registers kind `tag`: another thread's object becomes `make()` run with `reviving()` set to its offset. */
export function sharedKind(tag: string, make: () => object): void {
  const revive = (off: number): object => {
    const cached = proxies.get(off)?.deref();
    if (cached !== undefined) return cached;
    revivingOff = off;
    try {
      return make();
    } finally {
      revivingOff = 0;
    }
  };
  kinds.set(tag, revive);
  registerShared(tag, revive);
}

const kinds = new Map<string, (off: number) => object>();

/** This thread's proxy of the object of kind `tag` at `off` (for objects that refer to others). */
export function reviveKind(tag: string, off: number): object {
  const f = kinds.get(tag);
  if (f === undefined) throw new Error(`threads: shared kind ${tag} is not registered`);
  return f(off);
}

/** Whether `v` is a shared object of kind `tag`. */
export function isKind(v: unknown, tag: string): boolean {
  return typeof v === "object" && v !== null && (v as { [SHARED]?: SharedRef })[SHARED]?.tag === tag;
}

/** A whole number in [min, max], else TypeError (not a number) or RangeError, naming `what`. */
export function checkInt(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number") throw new TypeError(`${what} must be a number, got ${typeName(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${what} must be a whole number in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/** A bigint in [min, max], else TypeError (not a bigint) or RangeError, naming `what`. */
export function checkBig(what: string, v: unknown, min: bigint, max: bigint): bigint {
  if (typeof v !== "bigint") throw new TypeError(`${what} must be a bigint, got ${typeName(v)}`);
  if (v < min || v > max) throw new RangeError(`${what} must be in [${min}, ${max}], got ${v}`);
  return v;
}

/** A boolean, else TypeError naming `what`. */
export function checkBool(what: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${what} must be a boolean, got ${typeName(v)}`);
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  if (typeof v === "bigint") return `bigint ${v}n`;
  return typeof v;
}
