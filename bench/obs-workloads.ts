/**
 * Child process of bench/observability.ts: runs the core workloads (ping-pong, stream, select, spawn)
 * against the build whose src directory is argv[2], optionally with a flight recorder running
 * (argv[3] === "flight"), and prints CPU ns/op per workload as JSON (median of 5 batches).
 */
import { type Workload, coreWorkloads, cpuBatch, median } from "./obs-core.js";
type Trace = typeof import("../src/trace/index.js");

const dir = process.argv[2];
const flight = process.argv[3] === "flight";
const wl = await coreWorkloads(dir);
// "flight": batches alternate between no recorder and a FlightRecorder (Go's defaults) running, in this
// one process, so both see the same load; the result per workload is the median of the pair ratios.
const recorder = flight ? new ((await import(`${dir}/trace/index.js`)) as Trace).FlightRecorder() : undefined;

const work: Record<string, [Workload, number]> = {
  pingpong: [wl.pingpong, 100_000],
  stream: [wl.stream, 400_000],
  select: [wl.select, 200_000],
  spawn: [wl.spawn, 200_000],
};
const only = (process.argv[4] ?? "").split(",").filter(Boolean);
const out: Record<string, number> = {};
for (const [name, [fn, n]] of Object.entries(work)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await fn(n / 4); // warm-up
  if (recorder === undefined) {
    const xs: number[] = [];
    for (let s = 0; s < 5; s++) xs.push(await cpuBatch(fn, n));
    out[name] = median(xs);
    continue;
  }
  recorder.start();
  await fn(n / 4); // warm-up with the recorder's hook installed
  await recorder.stop();
  const ratios: number[] = [];
  for (let s = 0; s < 8; s++) {
    let off = 0;
    let on = 0;
    for (const rec of s & 1 ? [true, false] : [false, true]) {
      if (rec) recorder.start();
      const x = await cpuBatch(fn, n / 2);
      if (rec) {
        await recorder.stop();
        on = x;
      } else off = x;
    }
    ratios.push(on / off);
  }
  out[name] = median(ratios);
}
if (recorder !== undefined) {
  // The floor of a stamped event: one read of the tracer's clock (CPU ns), for the report.
  const { stamp } = (await import(`${dir}/internal/trace.js`)) as typeof import("../src/internal/trace.js");
  const xs: number[] = [];
  let s = 0;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 1e6; i++) s += stamp();
    const c = process.cpuUsage(c0);
    xs.push((c.user + c.system) / 1000);
  }
  out.clockReadNs = median(xs) + (s === 0 ? 1 : 0);
}
console.log(JSON.stringify(out));
