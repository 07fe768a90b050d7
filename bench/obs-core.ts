/**
 * Shared by the observability bench's children (obs-workloads.ts, obs-inproc.ts): the core workloads
 * (ping-pong, stream, select, spawn) bound to the build whose src directory is `dir`, with creation stacks
 * off, and the CPU-time batch both measure with.
 */
type Lib = typeof import("../src/index.js");

/** A workload: `n` operations of one kind. */
export type Workload = (n: number) => Promise<void>;

/** The core workloads against the build in `dir` (a dist/src directory, or a copy of one). */
export async function coreWorkloads(dir: string): Promise<Record<string, Workload>> {
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

/** CPU ns/op of one batch: CPU time (user + system) rather than wall time, since on a shared machine the
 * wall clock also counts the time other jobs held the core, which swamps a 3% difference. */
export async function cpuBatch(fn: Workload, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  await fn(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

/** The median of `xs` (the upper one for an even count). */
export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
