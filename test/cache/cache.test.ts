// Unit tests of goroutine/cache, in synctest virtual time, with the in-memory store.
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import * as context from "../../src/context/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import { Cache, memoryStore } from "../../src/cache/index.js";

/** A loader that takes `ms` of virtual time and counts its calls; `fail` makes the next calls reject. */
function slowLoader(ms: number, value: (k: string, n: number) => string = (k, n) => `${k}#${n}`) {
  const s = {
    calls: 0,
    fail: false,
    load: async (key: string): Promise<string | undefined> => {
      const n = ++s.calls;
      await time.sleep(ms);
      if (s.fail) throw new Error(`db down (${key})`);
      return value(key, n);
    },
  };
  return s;
}

describe("cache: read strategies", () => {
  test("cold-key stampede: 10,000 concurrent gets, 50 ms loader → 1 call, every caller gets the value", () =>
    synctest.test(async () => {
      const l = slowLoader(50);
      const c = new Cache<string, string>({ ttl: 1000, load: l.load });
      const start = time.now();
      const got = await Promise.all(Array.from({ length: 10_000 }, () => c.get("hot")));
      assert.equal(l.calls, 1);
      assert.ok(got.every((v) => v === "hot#1"));
      assert.equal(time.since(start), 50);
      assert.deepEqual(
        { hits: c.stats().hits, misses: c.stats().misses, loads: c.stats().loads },
        { hits: 0, misses: 10_000, loads: 1 },
      );
      assert.equal(await c.get("hot"), "hot#1");
      assert.equal(c.stats().hits, 1);
      await c.close();
    }));

  test("getOrSet is cache-aside: the per-call loader, shared by concurrent callers", () =>
    synctest.test(async () => {
      const c = new Cache<number, string>({ ttl: 1000 });
      let calls = 0;
      const loader = async (k: number): Promise<string> => {
        calls++;
        await time.sleep(10);
        return `row ${k}`;
      };
      const rs = await Promise.all([c.getOrSet(1, loader), c.getOrSet(1, loader), c.getOrSet(2, loader)]);
      assert.deepEqual(rs, ["row 1", "row 1", "row 2"]);
      assert.equal(calls, 2);
      assert.equal(await c.get(1), "row 1", "the value was cached");
      assert.equal(await (c as unknown as Cache<string, string>).get("1"), undefined, "string and number keys are distinct in process");
      await c.close();
    }));

  test("ttl: a value expires after ttl and is loaded again", () =>
    synctest.test(async () => {
      const l = slowLoader(0);
      const c = new Cache<string, string>({ ttl: 1000, load: l.load });
      assert.equal(await c.get("k"), "k#1");
      await time.sleep(999);
      assert.equal(await c.get("k"), "k#1");
      await time.sleep(1);
      assert.equal(await c.get("k"), "k#2");
      await c.close();
    }));

  test("a loader's error reaches every waiter and is not cached", () =>
    synctest.test(async () => {
      const l = slowLoader(20);
      l.fail = true;
      const c = new Cache<string, string>({ ttl: 1000, load: l.load });
      const rs = await Promise.allSettled([c.get("k"), c.get("k"), c.get("k")]);
      assert.equal(l.calls, 1);
      const errs = rs.map((r) => (r.status === "rejected" ? (r.reason as Error) : undefined));
      assert.ok(errs.every((e) => e?.message === "db down (k)"));
      assert.ok(errs[0] === errs[1] && errs[1] === errs[2], "the same error object");
      l.fail = false;
      assert.equal(await c.get("k"), "k#2", "the error was not cached");
      assert.equal(c.stats().errors, 1);
      await c.close();
    }));

  test("a caller whose signal aborts or ctx ends stops waiting; the load goes on for the others", () =>
    synctest.test(async () => {
      const l = slowLoader(100);
      const c = new Cache<string, string>({ ttl: 1000, load: l.load });
      const ac = new AbortController();
      const [ctx, cancel] = context.withTimeout(context.background(), 30);
      const leaver = c.get("k", { signal: ac.signal });
      const timedOut = c.get("k", { ctx });
      const stayer = c.get("k");
      const start = time.now();
      ac.abort(new Error("user left"));
      await assert.rejects(leaver, /user left/);
      await assert.rejects(timedOut, (e) => e === context.DeadlineExceeded);
      assert.equal(time.since(start), 30);
      assert.equal(await stayer, "k#1");
      assert.equal(time.since(start), 100);
      assert.equal(l.calls, 1);
      cancel();
      await c.close();
    }));

  test("refresh-ahead under steady load (ttl 1 s, f 0.8): no request waits for a load after the first", () =>
    synctest.test(async () => {
      const l = slowLoader(50);
      const c = new Cache<string, string>({ ttl: 1000, refreshAhead: 0.8, load: l.load });
      let waited = 0;
      let first = true;
      // 10 virtual seconds, a request every 10 ms
      for (let i = 0; i < 1000; i++) {
        const t0 = time.now();
        const v = await c.get("k");
        assert.ok(v?.startsWith("k#"));
        if (!first && time.since(t0) > 0) waited++;
        first = false;
        await time.sleep(10);
      }
      assert.equal(waited, 0);
      assert.ok(l.calls >= 10 && l.calls <= 14, `about one refresh per 0.8 s, got ${l.calls} loads`);
      assert.equal(c.stats().misses, 1);
      await c.close();
    }));

  test("staleTtl: a stale value is served while one refresh runs, and while the loader fails", () =>
    synctest.test(async () => {
      const l = slowLoader(50);
      const c = new Cache<string, string>({ ttl: 1000, staleTtl: 5000, load: l.load });
      assert.equal(await c.get("k"), "k#1");
      await time.sleep(1000);
      const t0 = time.now();
      assert.deepEqual(await Promise.all([c.get("k"), c.get("k")]), ["k#1", "k#1"]);
      assert.equal(time.since(t0), 0, "stale served at once");
      await time.sleep(51);
      assert.equal(await c.get("k"), "k#2", "the one refresh replaced it");
      assert.equal(l.calls, 2);
      l.fail = true;
      await time.sleep(1000);
      assert.equal(await c.get("k"), "k#2", "stale while the refresh fails");
      await time.sleep(100);
      assert.equal(await c.get("k"), "k#2");
      assert.ok(c.stats().errors >= 1);
      await time.sleep(6000);
      await assert.rejects(c.get("k"), /db down/, "after staleTtl the error reaches the caller");
      await c.close();
    }));

  test("negativeTtl caches absence; without it absence is not cached", () =>
    synctest.test(async () => {
      let calls = 0;
      const load = async (): Promise<string | undefined> => {
        calls++;
        await time.sleep(1);
        return undefined;
      };
      const neg = new Cache<string, string>({ ttl: 1000, negativeTtl: 200, load });
      assert.equal(await neg.get("x"), undefined);
      assert.equal(await neg.get("x"), undefined);
      assert.equal(calls, 1);
      await time.sleep(200);
      await neg.get("x");
      assert.equal(calls, 2);
      const plain = new Cache<string, string>({ ttl: 1000, load });
      await plain.get("x");
      await plain.get("x");
      assert.equal(calls, 4);
      await neg.close();
      await plain.close();
    }));

  test("max bounds the in-process tier (least recently used goes first)", () =>
    synctest.test(async () => {
      const l = slowLoader(0);
      const c = new Cache<string, string>({ ttl: 10_000, max: 2, load: l.load });
      await c.get("a");
      await c.get("b");
      await c.get("a");
      await c.get("c"); // evicts b
      assert.equal(l.calls, 3);
      await c.get("a");
      assert.equal(l.calls, 3);
      await c.get("b");
      assert.equal(l.calls, 4);
      await c.close();
    }));
});

