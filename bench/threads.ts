/**
 * threads benchmark: goroutine/threads against the worker-pool libraries (piscina, tinypool, poolifier,
 * workerpool) and multithreading, one child process per contender per workload (per worker count for the
 * fan-out), run one after another so that no two contenders share the machine.
 *
 *   npm run bench:threads                       # build, then the full run (several minutes)
 *   node dist/bench/threads.js --quick          # every workload, small sizes, one run each (seconds)
 *   node dist/bench/threads.js --only=tiny,fanout --contenders=goroutine,piscina
 *
 * Workloads (`--only`): tiny, fanout, skewed, qsort, mutex, chan (bench/threads-chan.ts in a child).
 * Options: `--contenders=a,b`, `--workers=N` (default gomaxprocs), `--tiny-n`, `--window`, `--sample-every`,
 * `--fib-n`, `--fib-tasks`, `--skew-n`, `--sort-n`, `--cutoff`, `--mutex-ops`, `--mutex-tasks`, `--reps`
 * (best of, default 3), `--budget-ms` (stop repeating once a child has spent this long, default 8000),
 * `--timeout-s` (per child, default 300), `--json=<file>`.
 *
 * Method: each child starts its pool, warms it up (every thread answers a call; a warm-up round of the
 * workload), then times the workload with `performance.now()` and keeps the fastest of `--reps` runs.
 * The same submission method is used for every contender: tiny tasks keep `--window` calls in flight
 * (each completion submits the next); the other workloads submit everything at once.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { writeFileSync } from "node:fs";
import { option, ONLY } from "./harness.js";
import { CONTENDERS, type Contender, open } from "./threads/contenders.js";
import { type Result, type Sizes, WORKLOADS, type WorkloadId } from "./threads/workloads.js";
import { gomaxprocs } from "../src/runtime/index.js";

const QUICK = process.argv.includes("--quick");
const num = (name: string, full: number, quick: number): number => Number(option(name, String(QUICK ? quick : full)));

const sizes: Sizes = {
  tinyN: num("tiny-n", 1_000_000, 20_000),
  window: num("window", 1024, 256),
  sampleEvery: num("sample-every", 100, 10),
  fibN: num("fib-n", 30, 27),
  fibTasks: num("fib-tasks", 64, 16),
  skewN: num("skew-n", 2000, 200),
  sortN: num("sort-n", 2_000_000, 100_000),
  cutoff: num("cutoff", 50_000, 8192),
  mutexOps: num("mutex-ops", 200_000, 20_000),
  mutexTasks: num("mutex-tasks", 4, 4),
  reps: num("reps", 3, 1),
  budgetMs: num("budget-ms", 8000, 2000),
};

const child = option("child", "");
if (child !== "") {
  // ---- child: one contender, one workload, one worker count --------------------------------------------
  const workload = option("workload", "") as WorkloadId;
  const workers = Number(option("workers", "1"));
  // Some pools unref their threads while a call is pending; node would then exit mid-await (code 13).
  setInterval(() => {}, 1 << 30);
  const pool = await open(child as Contender, workers);
  const r = await WORKLOADS[workload](pool, sizes);
  await pool.close();
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0); // some pools leave handles behind after close
}

// ---- parent -------------------------------------------------------------------------------------------

const MAXW = Number(option("workers", String(gomaxprocs())));
const TIMEOUT_S = Number(option("timeout-s", "300"));
const picked = option("contenders", CONTENDERS.join(","))
  .split(",")
  .map((s) => s.trim())
  .filter((s): s is Contender => (CONTENDERS as readonly string[]).includes(s));
const wanted = (id: string): boolean => ONLY.length === 0 || ONLY.some((o) => id.startsWith(o));
const OURS: Contender = "goroutine";
const forward = process.argv.slice(2).filter((a) => !/^--(only|contenders|json|child|workload|workers)=/.test(a));

type Outcome = { ok: true; r: Result } | { ok: false; error: string };

function runChild(who: Contender, workload: WorkloadId, workers: number): Outcome {
  const t0 = performance.now();
  const p = spawnSync(
    process.execPath,
    [process.argv[1], ...forward, `--child=${who}`, `--workload=${workload}`, `--workers=${workers}`],
    { encoding: "utf8", timeout: TIMEOUT_S * 1000, maxBuffer: 1 << 24 },
  );
  const line = p.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (p.status === 0 && line !== undefined) {
    process.stderr.write(`  ${workload} ${who} w=${workers}: ${line.slice(7)} (${secs} s)\n`);
    return { ok: true, r: JSON.parse(line.slice(7)) as Result };
  }
  const why =
    p.error !== undefined
      ? p.error.message
      : (p.stderr ?? "")
          .split("\n")
          .find((l) => /Error|error:/.test(l))
          ?.trim() ?? `exit ${p.status} ${p.signal ?? ""}`;
  process.stderr.write(`  ${workload} ${who} w=${workers}: FAILED ${why} (${secs} s)\n${p.stderr ?? ""}\n`);
  return { ok: false, error: why };
}

const f0 = (x: unknown): string => (typeof x === "number" ? x.toFixed(0) : "—");
const f1 = (x: unknown): string => (typeof x === "number" ? x.toFixed(1) : "—");
const f2 = (x: unknown): string => (typeof x === "number" ? x.toFixed(2) : "—");
const int = (x: unknown): string => (typeof x === "number" ? Math.round(x).toLocaleString("en-US") : "—");

function table(title: string, head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log(`\n${title}`);
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** The best peer's value of `key` (largest when `higher`, else smallest). */
function bestPeer(res: Map<Contender, Outcome>, key: string, higher: boolean): [Contender, number] | undefined {
  let out: [Contender, number] | undefined;
  for (const [who, o] of res) {
    if (who === OURS || !o.ok || typeof o.r[key] !== "number") continue;
    const v = o.r[key];
    if (out === undefined || (higher ? v > out[1] : v < out[1])) out = [who, v];
  }
  return out;
}

