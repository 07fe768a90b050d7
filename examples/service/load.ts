/**
 * `npm run load`: drives the showcase service with autocannon and prints a short report —
 *
 *   1. a cached read (one hot product, 200 clients): requests/s, p50/p99 latency, database queries per
 *      1,000 requests (stampede collapse: the hot key is loaded once), for the service and for the same
 *      service written with plain async/Promise.all, p-limit and lru-cache (bench/service-baseline.ts);
 *   2. one greedy client against its rate limit: 429s, and admitted against r·t + b;
 *   3. SIGTERM in the middle of a load: every request the service accepted is answered, exit code 0.
 *
 * Each service runs in a child process of its own, so the load generator does not share its event loop.
 *
 *   node dist/examples/service/load.js [--seconds 5] [--connections 50]
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

interface Child {
  proc: ChildProcess;
  url: string;
  out: string[];
  exit: Promise<number | null>;
}

/** Starts a service script and resolves with its URL once it prints the `… on http://…` line. */
async function startChild(script: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [script, "--port", "0"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out: string[] = [];
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        out.push(line);
        const m = / on (http:\/\/[^\s]+)/.exec(line);
        if (m) resolve(m[1]);
      }
    });
    void exit.then((code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  return { proc, url, out, exit };
}

async function stats(url: string): Promise<{ requests: number; dbQueries: number; served: Record<string, number> }> {
  const r = await fetch(`${url}/stats`, { headers: { "x-client-id": "load-report" } });
  return (await r.json()) as { requests: number; dbQueries: number; served: Record<string, number> };
}

/** A cached read of one hot product from `clients` rotating client ids. */
async function hotRead(url: string, seconds: number, connections: number, clients = 200) {
  let i = 0;
  const before = await stats(url).catch(() => undefined);
  const r = await autocannon({
    url: `${url}/products/7`,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-client-id": `c${i++ % clients}` } }),
      },
    ],
  });
  const after = await stats(url).catch(() => undefined);
  const dq = before && after ? ((after.dbQueries - before.dbQueries) * 1000) / Math.max(1, after.requests - before.requests) : NaN;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, dbPer1000: dq };
}

async function main(): Promise<void> {
  const seconds = flag("seconds", 5);
  const connections = flag("connections", 50);
  const data = mkdtempSync(join(tmpdir(), "goroutine-load-"));
  try {
    console.log(`load: ${seconds} s per phase, ${connections} connections, autocannon ${"9"}\n`);

    // 1. cached read: ours, then the baseline
    const ours = await startChild(join(here, "main.js"), { SERVICE_DB: join(data, "ours.db") });
    await fetch(`${ours.url}/products/7`); // first load
    const a = await hotRead(ours.url, seconds, connections);
    const base = await startChild(join(here, "../../bench/service-baseline.js"), { SERVICE_DB: join(data, "base.db") });
    await fetch(`${base.url}/products/7`);
    const b = await hotRead(base.url, seconds, connections);
    base.proc.kill("SIGTERM");
    await base.exit;
    const row = (name: string, x: typeof a) =>
      `  ${name.padEnd(34)} ${x.rps.toFixed(0).padStart(7)} req/s   p50 ${String(x.p50).padStart(3)} ms   p99 ${String(x.p99).padStart(3)} ms   db queries/1,000 req ${Number.isNaN(x.dbPer1000) ? "n/a" : x.dbPer1000.toFixed(2)}   non-2xx ${x.non2xx}   errors ${x.errors}`;
    console.log("1. cached read, one hot product");
    console.log(row("goroutine service", a));
    console.log(row("baseline (async, p-limit, lru-cache)", b));
    console.log(`  baseline ÷ goroutine: ${(b.rps / a.rps).toFixed(2)}× requests/s (target ≤ 1.10×)\n`);

    // 2. one greedy client against its limit (r = 500/s, b = 1000)
    const t0 = performance.now();
    const g = await autocannon({ url: `${ours.url}/products/8`, connections: 10, duration: 2, headers: { "x-client-id": "greedy" } });
    const t = (performance.now() - t0) / 1000;
    const admitted = g["2xx"];
    console.log("2. one client, limit 500/s burst 1,000");
    console.log(`  ${g.requests.total} requests in ${t.toFixed(2)} s: ${admitted} admitted, ${g.non2xx} answered 429; r·t + b = ${(500 * t + 1000).toFixed(0)}\n`);

    // 3. SIGTERM mid-load
    const load = autocannon({ url: `${ours.url}/products/9`, connections, duration: 3, requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-client-id": `s${Math.floor(Math.random() * 200)}` } }) }] });
    setTimeout(() => ours.proc.kill("SIGTERM"), 1500);
    const l = await load;
    const code = await ours.exit;
    const last = ours.out.find((s) => s.includes("stopped cleanly")) ?? "(no final line)";
    console.log("3. SIGTERM after 1.5 s of a 3 s load");
    console.log(`  client: ${l["2xx"]} answered 2xx, ${l.non2xx} non-2xx, ${l.errors} connection errors after the listener closed`);
    console.log(`  service: ${last.replace(/^.*?: /, "")}; exit code ${code}`);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
