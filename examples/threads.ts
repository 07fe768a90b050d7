/**
 * Goroutines on every core: `goroutine/threads` runs tasks on worker threads that share run queues in
 * shared memory, and cross-thread primitives (here a Mutex and an Int32) work the same on every thread.
 *
 * - `countPrimes` is a task: registered at the top level of this module with `threads.task`, so each
 *   worker, which imports this module, finds it by URL and name (a closure could not cross threads).
 * - `search` is a task that spawns tasks from inside a worker (`threads.run` there queues on the
 *   worker's own run queue; an idle worker steals half of it).
 * - The same CPU-bound job runs on 1 worker, then on all of them, and the wall times are compared.
 *
 *   node dist/examples/threads.js
 */
import * as threads from "../src/threads/index.js";
import { runtime } from "../src/index.js";
import { isMain } from "./util.js";

/** CPU work: the number of primes in [from, to). */
export const countPrimes = threads.task(import.meta.url, function countPrimes(from: number, to: number): number {
  let n = 0;
  for (let k = Math.max(from, 2); k < to; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) n++;
  }
  return n;
});

/**
 * Splits [0, limit) into `parts` ranges and counts them in parallel, from inside a worker. Every range
 * done adds to `done` (shared by all threads) under `mu`.
 */
export const search = threads.task(
  import.meta.url,
  async function search(limit: number, parts: number, mu: threads.Mutex, done: threads.Int32): Promise<number> {
    const step = Math.ceil(limit / parts);
    const counts = await Promise.all(
      Array.from({ length: parts }, async (_, i) => {
        const c = await threads.run(countPrimes, i * step, Math.min(limit, (i + 1) * step));
        using _guard = await mu.lock();
        done.add(1);
        return c;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  },
);

async function timed(workers: number, limit: number): Promise<[count: number, ms: number]> {
  const rt = threads.start({ workers });
  try {
    await rt.run(countPrimes, 0, 10); // the workers have started and loaded this module
    const mu = new threads.Mutex();
    const done = new threads.Int32(0);
    const t0 = performance.now();
    const count = await rt.run(search, limit, 32, mu, done);
    const ms = performance.now() - t0;
    if (done.load() !== 32) throw new Error(`expected 32 ranges done, got ${done.load()}`);
    return [count, ms];
  } finally {
    await rt.close();
  }
}

export async function main(): Promise<void> {
  const limit = 3_000_000;
  const cores = runtime.gomaxprocs();
  const [c1, t1] = await timed(1, limit);
  console.log(`  1 worker:   ${c1} primes below ${limit} in ${t1.toFixed(0)} ms`);
  const [cn, tn] = await timed(cores, limit);
  console.log(`  ${cores} workers:  ${cn} primes below ${limit} in ${tn.toFixed(0)} ms (gomaxprocs = ${cores})`);
  if (c1 !== cn) throw new Error("the parallel count differs");
  console.log(`  speed-up ×${(t1 / tn).toFixed(2)} — 32 ranges spawned from inside a worker, shared by stealing`);
}

if (threads.isMainThread && isMain(import.meta.url)) await main();