const vs = (v: unknown, peer: [Contender, number] | undefined, higher: boolean): string =>
  typeof v !== "number" || peer === undefined ? "—" : `${(higher ? v / peer[1] : peer[1] / v).toFixed(2)}x`;
const verdict = (ok: boolean): string => (ok ? "PASS" : "MISS");
const json: Record<string, unknown> = { sizes, workers: MAXW, quick: QUICK };
const failed = (o: Outcome | undefined): string => (o !== undefined && !o.ok ? `failed: ${o.error}` : "");

console.log(
  `threads benchmark — ${MAXW} workers (gomaxprocs), node ${process.version}, ${QUICK ? "QUICK mode, " : ""}` +
    `best of ${sizes.reps} (fewer once a child has run ${sizes.budgetMs} ms)`,
);
if (loadavg()[0] > gomaxprocs() / 2) {
  console.log(`warning: 1-minute load average ${loadavg()[0].toFixed(2)}: other work is running, numbers will be noisy`);
}

function collect(id: WorkloadId, workers = MAXW): Map<Contender, Outcome> {
  const m = new Map<Contender, Outcome>();
  for (const who of picked) m.set(who, runChild(who, id, workers));
  json[workers === MAXW ? id : `${id}@${workers}`] = Object.fromEntries(m);
  return m;
}

if (wanted("tiny")) {
  const res = collect("tiny");
  const peer = bestPeer(res, "tasksPerSec", true);
  table(
    `1. ${int(sizes.tinyN)} tiny tasks add(i, 1), ${sizes.window} in flight, latency of every ${sizes.sampleEvery}th`,
    ["contender", "tasks/s", "vs best peer", "p50 µs", "p99 µs", "wall ms", "runs"],
    [...res].map(([who, o]) =>
      o.ok
        ? [who, int(o.r.tasksPerSec), vs(o.r.tasksPerSec, peer, true), f1(o.r.p50us), f1(o.r.p99us), f0(o.r.ms), f0(o.r.runs)]
        : [who, failed(o)],
    ),
  );
  const ours = res.get(OURS);
  if (ours?.ok === true && typeof ours.r.tasksPerSec === "number") {
    const t = ours.r.tasksPerSec;
    console.log(
      `target ≥ 250,000 tasks/s: ${verdict(t >= 250_000)}` +
        (peer === undefined ? "" : `; ≥ 5x best peer (${peer[0]}): ${verdict(t >= 5 * peer[1])} (${(t / peer[1]).toFixed(2)}x)`),
    );
  }
}

if (wanted("fanout")) {
  const byW: Map<Contender, Outcome>[] = [];
  for (let w = 1; w <= MAXW; w++) byW[w] = collect("fanout", w);
  const head = ["contender"];
  for (let w = 1; w <= MAXW; w++) head.push(`${w}w ms`, ...(w > 1 ? [`${w}w speedup`] : []));
  head.push(`vs best peer @${MAXW}w`);
  const peer = bestPeer(byW[MAXW], "ms", false);
  const rows = picked.map((who) => {
    const row: string[] = [who];
    const one = byW[1].get(who);
    for (let w = 1; w <= MAXW; w++) {
      const o = byW[w].get(who)!;
      row.push(o.ok ? f0(o.r.ms) : failed(o));
      if (w > 1) row.push(o.ok && one?.ok === true ? `${f2((one.r.ms as number) / (o.r.ms as number))}x` : "—");
    }
    const top = byW[MAXW].get(who)!;
    row.push(top.ok ? vs(top.r.ms, peer, false) : "—");
    return row;
  });
  table(`2. CPU-bound fan-out: fib(${sizes.fibN}) x ${sizes.fibTasks}, wall time at 1..${MAXW} workers`, head, rows);
  const o1 = byW[1].get(OURS);
  const oN = byW[MAXW].get(OURS);
  if (MAXW >= 2 && o1?.ok === true && oN?.ok === true) {
    const s = (o1.r.ms as number) / (oN.r.ms as number);
    console.log(`target speedup ≥ 1.8x at 2 cores: ${verdict(s >= 1.8)} (${s.toFixed(2)}x at ${MAXW} workers)`);
  }
}

