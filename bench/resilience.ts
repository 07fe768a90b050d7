/**
 * resilience benchmark: goroutine/rate, goroutine/breaker and goroutine/backoff against the npm packages a
 * Node.js user would otherwise reach for, in one process, peer and ours interleaved round by round.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/resilience.js
 *   node dist/bench/resilience.js --only=allow,execute --rounds=5
 *   node dist/bench/resilience.js --go-xtime=/path/to/golang.org/x/time   (measure Go's row instead of carrying it)
 *
 * Method: every workload is a batch of n operations sized to last about `--sample-ms` (default 40 ms); each
 * round measures every contender of the workload once (median of 3 batches, CPU time), and the table shows
 * the median over `--rounds` rounds (default 9) of each contender's ns/op and of each peer ÷ ours ratio,
 * with the range of the ratio. "floor" contenders are not peers: they are the irreducible part of our
 * operation (a bare clock read; a bare await with the one extra reaction that learns an outcome), shown
 * so a missed ratio can be read against what no implementation can avoid. The 10,000-waiter row runs on
 * the real clock for 5 s, beside a bare setTimeout chain aimed at the same due times (the timer floor).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RateLimiter as PeerRateLimiter } from "limiter";
import { RateLimiterMemory } from "rate-limiter-flexible";
import Opossum from "opossum";
import { ConsecutiveBreaker, ConstantBackoff, circuitBreaker, handleAll, retry as cRetry } from "cockatiel";
import pRetry from "p-retry";
import { ONLY, type Run, option } from "./harness.js";
import { go } from "../src/index.js";
import * as context from "../src/context/index.js";
import { Limiter } from "../src/rate/index.js";
import { CircuitBreaker } from "../src/breaker/index.js";
import { ZeroBackOff, retry } from "../src/backoff/index.js";

const SAMPLE_MS = Number(option("sample-ms", "40"));
const ROUNDS = Math.max(1, Number(option("rounds", "9")));

/**
 * CPU nanoseconds (user + system) one batch takes. CPU time rather than wall time: on a shared machine
 * the wall clock also counts the time other jobs held the core, which swamps ratios of tens of ns.
 */
async function timed(run: Run, n: number, before: () => void): Promise<number> {
  before();
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}
const want = (id: string): boolean => ONLY.length === 0 || ONLY.some((o) => id.startsWith(o));
const bg = context.background();
const noop = (): void => {};
/** Keeps floor loops from being optimized away. */
let sink = 0;

async function size(run: Run): Promise<number> {
  let n = 256;
  for (;;) {
    const t = await timed(run, n, noop);
    if (t >= SAMPLE_MS * 1e6 * 0.25 || n >= 1 << 24) return Math.max(256, Math.round((n * SAMPLE_MS * 1e6) / Math.max(t, 1)));
    n *= 4;
  }
}
async function sample(run: Run, n: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) xs.push((await timed(run, n, noop)) / n);
  xs.sort((a, b) => a - b);
  return xs[1];
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Contender {
  who: string;
  run: Run;
}
interface Result {
  id: string;
  ours: string;
  ns: Map<string, number[]>;
}
const results: Result[] = [];

/** Interleaved rounds: every contender once per round; the first contender is ours. */
async function workload(id: string, contenders: Contender[]): Promise<void> {
  if (!want(id)) return;
  const sizes: number[] = [];
  for (const c of contenders) {
    sizes.push(await size(c.run));
    await timed(c.run, sizes[sizes.length - 1], noop); // warm-up
  }
  const r: Result = { id, ours: contenders[0].who, ns: new Map(contenders.map((c) => [c.who, []])) };
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) r.ns.get(contenders[i].who)!.push(await sample(contenders[i].run, sizes[i]));
  }
  results.push(r);
  const line = [...r.ns].map(([who, xs]) => `${who} ${median(xs).toFixed(1)}`).join(" | ");
  process.stderr.write(`  ${id.padEnd(22)} ${line} ns/op\n`);
}

// ---- workloads ----------------------------------------------------------------------------------------

