/**
 * iter (sourcegraph/conc's `iter`): `map` and `forEach` over an array on a bounded number of goroutines.
 *
 * Invariants: `n = min(maxGoroutines, items.length)` goroutines share one index counter; each takes the
 * next index until the items run out or a call has thrown. Every index is taken once, so each item is
 * processed at most once and `map`'s result `i` is `fn(items[i], i)`.
 */
import { go } from "../go.js";
import { WaitGroup } from "../sync/waitgroup.js";
import { gomaxprocs } from "../runtime/index.js";
import { isThenable } from "../internal/pool.js";
import { checkSize } from "../internal/size.js";

/** Options of {@link map} and {@link forEach}. */
export interface IterOptions {
  /** How many goroutines run `fn` at once; default `runtime.gomaxprocs()` (conc: GOMAXPROCS). */
  maxGoroutines?: number;
}

class Run<T> {
  next = 0;
  failed = false;
  err: unknown = undefined;
  constructor(
    readonly items: readonly T[],
    readonly fn: (item: T, index: number) => unknown,
    /** map's results, by index; undefined for forEach. */
    readonly out: unknown[] | undefined,
  ) {}
}

async function worker<T>(r: Run<T>, wg: WaitGroup): Promise<void> {
  const items = r.items;
  const fn = r.fn;
  const out = r.out;
  try {
    for (let i = r.next++; i < items.length && !r.failed; i = r.next++) {
      let v: unknown = fn(items[i], i);
      if (isThenable(v)) v = await v;
      if (out !== undefined) out[i] = v;
    }
  } catch (e) {
    if (!r.failed) {
      r.failed = true;
      r.err = e;
    }
  } finally {
    wg.done();
  }
}

async function run<T>(
  items: Iterable<T> | ArrayLike<T>,
  fn: (item: T, index: number) => unknown,
  opts: IterOptions | undefined,
  name: string,
  out: unknown[] | undefined,
): Promise<unknown[] | undefined> {
  if (typeof fn !== "function") throw new TypeError(`iter: ${name} expects a function, got ${typeof fn}`);
  const max = opts?.maxGoroutines ?? gomaxprocs();
  checkSize(max, `iter.${name}`, "maxGoroutines", { min: 1, unlimited: true });
  const arr: readonly T[] = Array.isArray(items) ? (items as readonly T[]) : Array.from(items);
  const res = out === undefined ? undefined : new Array<unknown>(arr.length);
  const n = Math.min(max, arr.length);
  if (n === 0) return res;
  const r = new Run(arr, fn, res);
  const wg = new WaitGroup();
  wg.add(n);
  for (let k = 0; k < n; k++) go(worker<T>, r, wg);
  await wg.wait();
  if (r.failed) throw r.err;
  return res;
}
const MAP: unknown[] = [];

/**
 * forEach calls `fn(item, index)` for every item on at most `maxGoroutines` goroutines and resolves
 * when all calls have finished. If a call throws, no further item is started and forEach rejects with
 * the first error once the calls in flight have finished.
 *
 * @example
 * ```ts
 * import { iter } from "goroutine/pool";
 * let total = 0;
 * await iter.forEach([1, 2, 3], async (n) => { total += n; }, { maxGoroutines: 2 });
 * console.log(total); // 6
 * ```
 */
export function forEach<T>(items: Iterable<T> | ArrayLike<T>, fn: (item: T, index: number) => unknown, opts?: IterOptions): Promise<void> {
  return run(items, fn, opts, "forEach", undefined).then(() => undefined);
}

/**
 * map calls `fn(item, index)` for every item on at most `maxGoroutines` goroutines and resolves with the
 * results in input order. Errors as {@link forEach}.
 *
 * @example
 * ```ts
 * import { iter } from "goroutine/pool";
 * console.log(await iter.map([1, 2, 3], async (n) => n * n, { maxGoroutines: 8 })); // [1, 4, 9]
 * ```
 */
export async function map<T, R>(
  items: Iterable<T> | ArrayLike<T>,
  fn: (item: T, index: number) => R | PromiseLike<R>,
  opts?: IterOptions,
): Promise<R[]> {
  return (await run(items, fn, opts, "map", MAP)) as R[];
}
