// redis.store and redis.writeLog on the Redis Cluster (REDIS_CLUSTER_NODES): every script's keys are
// hash-tagged into one slot, and pub/sub reaches the other node's subscribers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { Cache } from "../../src/cache/index.js";
import * as redis from "../../src/redis/index.js";
import * as time from "../../src/time/index.js";
import { redisCluster } from "../support/services.js";
import { prefix } from "./support.js";

const { nodes, skip } = redisCluster();

describe("redis.store and writeLog on Redis Cluster", { skip }, () => {
  let a: Cluster;
  let b: Cluster;
  const p = prefix();
  before(() => {
    a = new Cluster(nodes!);
    b = new Cluster(nodes!);
  });
  after(() => {
    a.disconnect();
    b.disconnect();
  });

  test("lease across two cluster clients: 2,000 concurrent gets of many keys, one load per key; invalidation crosses", async () => {
    const sa = redis.store<string>(a, { prefix: p });
    const sb = redis.store<string>(b, { prefix: p });
    const loads = new Map<string, number>();
    const load = async (k: string): Promise<string> => {
      loads.set(k, (loads.get(k) ?? 0) + 1);
      await time.sleep(20);
      return `v:${k}`;
    };
    const ca = new Cache<string, string>({ ttl: 60_000, store: sa, lease: { ttl: 5000 }, load });
    const cb = new Cache<string, string>({ ttl: 60_000, store: sb, lease: { ttl: 5000 }, load });
    const keys = Array.from({ length: 20 }, (_, i) => `key${i}`); // spread over the 3 masters' slots
    const got = await Promise.all(Array.from({ length: 2000 }, (_, i) => (i % 2 ? ca : cb).get(keys[i % 20])));
    assert.ok(got.every((v, i) => v === `v:${keys[i % 20]}`));
    assert.deepEqual([...loads.values()], keys.map(() => 1));
    const seen = new Promise<void>((resolve) => {
      const off = sb.subscribe!((key) => key === "key3" && (off(), resolve()));
    });
    await ca.set("key3", "new");
    await seen;
    assert.equal(await cb.get("key3"), "new");
    for (const k of keys) await ca.delete(k);
    await ca.close();
    await cb.close();
    await sa.close?.();
    await sb.close?.();
  });

  test("writeLog on a cluster: appended writes are flushed in order and the stream drained", async () => {
    const rows = new Map<string, number>();
    const c = new Cache<string, number>({
      ttl: 60_000,
      writePolicy: "behind",
      writeBehind: { maxBatch: 20, maxDelay: 5, durable: redis.writeLog(a, `${p}wl`) },
      writeMany: async (es) => {
        for (const [k, v] of es) {
          assert.ok((rows.get(k) ?? -1) < v, "per-key order");
          rows.set(k, v);
        }
        await Promise.resolve();
      },
    });
    for (let i = 0; i < 200; i++) await c.set(`k${i % 9}`, i);
    await c.flush();
    assert.equal(rows.get("k0"), 198);
    await c.close();
    assert.equal(await a.xlen(`{${p}wl}`), 0);
    await a.del(`{${p}wl}`);
  });
});