// Limiter.allow, uncontended, always admitted (a bucket that never runs dry), as Go's reference row.
{
  const ours = new Limiter(1e9, 1e9);
  const peer = new PeerRateLimiter({ tokensPerInterval: 1e9, interval: "second" });
  const flex = new RateLimiterMemory({ points: 1e12, duration: 1000 });
  await workload("allow", [
    {
      who: "goroutine Limiter.allow",
      run: (n) => {
        for (let i = 0; i < n; i++) ours.allow();
        return Promise.resolve();
      },
    },
    {
      who: "limiter tryRemoveTokens",
      run: (n) => {
        for (let i = 0; i < n; i++) peer.tryRemoveTokens(1);
        return Promise.resolve();
      },
    },
    {
      who: "rate-limiter-flexible consume",
      run: async (n) => {
        for (let i = 0; i < n; i++) await flex.consume("k");
      },
    },
    {
      who: "floor: performance.now()",
      run: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += performance.now();
        sink += s;
        return Promise.resolve();
      },
    },
    {
      who: "floor: process.hrtime() (our clock read)",
      run: (n) => {
        let s = 0;
        const hr = process.hrtime;
        for (let i = 0; i < n; i++) {
          const h = hr();
          s += h[0] * 1e3 + h[1] / 1e6;
        }
        sink += s;
        return Promise.resolve();
      },
    },
  ]);
}

// CircuitBreaker.execute of a resolved async function, closed breaker.
{
  const fn = async (): Promise<number> => 1;
  const ours = new CircuitBreaker<number>();
  const opossum = new Opossum(fn, { timeout: false, volumeThreshold: 1e9 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  await workload("execute", [
    {
      who: "goroutine CircuitBreaker.execute",
      run: async (n) => {
        for (let i = 0; i < n; i++) await ours.execute(fn);
      },
    },
    {
      who: "bare await fn()",
      run: async (n) => {
        for (let i = 0; i < n; i++) await fn();
      },
    },
    {
      who: "opossum fire",
      run: async (n) => {
        for (let i = 0; i < n; i++) await opossum.fire();
      },
    },
    {
      who: "cockatiel execute",
      run: async (n) => {
        for (let i = 0; i < n; i++) await cockatiel.execute(fn);
      },
    },
    {
      who: "floor: await fn() + one reaction",
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          const p = fn();
          void p.then(noop, noop); // the least any breaker needs to learn the outcome
          await p;
        }
      },
    },
  ]);
}

// retry: the cost of one failed attempt with no wait (zero backoff), per attempt; 100 attempts per call.
{
  const ATT = 100;
  const err = new Error("flaky");
  const cockatielRetry = cRetry(handleAll, { maxAttempts: ATT, backoff: new ConstantBackoff(0) });
  await workload("retry", [
    {
      who: "goroutine retry",
      run: async (n) => {
        for (let c = 0; c < Math.ceil(n / ATT); c++) {
          await retry(bg, (a) => (a < ATT ? Promise.reject(err) : Promise.resolve(a)), {
            backOff: new ZeroBackOff(),
            maxElapsedTime: 0,
          });
        }
      },
    },
    {
      who: "cockatiel retry (0 ms backoff)",
      run: async (n) => {
        for (let c = 0; c < Math.ceil(n / ATT); c++) {
          let a = 0;
          await cockatielRetry.execute(() => (++a < ATT ? Promise.reject(err) : Promise.resolve(a)));
        }
      },
    },
    {
      who: "p-retry (minTimeout 0)",
      run: async (n) => {
        for (let c = 0; c < Math.ceil(n / ATT); c++) {
          let a = 0;
          await pRetry(() => (++a < ATT ? Promise.reject(err) : Promise.resolve(a)), {
            retries: ATT,
            minTimeout: 0,
            factor: 1,
            randomize: false,
          });
        }
      },
    },
  ]);
}

// ---- 10,000 goroutines in wait, real clock ---------------------------------------------------------------

