// The coordination primitives on the 3-master Redis Cluster (REDIS_CLUSTER_NODES), unchanged: every
// script's keys share one hash tag, and grants and flight results published by a script on one master
// reach subscribers connected to another. Keys are spread over the masters' slots.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import * as context from "../../src/context/index.js";
import { DistributedCircuitBreaker } from "../../src/breaker/index.js";
import * as redis from "../../src/redis/index.js";
import { redisCluster } from "../support/services.js";
import { prefix } from "./support.js";

const { nodes, skip } = redisCluster();

describe("redis coordination on Redis Cluster", { skip }, () => {
  let a: Cluster;
  let b: Cluster;
  const p = prefix();
  const keys = Array.from({ length: 6 }, (_, i) => `${p}k${i}`); // several slots, so several masters
  before(() => {
    a = new Cluster(nodes!);
    b = new Cluster(nodes!);
  });
  after(async () => {
    // the fencing counters never expire by themselves; the rest did or does
    for (const k of keys) for (const f of [`{${k}}:sem:fence`, `{${k}s}:sem:fence`]) await a.del(f);
    a.disconnect();
    b.disconnect();
  });

  test("Limiter and windows: one shared limit per key on every master", async () => {
    for (const k of keys) {
      const la = new redis.Limiter(a, k, 1, 3);
      const lb = new redis.Limiter(b, k, 1, 3);
      const got = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? la : lb).allow()));
      assert.equal(got.filter(Boolean).length, 3, k);
      const r = await la.reserve();
      assert.ok(r.ok() && r.delay() > 0);
      await r.cancel();
      const sw = redis.slidingWindow(b, k, { limit: 2, window: 60_000 });
      const fw = redis.fixedWindow(a, k, { limit: 2, window: 60_000 });
      assert.deepEqual(await Promise.all([sw.allow(), sw.allow(), sw.allow()]), [true, true, false]);
      assert.equal((await Promise.all([fw.allow(), fw.allow(), fw.allow()])).filter(Boolean).length, 2);
    }
  });

  test("Mutex: FIFO hand-off across two cluster clients (grants published on the key's master)", async () => {
    for (const k of keys) {
      const ma = new redis.Mutex(a, k);
      const mb = new redis.Mutex(b, k);
      const first = await ma.acquire(context.background());
      const order: string[] = [];
      const w1 = mb.acquire(context.background()).then(async (x) => (order.push("b"), mb.release(x)));
      while ((await a.zcard(`{${k}}:sem:q`)) < 1) await new Promise((r) => setImmediate(r));
      const w2 = ma.acquire(context.background()).then(async (x) => (order.push("a"), ma.release(x)));
      while ((await a.zcard(`{${k}}:sem:q`)) < 2) await new Promise((r) => setImmediate(r));
      await ma.release(first);
      await Promise.all([w1, w2]);
      assert.deepEqual(order, ["b", "a"], k);
      const s = new redis.Semaphore(b, `${k}s`, 2);
      const x = (await s.tryAcquire(2))!;
      assert.equal(await s.tryAcquire(1), undefined);
      await s.release(x);
    }
  });

  test("breakerStore and Group", async () => {
    const name = `${p}cb`;
    const x = new DistributedCircuitBreaker<number>(redis.breakerStore(a), { name, readyToTrip: (c) => c.consecutiveFailures >= 1 });
    const y = new DistributedCircuitBreaker<number>(redis.breakerStore(b), { name });
    await x.execute(() => Promise.reject(new Error("down"))).catch(() => undefined);
    assert.equal(await y.state(), "open");
    await a.del(`{gobreaker:${name}}:state`);
    const ga = new redis.Group<string>(a, `${p}g`);
    const gb = new redis.Group<string>(b, `${p}g`);
    let runs = 0;
    const fn = async (): Promise<string> => {
      runs++;
      await new Promise((r) => setTimeout(r, 50));
      return "v";
    };
    for (const k of ["x", "y", "z"]) {
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? ga : gb).do(k, fn)));
      assert.ok(got.every((r) => r.value === "v"));
    }
    assert.equal(runs, 3);
  });
});
