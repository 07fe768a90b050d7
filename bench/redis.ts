/**
 * goroutine/redis's coordination primitives across real processes, on a private loopback redis-server
 * started here (so its command counts are ours alone):
 *
 * 1. Limiter: 4 processes × 1,000 concurrent callers looping `allow()` on one limit of 100/s (burst 100)
 *    for 10 s → admitted vs r·t + b (t from the first admission to the last, on the server's clock),
 *    EVALSHA calls per decision (INFO commandstats), decisions/s; then throughput against
 *    rate-limiter-flexible's RateLimiterRedis (100 points per 1 s window) in 5 alternating 3 s rounds.
 * 2. Mutex: 4 processes × 1,000 acquisitions (10 callers each, so the lock is always contended) → tokens
 *    checked at a shared Redis counter (a token not larger than the last one is a second holder), FIFO
 *    by arrival at Redis (within 1 ms), hand-off latency from "release sent" to "next holder granted".
 * 3. Breaker: a DistributedCircuitBreaker over breakerStore at half-open, 1,000 concurrent calls across
 *    4 processes → calls that reached the downstream (maxRequests = 3).
 *
 *   npm run build && node dist/bench/redis.js [--seconds=10] [--only=limiter,mutex,breaker]
 */
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { ONLY, option } from "./harness.js";
import { child, freePort, startServer } from "../test/redis/support.js";

const worker = fileURLToPath(new URL("../test/redis/fixtures/worker.js", import.meta.url));
const SECONDS = Number(option("seconds", "10"));
const want = (id: string): boolean => ONLY.length === 0 || ONLY.some((o) => id.startsWith(o));

const port = await freePort();
const server = await startServer(port);
process.on("exit", () => server.kill("SIGKILL"));
const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(url);

