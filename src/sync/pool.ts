/**
 * sync.Pool: a free list of temporary objects.
 *
 * Invariants:
 * - `items.length <= max`; `put` beyond that drops the value (Go's pool drops items at every GC; we
 *   bound it instead so an idle pool cannot pin an unbounded amount of memory).
 * - `get` is LIFO: the most recently returned object is the most likely to be warm in cache.
 */
import { checkSize } from "../internal/size.js";

/**
 * Options of {@link Pool}.
 *
 * @example
 * ```ts
 * import { Pool, type PoolOptions } from "goroutine/sync";
 * const opts: PoolOptions<number[]> = { new: () => [], max: 16 };
 * console.log(new Pool(opts).get().length); // 0
 * ```
 */
export interface PoolOptions<T> {
  /** Makes a value when the pool is empty (Go's `Pool.New`). Without it `get` returns undefined. */
  new?: () => T;
  /** How many idle values the pool keeps at most (default 1024). */
  max?: number;
}

/**
 * Pool is a set of temporary objects that may be individually saved and retrieved (Go's
 * `sync.Pool`). Any item stored in the pool may be dropped at any time without notice; `get` then makes
 * a fresh one with `new`. Use it for reusing allocations (buffers, scratch objects), never for state
 * that must survive.
 *
 * Neither method blocks. Happens-before, in Go's words: a call to `put(x)` synchronizes before a call
 * to `get` returning that same value x; a call to `new` returning x synchronizes before a `get`
 * returning x.
 *
 * @example
 * ```ts
 * import { Pool } from "goroutine/sync";
 * const bufs = new Pool({ new: () => new Uint8Array(4096) });
 * const b = bufs.get();
 * // ... use b ...
 * bufs.put(b);
 * console.log(bufs.get() === b); // true
 * ```
 */
export class Pool<T> {
  private readonly items: T[] = [];
  private readonly make: (() => T) | undefined;
  private readonly max: number;

  /** Makes an empty pool; `opts.new` makes values when it is empty. */
  constructor(opts?: PoolOptions<T>) {
    const make = opts?.new;
    if (make !== undefined && typeof make !== "function") throw new TypeError("sync.Pool: new must be a function");
    const max = opts?.max ?? 1024;
    checkSize(max, "sync.Pool", "max", { unlimited: true });
    this.make = make;
    this.max = max;
  }

  /**
   * get removes and returns a value from the pool, or, if it is empty, the result of `new()` (or
   * `undefined` when the pool has no `new`). Callers must not assume any relation between the values
   * passed to `put` and those returned by `get`.
   */
  get(): T {
    if (this.items.length > 0) return this.items.pop()!;
    return this.make === undefined ? (undefined as T) : this.make();
  }

  /** put adds `x` to the pool (or drops it if the pool is full). `undefined` and `null` are ignored. */
  put(x: T): void {
    if (x === undefined || x === null) return;
    if (this.items.length < this.max) this.items.push(x);
  }
}
