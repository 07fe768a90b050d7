/**
 * Observability benchmark (issue 11's targets), after a build: `node dist/bench/observability.js`.
 *
 * - metrics always on vs compiled out: a copy of dist/src with every scheduler line marked `// obs`
 *   removed is the "compiled out" build (two identical copies); one child loads the normal build and
 *   both copies side by side and runs the core workloads in interleaved batches (bench/obs-inproc.ts),
 *   `--rounds` times (default 3). Across processes the load of other jobs made even A/A (a build against
 *   itself) differ by ±35%; in one process it is within a few %.
 * - flight recorder running vs not: a child of the normal build alternates batches without and with a
 *   FlightRecorder (Go's defaults) running and reports the median ratio of the pairs.
 * - Children report CPU ns/op (process.cpuUsage), which the load of other jobs on a shared machine
 *   disturbs less than wall time; the A/A column (the compiled-out build against itself) is the noise.
 * - writeTo of a full 10 MiB ring, a goroutine profile of 100,000 goroutines, metrics.read of every
 *   sample: measured in this process.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { option } from "./harness.js";

const ROUNDS = Number(option("rounds", "3"));
/** `--parts=ratios,writeTo,profile,read` (default all): which figures to measure. */
const PARTS = new Set(option("parts", "ratios,writeTo,profile,read").split(","));
const here = fileURLToPath(new URL(".", import.meta.url));
const src = join(here, "..", "src");
const child = join(here, "obs-workloads.js");

function run(dir: string, mode = ""): Record<string, number> {
  return JSON.parse(execFileSync(process.execPath, [child, dir, mode], { encoding: "utf8" })) as Record<string, number>;
}

// ---- the compiled-out builds -------------------------------------------------------------------------
// Beside dist/ (not in /tmp), so the native addon (build/Release) is found at the same relative path.
// Two identical copies: the second one's ratio to the first is the measurement's noise (A/A).
function strippedCopy(): string {
  const tmp = mkdtempSync(join(here, "..", "..", "dist-obs-off-"));
  const off = join(tmp, "src");
  cpSync(src, off, { recursive: true });
  const sched = join(off, "internal", "scheduler.js");
  // tsc puts the body of a one-line `if` on its own line: drop the `if` with its marked body.
  const stripped: string[] = [];
  for (const l of readFileSync(sched, "utf8").split("\n")) {
    if (!l.trimEnd().endsWith("// obs")) stripped.push(l);
    else if (/^\s*if \(.*\)$/.test(stripped[stripped.length - 1] ?? "")) stripped.pop();
  }
  writeFileSync(sched, stripped.join("\n"));
  return off;
}

