// bench/cache.ts — goroutine/cache against lru-cache, bentocache and cache-manager, in one process
// (the cross-process and crash rows fork real Node processes on the shared Redis, REDIS_URL).
//
//   node dist/bench/cache.js [--only=hit,stampede,procs,crash,refresh] [--samples=N]
//
// hit: a hot in-process key, ns per get; contenders interleaved sample by sample so load affects all.
// stampede: 10,000 concurrent gets of one cold key, 50 ms loader: loader calls counted.
// procs: the same over 4 processes sharing Redis (ours with lease; bentocache with its redis L2).
// crash: 100,000 acknowledged write-behind writes over 1,000 keys, SIGKILL at a random moment, restart.
// refresh: ttl 1 s, refreshAhead 0.8, a request every 10 ms for 10 s of synctest virtual time.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { LRUCache } from "lru-cache";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { createCache } from "cache-manager";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { ONLY, samples } from "./harness.js";
import { Cache } from "../src/cache/index.js";
import * as synctest from "../src/synctest/index.js";
import * as time from "../src/time/index.js";

const want = (id: string): boolean => ONLY.length === 0 || ONLY.includes(id);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const url = process.env.REDIS_URL;
const here = fileURLToPath(new URL(".", import.meta.url));

async function nsPerOp(run: (n: number) => Promise<void> | void, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - t0) / n;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function hit(): Promise<void> {
  const lru = new LRUCache<string, string>({ max: 10_000 });
  lru.set("k", "v");
  const ours = new Cache<string, string>({ ttl: 3_600_000, load: () => Promise.resolve("v") });
  await ours.get("k");
  const bento = new BentoCache({ default: "m", stores: { m: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } });
  await bento.getOrSet({ key: "k", factory: () => "v", ttl: "1h" });
  const cm = createCache({ ttl: 3_600_000 });
  await cm.set("k", "v");
  let sink: unknown;
  const contenders: [string, (n: number) => Promise<void> | void][] = [
    ["lru-cache get (sync)", (n) => { for (let i = 0; i < n; i++) sink = lru.get("k"); }],
    ["lru-cache get + await", async (n) => { for (let i = 0; i < n; i++) sink = await Promise.resolve(lru.get("k")); }],
    ["goroutine Cache.get", async (n) => { for (let i = 0; i < n; i++) sink = await ours.get("k"); }],
    ["goroutine Cache.getOrSet", async (n) => { for (let i = 0; i < n; i++) sink = await ours.getOrSet("k", () => Promise.resolve("v")); }],
    ["bentocache getOrSet (memory)", async (n) => { for (let i = 0; i < n; i++) sink = await bento.getOrSet({ key: "k", factory: () => "v", ttl: "1h" }); }],
    ["cache-manager get", async (n) => { for (let i = 0; i < n; i++) sink = await cm.get("k"); }],
    ["cache-manager wrap", async (n) => { for (let i = 0; i < n; i++) sink = await cm.wrap("k", () => "v", 3_600_000); }],
  ];
  const N = 100_000;
  for (const [, run] of contenders) for (let w = 0; w < 3; w++) await run(N); // warm-up
  const res = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  for (let s = 0; s < samples(7); s++) for (const [name, run] of contenders) res.get(name)!.push(await nsPerOp(run, N));
  void sink;
  const m = new Map([...res].map(([k, v]) => [k, median(v)]));
  console.log("\nhit: ns per get of a hot key (median of samples; min–max)");
  for (const [name, v] of res) console.log(`  ${name.padEnd(30)} ${median(v).toFixed(1).padStart(8)}  (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`);
  const lruNs = m.get("lru-cache get (sync)")!;
  const oursNs = m.get("goroutine Cache.get")!;
  const bentoNs = m.get("bentocache getOrSet (memory)")!;
  const bound = 1.5 * lruNs + 100;
  console.log(`  target get ≤ 1.5 × lru-cache + 100 ns = ${bound.toFixed(1)} ns: ${oursNs <= bound ? "PASS" : "MISS"} (${(oursNs / lruNs).toFixed(2)}× lru-cache)`);
  console.log(`  target ≥ 2× bentocache's getOrSet: ${bentoNs / oursNs >= 2 ? "PASS" : "MISS"} (${(bentoNs / oursNs).toFixed(2)}×; getOrSet ${(bentoNs / m.get("goroutine Cache.getOrSet")!).toFixed(2)}×)`);
  console.log(`  cache-manager get ${(m.get("cache-manager get")! / oursNs).toFixed(1)}× ours, wrap ${(m.get("cache-manager wrap")! / oursNs).toFixed(1)}×`);
  await ours.close();
  await bento.disconnectAll();
}