if (wanted("skewed")) {
  const res = collect("skewed");
  const peer = bestPeer(res, "ms", false);
  const cpu = [...res.values()].find((o) => o.ok)?.ok ? ([...res.values()].find((o) => o.ok) as { r: Result }).r.cpuMs : undefined;
  table(
    `3. skewed mix: ${int(sizes.skewN)} tasks, 95% busy 10 µs + 5% busy 10 ms (total CPU ${f0(cpu)} ms; ideal on ${MAXW} workers ${typeof cpu === "number" ? f0(cpu / MAXW) : "—"} ms)`,
    ["contender", "wall ms", "vs best peer", "vs ideal", "runs"],
    [...res].map(([who, o]) =>
      o.ok
        ? [who, f0(o.r.ms), vs(o.r.ms, peer, false), `${f2((o.r.ms as number) / ((o.r.cpuMs as number) / MAXW))}x`, f0(o.r.runs)]
        : [who, failed(o)],
    ),
  );
}

if (wanted("qsort")) {
  const res = collect("qsort");
  const peer = bestPeer(res, "ms", false);
  const rows: string[][] = [];
  for (const [who, o] of res) {
    if (!o.ok) {
      rows.push([who, failed(o)]);
      continue;
    }
    const how = o.r.mainDrivenMs !== undefined ? "spawns inside workers" : "main thread drives";
    rows.push([who, how, f0(o.r.ms), vs(o.r.ms, peer, false), `${f2((o.r.seqMs as number) / (o.r.ms as number))}x`, f0(o.r.runs)]);
    if (typeof o.r.mainDrivenMs === "number") {
      rows.push([`${who}`, "main thread drives", f0(o.r.mainDrivenMs), vs(o.r.mainDrivenMs, peer, false), `${f2((o.r.seqMs as number) / o.r.mainDrivenMs)}x`, f0(o.r.runs)]);
    }
  }
  table(
    `4. parallel quicksort of ${int(sizes.sortN)} random doubles, cutoff ${int(sizes.cutoff)} (sorted sequentially below it), arrays copied between threads`,
    ["contender", "recursion", "wall ms", "vs best peer", "vs 1-thread sort", "runs"],
    rows,
  );
}

if (wanted("mutex")) {
  const who = picked.filter((c) => c === OURS || c === "multithreading");
  const res = new Map<Contender, Outcome>();
  for (const c of who) res.set(c, runChild(c, "mutex", MAXW));
  json.mutex = Object.fromEntries(res);
  const peer = bestPeer(res, "nsPerOp", false);
  table(
    `5a. mutex contention: ${sizes.mutexTasks} tasks on ${MAXW} workers, ${int(sizes.mutexOps)} lock + increment + unlock in all (the pools have no cross-thread mutex)`,
    ["contender", "ns/op", "vs best peer", "wall ms", "runs"],
    [...res].map(([c, o]) =>
      o.ok ? [c, f0(o.r.nsPerOp), vs(o.r.nsPerOp, peer, false), f0(o.r.ms), f0(o.r.runs)] : [c, failed(o)],
    ),
  );
}

if (wanted("chan")) {
  // Only goroutine has cross-thread channels (the pools have none; multithreading's channel is not a
  // rendezvous): bench/threads-chan.ts measures them, in its own process, with postMessage as the baseline.
  console.log("\n5b. cross-thread channels (goroutine only; postMessage round trip as the baseline)");
  const args = [new URL("./threads-chan.js", import.meta.url).pathname];
  if (QUICK) args.push("--n=500", "--per=2000", "--samples=1");
  const p = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000 });
  process.stdout.write(p.stdout.replace(/^/gm, "  "));
  if (p.status !== 0) console.log(`  threads-chan failed (exit ${String(p.status)}): ${p.stderr.slice(0, 400)}`);
}

const jsonFile = option("json", "");
if (jsonFile !== "") writeFileSync(jsonFile, JSON.stringify(json, null, 2));
