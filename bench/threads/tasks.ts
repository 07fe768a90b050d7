/**
 * goroutine/threads tasks of the threads benchmark. Every worker of the runtime imports this module, so its
 * top level is definitions only.
 */
import * as threads from "../../src/threads/index.js";
import * as work from "./work.js";
import { threadNumber } from "../../src/internal/threads/heap.js";

export const add = threads.task(import.meta.url, function add(a: number, b: number): number {
  return a + b;
});

export const fib = threads.task(import.meta.url, function fib(n: number): number {
  return work.fib(n);
});

export const busy = threads.task(import.meta.url, function busy(us: number): number {
  return work.busy(us);
});

/** One step, for the main-driven variant (the peers' method). */
export const qstep = threads.task(import.meta.url, function qstep(arr: Float64Array, cutoff: number): work.QStep {
  return work.qstep(arr, cutoff);
});

/** The whole sort, recursing from inside the workers: each half is a task queued on this worker's queue. */
export const qsort: threads.Task<[Float64Array, number], Promise<Float64Array>> = threads.task(
  import.meta.url,
  "qsort",
  async function sortInside(arr: Float64Array, cutoff: number): Promise<Float64Array> {
    const s = work.qstep(arr, cutoff);
    if ("leaf" in s) return s.leaf;
    const [lo, hi] = await Promise.all([threads.run(qsort, s.lo, cutoff), threads.run(qsort, s.hi, cutoff)]);
    return work.join(lo, s.pivot, s.eq, hi);
  },
);

/** Locks `mu`, increments `counter` non-atomically (load, store), unlocks; `n` times. */
export const contend = threads.task(
  import.meta.url,
  async function contend(mu: threads.Mutex, counter: threads.Int32, n: number): Promise<number> {
    for (let i = 0; i < n; i++) {
      const g = await mu.lock();
      counter.store(counter.load() + 1);
      g[Symbol.dispose]();
    }
    return n;
  },
);

/** fib(n) and the thread that computed it (for the cold-start spread bench). */
export const fibOn = threads.task(import.meta.url, function fibOn(n: number): { v: number; thread: number } {
  return { v: work.fib(n), thread: threadNumber() };
});
