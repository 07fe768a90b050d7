/**
 * The parts of the service that move to Redis when several processes serve it (`REDIS_URL`): the cache's
 * shared tier and its lease (goroutine/redis `store`), so a key missing everywhere is loaded from the
 * database once across all processes and a write in one process invalidates the others' in-process copies;
 * and the write-behind buffer (`writeLog`, a Redis Stream), so an acknowledged write survives a crash and
 * one process at a time writes batches to the database.
 *
 * ioredis is an optional peer dependency of the library, so it is loaded here, only when Redis is used.
 */
import type { Redis } from "ioredis";
import * as redis from "../../src/redis/index.js";
import type { Store } from "../../src/cache/index.js";
import type { Distributed } from "./app.js";
import type { Product } from "./db.js";

/** The Redis-backed parts, and how to let go of them. */
export interface Shared {
  parts: Distributed;
  /** What is shared, for the banner and the stats. */
  shares: string[];
  close(): Promise<void>;
}

/**
 * Connects to `url` and builds the shared parts, every key under `prefix` (one service's processes use
 * the same prefix; two services on one Redis use two).
 */
export async function connect(url: string, opts: { prefix: string; limit: { r: number; b: number } }): Promise<Shared> {
  const { Redis } = await import("ioredis");
  const client: Redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await client.connect();
  const store = recheckedLease(redis.store<Product>(client, { prefix: `${opts.prefix}:cache:` }));
  const writeLog = redis.writeLog(client, `${opts.prefix}:writes`);
  return {
    parts: { store, writeLog },
    shares: ["cache tier + lease", "write-behind log"],
    async close() {
      await store.close?.();
      await client.quit();
    },
  };
}

/**
 * `store` with a lease that is given back when the value is already there.
 *
 * Why: the cache reads the shared tier, misses, then asks for the lease. If another process filled the
 * key between the two (its set also frees its lease), the lease is granted and this process loads the key
 * a second time: two database queries for one cold key across processes instead of one (seen here:
 * 100 concurrent requests over two workers, both loaded). Checking the tier again once the lease is held
 * closes that window; giving the lease back wakes this process's waiters, which then read the value.
 * (Belongs in goroutine/cache's fill or the lease script; reported, worked around here.)
 */
function recheckedLease<V>(store: Store<V>): Store<V> {
  const lease = store.lease!.bind(store);
  const release = store.release!.bind(store);
  return {
    get: (key) => store.get(key),
    set: (key, value, ttl, o) => store.set(key, value, ttl, o),
    delete: (key, o) => store.delete(key, o),
    release,
    subscribe: store.subscribe?.bind(store),
    close: store.close?.bind(store),
    async lease(key, ttl, ctx) {
      const l = await lease(key, ttl, ctx);
      if (l !== undefined && (await store.get(key)) !== undefined) {
        await release(l);
        return undefined;
      }
      return l;
    },
  };
}