describe("cache: write policies", () => {
  function db() {
    const rows = new Map<string, string>();
    const log: string[] = [];
    return {
      rows,
      log,
      write: async (k: string, v: string) => {
        await time.sleep(5);
        rows.set(k, v);
        log.push(`w ${k}=${v}`);
      },
      remove: async (k: string) => {
        await time.sleep(5);
        rows.delete(k);
        log.push(`d ${k}`);
      },
    };
  }

  test("through: set writes the database, then the cache", () =>
    synctest.test(async () => {
      const d = db();
      const c = new Cache<string, string>({ ttl: 1000, writePolicy: "through", write: d.write, load: async (k) => d.rows.get(k) });
      await c.set("a", "1");
      assert.equal(d.rows.get("a"), "1");
      d.rows.set("a", "changed behind the cache's back");
      assert.equal(await c.get("a"), "1", "served from the cache");
      await c.close();
    }));

  test("through: a failed database write leaves the cache unchanged and rejects", () =>
    synctest.test(async () => {
      const c = new Cache<string, string>({
        ttl: 1000,
        writePolicy: "through",
        write: () => Promise.reject(new Error("constraint")),
      });
      await assert.rejects(c.set("a", "1"), /constraint/);
      assert.equal(await c.get("a"), undefined);
      await c.close();
    }));

  test("around: set writes the database and invalidates the cache", () =>
    synctest.test(async () => {
      const d = db();
      const c = new Cache<string, string>({ ttl: 1000, writePolicy: "around", write: d.write, load: async (k) => d.rows.get(k) });
      d.rows.set("a", "0");
      assert.equal(await c.get("a"), "0");
      await c.set("a", "1");
      assert.equal(await c.get("a"), "1", "re-read from the database");
      assert.equal(c.stats().loads, 2);
      await c.close();
    }));

  test("behind: coalesced per key (last value wins), flushed at maxDelay", () =>
    synctest.test(async () => {
      const batches: [string, string][][] = [];
      const c = new Cache<string, string>({
        ttl: 10_000,
        writePolicy: "behind",
        writeBehind: { maxBatch: 100, maxDelay: 200 },
        writeMany: async (es) => {
          batches.push(es);
          await time.sleep(1);
        },
      });
      const t0 = time.now();
      for (let i = 0; i < 10; i++) await c.set(`k${i % 3}`, `v${i}`);
      assert.equal(await c.get("k0"), "v9", "the cache has the write at once");
      assert.equal(c.stats().pendingWrites, 3);
      await time.sleep(199);
      assert.equal(batches.length, 0);
      await time.sleep(10);
      assert.deepEqual(batches, [[["k1", "v7"], ["k2", "v8"], ["k0", "v9"]]]);
      assert.ok(time.since(t0) >= 200);
      assert.equal(c.stats().pendingWrites, 0);
      await c.close();
    }));

  test("behind: flushed at maxBatch without waiting for maxDelay", () =>
    synctest.test(async () => {
      const sizes: number[] = [];
      const c = new Cache<number, number>({
        ttl: 10_000,
        writePolicy: "behind",
        writeBehind: { maxBatch: 10, maxDelay: 60_000 },
        writeMany: async (es) => {
          sizes.push(es.length);
          await time.sleep(1);
        },
      });
      for (let i = 0; i < 25; i++) await c.set(i, i);
      await synctest.wait();
      await time.sleep(2);
      assert.deepEqual(sizes.slice(0, 2), [10, 10]);
      const t0 = time.now();
      await c.flush();
      assert.deepEqual(sizes, [10, 10, 5]);
      assert.ok(time.since(t0) < 60_000, "flush does not wait for maxDelay");
      await c.close();
    }));

  test("behind: failed batches are retried with backoff, keeping per-key order; close drains", () =>
    synctest.test(async () => {
      const d = db();
      let failures = 2;
      const c = new Cache<string, string>({
        ttl: 10_000,
        writePolicy: "behind",
        writeBehind: { maxBatch: 1, maxDelay: 0 },
        write: async (k, v) => {
          if (failures > 0) {
            failures--;
            throw new Error("db busy");
          }
          await d.write(k, v);
        },
      });
      await c.set("a", "1");
      await synctest.wait(); // the batch ["a","1"] is in flight (retrying)
      await c.set("a", "2");
      await c.set("b", "3");
      await c.close();
      assert.deepEqual(d.log, ["w a=1", "w a=2", "w b=3"]);
      assert.equal(c.stats().errors, 2);
      await assert.rejects(c.set("a", "4"), /closed/);
    }));

  test("behind: retries back off exponentially (100, 200, 400 ms …)", () =>
    synctest.test(async () => {
      const at: number[] = [];
      const t0 = time.now().getTime();
      const c = new Cache<string, string>({
        ttl: 10_000,
        writePolicy: "behind",
        writeBehind: { maxBatch: 1 },
        writeMany: async () => {
          at.push(time.now().getTime() - t0);
          if (at.length < 4) throw new Error("db busy");
          await Promise.resolve();
        },
      });
      await c.set("a", "1");
      await c.flush();
      assert.deepEqual(at, [0, 100, 300, 700]);
      await c.close();
    }));

  test("behind with write only: a batch's entries written in parallel through errgroup", () =>
    synctest.test(async () => {
      const d = db();
      const c = new Cache<string, string>({ ttl: 10_000, writePolicy: "behind", writeBehind: { maxBatch: 3 }, write: d.write });
      const t0 = time.now();
      await c.set("a", "1");
      await c.set("b", "2");
      await c.set("c", "3");
      await c.flush();
      assert.equal(time.since(t0), 5, "three 5 ms writes in parallel");
      assert.equal(d.rows.size, 3);
      await c.close();
    }));

  test("delete removes from the tiers and the database, and drops a queued write", () =>
    synctest.test(async () => {
      const d = db();
      const c = new Cache<string, string>({ ttl: 10_000, writePolicy: "behind", write: d.write, remove: d.remove });
      await c.set("a", "1");
      await c.delete("a");
      await c.close();
      assert.deepEqual(d.log, ["d a"]);
      assert.equal(await c.get("a").catch(() => "closed"), "closed");
    }));
});

