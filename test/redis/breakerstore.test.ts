// redis.breakerStore under goroutine/breaker's DistributedCircuitBreaker: one breaker across clients and
// across real processes — at half-open exactly maxRequests calls reach the downstream.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { DistributedCircuitBreaker } from "../../src/breaker/index.js";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { child, clients, prefix } from "./support.js";

const { url, skip } = redisUrl();
const worker = fileURLToPath(new URL("./fixtures/worker.js", import.meta.url));

/** Writes gobreaker's shared state for `name`: half-open (state 1), generation 1, no counts. */
async function halfOpen(c: Redis, name: string): Promise<void> {
  const zero = { Requests: 0, TotalSuccesses: 0, TotalFailures: 0, TotalExclusions: 0, ConsecutiveSuccesses: 0, ConsecutiveFailures: 0 };
  const st = { state: 1, generation: 1, age: 0, counts: zero, buckets: null, start: "0001-01-01T00:00:00Z", expiry: "0001-01-01T00:00:00Z" };
  await c.set(`{gobreaker:${name}}:state`, JSON.stringify(st));
}

describe("redis.breakerStore", { skip }, () => {
  const p = prefix();
  const cs = clients(url, 2, `{gobreaker:${p}`);
  let a: Redis;
  let b: Redis;
  before(() => ([a, b] = cs as [Redis, Redis]));

  test("two clients share one breaker: a trip in one is seen by the other", async () => {
    const name = `${p}share`;
    const x = new DistributedCircuitBreaker<string>(redis.breakerStore(a), { name, readyToTrip: (c) => c.consecutiveFailures >= 2 });
    const y = new DistributedCircuitBreaker<string>(redis.breakerStore(b), { name, readyToTrip: (c) => c.consecutiveFailures >= 2 });
    await x.execute(async () => Promise.reject(new Error("down"))).catch(() => undefined);
    assert.equal(await y.state(), "closed");
    await y.execute(async () => Promise.reject(new Error("down"))).catch(() => undefined);
    assert.equal(await x.state(), "open");
    await assert.rejects(x.execute(async () => "never"), { message: "circuit breaker is open" });
    assert.equal((await y.counts()).consecutiveFailures, 0, "a new generation starts at open");
  });

  test("half-open across 4 processes × 250 concurrent calls: exactly maxRequests reach the downstream", async () => {
    const name = `${p}probe`;
    await halfOpen(a, name);
    const kids = Array.from({ length: 4 }, () => child(worker, ["breaker", url!, name, "250"]));
    await Promise.all(kids.map((k) => k.line(/^ready$/)));
    await halfOpen(a, name); // the workers' first state() read it; start from a clean half-open
    for (const k of kids) k.p.stdin.write("go\n");
    const out = (await Promise.all(kids.map((k) => k.line(/^\{/)))).map(
      (l) => JSON.parse(l) as { ok: number; tooMany: number; open: number; other: number },
    );
    assert.equal(Number(await a.get(`{${name}}:downstream`)), 3, "maxRequests = 3 probes in total");
    assert.equal(out.reduce((s, o) => s + o.ok, 0), 3);
    assert.equal(out.reduce((s, o) => s + o.tooMany + o.open, 0), 997);
    assert.equal(out.reduce((s, o) => s + o.other, 0), 0);
    await Promise.all(kids.map((k) => k.exit));
    await a.del(`{${name}}:downstream`);
  });
});
