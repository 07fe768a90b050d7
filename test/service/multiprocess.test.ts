// The showcase service's multi-process mode against the real Redis: `main.js --workers 2` with REDIS_URL
// forks two processes on one port (node:cluster hands connections out round-robin) that behave as one
// service: one database load per key between them, a write in one is what the other reads, write-behind
// reaches SQLite, a client's rate limit and the pricing breaker are one for both, and SIGTERM to the
// primary drains both and exits 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalogue } from "../../examples/service/db.js";
import { redisUrl } from "../support/services.js";

const MAIN = fileURLToPath(new URL("../../examples/service/main.js", import.meta.url));
const redis = redisUrl();

interface Cluster {
  url: string;
  dbPath: string;
  proc: ChildProcess;
  out: string[];
  exit: Promise<number | null>;
}

/** Runs `main.js --workers 2` with `args` on a fresh database and Redis prefix, stops it after `fn`. */
async function withCluster(args: string[], fn: (c: Cluster) => Promise<void>): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "svc-mp-"));
  const dbPath = join(dir, "catalogue.db");
  const proc = spawn(process.execPath, [MAIN, "--workers", "2", "--port", "0", ...args], {
    env: { ...process.env, REDIS_URL: redis.url, SERVICE_DB: dbPath, SERVICE_REDIS_PREFIX: `svc-test-${process.pid}-${Math.random().toString(36).slice(2)}` },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out: string[] = [];
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      out.push(...chunk.split("\n").filter(Boolean));
      const m = /workers .* on (http:\/\/\S+)/.exec(out.join("\n"));
      if (m) resolve(m[1]);
    });
    void exit.then((code) => reject(new Error(`main.js exited (${code}) before listening:\n${out.join("\n")}`)));
  });
  const c = { url, dbPath, proc, out, exit };
  try {
    await fn(c);
  } finally {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    await exit;
    rmSync(dir, { recursive: true, force: true });
  }
  return c;
}

/** A request on a connection of its own (so the cluster's round-robin spreads requests over workers). */
function call(url: string, method = "GET", body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.once("error", reject);
    req.end(body);
  });
}

interface WorkerStats {
  pid: number;
  dbQueries: number;
  rateLimited: number;
  pricing: { calls: number };
  rowsWritten: number;
  served: Record<string, number>;
  breaker: string;
}

/** /stats of every worker: asks on new connections until both pids have answered. */
async function statsOfAll(url: string): Promise<WorkerStats[]> {
  const byPid = new Map<number, WorkerStats>();
  for (let i = 0; byPid.size < 2; i++) {
    assert.ok(i < 50, "both workers answer /stats");
    const s = (await call(`${url}/stats`, "GET", undefined, { "x-client-id": `stats${i}` })).json as unknown as WorkerStats;
    byPid.set(s.pid, s);
  }
  return [...byPid.values()];
}

test("two worker processes load a cold key from the database once between them", { skip: redis.skip }, async () => {
  await withCluster(["--failure-rate", "0"], async ({ url }) => {
    const pages = await Promise.all(Array.from({ length: 100 }, (_, i) => call(`${url}/products/7`, "GET", undefined, { "x-client-id": `c${i}` })));
    assert.ok(pages.every((p) => p.status === 200 && p.json.id === 7));
    const workers = await statsOfAll(url);
    assert.deepEqual(
      workers.map((w) => (w.served["200"] ?? 0) > 0),
      [true, true],
      "both workers served the stampede",
    );
    assert.equal(
      workers.reduce((n, w) => n + w.dbQueries, 0),
      1,
      "one database query across both processes",
    );
  });
});

test("a write through one worker is what the other reads, and write-behind reaches SQLite by shutdown", { skip: redis.skip }, async () => {
  const c = await withCluster(["--failure-rate", "0"], async ({ url, proc, exit }) => {
    // Both workers have product 5 in their in-process tier first.
    for (let i = 0; i < 4; i++) assert.equal((await call(`${url}/products/5`, "GET", undefined, { "x-client-id": `r${i}` })).status, 200);
    const put = await call(`${url}/products/5`, "PUT", JSON.stringify({ price: 4242 }), { "x-client-id": "writer" });
    assert.equal(put.status, 200);
    for (let i = 0; i < 4; i++) {
      const page = await call(`${url}/products/5`, "GET", undefined, { "x-client-id": `r${i}` });
      assert.equal(page.json.listPrice, 4242, "every worker reads the write");
    }
    proc.kill("SIGTERM");
    assert.equal(await exit, 0);
  });
  assert.match(c.out.join("\n"), /primary: every worker stopped cleanly/);
  assert.equal(c.out.filter((l) => /worker \d+: stopped cleanly/.test(l)).length, 2);
});

test("the write-behind log flushes a write made just before SIGTERM to SQLite", { skip: redis.skip }, async () => {
  let dbPath = "";
  await withCluster(["--failure-rate", "0"], async (c) => {
    dbPath = c.dbPath;
    for (let id = 1; id <= 20; id++) {
      const r = await call(`${c.url}/products/${id}`, "PUT", JSON.stringify({ price: 9000 + id }), { "x-client-id": `w${id}` });
      assert.equal(r.status, 200);
    }
    c.proc.kill("SIGTERM");
    assert.equal(await c.exit, 0);
    const db = new Catalogue(dbPath);
    try {
      for (let id = 1; id <= 20; id++) assert.equal(db.get(id)?.price, 9000 + id);
    } finally {
      db.close();
    }
  });
});

test("a client's rate limit is one limit across both processes", { skip: redis.skip }, async () => {
  // 0.1 tokens/s and a burst of 5: whatever the machine's speed, 5 requests pass (6 after 10 s).
  await withCluster(["--failure-rate", "0", "--limit", "0.1,5"], async ({ url }) => {
    const t0 = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call(`${url}/products/3`, "GET", undefined, { "x-client-id": "greedy" })).status);
    const refills = Math.floor((performance.now() - t0) / 10_000);
    const admitted = statuses.filter((s) => s === 200).length;
    assert.ok(admitted >= 5 && admitted <= 5 + refills, `admitted ${admitted} of 20 (two per-process buckets would admit 10)`);
    assert.equal(statuses.filter((s) => s === 429).length, 20 - admitted);
    const workers = await statsOfAll(url);
    assert.ok(workers.every((w) => w.rateLimited > 0), "both processes refused the client from the shared bucket");
  });
});

test("the pricing breaker trips once for both processes", { skip: redis.skip }, async () => {
  // Every pricing call fails; the breaker opens after 20 failed quotes in its interval.
  await withCluster(["--failure-rate", "1"], async ({ url }) => {
    for (let i = 0; i < 20; i++) {
      const page = await call(`${url}/products/${i + 1}`, "GET", undefined, { "x-client-id": `b${i}` });
      assert.equal(page.status, 200);
      assert.equal(page.json.degraded, true);
    }
    const before = await statsOfAll(url);
    assert.deepEqual(
      before.map((w) => w.breaker),
      ["open", "open"],
      "each process saw about 10 failures: only a shared breaker is open in both",
    );
    for (let i = 0; i < 4; i++) assert.equal((await call(`${url}/products/30`, "GET", undefined, { "x-client-id": `a${i}` })).json.degraded, true);
    const after = await statsOfAll(url);
    const calls = (ws: WorkerStats[]): number => ws.reduce((n, w) => n + w.pricing.calls, 0);
    assert.equal(calls(after), calls(before), "an open breaker calls the backend from neither process");
  });
});
