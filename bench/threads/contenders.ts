/**
 * One adapter per contender of the threads benchmark: start a pool of `workers` threads and call the
 * benchmark's functions (bench/threads/work.ts) on it. Every library is imported lazily, so a child process
 * loads only the contender it measures.
 */
import { availableParallelism } from "node:os";
import type { QStep } from "./work.js";

/** A started pool. */
export interface Pool {
  add(a: number, b: number): Promise<number>;
  fib(n: number): Promise<number>;
  busy(us: number): Promise<number>;
  qstep(arr: Float64Array, cutoff: number): Promise<QStep>;
  /** Sorts with the recursion inside the workers (ours only). */
  qsort?: (arr: Float64Array, cutoff: number) => Promise<Float64Array>;
  /** `tasks` tasks each lock/increment/unlock a shared counter `perTask` times; resolves the final count. */
  contend?: (tasks: number, perTask: number) => Promise<number>;
  close(): Promise<void>;
}

export const CONTENDERS = ["goroutine", "piscina", "tinypool", "poolifier", "workerpool", "multithreading"] as const;
export type Contender = (typeof CONTENDERS)[number];

const here = (f: string): string => new URL(f, import.meta.url).href;
const herePath = (f: string): string => new URL(f, import.meta.url).pathname;

/** Starts `name` with `workers` threads; resolves once every thread has answered one call. */
export async function open(name: Contender, workers: number): Promise<Pool> {
  const pool = await make(name, workers);
  // Start-up (threads, module loads) is not what the workloads measure.
  await Promise.all(Array.from({ length: workers * 4 }, (_, i) => pool.fib(10 + (i & 1))));
  return pool;
}

async function make(name: Contender, workers: number): Promise<Pool> {
  switch (name) {
    case "goroutine": {
      const threads = await import("../../src/threads/index.js");
      const t = await import("./tasks.js");
      const rt = threads.start({ workers });
      return {
        add: (a, b) => rt.run(t.add, a, b),
        fib: (n) => rt.run(t.fib, n),
        busy: (us) => rt.run(t.busy, us),
        qstep: (arr, cutoff) => rt.run(t.qstep, arr, cutoff),
        qsort: (arr, cutoff) => rt.run(t.qsort, arr, cutoff),
        contend: async (tasks, perTask) => {
          const mu = new threads.Mutex();
          const counter = new threads.Int32();
          await Promise.all(Array.from({ length: tasks }, () => rt.run(t.contend, mu, counter, perTask)));
          return counter.load();
        },
        close: () => rt.close(),
      };
    }
    case "piscina": {
      const { Piscina } = await import("piscina");
      return piscinaLike(new Piscina({ filename: here("./pool-worker.js"), minThreads: workers, maxThreads: workers }));
    }
    case "tinypool": {
      const { Tinypool } = await import("tinypool");
      return piscinaLike(new Tinypool({ filename: here("./pool-worker.js"), minThreads: workers, maxThreads: workers }));
    }
    case "poolifier": {
      const { FixedThreadPool } = await import("poolifier");
      const p = new FixedThreadPool<unknown, unknown>(workers, herePath("./poolifier-worker.js"));
      return {
        add: (a, b) => p.execute([a, b], "add") as Promise<number>,
        fib: (n) => p.execute(n, "fib") as Promise<number>,
        busy: (us) => p.execute(us, "busy") as Promise<number>,
        qstep: (arr, cutoff) => p.execute({ arr, cutoff }, "qstep") as Promise<QStep>,
        close: () => p.destroy(),
      };
    }
    case "workerpool": {
      const { default: workerpool } = await import("workerpool");
      const p = workerpool.pool(herePath("./workerpool-worker.js"), {
        minWorkers: workers,
        maxWorkers: workers,
        workerType: "thread",
      });
      return {
        add: (a, b) => p.exec("add", [a, b]) as Promise<number>,
        fib: (n) => p.exec("fib", [n]) as Promise<number>,
        busy: (us) => p.exec("busy", [us]) as Promise<number>,
        qstep: (arr, cutoff) => p.exec("qstep", [arr, cutoff]) as Promise<QStep>,
        close: async () => {
          await p.terminate();
        },
      };
    }
    case "multithreading":
      return multithreading(workers);
  }
}

/**
 * multithreading 0.3.52 targets Node ≥ 22 (and browsers): on Node 20 it reads `navigator.hardwareConcurrency`
 * at import and calls `Promise.withResolvers` on the main thread. Both are polyfilled here, on the main
 * thread only (its workers need neither). Its tasks are closures sent as source text; `move()` transfers
 * typed arrays instead of copying them, so its quicksort row copies less than the others.
 */
async function multithreading(workers: number): Promise<Pool> {
  const g = globalThis as { navigator?: { hardwareConcurrency: number } };
  g.navigator ??= { hardwareConcurrency: availableParallelism() };
  const P = Promise as unknown as { withResolvers?: unknown };
  P.withResolvers ??= function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
  const mt = await import("multithreading");
  mt.initRuntime({ maxWorkers: workers });
  const unwrap = async <T>(h: { join(): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> }): Promise<T> => {
    const r = await h.join();
    if (!r.ok) throw r.error;
    return r.value;
  };
  return {
    add: (a, b) => unwrap(mt.spawn(mt.move(a, b), (a: number, b: number) => a + b)),
    fib: (n) =>
      unwrap(
        mt.spawn(mt.move(n), (n: number) => {
          const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
          return f(n);
        }),
      ),
    busy: (us) =>
      unwrap(
        mt.spawn(mt.move(us), (us: number) => {
          const end = performance.now() + us / 1000;
          let spins = 0;
          while (performance.now() < end) spins++;
          return spins;
        }),
      ),
    // The closure imports the same partition code the others run (multithreading resolves the relative
    // import against this file).
    qstep: (arr, cutoff) =>
      unwrap(
        mt.spawn(mt.move(arr, cutoff), async (arr: Float64Array, cutoff: number) => {
          const w = await import("./work.js");
          return w.qstep(arr, cutoff);
        }),
      ),
    contend: async (tasks, perTask) => {
      const mu = new mt.Mutex(new Int32Array(new SharedArrayBuffer(4)));
      await Promise.all(
        Array.from({ length: tasks }, () =>
          unwrap(
            mt.spawn(mt.move(mu, perTask), async (mu, n: number) => {
              for (let i = 0; i < n; i++) {
                const g = await mu.lock();
                g.value[0] = g.value[0] + 1;
                g.dispose();
              }
              return n;
            }),
          ),
        ),
      );
      const g = await mu.lock();
      const v = g.value[0];
      g.dispose();
      return v;
    },
    close: async () => mt.shutdown(),
  };
}

/** piscina and its fork tinypool share one API: `run(arg, { name })` calls an export of the worker file. */
function piscinaLike(p: { run(arg: unknown, opts: { name: string }): Promise<unknown>; destroy(): Promise<void> }): Pool {
  return {
    add: (a, b) => p.run([a, b], { name: "add" }) as Promise<number>,
    fib: (n) => p.run(n, { name: "fib" }) as Promise<number>,
    busy: (us) => p.run(us, { name: "busy" }) as Promise<number>,
    qstep: (arr, cutoff) => p.run({ arr, cutoff }, { name: "qstep" }) as Promise<QStep>,
    close: () => p.destroy(),
  };
}