interface WaitRow {
  admitted: number;
  ideal: number;
  p50: number;
  p99: number;
  /** p99 of the releases due after the first 100 ms (while 10,000 goroutines are still being spawned and
   * make their first wait call, the event loop is busy and the first releases are late). */
  p99steady: number;
  max: number;
  fifo: boolean;
}
async function tenThousand(): Promise<WaitRow> {
  const R = 2000;
  const N = 10_000;
  const T = 5000;
  const lim = new Limiter(R, 1);
  // The clock starts at the first wait call, when the burst token is taken: the k-th release is due
  // k/R s later (spawning 10,000 goroutines takes a few ms before the first of them runs).
  let start = -1;
  const lateness: number[] = [];
  const steady: number[] = [];
  const firstRound: number[] = [];
  let k = 0;
  let admitted = 0;
  let left = N;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  for (let i = 0; i < N; i++) {
    go(async () => {
      let round = 0;
      for (;;) {
        if (start < 0) start = performance.now();
        await lim.wait(bg);
        const now = performance.now() - start;
        if (now > T) break;
        admitted++;
        const due = (k++ * 1000) / R; // the k-th release is due k/R s after the start
        lateness.push(now - due);
        if (due >= 100) steady.push(now - due);
        if (round++ === 0) firstRound.push(i);
      }
      if (--left === 0) finish();
    });
  }
  await all;
  lateness.sort((a, b) => a - b);
  steady.sort((a, b) => a - b);
  const q = (p: number): number => lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))];
  return {
    admitted,
    ideal: (R * T) / 1000 + 1,
    p50: q(0.5),
    p99: q(0.99),
    p99steady: steady[Math.floor(0.99 * steady.length)],
    max: lateness[lateness.length - 1],
    fifo: firstRound.every((v, j) => v === j),
  };
}
const waitRow = want("wait10k") ? await tenThousand() : undefined;

/**
 * The timer floor: one bare setTimeout chain aimed at the same due times (every 1/R s for 5 s), each
 * fire re-arming for the next due time, with nothing else to do. Its lateness is what Node's timers
 * (1 ms granularity, the loop's cached time) and the machine's load give before any limiter work.
 */
async function timerFloor(): Promise<{ p50: number; p99: number }> {
  const R = 2000;
  const T = 5000;
  const late: number[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let k = 1;
    const arm = (): void => {
      const due = (k * 1000) / R;
      setTimeout(
        () => {
          const now = performance.now() - start;
          if (now > T) return resolve();
          // release every due time that has passed, as the limiter's one timer does
          while ((k * 1000) / R <= now) {
            if ((k * 1000) / R >= 100) late.push(now - (k * 1000) / R);
            k++;
          }
          arm();
        },
        Math.max(0, due - (performance.now() - start)),
      );
    };
    arm();
  });
  late.sort((a, b) => a - b);
  return { p50: late[late.length >> 1], p99: late[Math.floor(0.99 * late.length)] };
}
const floorRow = want("wait10k") ? await timerFloor() : undefined;

// ---- Go's reference row ------------------------------------------------------------------------------