describe("cache: shared store and lease", () => {
  test("four 'processes' sharing a store with lease: 10,000 concurrent gets, 1 loader call in total", () =>
    synctest.test(async () => {
      const store = memoryStore<string>();
      const l = slowLoader(50);
      const caches = [0, 1, 2, 3].map(() => new Cache<string, string>({ ttl: 1000, store, lease: { ttl: 5000 }, load: l.load }));
      const got = await Promise.all(Array.from({ length: 10_000 }, (_, i) => caches[i % 4].get("hot")));
      assert.equal(l.calls, 1);
      assert.ok(got.every((v) => v === "hot#1"));
      for (const c of caches) await c.close();
    }));

  test("a dead lease holder loses the lease after its ttl; a waiter then loads", () =>
    synctest.test(async () => {
      const store = memoryStore<string>();
      const dead = await store.lease!("k", 300, context.background()); // a holder that never fills
      assert.ok(dead !== undefined);
      const l = slowLoader(10);
      const c = new Cache<string, string>({ ttl: 1000, store, lease: { ttl: 300 }, load: l.load });
      const t0 = time.now();
      assert.equal(await c.get("k"), "k#1");
      assert.equal(time.since(t0), 310);
      await store.set("k", "stale holder", 1000, { lease: dead });
      assert.equal((await store.get("k"))?.value, "k#1", "the fenced-off holder's write is refused");
      await c.close();
    }));

  test("invalidation reaches the other instances sharing the store", () =>
    synctest.test(async () => {
      const store = memoryStore<string>();
      const a = new Cache<string, string>({ ttl: 10_000, store });
      const b = new Cache<string, string>({ ttl: 10_000, store });
      await a.set("k", "1");
      assert.equal(await b.get("k"), "1");
      await a.set("k", "2");
      assert.equal(await b.get("k"), "2", "b's in-process copy was invalidated");
      await a.delete("k");
      assert.equal(await b.get("k"), undefined);
      await a.close();
      await b.close();
    }));
});