async function stampede(): Promise<void> {
  const N = 10_000;
  const counts: [string, number][] = [];
  {
    let calls = 0;
    const c = new Cache<string, string>({ ttl: 60_000, load: async () => { calls++; await time.sleep(50); return "v"; } });
    await Promise.all(Array.from({ length: N }, () => c.get("cold")));
    counts.push(["goroutine Cache.get", calls]);
    await c.close();
  }
  {
    let calls = 0;
    const lru = new LRUCache<string, string>({ max: 100, fetchMethod: async () => { calls++; await sleep(50); return "v"; } });
    await Promise.all(Array.from({ length: N }, () => lru.fetch("cold")));
    counts.push(["lru-cache fetch (fetchMethod)", calls]);
  }
  {
    let calls = 0;
    const bento = new BentoCache({ default: "m", stores: { m: bentostore().useL1Layer(memoryDriver({})) } });
    await Promise.all(Array.from({ length: N }, () => bento.getOrSet({ key: "cold", ttl: "1m", factory: async () => { calls++; await sleep(50); return "v"; } })));
    counts.push(["bentocache getOrSet", calls]);
    await bento.disconnectAll();
  }
  {
    let calls = 0;
    const cm = createCache({ ttl: 60_000 });
    await Promise.all(Array.from({ length: N }, () => cm.wrap("cold", async () => { calls++; await sleep(50); return "v"; })));
    counts.push(["cache-manager wrap", calls]);
  }
  console.log(`\nstampede: ${N.toLocaleString()} concurrent gets of one cold key, 50 ms loader, one process: loader calls`);
  for (const [name, n] of counts) console.log(`  ${name.padEnd(30)} ${n}`);
}

function child(args: string[]): { ready: Promise<void>; done: Promise<void>; go: () => void } {
  const p = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  let onReady!: () => void;
  let onDone!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<void>((r) => (onDone = r));
  p.stdout.setEncoding("utf8");
  p.stdout.on("data", (d: string) => {
    out += d;
    if (out.includes("ready\n")) onReady();
    if (out.includes("done\n") || out.includes("}\n")) onDone();
  });
  return { ready, done, go: () => p.stdin.write("go\n") };
}

async function procs(): Promise<void> {
  if (url === undefined) return console.log("\nprocs: skipped (REDIS_URL not set)");
  const client = new Redis(url);
  console.log("\nstampede across 4 processes sharing Redis, 4 × 2,500 concurrent gets, 50 ms loader: loader calls in total");
  for (const lib of ["goroutine", "bentocache"]) {
    const prefix = `bench:${randomBytes(4).toString("hex")}:`;
    const script = lib === "goroutine" ? join(here, "..", "test", "cache", "fixtures", "stampede.js") : join(here, "cache-stampede-child.js");
    const kids = [0, 1, 2, 3].map(() => child(lib === "goroutine" ? [script, url, prefix, "2500"] : [script, lib, url, prefix, "2500"]));
    await Promise.all(kids.map((k) => k.ready));
    kids.forEach((k) => k.go());
    await Promise.all(kids.map((k) => k.done));
    console.log(`  ${(lib === "goroutine" ? "goroutine (store + lease)" : "bentocache (memory L1 + redis L2)").padEnd(34)} ${await client.get(`${prefix}loads`)}`);
    const keys = [...(await client.keys(`${prefix}*`)), ...(await client.keys(`*${prefix}*`))];
    if (keys.length > 0) await client.del(...keys);
  }
  console.log("  cache-manager: no shared tier here (@keyv/redis is not installed), so each process loads once: 4");
  client.disconnect();
}

