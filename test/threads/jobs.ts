/**
 * Workloads run both by raw worker threads (fixtures/prims-worker.ts) and by the main thread in the
 * contention tests, so every thread does the same thing to the same shared objects.
 */
import { Worker } from "node:worker_threads";
import { encodeValue } from "../../src/internal/threads/codec.js";
import { HEAP_KEY, heap } from "../../src/internal/threads/heap.js";
import * as threads from "../../src/threads/index.js";
import { background } from "../../src/context/index.js";

/** Lets other goroutines of this thread and the event loop run (a macrotask turn). */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export const jobs = {
  /** n increments of a non-atomic read-modify-write under the mutex; `inside` proves exclusion. */
  async mutex(args: unknown[], n: number): Promise<void> {
    const [mu, counter, inside] = args as [threads.Mutex, threads.Int32, threads.Int32];
    for (let i = 0; i < n; i++) {
      using _ = await mu.lock();
      if (inside.add(1) !== 1) throw new Error("two holders of the mutex at once");
      const v = counter.load();
      if (i % 64 === 0) await turn(); // hold it across a macrotask now and then
      counter.store(v + 1);
      inside.sub(1);
    }
  },
  /**
   * A hot loop: lock, count, hold it busy for ~20 µs, unlock, re-lock at once (never waiting in
   * between), until `stop` is set or n iterations are done; sets `exhausted` in the latter case.
   */
  async hot(args: unknown[], n: number): Promise<void> {
    const [mu, count, stop, exhausted] = args as [threads.Mutex, threads.Int32, threads.Bool, threads.Bool];
    for (let i = 0; i < n && !stop.load(); i++) {
      using _ = await mu.lock();
      count.add(1);
      const until = performance.now() + 0.02;
      while (performance.now() < until); // the mutex is free only between unlock and the next lock
    }
    if (!stop.load()) exhausted.store(true);
  },
  /** n units of work, each counted on `sum` and then `done` on the WaitGroup. */
  async wg(args: unknown[], n: number): Promise<void> {
    const [wg, sum] = args as [threads.WaitGroup, threads.Int32];
    for (let i = 0; i < n; i++) {
      if (i % 16 === 0) await turn();
      sum.add(1);
      wg.done();
    }
  },
  /** n waiters on the Cond, each counted on `woke` once `ready` is seen. */
  async cond(args: unknown[], n: number): Promise<void> {
    const [mu, cond, ready, arrived, woke] = args as [
      threads.Mutex,
      threads.Cond,
      threads.Bool,
      threads.WaitGroup,
      threads.Int32,
    ];
    await Promise.all(
      Array.from({ length: n }, async () => {
        using _ = await mu.lock();
        arrived.done();
        while (!ready.load()) await cond.wait();
        woke.add(1);
      }),
    );
  },
  /** n acquire/release rounds of `weight`, recording the high-water mark of weight in use. */
  async sem(args: unknown[], n: number): Promise<void> {
    const [sem, inUse, high, weight] = args as [threads.Semaphore, threads.Int32, threads.Int32, number];
    for (let i = 0; i < n; i++) {
      await sem.acquire(background(), weight);
      const cur = inUse.add(weight);
      for (let h = high.load(); cur > h && !high.compareAndSwap(h, cur); h = high.load());
      if (i % 8 === 0) await turn();
      inUse.sub(weight);
      sem.release(weight);
    }
  },
  /** n goroutines calling once.do; each checks afterwards that fn ran exactly once. */
  async once(args: unknown[], n: number): Promise<void> {
    const [once, calls, after] = args as [threads.Once, threads.Int32, threads.Int32];
    await Promise.all(
      Array.from({ length: n }, async () => {
        await once.do(async () => {
          calls.add(1);
          await turn();
        });
        if (calls.load() !== 1) throw new Error(`once.do returned with ${calls.load()} calls made`);
        after.add(1);
      }),
    );
  },
};

export type Job = keyof typeof jobs;

const fixture = new URL("./fixtures/prims-worker.js", import.meta.url);

/** Runs `job` on a new raw worker over the shared heap; resolves when it exits cleanly. */
export function onWorker(job: Job, args: unknown[], n: number): Promise<void> {
  const w = new Worker(fixture, { workerData: { [HEAP_KEY]: heap().sab, job, args: encodeValue(args), n } });
  return new Promise((resolve, reject) => {
    w.on("error", reject);
    w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker ${job} exited with ${code}`))));
  });
}
