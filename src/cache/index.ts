/**
 * `goroutine/cache`: the six cache strategies of the seeds — cache-aside (`getOrSet`), read-through
 * (`load`), refresh-ahead, write-through, write-behind and write-around — with stampede protection:
 * concurrent misses of one key call the loader once per process (singleflight), and once across
 * processes that share a store with leases (`redis.store(client)` and `lease`).
 *
 * Tiers: an in-process tier on lru-cache (`max` entries, least recently used evicted first) and an
 * optional shared {@link Store}. Every wait and timer is the library's, so a Cache runs in
 * `synctest` virtual time.
 */
import type { Context } from "../context/index.js";
import { CacheEngine, type CacheOptions, type GetOptions, type Key, type Stats } from "./cache.js";

export type { CacheOptions, GetOptions, Key, Stats, WritePolicy } from "./cache.js";
export { memoryStore, type Lease, type Store, type StoreHit, type WriteOpts } from "./store.js";
export type { WriteLog } from "./writebehind.js";

/**
 * Cache is a two-tier cache with stampede protection and the write policies of the seeds.
 *
 * Options: `ttl` (ms, > 0) is how long a value is fresh; `staleTtl` how long after that it is still
 * served while one background refresh runs (and while the loader fails); `refreshAhead` (0 < f < 1): a
 * hit after `f × ttl` returns the current value and refreshes it once in the background; `negativeTtl`:
 * how long "absent" (a loader's `undefined`) is cached (default 0: not at all). `load` is the
 * read-through source; `write`/`writeMany`/`remove` the database for `writePolicy` `"through"` (`set`
 * writes the database, then the cache), `"behind"` (`set` writes the cache and queues the write:
 * coalesced per key, flushed at `writeBehind.maxBatch` entries (100) or after `maxDelay` ms (1000),
 * through `writeMany` or `write`, failed batches retried with backoff, per-key order kept; with
 * `writeBehind.durable` a write is acknowledged once it is in the durable log) or `"around"` (`set`
 * writes the database and invalidates the cache). `max` (10,000) bounds the in-process tier; `store`
 * adds a shared tier; `lease: { ttl }` makes one process load a missing key while the others wait for
 * its value.
 *
 * Errors: a loader's error (or rejection) reaches every caller waiting for that load and is not
 * cached; a loader that returns something other than a promise rejects with a TypeError. Bad options
 * throw TypeError or RangeError naming the option; a key that is not a string or a number, TypeError.
 *
 * @example
 * ```ts
 * import { Cache } from "goroutine/cache";
 * let loads = 0;
 * const users = new Cache<number, string>({
 *   ttl: 60_000,
 *   load: async (id) => { loads++; await Promise.resolve(); return `user ${id}`; },
 * });
 * const names = await Promise.all(Array.from({ length: 1000 }, () => users.get(42)));
 * console.log(names[999], loads); // "user 42" 1
 * await users.close();
 * ```
 */
export class Cache<K extends Key, V> {
  private readonly e: CacheEngine<K, V>;

  constructor(opts: CacheOptions<K, V>) {
    this.e = new CacheEngine<K, V>(opts);
  }

  /**
   * get returns the value of `key` (read-through): a fresh or stale in-process entry at once, else the
   * shared store's, else the `load` option's result, stored in both tiers. Concurrent misses of a key
   * share one load. Without `load` a miss resolves with undefined (after looking at the store).
   *
   * **Cancellation**: when `opts.ctx` is done or `opts.signal` aborts, this call rejects (with
   * `ctx.err()` or `signal.reason`) and stops waiting; the load goes on for the other callers and still
   * fills the cache; its context is cancelled only when every caller has left.
   */
  get(key: K, opts?: GetOptions): Promise<V | undefined> {
    return this.e.get(key, opts, undefined);
  }

  /**
   * getOrSet is cache-aside: the value of `key`, or `loader`'s, which is then cached. Concurrent
   * callers for one key share the first caller's loader call. Same cancellation as {@link Cache.get}.
   */
  getOrSet(key: K, loader: (key: K, ctx: Context) => Promise<V>, opts?: GetOptions): Promise<V> {
    if (typeof loader !== "function") throw new TypeError(`cache: loader must be a function, got ${typeof loader}`);
    return this.e.get(key, opts, loader) as Promise<V>;
  }

  /** set stores `value` under the write policy (see the class). Rejects if the database write fails ("through", "around"). */
  set(key: K, value: V): Promise<void> {
    return this.e.set(key, value);
  }

  /** delete removes `key` from both tiers (telling other processes) and, with a write policy, calls `remove`. */
  delete(key: K): Promise<void> {
    return this.e.delete(key);
  }

  /** flush resolves once every write-behind write acknowledged before the call is in the database. */
  flush(): Promise<void> {
    return this.e.flush();
  }

  /** close flushes write-behind writes (retrying until they succeed), stops refreshes and unsubscribes. */
  close(): Promise<void> {
    return this.e.close();
  }

  /** stats returns counters since the cache was made; `pendingWrites` is write-behind writes not yet flushed. */
  stats(): Stats {
    return this.e.stats();
  }
}