const ratios: Record<string, number[]> = {};
const noise: Record<string, number[]> = {};
const flightRatios: Record<string, number[]> = {};
const push = (m: Record<string, number[]>, k: string, v: number): void => void (m[k] ??= []).push(v);
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}×`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
if (PARTS.has("ratios")) {
  const off = strippedCopy();
  const off2 = strippedCopy();
  const inproc = join(here, "obs-inproc.js");
  for (let r = 0; r < ROUNDS; r++) {
    // metrics on vs compiled out: all three builds in one child, batches interleaved (see obs-inproc.ts)
    const m = JSON.parse(execFileSync(process.execPath, [inproc, src, off, off2, "9"], { encoding: "utf8" })) as Record<string, { on: number; aa: number }>;
    for (const [k, v] of Object.entries(m)) {
      push(ratios, k, v.on);
      push(noise, k, v.aa);
    }
    // flight recorder: the child alternates batches with and without one (see obs-workloads.ts)
    const f = run(src, "flight");
    for (const [k, v] of Object.entries(f)) push(flightRatios, k === "clockReadNs" ? "(one clock read: CPU ns, not a ratio)" : k, v);
    console.log(`round ${r + 1}: metrics ${JSON.stringify(m)}\n         recorder ${JSON.stringify(f)}`);
  }
  rmSync(join(off, ".."), { recursive: true, force: true });
  rmSync(join(off2, ".."), { recursive: true, force: true });
}

// ---- in-process figures ------------------------------------------------------------------------------
const { go, Chan } = await import("../src/index.js");
const trace = await import("../src/trace/index.js");
const pprof = await import("../src/pprof/index.js");
const metrics = await import("../src/metrics/index.js");
const nul = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

const rows: string[] = [];
if (PARTS.has("writeTo")) {
  // a full 10 MiB ring
  const fr = new trace.FlightRecorder();
  fr.start();
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  const n = 200_000; // ≥ 4 events per round trip: more than the ring's 436,906 records
  go(async () => {
    for (let i = 0; i < n; i++) await pong.send((await ping.recv())! + 1);
  });
  for (let i = 0; i < n; i++) {
    await ping.send(i);
    await pong.recv();
  }
  const writeTimes: number[] = [];
  const writeCpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    bytes = await fr.writeTo(nul());
    const c = process.cpuUsage(c0);
    writeTimes.push(performance.now() - t0);
    writeCpu.push((c.user + c.system) / 1000);
  }
  await fr.stop();
  rows.push(`| writeTo of a full 10 MiB ring (${(bytes / 1e6).toFixed(1)} MB of JSON) | wall ${Math.min(...writeTimes).toFixed(0)}–${Math.max(...writeTimes).toFixed(0)} ms, CPU ${Math.min(...writeCpu).toFixed(0)}–${Math.max(...writeCpu).toFixed(0)} ms | ≤ 200 ms | ${median(writeTimes) <= 200 ? "PASS" : "MISS"} |`);
}

if (PARTS.has("profile")) {
  // 100,000 goroutines (creation stacks on: the default)
  const block = new Chan<void>();
  for (let i = 0; i < 100_000; i++) {
    go(async function parked() {
      await block.recv();
    });
  }
  await new Promise((r) => setImmediate(r));
  const profTimes: Record<string, number[]> = { "debug=0": [], "debug=1": [] };
  const profCpu: Record<string, number[]> = { "debug=0": [], "debug=1": [] };
  for (let r = 0; r < 3; r++) {
    for (const debug of [0, 1] as const) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await pprof.lookup("goroutine")!.writeTo(nul(), debug);
      const c = process.cpuUsage(c0);
      profTimes[`debug=${debug}`].push(performance.now() - t0);
      profCpu[`debug=${debug}`].push((c.user + c.system) / 1000);
    }
  }
  block.close();
  const ms = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  rows.push(
    `| goroutine profile of 100,000 goroutines, debug=0 / debug=1 (the first debug=0 formats every creation stack) | wall ${ms(profTimes["debug=0"])} / ${ms(profTimes["debug=1"])} ms, CPU ${ms(profCpu["debug=0"])} / ${ms(profCpu["debug=1"])} ms | ≤ 1 s | ${Math.max(...profTimes["debug=0"]) <= 1000 ? "PASS" : "MISS"} |`,
  );
}

if (PARTS.has("read")) {
  // metrics.read of every sample
  const all = metrics.all().map((d) => ({ name: d.name }));
  for (let i = 0; i < 2000; i++) metrics.read(all);
  const N = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) metrics.read(all);
  const readUs = ((performance.now() - t0) * 1000) / N;
  rows.push(`| metrics.read of all ${all.length} samples | ${readUs.toFixed(2)} µs | ≤ 20 µs | ${readUs <= 20 ? "PASS" : "MISS"} |`);
}

console.log(`\nload average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log("| figure | measured | target | result |\n| --- | ---: | --- | --- |");
for (const k of Object.keys(ratios)) {
  const m = median(ratios[k]);
  console.log(`| metrics on / compiled out, ${k} | median ${m.toFixed(3)}×, range ${range(ratios[k])} (A/A noise ${range(noise[k])}) | ≤ 1.03× | ${m <= 1.03 ? "PASS" : "MISS"} |`);
}
for (const k of Object.keys(flightRatios)) {
  const m = median(flightRatios[k]);
  if (k.startsWith("(")) {
    console.log(`| flight recorder ${k} | ${m.toFixed(1)} ns | — | — |`);
    continue;
  }
  console.log(`| flight recorder running, ${k} | median ${m.toFixed(3)}×, range ${range(flightRatios[k])} | ${k === "pingpong" || k === "stream" ? "≤ 1.3×" : "—"} | ${k === "pingpong" || k === "stream" ? (m <= 1.3 ? "PASS" : "MISS") : "—"} |`);
}
for (const r of rows) console.log(r);
