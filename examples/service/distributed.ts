/**
 * Multi-process mode: with a Redis URL, the cache's shared tier and lease, the per-client limiter and the
 * pricing breaker live in Redis, so N processes (node:cluster, or N machines) behave as one service:
 * one load per cold key across all of them, one limit per client, one breaker state.
 */
import { Redis } from "ioredis";
import * as redis from "../../src/redis/index.js";
import * as breaker from "../../src/breaker/index.js";
import * as time from "../../src/time/index.js";
import type { Distributed, LimiterLike } from "./app.js";
import type { Quote } from "./backends.js";

/** Connects to Redis and builds the shared parts; `close` disconnects. */
export async function connectRedis(
  url: string,
  prefix: string,
  limit: { r: number; b: number } = { r: 500, b: 1000 },
): Promise<{ distributed: Distributed; close: () => Promise<void> }> {
  const client = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 2000, lazyConnect: true });
  await client.connect();
  const store = redis.store(client, { prefix: `{${prefix}}:cache:` });
  const limiter = (id: string): LimiterLike => {
    const l = new redis.Limiter(client, `{${prefix}}:rl:${id}`, limit.r, limit.b);
    return {
      allow: () => l.allow(),
      retryAfter: async () => {
        const r = await l.reserveN(new Date(), 1);
        const d = r.delay();
        r.cancel();
        return d;
      },
    };
  };
  const cb = new breaker.DistributedCircuitBreaker<Quote>(redis.breakerStore(client), {
    name: `${prefix}:pricing`,
    maxRequests: 1,
    interval: 10 * time.Second,
    timeout: 2 * time.Second,
    readyToTrip: (c) => c.requests >= 20 && c.totalFailures / c.requests > 0.5,
  });
  return {
    distributed: { store, limiter, breaker: cb },
    close: async () => {
      await store.close?.();
      client.disconnect();
    },
  };
}
