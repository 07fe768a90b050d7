/**
 * Child process of bench/observability.ts: runs the core workloads (ping-pong, stream, select, spawn)
 * against the build whose src directory is argv[2], optionally with a flight recorder running
 * (argv[3] === "flight"), and prints CPU ns/op per workload as JSON (median of 5 batches).
 */
type Lib = typeof import("../src/index.js");
type Trace = typeof import("../src/trace/index.js");

const dir = process.argv[2];
const flight = process.argv[3] === "flight";
const lib = (await import(`${dir}/index.js`)) as Lib;
const { go, Chan, select, recv } = lib;
(await import(`${dir}/runtime/index.js`) as typeof import("../src/runtime/index.js")).setCreationStacks(false);
// "flight": batches alternate between no recorder and a FlightRecorder (Go's defaults) running, in this
// one process, so both see the same load; the result per workload is the median of the pair ratios.
const recorder = flight ? new ((await import(`${dir}/trace/index.js`)) as Trace).FlightRecorder() : undefined;

async function pingpong(n: number): Promise<void> {
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  go(async () => {
    for (let i = 0; i < n; i++) await pong.send((await ping.recv())! + 1);
  });
  for (let i = 0; i < n; i++) {
    await ping.send(i);
    await pong.recv();
  }
}
async function stream(n: number): Promise<void> {
  const ch = new Chan<number>(128);
  go(async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
  });
  for (let i = 0; i < n; i++) await ch.recv();
}
async function sel(n: number): Promise<void> {
  const a = new Chan<number>(128);
  const b = new Chan<number>(128);
  go(async () => {
    for (let i = 0; i < n; i++) await (i & 1 ? a : b).send(i);
  });
  const h = (v: number | undefined): number | undefined => v;
  for (let i = 0; i < n; i++) await select([recv(a, h), recv(b, h)]);
}
async function spawn(n: number): Promise<void> {
  const done = new Chan<void>();
  let left = n;
  for (let i = 0; i < n; i++) {
    go(() => {
      if (--left === 0) done.close();
    });
  }
  await done.recv();
}

const work: Record<string, [(n: number) => Promise<void>, number]> = {
  pingpong: [pingpong, 100_000],
  stream: [stream, 400_000],
  select: [sel, 200_000],
  spawn: [spawn, 200_000],
};
const only = (process.argv[4] ?? "").split(",").filter(Boolean);
const out: Record<string, number> = {};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
/** CPU ns/op of one batch: CPU time (user + system) rather than wall time, since on a shared machine the
 * wall clock also counts the time other jobs held the core, which swamps a 3% difference. */
async function batch(fn: (n: number) => Promise<void>, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  await fn(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}
for (const [name, [fn, n]] of Object.entries(work)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await fn(n / 4); // warm-up
  if (recorder === undefined) {
    const xs: number[] = [];
    for (let s = 0; s < 5; s++) xs.push(await batch(fn, n));
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
      const x = await batch(fn, n / 2);
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
