/**
 * One limit, one lock, one breaker and one flight across processes, on Redis (goroutine/redis).
 *
 * Three ioredis connections stand for three processes (the tests and bench/redis.ts fork real ones):
 * they share a token bucket of 5/s, hand a Mutex to each other in FIFO order with growing fencing
 * tokens, see one circuit breaker trip, and collapse 30 concurrent calls into one execution.
 * Skipped, with a line that says so, when no Redis answers.
 *
 *   REDIS_URL=redis://127.0.0.1:6399 node dist/examples/distributed.js
 */
import { Redis } from "ioredis";
import { context } from "../src/index.js";
import { DistributedCircuitBreaker } from "../src/breaker/index.js";
import * as redis from "../src/redis/index.js";
import { isMain } from "./util.js";

/** A client if Redis answers at `url` within half a second, else undefined. */
async function connect(url: string): Promise<Redis | undefined> {
  const c = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.ping();
    return c;
  } catch {
    c.disconnect();
    return undefined;
  }
}

export async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6399";
  const first = await connect(url);
  if (first === undefined) {
    console.log(`skipped: no Redis reachable at ${url} (start one, or set REDIS_URL=redis://host:port, to run this example)`);
    return;
  }
  const procs = [first, new Redis(url), new Redis(url)];
  const run = `demo:${process.pid}:${Date.now()}`; // fresh keys on every run

  // 1. One token bucket for all: 5 events/s, bursts of 5, decided by one Lua script on Redis's clock.
  const limiters = procs.map((c) => new redis.Limiter(c, `${run}:api`, 5, 5));
  const t0 = Date.now();
  const admitted = [0, 0, 0];
  while (Date.now() - t0 < 1000) {
    await Promise.all(limiters.map(async (l, i) => (await l.allow()) && admitted[i]++));
  }
  const total = admitted.reduce((a, b) => a + b, 0);
  console.log(`Limiter 5/s (burst 5) shared by 3 processes for 1 s: admitted ${admitted.join(" + ")} = ${total} (≤ r·t + b = 10)`);

  // 2. One Mutex: waiters are served in order of arrival at Redis; every grant has a larger fencing token.
  const mutexes = procs.map((c) => new redis.Mutex(c, `${run}:lock`, { ttl: 2000 }));
  const held = await mutexes[0].acquire(context.background());
  const order: string[] = [];
  const waits: Promise<void>[] = [];
  for (const i of [1, 2, 0]) {
    waits.push(
      mutexes[i].acquire(context.background()).then(async (p) => {
        order.push(`process ${i} (token ${p.token})`);
        await mutexes[i].release(p);
      }),
    );
    // arrival order: wait until this one is queued in Redis before the next one asks
    while ((await first.zcard(`{${run}:lock}:sem:q`)) < waits.length) await new Promise((r) => setImmediate(r));
  }
  await mutexes[0].release(held);
  await Promise.all(waits);
  console.log(`Mutex: process 0 held token ${held.token}; then, in arrival order: ${order.join(", ")}`);

  // 3. One circuit breaker: a trip in one process is the state in every other.
  const name = `${run}:payments`;
  const breakers = procs.map(
    (c) => new DistributedCircuitBreaker<string>(redis.breakerStore(c), { name, readyToTrip: (cn) => cn.consecutiveFailures >= 2 }),
  );
  for (const b of breakers.slice(0, 2)) await b.execute(() => Promise.reject(new Error("payments down"))).catch(() => undefined);
  const refused = await breakers[2].execute(async () => "charged").catch((e: Error) => e.message);
  console.log(`Breaker: two failures in processes 0 and 1 → process 2 sees "${await breakers[2].state()}" and gets "${refused}"`);

  // 4. One flight: 30 concurrent calls across the 3 processes run the function once.
  let runs = 0;
  const groups = procs.map((c) => new redis.Group<string>(c, `${run}:reports`));
  const got = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      groups[i % 3].do("daily", async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 100));
        return "report #1";
      }),
    ),
  );
  console.log(`Group: 30 concurrent calls from 3 processes → ${runs} execution, all got "${got[0].value}" (shared: ${got.every((r) => r.shared)})`);

  await procs[0].del(`{gobreaker:${name}}:state`, `{${run}:lock}:sem:fence`);
  for (const c of procs) await c.quit();
}

if (isMain(import.meta.url)) await main();