describe("cache: bad input", () => {
  const table: [string, () => unknown, RegExp, ErrorConstructor][] = [
    ["ttl 0", () => new Cache({ ttl: 0 }), /ttl must be a positive/, RangeError],
    ["ttl negative", () => new Cache({ ttl: -1 }), /ttl/, RangeError],
    ["ttl NaN", () => new Cache({ ttl: NaN }), /ttl/, RangeError],
    ["refreshAhead 0", () => new Cache({ ttl: 1, refreshAhead: 0 }), /refreshAhead must be a factor in \(0, 1\)/, RangeError],
    ["refreshAhead 1", () => new Cache({ ttl: 1, refreshAhead: 1 }), /refreshAhead/, RangeError],
    ["refreshAhead NaN", () => new Cache({ ttl: 1, refreshAhead: NaN }), /refreshAhead/, RangeError],
    ["staleTtl negative", () => new Cache({ ttl: 1, staleTtl: -5 }), /staleTtl/, RangeError],
    ["max 0", () => new Cache({ ttl: 1, max: 0 }), /max/, RangeError],
    ["behind without write", () => new Cache({ ttl: 1, writePolicy: "behind" }), /needs write/, TypeError],
    ["unknown policy", () => new Cache({ ttl: 1, writePolicy: "sideways" as "aside" }), /writePolicy/, RangeError],
    ["load not a function", () => new Cache({ ttl: 1, load: 5 as unknown as () => Promise<undefined> }), /load must be a function/, TypeError],
    ["lease without a leasing store", () => new Cache({ ttl: 1, lease: { ttl: 1 } }), /lease needs a store/, TypeError],
  ];
  for (const [name, fn, re, cls] of table) {
    test(name, () => {
      assert.throws(fn, (e: unknown) => e instanceof cls && re.test((e).message));
    });
  }

  test("keys that are not strings or numbers: TypeError", async () => {
    const c = new Cache<string, string>({ ttl: 1000 });
    for (const k of [undefined, null, {}, Symbol("s"), 1n]) {
      assert.throws(() => c.get(k as string), (e) => e instanceof TypeError && /key must be a string or a number/.test((e).message));
    }
    await assert.rejects(c.set({} as unknown as string, "v"), TypeError);
    await c.close();
  });

  test("a loader that returns a non-promise value: TypeError to every caller, not cached", () =>
    synctest.test(async () => {
      const c = new Cache<string, string>({ ttl: 1000, load: (() => "sync") as unknown as () => Promise<string> });
      const rs = await Promise.allSettled([c.get("k"), c.get("k")]);
      for (const r of rs) {
        assert.equal(r.status, "rejected");
        assert.ok(r.reason instanceof TypeError && /loader must return a promise, got string/.test(r.reason.message));
      }
      await c.close();
    }));

  test("getOrSet with a non-function loader: TypeError", async () => {
    const c = new Cache<string, string>({ ttl: 1000 });
    assert.throws(() => c.getOrSet("k", "nope" as unknown as () => Promise<string>), TypeError);
    await c.close();
  });
});



