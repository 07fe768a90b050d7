// Faults for the coordination primitives, on a private redis-server started by this test: SCRIPT FLUSH
// (NOSCRIPT recovered by reloading), a restart mid-run, and the connection cut (the server stopped with
// SIGSTOP: connected, never answering; then killed: refused) — a clear error within the configured
// timeout, never a hang, with the limiter's and the breaker store's fail-open/fail-closed choice honoured.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import * as context from "../../src/context/index.js";
import { DistributedCircuitBreaker } from "../../src/breaker/index.js";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { freePort, startServer } from "./support.js";

const { skip } = redisUrl();
const T = 200; // the primitives' timeout in these tests

/** How long `p` takes to settle, and how. */
async function timing<V>(p: Promise<V>): Promise<{ ms: number; value?: V; error?: unknown }> {
  const s = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - s, value };
  } catch (error) {
    return { ms: performance.now() - s, error };
  }
}

describe("redis coordination: faults on a private server", { skip }, () => {
  let port: number;
  let server: ChildProcess;
  let client: Redis;
  before(async () => {
    port = await freePort();
    server = await startServer(port);
    client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: null });
  });
  after(() => {
    client.disconnect();
    server.kill("SIGKILL");
  });

  const restart = async (): Promise<void> => {
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    server = await startServer(port);
  };

  test("SCRIPT FLUSH: limiter, windows, mutex, breaker store and group reload their scripts", async () => {
    const lim = new redis.Limiter(client, "f-lim", 10, 5);
    const sw = redis.slidingWindow(client, "f-sw", { limit: 5, window: 1000 });
    const mu = new redis.Mutex(client, "f-mu");
    const g = new redis.Group<number>(client, "f-g");
    const cb = new DistributedCircuitBreaker<number>(redis.breakerStore(client), { name: "f-cb" });
    assert.equal(await lim.allow(), true);
    const p1 = await mu.acquire(context.background());
    await mu.release(p1);
    await client.script("FLUSH");
    assert.equal(await lim.allow(), true);
    assert.equal(await sw.allow(), true);
    const p2 = await mu.acquire(context.background());
    assert.ok(p2.token > p1.token);
    await mu.release(p2);
    assert.equal(await cb.execute(() => 7), 7);
    assert.deepEqual(await g.do("k", () => 1), { value: 1, shared: false });
  });

  test("a restart mid-run: the limiter carries on (an empty server is a full bucket); a held lease is lost and says so", async () => {
    const lim = new redis.Limiter(client, "r-lim", 1, 2, { timeout: 3000 });
    const mu = new redis.Mutex(client, "r-mu", { ttl: 300, timeout: 3000 });
    assert.equal(await lim.allowN(new Date(), 2), true);
    assert.equal(await lim.allow(), false);
    const held = await mu.acquire(context.background());
    const lost = new Promise<unknown>((r) => held.signal.addEventListener("abort", () => r(held.signal.reason), { once: true }));
    await restart();
    assert.equal(await lim.allow(), true, "queued by ioredis until it reconnected, then a full bucket");
    assert.ok((await lost) instanceof redis.LeaseLostError, "the renewal found the session gone");
    await assert.rejects(mu.release(held), redis.LeaseLostError);
    const again = await mu.acquire(context.background());
    await mu.release(again);
  });

  test("connection cut (server stopped): every call fails within its timeout; fail-open admits", async () => {
    const closed = new redis.Limiter(client, "c-lim", 10, 5, { timeout: T });
    const errors: unknown[] = [];
    const open = new redis.Limiter(client, "c-lim", 10, 5, { timeout: T, failMode: "open", onError: (e) => errors.push(e) });
    const fw = redis.fixedWindow(client, "c-fw", { limit: 5, window: 1000, timeout: T });
    const mu = new redis.Mutex(client, "c-mu", { timeout: T, ttl: 3 * T });
    const g = new redis.Group<number>(client, "c-g", { timeout: T });
    let downstream = 0;
    const cbClosed = new DistributedCircuitBreaker<number>(redis.breakerStore(client, { timeout: T }), { name: "c-cb1" });
    const cbOpen = new DistributedCircuitBreaker<number>(redis.breakerStore(client, { timeout: T, failMode: "open" }), { name: "c-cb2" });
    // a waiter queued behind a holder when the server stops
    const held = await mu.acquire(context.background());
    const mu2 = new redis.Mutex(client, "c-mu", { timeout: T, ttl: 3 * T });
    const waiting = timing(mu2.acquire(context.background()));
    while ((await client.zcard("{c-mu}:sem:q")) < 1) await new Promise((r) => setImmediate(r));
    server.kill("SIGSTOP");
    try {
      const results = await Promise.all([
        timing(closed.allow()),
        timing(closed.wait(context.background())),
        timing(fw.allow()),
        timing(mu.tryAcquire()),
        timing(mu.acquire(context.background())),
        timing(g.do("k", () => 1)),
        timing(cbClosed.execute(() => ++downstream)),
      ]);
      for (const r of results) {
        assert.ok(r.error instanceof redis.UnavailableError, `a clear error: ${String(r.error)}`);
        assert.ok(r.ms < T + 400, `within the timeout: ${r.ms.toFixed(0)} ms`);
      }
      assert.equal(downstream, 0, "fail-closed breaker: fn is not called");
      const w = await waiting;
      assert.ok(w.error instanceof redis.UnavailableError, "the queued waiter fails at its next renewal");
      assert.ok(w.ms < 3 * T + T + 800, `the waiter gave up within a renewal period + timeout: ${w.ms.toFixed(0)} ms`);
      const o = await timing(open.allow());
      assert.equal(o.value, true, "fail-open admits");
      assert.ok(o.ms < T + 400);
      assert.ok(errors[0] instanceof redis.UnavailableError, "and reports the error");
      assert.equal((await timing(cbOpen.execute(() => ++downstream))).value, 1, "fail-open breaker: a per-process breaker lets it through");
      void held;
    } finally {
      server.kill("SIGCONT");
    }
    // back: everything works again
    assert.equal(await closed.allow(), true);
    await client.del("{c-mu}:sem", "{c-mu}:sem:q", "{c-mu}:sem:w", "{c-mu}:sem:h", "{c-mu}:sem:s");
  });

  test("connection refused (server killed): the limiter fails within its timeout, never hangs", async () => {
    const lim = new redis.Limiter(client, "k-lim", 10, 5, { timeout: T });
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    const r = await timing(lim.allow());
    assert.ok(r.error instanceof redis.UnavailableError);
    assert.ok(r.ms < T + 400, `within the timeout: ${r.ms.toFixed(0)} ms`);
    server = await startServer(port);
    assert.equal(await new redis.Limiter(client, "k-lim", 10, 5, { timeout: 3000 }).allow(), true);
  });
});
