/**
 * `npm run load`: drives the showcase service with autocannon and prints a short report —
 *
 *   1. a cached read of one hot product (cold when the load starts, so it also shows the stampede
 *      collapse): requests/s, p50/p99 latency and database queries per 1,000 requests, for the service
 *      and for the same service written with plain async/Promise.all, p-limit and lru-cache
 *      (bench/service-baseline.ts), alternating over `--rounds` rounds; then one round of each with the
 *      pricing backend flaky (20% of calls fail and are retried);
 *   2. one greedy client against its rate limit: 429s, and admitted requests against r·t + b;
 *   3. SIGTERM in the middle of a load: every request in flight at the signal, and every request the
 *      service accepted, is answered; the service exits 0.
 *
 * Every service runs in a child process of its own, so the load generator does not share its event loop.
 *
 *   4. with REDIS_URL set: the same cached read and SIGTERM against `--workers N` (default 2) processes
 *      sharing Redis, database queries summed over the processes.
 *
 *   node dist/examples/service/load.js [--seconds 5] [--connections 50] [--rounds 3] [--workers 2]
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";

const here = dirname(fileURLToPath(import.meta.url));
const OURS = join(here, "main.js");
const BASELINE = join(here, "../../bench/service-baseline.js");

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

/** Starts a service script and resolves with its URL once it prints its `… on http://…` line. */
async function startChild(script: string, args: string[], env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, [...(process.env.LOAD_NODE_ARGS?.split(" ").filter(Boolean) ?? []), script, "--port", "0", ...args], {
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
        const m = / on (http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]);
      }
    });
    void exit.then((code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  return { proc, url, out, exit };
}

async function stop(c: Child): Promise<number | null> {
  c.proc.kill("SIGTERM");
  return c.exit;
}

/** CPU time (user + system) a process and its children have used so far, in ms; NaN where /proc is not there. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const own = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100/s)
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean);
    return children.reduce((ms, child) => ms + cpuMs(Number(child)), own);
  } catch {
    return NaN;
  }
}

/** A GET on a connection of its own: with several workers on one port, each new connection goes to the next. */
function getOnNewConnection(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { "x-client-id": "load-report" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(text));
    });
    req.once("error", reject);
    req.end();
  });
}

/** Database queries so far, summed over the service's `processes` processes. */
async function dbQueries(url: string, processes = 1): Promise<number> {
  const byPid = new Map<number, number>();
  for (let i = 0; byPid.size < processes && i < 20 * processes; i++) {
    const s = JSON.parse(await getOnNewConnection(`${url}/stats`)) as { pid: number; dbQueries: number };
    byPid.set(s.pid, s.dbQueries);
  }
  return [...byPid.values()].reduce((a, b) => a + b, 0);
}

interface Row {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  queries: number;
  cpuUsPerRequest: number;
  non2xx: number;
  errors: number;
}

/** `seconds` of GETs of `path` on `connections` connections, from 200 rotating client ids. */
async function drive(url: string, path: string, seconds: number, connections: number): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: `${url}${path}`,
    connections,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-client-id": `c${i++ % 200}` } }) }],
  });
}

/** One service, fresh: a 1 s warm-up on other products, then the hot read of product 7 (cold until now). */
async function hotRead(script: string, failureRate: number, seconds: number, connections: number, data: string, workers = 1): Promise<Row> {
  const args = ["--failure-rate", String(failureRate), ...(workers > 1 ? ["--workers", String(workers)] : [])];
  const env: Record<string, string> = { SERVICE_DB: join(data, `${Math.random()}.db`) };
  if (workers > 1) env.SERVICE_REDIS_PREFIX = `load-${process.pid}-${Math.random().toString(36).slice(2)}`;
  else env.REDIS_URL = ""; // one process, in-process tiers only
  const c = await startChild(script, args, env);
  try {
    await drive(c.url, "/products/1", 1, connections);
    const before = await dbQueries(c.url, workers);
    const cpu0 = cpuMs(c.proc.pid);
    const r = await drive(c.url, "/products/7", seconds, connections);
    const cpu = cpuMs(c.proc.pid) - cpu0;
    const queries = (await dbQueries(c.url, workers)) - before;
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      requests: r.requests.total,
      queries,
      cpuUsPerRequest: (cpu * 1000) / Math.max(1, r.requests.total),
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    await stop(c);
  }
}

