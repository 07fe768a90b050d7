/**
 * Child process of bench/observability.ts: the metrics-on build (argv[2]) and the compiled-out build
 * (argv[3]) loaded side by side in this one process, their core workloads run in alternating batches so
 * both see the same machine load, JIT state and heap. argv[4] is a second compiled-out copy: off2 ÷ off
 * (A/A) is the noise floor, and "on" is divided by the geometric mean of the two. Prints, per workload,
 * the medians over `argv[5]` rounds (each build once per round, order rotating) as JSON.
 */
type Lib = typeof import("../src/index.js");

async function load(dir: string): Promise<Record<string, (n: number) => Promise<void>>> {
  const { go, Chan, select, recv } = (await import(`${dir}/index.js`)) as Lib;
  ((await import(`${dir}/runtime/index.js`)) as typeof import("../src/runtime/index.js")).setCreationStacks(false);
  return {
    async pingpong(n) {
      const ping = new Chan<number>();
      const pong = new Chan<number>();
      go(async () => {
        for (let i = 0; i < n; i++) await pong.send((await ping.recv())! + 1);
      });
      for (let i = 0; i < n; i++) {
        await ping.send(i);
        await pong.recv();
      }
    },
    async stream(n) {
      const ch = new Chan<number>(128);
      go(async () => {
        for (let i = 0; i < n; i++) await ch.send(i);
      });
      for (let i = 0; i < n; i++) await ch.recv();
    },
    async select(n) {
      const a = new Chan<number>(128);
      const b = new Chan<number>(128);
      go(async () => {
        for (let i = 0; i < n; i++) await (i & 1 ? a : b).send(i);
      });
      const h = (v: number | undefined): number | undefined => v;
      for (let i = 0; i < n; i++) await select([recv(a, h), recv(b, h)]);
    },
    async spawn(n) {
      const done = new Chan<void>();
      let left = n;
      for (let i = 0; i < n; i++) {
        go(() => {
          if (--left === 0) done.close();
        });
      }
      await done.recv();
    },
  };
}

const on = await load(process.argv[2]);
const off = await load(process.argv[3]);
const off2 = await load(process.argv[4]);
const sizes: Record<string, number> = { pingpong: 25_000, stream: 100_000, select: 50_000, spawn: 50_000 };
const PAIRS = Number(process.argv[5] ?? "15");
async function batch(fn: (n: number) => Promise<void>, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  await fn(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
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
