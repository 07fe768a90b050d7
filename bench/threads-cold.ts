/**
 * threads cold-start spread: fib(N) × T submitted at once to a runtime that has just been started (no
 * warm-up call: the workers may still be starting and have not loaded the task module), at 1 and at W
 * workers, each measurement in a fresh child process. Reports wall time from `threads.start()` to the
 * last result, the speed-up, and how the tasks were spread over the threads (tasks per thread).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/threads-cold.js [--fib-n=27] [--tasks=32] [--workers=2] [--reps=5]
 *
 * Method: `--reps` children per worker count, alternating 1 and W so that machine load hits both alike;
 * the median and the best of each are shown. The target (issue 17): W=2 at least 1.8× faster than W=1.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { option } from "./harness.js";
import * as threads from "../src/threads/index.js";
import { fibOn } from "./threads/tasks.js";

const N = Number(option("fib-n", "27"));
const TASKS = Number(option("tasks", "32"));
const W = Number(option("workers", "2"));
const REPS = Number(option("reps", "5"));

const child = option("child", "");
if (child !== "") {
  const t0 = performance.now();
  const rt = threads.start({ workers: Number(child) });
  const done = await Promise.all(Array.from({ length: TASKS }, () => rt.run(fibOn, N)));
  const ms = performance.now() - t0;
  const per = new Map<number, number>();
  for (const d of done) per.set(d.thread, (per.get(d.thread) ?? 0) + 1);
  await rt.close();
  process.stdout.write(`RESULT ${JSON.stringify({ ms, spread: [...per.values()].sort((a, b) => b - a) })}\n`);
} else {
  const runOne = (w: number): { ms: number; spread: number[] } => {
    const p = spawnSync(process.execPath, [process.argv[1], ...process.argv.slice(2), `--child=${w}`], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const line = p.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (line === undefined) throw new Error(`child w=${w} failed: ${p.stderr}`);
    return JSON.parse(line.slice(7)) as { ms: number; spread: number[] };
  };
  console.log(`threads cold start: fib(${N}) x ${TASKS} from threads.start(), 1 vs ${W} workers, ${REPS} fresh processes each`);
  if (loadavg()[0] > 1) console.log(`warning: 1-minute load average ${loadavg()[0].toFixed(2)}: numbers will be noisy`);
  const one: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const a = runOne(1);
    const b = runOne(W);
    one.push(a.ms);
    many.push(b.ms);
    console.log(`  run ${i + 1}: 1w ${a.ms.toFixed(0)} ms, ${W}w ${b.ms.toFixed(0)} ms (tasks per thread ${b.spread.join("/")}), ×${(a.ms / b.ms).toFixed(2)}`);
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const m1 = med(one);
  const mW = med(many);
  console.log(`median: 1w ${m1.toFixed(0)} ms, ${W}w ${mW.toFixed(0)} ms, speed-up ×${(m1 / mW).toFixed(2)}`);
  console.log(`best:   1w ${Math.min(...one).toFixed(0)} ms, ${W}w ${Math.min(...many).toFixed(0)} ms, speed-up ×${(Math.min(...one) / Math.min(...many)).toFixed(2)}`);
  console.log(`target ≥ 1.8x (median): ${m1 / mW >= 1.8 ? "PASS" : "MISS"}`);
}