const fmt = (name: string, x: Row): string =>
  `  ${name.padEnd(10)} ${x.rps.toFixed(0).padStart(6)} req/s   p50 ${String(x.p50).padStart(3)} ms   p99 ${String(x.p99).padStart(3)} ms   CPU ${x.cpuUsPerRequest.toFixed(0)} µs/req   ` +
  `db ${x.queries} queries / ${x.requests} requests = ${((x.queries * 1000) / Math.max(1, x.requests)).toFixed(3)} per 1,000   non-2xx ${x.non2xx}   errors ${x.errors}`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], d = 0): string => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;

interface Outcome {
  status?: number;
  error?: string;
}

/**
 * Phase 3's client: `connections` keep-alive loops of GETs. A request whose reused keep-alive socket is
 * reset before any answer is retried once, as Node's documentation advises (`req.reusedSocket`): the
 * server closed that idle connection before reading the request, so the request was never accepted.
 */
async function sigtermMidLoad(c: Child, seconds: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(c.url);
  const outstanding = new Set<Promise<Outcome>>();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let retried = 0;
  let sent = 0;
  const once = (path: string, client: string): Promise<Outcome & { reused: boolean }> =>
    new Promise((resolve) => {
      const req = request({ host: hostname, port, path, agent, headers: { "x-client-id": client } }, (res) => {
        res.resume();
        res.once("end", () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
        res.once("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: req.reusedSocket }));
      });
      req.once("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: req.reusedSocket }));
      req.end();
    });
  const get = async (path: string, client: string): Promise<Outcome> => {
    sent++;
    let r = await once(path, client);
    if (r.error === "ECONNRESET" && r.reused) {
      retried++;
      r = await once(path, client);
    }
    return r;
  };
  const end = performance.now() + seconds * 1000;
  const loops = Array.from({ length: connections }, async (_, k) => {
    let stopped = false;
    while (performance.now() < end && !stopped) {
      const p = get(`/products/${1 + Math.floor(Math.random() * 1000)}`, `s${(k * 7919 + sent) % 200}`);
      outstanding.add(p);
      const o = await p;
      outstanding.delete(p);
      if (o.status !== undefined) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
      else {
        errors[o.error!] = (errors[o.error!] ?? 0) + 1;
        // Refused: the service has closed its listener; it is gone for this client.
        if (o.error === "ECONNREFUSED") stopped = true;
      }
    }
  });
  await delay((seconds * 1000) / 2);
  const atSignal = [...outstanding];
  c.proc.kill("SIGTERM");
  const inFlight = await Promise.all(atSignal);
  await Promise.all(loops);
  agent.destroy();
  const code = await c.exit;
  const finals = c.out.filter((s) => s.includes("stopped cleanly after"));
  const last = finals.join("\n    ");
  const accepted = finals.reduce((n, s) => n + Number(/after (\d+) requests/.exec(s)?.[1] ?? NaN), 0);
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const inFlightAnswered = inFlight.filter((o) => o.status !== undefined).length;
  return { sent, statuses, errors, retried, accepted, answered, inFlight: inFlight.length, inFlightAnswered, code, last };
}

/** Prints phase 3's outcome; returns the number of failed in-flight requests (+1 if the exit code was not 0). */
function report3(title: string, x: Awaited<ReturnType<typeof sigtermMidLoad>>): number {
  const refused = Object.entries(x.errors).map(([code, n]) => `${n} ${code}`).join(", ") || "none";
  const failed = x.inFlight - x.inFlightAnswered + (x.accepted - x.answered);
  console.log(title);
  console.log(`  at the signal: ${x.inFlight} requests in flight, ${x.inFlightAnswered} answered`);
  console.log(`  the service accepted ${x.accepted} requests and the client got ${x.answered} answers ${JSON.stringify(x.statuses)}; exit code ${x.code}`);
  console.log(
    `  after the signal: ${x.retried} requests sent on a keep-alive connection the service had just closed as idle (never read; retried as Node's docs advise), connections refused or reset by the closed listener: ${refused}`,
  );
  console.log(`  ${x.last.replace(/^\s*/, "")}`);
  console.log(`  failed in-flight requests: ${failed}\n`);
  return failed + (x.code === 0 ? 0 : 1);
}

async function main(): Promise<void> {
  const seconds = flag("seconds", 5);
  const connections = flag("connections", 50);
  const rounds = flag("rounds", 3);
  const data = mkdtempSync(join(tmpdir(), "goroutine-load-"));
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");
  try {
    console.log(`load report: ${seconds} s per run, ${connections} connections, ${rounds} rounds; load average before: ${load()}\n`);

    console.log("1. cached read of one hot product (cold when the load starts), backends reliable");
    const ours: Row[] = [];
    const base: Row[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so a neighbour's burst does not always land on the same one.
      const order: [string, Row[], string][] = [["goroutine", ours, OURS], ["baseline", base, BASELINE]];
      if (r % 2 === 1) order.reverse();
      for (const [name, rows, script] of order) {
        const row = await hotRead(script, 0, seconds, connections, data);
        rows.push(row);
        console.log(fmt(name, row));
      }
    }
    const o = median(ours.map((x) => x.rps));
    const b = median(base.map((x) => x.rps));
    console.log(
      `  goroutine: ${range(ours.map((x) => x.rps))} req/s, p99 ${range(ours.map((x) => x.p99))} ms; baseline: ${range(base.map((x) => x.rps))} req/s, p99 ${range(base.map((x) => x.p99))} ms`,
    );
    const oc = median(ours.map((x) => x.cpuUsPerRequest));
    const bc = median(base.map((x) => x.cpuUsPerRequest));
    console.log(`  medians: baseline ÷ goroutine = ${(b / o).toFixed(2)}× requests/s (target ≤ 1.10×; ≥ 5,000 req/s, p99 ≤ 20 ms)`);
    console.log(`  CPU per request (the figure a busy machine does not distort): goroutine ${oc.toFixed(0)} µs, baseline ${bc.toFixed(0)} µs, ${(oc / bc).toFixed(2)}×\n`);

    console.log("1b. the same with the pricing backend flaky (20% of calls fail; 3 tries with backoff, then a degraded page)");
    console.log(fmt("goroutine", await hotRead(OURS, 0.2, seconds, connections, data)));
    console.log(fmt("baseline", await hotRead(BASELINE, 0.2, seconds, connections, data)));
    console.log();

    // 2. One greedy client against its limit (50/s, burst 100: low enough that a busy machine still
    //    offers more than that, so the figure is about the limiter, not the machine).
    const g = await startChild(OURS, ["--failure-rate", "0", "--limit", "50,100"], { SERVICE_DB: join(data, "greedy.db"), REDIS_URL: "" });
    const t0 = performance.now();
    const gr = await autocannon({ url: `${g.url}/products/8`, connections: 10, duration: 2, headers: { "x-client-id": "greedy" } });
    const t = (performance.now() - t0) / 1000;
    await stop(g);
    console.log("2. one client against its limit of 50/s, burst 100");
    console.log(
      `  ${gr.requests.total} requests in ${t.toFixed(2)} s: ${gr["2xx"]} admitted (r·t + b = ${(50 * t + 100).toFixed(0)}), ${gr.non2xx} answered 429 with Retry-After\n`,
    );

    // 3. SIGTERM mid-load.
    let failed = 0;
    const s = await startChild(OURS, [], { SERVICE_DB: join(data, "sigterm.db"), REDIS_URL: "" });
    failed += report3("3. SIGTERM after 2 s of a 4 s load (pricing flaky, 20%)", await sigtermMidLoad(s, 4, connections));

    // 4. Several processes sharing Redis.
    const workers = flag("workers", 2);
    if (process.env.REDIS_URL) {
      console.log(`4. ${workers} worker processes (node:cluster, one port) sharing ${process.env.REDIS_URL}`);
      console.log(fmt("cached", await hotRead(OURS, 0, seconds, connections, data, workers)));
      const m = await startChild(OURS, ["--workers", String(workers)], {
        SERVICE_DB: join(data, "cluster.db"),
        SERVICE_REDIS_PREFIX: `load-${process.pid}-sigterm`,
      });
      failed += report3(`  SIGTERM to the primary after 2 s of a 4 s load`, await sigtermMidLoad(m, 4, connections));
    } else console.log("4. (several processes: set REDIS_URL to measure them)\n");
    console.log(`load average after: ${load()}`);
    if (failed !== 0) process.exitCode = 1;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
