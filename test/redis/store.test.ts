// redis.store against a real Redis (REDIS_URL): TTLs, invalidation over pub/sub, leases with fencing,
// and the cross-process stampede (4 real Node processes, 1 loader call in total).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import * as context from "../../src/context/index.js";
import { Cache } from "../../src/cache/index.js";
import * as redis from "../../src/redis/index.js";
import * as time from "../../src/time/index.js";
import { redisUrl } from "../support/services.js";
import { child, cleanup, prefix } from "./support.js";

const { url, skip } = redisUrl();
const stampede = fileURLToPath(new URL("../cache/fixtures/stampede.js", import.meta.url));

describe("redis.store", { skip }, () => {
  let client: Redis;
  const p = prefix();
  before(() => {
    client = new Redis(url!);
  });
  after(async () => {
    await cleanup(client, p);
    client.disconnect();
  });

  test("set/get/delete with the TTL in Redis (PX), negative entries, values as JSON", async () => {
    const s = redis.store<{ n: number }>(client, { prefix: p });
    await s.set("a", { n: 1 }, 5000);
    const hit = await s.get("a");
    assert.deepEqual(hit?.value, { n: 1 });
    assert.ok(hit.ttl > 4000 && hit.ttl <= 5000);
    const pttl = await client.pttl(`${p}{a}`);
    assert.ok(pttl > 4000 && pttl <= 5000, `PTTL ${pttl}`);
    await s.set("none", undefined, 5000);
    const neg = await s.get("none");
    assert.ok(neg !== undefined && neg.value === undefined, "a negative entry is a hit with no value");
    await s.delete("a");
    assert.equal(await s.get("a"), undefined);
    await s.close?.();
  });

  test("invalidation is published: another process's in-process copy is dropped", async () => {
    const other = new Redis(url!);
    const sa = redis.store<string>(client, { prefix: p });
    const sb = redis.store<string>(other, { prefix: p });
    const a = new Cache<string, string>({ ttl: 60_000, store: sa });
    const b = new Cache<string, string>({ ttl: 60_000, store: sb });
    await a.set("k", "1");
    assert.equal(await b.get("k"), "1");
    const seen = new Promise<void>((resolve) => {
      const off = sb.subscribe!((key) => key === "k" && (off(), resolve()));
    });
    await time.sleep(0);
    await a.set("k", "2");
    await seen;
    assert.equal(await b.get("k"), "2", "b read the new value, not its stale copy");
    await a.close();
    await b.close();
    await sa.close?.();
    await sb.close?.();
    other.disconnect();
  });

  test("lease: 4 caches on 4 connections, 10,000 concurrent gets of a cold key → 1 loader call", async () => {
    const clients = [0, 1, 2, 3].map(() => new Redis(url!));
    const stores = clients.map((c) => redis.store<string>(c, { prefix: p }));
    let calls = 0;
    const caches = stores.map(
      (store) =>
        new Cache<string, string>({
          ttl: 60_000,
          store,
          lease: { ttl: 5000 },
          load: async (k) => {
            calls++;
            await time.sleep(50);
            return `v:${k}`;
          },
        }),
    );
    const got = await Promise.all(Array.from({ length: 10_000 }, (_, i) => caches[i % 4].get("cold")));
    assert.equal(calls, 1);
    assert.ok(got.every((v) => v === "v:cold"));
    for (const c of caches) await c.close();
    for (const s of stores) await s.close?.();
    for (const c of clients) c.disconnect();
  });

  test("a dead lease holder loses the lease after its ttl; its late write is fenced off", async () => {
    const s = redis.store<string>(client, { prefix: p });
    const dead = await s.lease!("d", 300, context.background());
    assert.ok(dead !== undefined);
    let calls = 0;
    const c = new Cache<string, string>({
      ttl: 60_000,
      store: s,
      lease: { ttl: 300 },
      load: async () => {
        calls++;
        return "fresh";
      },
    });
    assert.equal(await c.get("d"), "fresh");
    assert.equal(calls, 1);
    await s.set("d", "zombie", 60_000, { lease: dead });
    assert.equal((await s.get("d"))?.value, "fresh", "the expired holder's token no longer writes");
    await c.close();
    await s.close?.();
  });

  test("a loader's error releases the lease, reaches the callers and is not cached", async () => {
    const s = redis.store<string>(client, { prefix: p });
    let fail = true;
    const c = new Cache<string, string>({
      ttl: 60_000,
      store: s,
      lease: { ttl: 5000 },
      load: async () => {
        if (fail) throw new Error("db down");
        return "ok";
      },
    });
    const rs = await Promise.allSettled([c.get("e"), c.get("e")]);
    assert.ok(rs.every((r) => r.status === "rejected" && (r.reason as Error).message === "db down"));
    assert.equal(await client.exists(`${p}{e}:lease`), 0, "lease released");
    fail = false;
    assert.equal(await c.get("e"), "ok");
    await c.close();
    await s.close?.();
  });

  test("bad input: a client that is not ioredis", () => {
    assert.throws(() => redis.store({} as unknown as Redis), TypeError);
  });

  test("4 real processes sharing Redis with lease: 4 × 2,500 concurrent gets → 1 loader call in total", async () => {
    const q = prefix();
    const kids = [0, 1, 2, 3].map(() => child(stampede, [url!, q, "2500"]));
    await Promise.all(kids.map((k) => k.line(/^ready$/)));
    for (const k of kids) k.p.stdin.write("go\n");
    const results = await Promise.all(kids.map((k) => k.line(/^\{/)));
    await Promise.all(kids.map((k) => k.exit));
    for (const r of results) assert.deepEqual(JSON.parse(r), { gets: 2500, ok: true });
    assert.equal(await client.get(`${q}loads`), "1");
    await cleanup(client, q);
  });
});