const GO_CARRIED = { allow: 68.1, when: "2026-12-02, same machine, Go 1.19.8, x/time/rate at golang/time@2b4e439" };
function goRow(): { allow: number; note: string } {
  const xtime = option("go-xtime", "");
  if (xtime === "") return { allow: GO_CARRIED.allow, note: `carried: ${GO_CARRIED.when}` };
  const dir = mkdtempSync(join(tmpdir(), "goref-"));
  copyFileSync(fileURLToPath(new URL("../../bench/go/allow.go", import.meta.url)), join(dir, "allow.go"));
  writeFileSync(
    join(dir, "go.mod"),
    `module goref\n\ngo 1.19\n\nrequire golang.org/x/time v0.0.0\n\nreplace golang.org/x/time => ${xtime}\n`,
  );
  const r = spawnSync("go", ["run", "."], { cwd: dir, encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=mod" } });
  if (r.status !== 0) return { allow: GO_CARRIED.allow, note: `carried (go run failed: ${r.stderr.trim().split("\n")[0]})` };
  return { allow: (JSON.parse(r.stdout) as { allow: number }).allow, note: "measured now" };
}
const goRef = goRow();

// ---- report -----------------------------------------------------------------------------------------------

const [l1] = loadavg();
console.log(`\nresilience bench — Node ${process.version}, ${cpus().length} CPUs, load ${l1.toFixed(2)}, ${ROUNDS} rounds\n`);
console.log("| workload | goroutine | peer | ratio (peer ÷ ours), median [range] | target | result |");
console.log("| --- | ---: | --- | --- | --- | --- |");
const targets: Record<string, Record<string, [number, string]>> = {
  allow: { "limiter tryRemoveTokens": [5, "≥ 5×"], "rate-limiter-flexible consume": [20, "≥ 20×"] },
  execute: { "opossum fire": [5, "≥ 5×"], "cockatiel execute": [5, "≥ 5×"] },
};
for (const r of results) {
  const ours = r.ns.get(r.ours)!;
  for (const [who, xs] of r.ns) {
    if (who === r.ours) continue;
    const ratios = xs.map((x, i) => x / ours[i]);
    const t = targets[r.id]?.[who];
    let target = "—";
    let result = "—";
    if (r.id === "execute" && who === "bare await fn()") {
      const over = 1 / median(ratios);
      target = "ours ≤ 1.3× bare";
      result = `${over <= 1.3 ? "PASS" : "MISS"} (${over.toFixed(2)}×)`;
    } else if (who.startsWith("floor")) {
      target = "(floor, not a peer)";
    } else if (t !== undefined) {
      target = t[1];
      result = median(ratios) >= t[0] ? "PASS" : "MISS";
    }
    const range = `[${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}]`;
    console.log(
      `| ${r.id} | ${median(ours).toFixed(1)} ns | ${who} ${median(xs).toFixed(1)} ns | ${median(ratios).toFixed(2)}× ${range} | ${target} | ${result} |`,
    );
  }
  if (r.id === "allow") {
    console.log(`| allow | ${median(ours).toFixed(1)} ns | Go rate.Limiter.Allow ${goRef.allow.toFixed(1)} ns (${goRef.note}) | ${(goRef.allow / median(ours)).toFixed(2)}× | reference | — |`);
  }
  if (r.id === "retry") {
    const m = median(ours);
    console.log(`| retry | ${m.toFixed(1)} ns/attempt | — | — | ≤ 1 µs per attempt | ${m <= 1000 ? "PASS" : "MISS"} |`);
  }
}
if (waitRow !== undefined) {
  const w = waitRow;
  const dev = Math.abs(w.admitted - w.ideal) / w.ideal;
  console.log(
    `| wait, 10,000 goroutines, r = 2000/s, b = 1, 5 s real clock | lateness p50 ${w.p50.toFixed(2)} ms, p99 ${w.p99.toFixed(2)} ms (after the first 100 ms: ${w.p99steady.toFixed(2)} ms), max ${w.max.toFixed(2)} ms; FIFO ${w.fifo ? "yes" : "NO"}; admitted ${w.admitted} (ideal ${w.ideal}, ${(dev * 100).toFixed(2)}%) | — | — | p99 ≤ 2 ms (steady), FIFO, within 0.5% | ${w.p99steady <= 2 && w.fifo && dev <= 0.005 ? "PASS" : "MISS"} |`,
  );
}
if (floorRow !== undefined) {
  console.log(`| wait, floor: a bare setTimeout chain at the same due times | lateness p50 ${floorRow.p50.toFixed(2)} ms, p99 ${floorRow.p99.toFixed(2)} ms (after the first 100 ms) | — | — | — | — |`);
}
if (sink === 42) console.log("");
if (l1 > cpus().length / 2) console.log(`\n(load average ${l1.toFixed(2)} on ${cpus().length} CPUs: the machine was busy, numbers are noisy)`);
process.exit(0);
