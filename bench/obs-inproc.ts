/**
 * Child process of bench/observability.ts: the metrics-on build (argv[2]) and the compiled-out build
 * (argv[3]) loaded side by side in this one process, their core workloads run in alternating batches so
 * both see the same machine load, JIT state and heap. argv[4] is a second compiled-out copy: off2 ÷ off
 * (A/A) is the noise floor, and "on" is divided by the geometric mean of the two. Prints, per workload,
 * the medians over `argv[5]` rounds (each build once per round, order rotating) as JSON.
 */
import { coreWorkloads as load, cpuBatch as batch, median } from "./obs-core.js";

const on = await load(process.argv[2]);
const off = await load(process.argv[3]);
const off2 = await load(process.argv[4]);
const sizes: Record<string, number> = { pingpong: 25_000, stream: 100_000, select: 50_000, spawn: 50_000 };
const PAIRS = Number(process.argv[5] ?? "15");
const out: Record<string, { on: number; aa: number }> = {};
const only = (process.argv[6] ?? "").split(",").filter(Boolean);
for (const k of Object.keys(sizes)) {
  if (only.length > 0 && !only.includes(k)) continue;
  const n = sizes[k];
  for (const lib of [on, off, off2]) await lib[k](n); // warm-up
  const r: number[] = [];
  const aa: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const order = [on, off, off2];
    const t = new Map<unknown, number>();
    for (let i = 0; i < 3; i++) {
      const lib = order[(i + p) % 3];
      t.set(lib, await batch(lib[k], n));
    }
    r.push(t.get(on)! / Math.sqrt(t.get(off)! * t.get(off2)!)); // against both compiled-out copies
    aa.push(t.get(off2)! / t.get(off)!);
  }
  out[k] = { on: median(r), aa: median(aa) };
}
console.log(JSON.stringify(out));
