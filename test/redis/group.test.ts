// redis.Group: singleflight across clients and real processes; errors reach every caller; a leader
// that is SIGKILLed mid-flight is replaced after its lease.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { child, clients, prefix } from "./support.js";

const { url, skip } = redisUrl();
const worker = fileURLToPath(new URL("./fixtures/worker.js", import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("redis.Group", { skip }, () => {
  const p = prefix();
  const cs = clients(url, 2, `{${p}`);
  let a: Redis;
  let b: Redis;
  before(() => ([a, b] = cs as [Redis, Redis]));

  test("two clients, 200 concurrent callers: one execution, everyone gets its value", async () => {
    const ga = new redis.Group<number>(a, `${p}g1`);
    const gb = new redis.Group<number>(b, `${p}g1`);
    let runs = 0;
    const fn = async (): Promise<number> => {
      runs++;
      await sleep(50);
      return 42;
    };
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? ga : gb).do("k", fn)));
    assert.equal(runs, 1);
    assert.ok(got.every((r) => r.value === 42 && r.shared));
    // the flight is over: the next call runs again
    assert.deepEqual(await ga.do("k", fn), { value: 42, shared: false });
    assert.equal(runs, 2);
  });

  test("the leader's error reaches the callers in the other client, with its name and message", async () => {
    const ga = new redis.Group<string>(a, `${p}g2`);
    const gb = new redis.Group<string>(b, `${p}g2`);
    const fn = async (): Promise<string> => {
      await sleep(30);
      throw new RangeError("backend down");
    };
    const rs = await Promise.allSettled([ga.do("k", fn), gb.do("k", fn), gb.do("k", fn)]);
    for (const r of rs) {
      assert.equal(r.status, "rejected");
      assert.equal((r.reason as Error).message, "backend down");
      assert.equal((r.reason as Error).name, "RangeError");
    }
  });

  test("twenty Groups on one client share one subscriber: no listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on("warning", onWarning);
    const gs = Array.from({ length: 20 }, (_, i) => new redis.Group<number>(a, `${p}many${i}`));
    assert.deepEqual(
      (await Promise.all(gs.map((g, i) => g.do("k", () => i)))).map((r) => r.value),
      gs.map((_, i) => i),
    );
    await new Promise((r) => setImmediate(r));
    process.off("warning", onWarning);
    assert.deepEqual(warnings.filter((n) => n === "MaxListenersExceededWarning"), []);
  });

  test("4 processes × 50 callers: one execution cluster-wide", async () => {
    const pre = `${p}g3`;
    const kids = Array.from({ length: 4 }, () => child(worker, ["group", url!, pre, "50", "0"]));
    await Promise.all(kids.map((k) => k.line(/^ready$/)));
    for (const k of kids) k.p.stdin.write("go\n");
    const out = (await Promise.all(kids.map((k) => k.line(/^\{"values/)))).map((l) => JSON.parse(l) as { values: string[] });
    assert.equal(Number(await a.get(`{${pre}}:runs`)), 1);
    assert.equal(new Set(out.flatMap((o) => o.values)).size, 1, "every caller got the one value");
    await Promise.all(kids.map((k) => k.exit));
  });

  test("a leader SIGKILLed mid-flight is replaced after its lease", async () => {
    const pre = `${p}g4`;
    const k = child(worker, ["group", url!, pre, "1", "1"]);
    await k.line(/^ready$/);
    k.p.stdin.write("go\n");
    await k.line(/leading/);
    const g = new redis.Group<string>(a, pre, { ttl: 500 });
    const s = Date.now();
    const r = g.do("k", async () => {
      await a.incr(`{${pre}}:runs`);
      return "from the new leader";
    });
    k.p.kill("SIGKILL");
    await k.exit;
    assert.deepEqual(await r, { value: "from the new leader", shared: false });
    const took = Date.now() - s;
    assert.ok(took < 500 + 1500, `replaced within the lease: ${took} ms`);
    assert.equal(Number(await a.get(`{${pre}}:runs`)), 2);
  });
});
