// redis.Semaphore and redis.Mutex on the shared standalone Redis: Go's weighted-semaphore rules across
// clients, FIFO hand-off by Redis, cancellation, leases, fencing tokens; real processes contending, and
// a holder SIGKILLed.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import * as context from "../../src/context/index.js";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { child, clients, prefix } from "./support.js";

const { url, skip } = redisUrl();
const worker = fileURLToPath(new URL("./fixtures/worker.js", import.meta.url));

/** Resolves once `n` waiters are queued on the semaphore `key` (they queue in Redis, not here). */
async function queued(c: Redis, key: string, n: number): Promise<void> {
  while ((await c.zcard(`{${key}}:sem:q`)) < n) await tick();
}

const FENCE = `local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

describe("redis.Semaphore and Mutex", { skip }, () => {
  const p = prefix();
  const cs = clients(url, 3, `{${p}`);
  let a: Redis;
  let b: Redis;
  let c: Redis;
  before(() => ([a, b, c] = cs as [Redis, Redis, Redis]));

  test("Mutex: one holder; tryAcquire does not wait; tokens grow; a double release throws", async () => {
    const ma = new redis.Mutex(a, `${p}mu`);
    const mb = new redis.Mutex(b, `${p}mu`);
    const x = await ma.acquire(context.background());
    assert.equal(await mb.tryAcquire(), undefined);
    assert.equal(await mb.valid(x), true, "any process can check a permit of the key");
    await ma.release(x);
    await assert.rejects(ma.release(x), { message: "redis: Mutex: release of a permit not held" });
    const y = (await mb.tryAcquire())!;
    assert.ok(y.token > x.token);
    assert.equal(await ma.valid(x), false, "the released token is refused");
    await mb.release(y);
  });

  test("FIFO hand-off across three clients, in order of arrival at Redis", async () => {
    const key = `${p}fifo`;
    const ms = [a, b, c].map((cl) => new redis.Mutex(cl, key));
    const first = await ms[0].acquire(context.background());
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    const arrival = [1, 2, 0, 2, 1];
    for (let i = 0; i < arrival.length; i++) {
      const m = ms[arrival[i]];
      waits.push(
        m.acquire(context.background()).then(async (pm) => {
          order.push(i);
          await m.release(pm);
        }),
      );
      await queued(a, key, i + 1);
    }
    await ms[0].release(first);
    await Promise.all(waits);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test("Semaphore: weights, and a large waiter is not starved by small ones (Go's rule)", async () => {
    const key = `${p}sem`;
    const sa = new redis.Semaphore(a, key, 3);
    const sb = new redis.Semaphore(b, key, 3);
    const two = await sa.acquire(context.background(), 2);
    const big = sb.acquire(context.background(), 3);
    await queued(a, key, 1);
    assert.equal(await sa.tryAcquire(1), undefined, "a waiter is queued: tryAcquire refuses even though 1 unit is free");
    const small = sa.acquire(context.background(), 1);
    await queued(a, key, 2);
    await sa.release(two);
    const got = await big;
    assert.equal(got.n, 3);
    await sb.release(got);
    await sa.release(await small);
    assert.equal((await sa.tryAcquire(3))?.n, 3);
  });

  test("cancellation leaves the queue and the semaphore unchanged; n > size waits for the context", async () => {
    const key = `${p}cancel`;
    const ma = new redis.Mutex(a, key);
    const mb = new redis.Mutex(b, key);
    const held = await ma.acquire(context.background());
    const [ctx, cancel] = context.withCancel(context.background());
    const w = mb.acquire(ctx);
    await queued(a, key, 1);
    const next = ma.acquire(context.background());
    await queued(a, key, 2);
    cancel();
    await assert.rejects(w, context.Canceled);
    await ma.release(held);
    const n = await next; // the cancelled waiter did not take the hand-off
    await ma.release(n);
    const [t, cancelT] = context.withTimeout(context.background(), 30);
    await assert.rejects(new redis.Semaphore(a, `${p}big`, 2).acquire(t, 3), context.DeadlineExceeded);
    cancelT();
  });

  test("a held lease is renewed past its ttl; the holder keeps it", async () => {
    const key = `${p}renew`;
    const ma = new redis.Mutex(a, key, { ttl: 300 });
    const mb = new redis.Mutex(b, key, { ttl: 300 });
    const x = await ma.acquire(context.background());
    await new Promise((r) => setTimeout(r, 900)); // three ttls: the renewals must keep it
    assert.equal(await mb.tryAcquire(), undefined);
    assert.equal(await ma.valid(x), true);
    await ma.release(x);
  });

  test("4 processes × 50 acquisitions: never two holders (fencing tokens at a shared counter), FIFO by arrival", async () => {
    const key = `${p}procs`;
    const kids = Array.from({ length: 4 }, () => child(worker, ["mutex", url!, key, "50", "5"]));
    await Promise.all(kids.map((k) => k.line(/^ready$/)));
    for (const k of kids) k.p.stdin.write("go\n");
    const out = (await Promise.all(kids.map((k) => k.line(/^\{/)))).map(
      (l) => JSON.parse(l) as { n: number; refused: number; grants: [number, number][] },
    );
    assert.equal(out.reduce((s, o) => s + o.n, 0), 200);
    assert.equal(out.reduce((s, o) => s + o.refused, 0), 0, "a token was not larger than the one before it");
    const grants = out.flatMap((o) => o.grants).sort((x, y) => x[0] - y[0]);
    assert.equal(new Set(grants.map((g) => g[0])).size, 200, "tokens are unique");
    for (let i = 1; i < grants.length; i++) {
      assert.ok(grants[i][1] >= grants[i - 1][1] - 1, `grant ${i} arrived ${grants[i - 1][1] - grants[i][1]} ms before the one served ahead of it`);
    }
    await Promise.all(kids.map((k) => k.exit));
  });

  test("a holder SIGKILLed: the lock is free after its lease, and its fencing token is refused afterwards", async () => {
    const key = `${p}killed`;
    const ttl = 400;
    const h = child(worker, ["holder", url!, key, String(ttl)]);
    const { token } = JSON.parse(await h.line(/^\{/)) as { token: number };
    const fence = `{${key}}:fence-check`;
    a.defineCommand("fenceCheckT", { numberOfKeys: 1, lua: FENCE });
    const check = (t: number): Promise<number> => (a as unknown as { fenceCheckT(k: string, t: number): Promise<number> }).fenceCheckT(fence, t);
    assert.equal(await check(token), 1, "the live holder writes");
    h.p.kill("SIGKILL");
    await h.exit;
    const killed = Date.now();
    const mu = new redis.Mutex(a, key, { ttl });
    const x = await mu.acquire(context.background());
    const waited = Date.now() - killed;
    assert.ok(waited <= ttl + ttl / 3 + 1000, `free within the lease (+ one renewal period): ${waited} ms`);
    assert.ok(x.token > token);
    assert.equal(await check(x.token), 1, "the new holder writes");
    assert.equal(await check(token), 0, "the dead holder's token is refused");
    assert.equal(await a.hlen(`{${key}}:sem:h`), 1, "only the new holder is recorded");
    await mu.release(x);
  });
});