async function crash(): Promise<void> {
  if (url === undefined) return console.log("\ncrash: skipped (REDIS_URL not set)");
  const writer = join(here, "..", "test", "cache", "fixtures", "writer.js");
  const dir = mkdtempSync(join(tmpdir(), "bench-wb-"));
  const client = new Redis(url);
  console.log("\nwrite-behind crash: 100,000 acknowledged writes over 1,000 keys, SIGKILL at a random moment");
  for (const mode of ["durable", "memory"] as const) {
    const db = join(dir, `${mode}.db`);
    const stream = `bench:${randomBytes(4).toString("hex")}:wb`;
    const p = spawn(process.execPath, [writer, mode, db, url, stream], { stdio: ["ignore", "pipe", "inherit"] });
    const killAt = 50 + Math.floor(Math.random() * 800);
    let acked = -1;
    let out = "";
    await new Promise<void>((resolve) => {
      p.stdout.setEncoding("utf8");
      p.stdout.on("data", (d: string) => {
        out += d;
        const lines = out.split("\n");
        out = lines.pop()!;
        for (const l of lines) if (l.startsWith("ack ")) acked = Math.max(acked, Number(l.slice(4)));
        if (acked >= killAt * 100 - 1) resolve();
      });
    });
    p.kill("SIGKILL");
    await new Promise((r) => p.on("exit", r));
    const t0 = performance.now();
    if (mode === "durable") {
      const r = spawn(process.execPath, [writer, "recover", db, url, stream], { stdio: "inherit" });
      await new Promise((res) => r.on("exit", res));
    }
    const recoverMs = performance.now() - t0;
    const d = new Database(db, { readonly: true });
    const rows = new Map(d.prepare("SELECT k, v FROM kv").all().map((r) => [(r as { k: string }).k, (r as { v: number }).v]));
    d.close();
    let behind = 0;
    let lostWrites = 0;
    for (let k = 0; k < 1000; k++) {
      const expected = acked - (((acked - k) % 1000) + 1000) % 1000;
      const got = rows.get(`k${k}`) ?? k - 1000;
      if (got < expected) {
        behind++;
        lostWrites += Math.floor((expected - got) / 1000);
      }
    }
    console.log(`  ${mode === "durable" ? "redis.writeLog" : "in-memory queue"}: killed after ${(acked + 1).toLocaleString()} acks; keys not at their last acknowledged value: ${behind} of 1,000 (${lostWrites} acknowledged writes lost)${mode === "durable" ? `; restart flushed in ${recoverMs.toFixed(0)} ms (waits out the dead flusher's 1 s lease)` : ""}`);
    await client.del(`{${stream}}`, `{${stream}}:flusher`);
  }
  rmSync(dir, { recursive: true, force: true });
  client.disconnect();
}

async function refresh(): Promise<void> {
  let waited = 0;
  let loads = 0;
  let requests = 0;
  await synctest.test(async () => {
    const c = new Cache<string, number>({ ttl: 1000, refreshAhead: 0.8, load: async () => { loads++; await time.sleep(50); return loads; } });
    for (let i = 0; i < 1000; i++) {
      const t0 = time.now();
      await c.get("k");
      if (i > 0 && time.since(t0) > 0) waited++;
      requests++;
      await time.sleep(10);
    }
    await c.close();
  });
  console.log(`\nrefresh-ahead (ttl 1 s, f 0.8, 50 ms loader, a request every 10 ms for 10 s virtual): ${requests} requests, ${loads} loads, ${waited} requests after the first waited for a load`);
}

console.log(`node ${process.version}, loadavg ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ")}`);
if (want("stampede")) await stampede();
if (want("procs")) await procs();
if (want("refresh")) await refresh();
if (want("crash")) await crash();
if (want("hit")) await hit();
