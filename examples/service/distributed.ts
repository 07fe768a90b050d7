/**
 * The parts of the service that move to Redis when several processes serve it (`REDIS_URL`): the cache's
 * shared tier and its lease (goroutine/redis `store`), so a key missing everywhere is loaded from the
 * database once across all processes and a write in one process invalidates the others' in-process copies;
 * the write-behind buffer (`writeLog`, a Redis Stream), so an acknowledged write survives a crash and
 * one process at a time writes batches to the database; the per-client token buckets (`redis.Limiter`),
 * so a client gets its limit once, not once per process; and the pricing breaker's state
 * (`DistributedCircuitBreaker` over `redis.breakerStore`), so the processes trip, probe and close together.
 *
 * ioredis is an optional peer dependency of the library, so it is loaded here, only when Redis is used.
 */
import type { Redis } from "ioredis";
import * as redis from "../../src/redis/index.js";
import type { Store } from "../../src/cache/index.js";
import { DistributedCircuitBreaker } from "../../src/breaker/index.js";
import { PRICING_BREAKER, type Distributed, type LimiterLike } from "./app.js";
import type { Quote } from "./backends.js";
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
  // Limits and the breaker fail open: while Redis does not answer, each process admits requests and
  // breaks on its own copy of the breaker's state, rather than failing every request.
  const errors = { limiter: 0, breaker: 0 };
  const limiter = (id: string): LimiterLike => {
    // A client id may hold any character; a Redis key here may not hold braces (they make hash tags).
    const l = new redis.Limiter(client, `${opts.prefix}:limit:${encodeURIComponent(id)}`, opts.limit.r, opts.limit.b, {
      failMode: "open",
      onError: () => void errors.limiter++,
    });
    return {
      allow: () => l.allow(),
      async retryAfter() {
        const r = await l.reserve();
        const wait = r.delay();
        await r.cancel();
        return wait;
      },
    };
  };
  const breakerStore = redis.breakerStore(client, { failMode: "open", onError: () => void errors.breaker++ });
  const breaker = new DistributedCircuitBreaker<Quote>(breakerStore, { ...PRICING_BREAKER, name: `${opts.prefix}:pricing` });
  return {
    parts: { store, writeLog, limiter, breaker },
    shares: ["cache tier + lease", "write-behind log", "per-client limits", "pricing breaker"],
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