/** Calls of each command since the last reset. */
async function commandCalls(): Promise<Map<string, number>> {
  const info = await admin.info("commandstats");
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** Starts `n` workers, waits until all are ready, lets them go together, returns their JSON lines. */
async function run<T>(n: number, args: string[]): Promise<T[]> {
  const kids = Array.from({ length: n }, () => child(worker, args));
  await Promise.all(kids.map((k) => k.line(/^ready$/)));
  for (const k of kids) k.p.stdin.write("go\n");
  const out = (await Promise.all(kids.map((k) => k.line(/^\{/)))).map((l) => JSON.parse(l) as T);
  await Promise.all(kids.map((k) => k.exit));
  return out;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

console.log(`goroutine/redis bench — loopback redis-server :${port}, node ${process.version}, ${SECONDS} s runs\n`);

if (want("limiter")) {
  const r = 100;
  const b = 100;
  await admin.config("RESETSTAT");
  type L = { admitted: number; decisions: number; firstOk: number; lastOk: number };
  // a 10 s timeout: 4,000 calls in flight on a loaded 2-core machine can take over the default 1 s
  const ours = await run<L>(4, ["limiter", url, "bench-lim", String(r), String(b), "1000", String(SECONDS * 1000), "10000"]);
  const calls = await commandCalls();
  const admitted = ours.reduce((s, o) => s + o.admitted, 0);
  const decisions = ours.reduce((s, o) => s + o.decisions, 0);
  const t = (Math.max(...ours.map((o) => o.lastOk)) - Math.min(...ours.map((o) => o.firstOk))) / 1000;
  const bound = r * t + b;
  const scripts = (calls.get("evalsha") ?? 0) + (calls.get("eval") ?? 0);
  console.log("Limiter: 4 processes × 1,000 concurrent callers, limit 100/s, burst 100");
  console.log(`  admitted ${admitted} in t = ${t.toFixed(3)} s: r·t + b = ${bound.toFixed(1)} → ${admitted <= Math.floor(bound + 1e-9) ? "≤ bound" : "OVER THE BOUND"}, ${((100 * admitted) / bound).toFixed(2)}% of it`);
  console.log(`  round trips per decision: ${(scripts / decisions).toFixed(3)} (${scripts} EVALSHA/EVAL for ${decisions} decisions, ${calls.get("evalsha") ?? 0} EVALSHA)`);
  console.log(`  decisions/s over the 10 s run: ${Math.round(decisions / SECONDS).toLocaleString("en-US")}`);
  // throughput against rate-limiter-flexible: alternating 3 s rounds, so both see the same machine load
  const ROUNDS = 5;
  let ourDecisions = 0;
  let rlfDecisions = 0;
  let rlfAdmitted = 0;
  const ratios: number[] = [];
  await admin.config("RESETSTAT");
  for (let i = 0; i < ROUNDS; i++) {
    const o = await run<L>(4, ["limiter", url, `bench-lim-${i}`, String(r), String(b), "1000", "3000", "10000"]);
    const f = await run<{ admitted: number; decisions: number }>(4, ["rlf", url, `bench-rlf-${i}`, String(r), String(b), "1000", "3000"]);
    const od = o.reduce((s, x) => s + x.decisions, 0);
    const fd = f.reduce((s, x) => s + x.decisions, 0);
    ourDecisions += od;
    rlfDecisions += fd;
    rlfAdmitted += f.reduce((s, x) => s + x.admitted, 0);
    ratios.push(od / fd);
  }
  const both = await commandCalls();
  const rlfScripts = (both.get("evalsha") ?? 0) + (both.get("eval") ?? 0) - ourDecisions;
  const secs = ROUNDS * 3;
  console.log(`  ${ROUNDS} alternating 3 s rounds, 4 × 1,000 callers each:`);
  console.log(`    goroutine/redis Limiter:                ${Math.round(ourDecisions / secs).toLocaleString("en-US")} decisions/s`);
  console.log(`    rate-limiter-flexible RateLimiterRedis: ${Math.round(rlfDecisions / secs).toLocaleString("en-US")} decisions/s (${(rlfScripts / rlfDecisions).toFixed(3)} round trips per decision; admitted ${rlfAdmitted} in ${secs} s)`);
  console.log(`    ratio ours / rate-limiter-flexible: ${(ourDecisions / rlfDecisions).toFixed(2)}× (per round ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)\n`);
}

if (want("mutex")) {
  type M = { n: number; refused: number; grants: [number, number, number, number][] };
  const s = performance.now();
  const out = await run<M>(4, ["mutex", url, "bench-mu", "1000", "10"]);
  const secs = (performance.now() - s) / 1000;
  const grants = out.flatMap((o) => o.grants).sort((x, y) => x[0] - y[0]);
  const refused = out.reduce((a, o) => a + o.refused, 0);
  let fifo = 0;
  let worst = 0;
  for (let i = 1; i < grants.length; i++) {
    const early = grants[i - 1][1] - grants[i][1]; // served later but arrived earlier by this much
    if (early > 1) fifo++;
    worst = Math.max(worst, early);
  }
  // hand-off: from the holder's "release sent" to the next holder's grant (consecutive tokens)
  const handoff: number[] = [];
  for (let i = 1; i < grants.length; i++) if (grants[i][0] === grants[i - 1][0] + 1) handoff.push(grants[i][2] - grants[i - 1][3]);
  console.log("Mutex: 4 processes × 1,000 acquisitions (10 callers each)");
  console.log(`  ${grants.length} acquisitions in ${secs.toFixed(2)} s (${Math.round(grants.length / secs)}/s); two holders at once: ${refused} (fencing tokens checked at a shared Redis counter)`);
  console.log(`  FIFO by arrival at Redis: ${fifo} grants out of order by more than 1 ms (worst ${worst.toFixed(3)} ms)`);
  console.log(`  hand-off (release sent → next holder granted): p50 ${pct(handoff, 50).toFixed(2)} ms, p99 ${pct(handoff, 99).toFixed(2)} ms, max ${Math.max(...handoff).toFixed(2)} ms\n`);
}

if (want("breaker")) {
  const name = "bench-cb";
  const zero = { Requests: 0, TotalSuccesses: 0, TotalFailures: 0, TotalExclusions: 0, ConsecutiveSuccesses: 0, ConsecutiveFailures: 0 };
  const half = { state: 1, generation: 1, age: 0, counts: zero, buckets: null, start: "0001-01-01T00:00:00Z", expiry: "0001-01-01T00:00:00Z" };
  await admin.set(`{gobreaker:${name}}:state`, JSON.stringify(half));
  const s = performance.now();
  const kids = Array.from({ length: 4 }, () => child(worker, ["breaker", url, name, "250"]));
  await Promise.all(kids.map((k) => k.line(/^ready$/)));
  await admin.set(`{gobreaker:${name}}:state`, JSON.stringify(half));
  for (const k of kids) k.p.stdin.write("go\n");
  const out = (await Promise.all(kids.map((k) => k.line(/^\{/)))).map((l) => JSON.parse(l) as { ok: number; tooMany: number; open: number; other: number });
  await Promise.all(kids.map((k) => k.exit));
  const down = Number(await admin.get(`{${name}}:downstream`));
  console.log("Breaker: half-open, maxRequests 3, 1,000 concurrent calls across 4 processes");
  console.log(`  reached the downstream: ${down} (ok ${out.reduce((a, o) => a + o.ok, 0)}, too many ${out.reduce((a, o) => a + o.tooMany, 0)}, open ${out.reduce((a, o) => a + o.open, 0)}, errors ${out.reduce((a, o) => a + o.other, 0)}) in ${((performance.now() - s) / 1000).toFixed(2)} s with process start\n`);
}

admin.disconnect();
server.kill("SIGKILL");
