/**
 * threads sync benchmark: the cross-thread Mutex (Go's normal/starvation-mode mutex in the shared heap), uncontended on one
 * thread and contended by the main thread plus raw workers, against goroutine/sync's in-thread Mutex as
 * the baseline for the uncontended cost.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/threads-sync.js [--samples=5] [--ops=200000] [--workers=1,2]
 *
 * Method:
 * - Uncontended: one goroutine locks and unlocks in a loop (`await mu.lock()` then dispose the guard, and
 *   `tryLock()`/`unlock()`); median ns/op of `--samples` batches of `--ops` pairs.
 * - Contended: the main thread and W workers (fresh threads mapping the same shared heap) each do
 *   `--ops` ÷ (W+1) iterations of lock, read-modify-write of a shared Int32 counter, unlock, all released
 *   together by a WaitGroup gate. ns/op = wall time ÷ total lock/unlock pairs; the counter's exact total
 *   is checked. On 2 cores, W=1 gives each thread its own core; W=2 oversubscribes.
 */
import { Worker, isMainThread, workerData } from "node:worker_threads";
import { Mutex as LocalMutex } from "../src/sync/index.js";
import { decodeValue, encodeValue } from "../src/internal/threads/codec.js";
import { HEAP_KEY, heap } from "../src/internal/threads/heap.js";
import * as threads from "../src/threads/index.js";
import { option, samples } from "./harness.js";

type Shared = [threads.Mutex, threads.Int32, threads.WaitGroup, threads.WaitGroup, threads.WaitGroup];

async function contend(mu: threads.Mutex, counter: threads.Int32, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const g = await mu.lock();
    counter.store(counter.load() + 1);
    g[Symbol.dispose]();
  }
}

if (!isMainThread) {
  const { args, n } = workerData as { args: number; n: number };
  const [mu, counter, ready, gate, finished] = decodeValue(args) as Shared;
  ready.done();
  await gate.wait();
  await contend(mu, counter, n);
  finished.done();
} else {
  const OPS = Number(option("ops", "200000"));
  const SAMPLES = samples(5);
  const WORKERS = option("workers", "1,2").split(",").map(Number);
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1];
  const time = async (f: () => Promise<void>): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t0);
  };

  const rows: [string, number][] = [];
  const uncontended = async (name: string, f: (n: number) => Promise<void>): Promise<void> => {
    await f(OPS); // warm-up
    const ts: number[] = [];
    for (let s = 0; s < SAMPLES; s++) ts.push((await time(() => f(OPS))) / OPS);
    rows.push([name, median(ts)]);
  };

  const tmu = new threads.Mutex();
  const lmu = new LocalMutex();
  await uncontended("uncontended threads.Mutex lock()+dispose", async (n) => {
    for (let i = 0; i < n; i++) (await tmu.lock())[Symbol.dispose]();
  });
  await uncontended("uncontended threads.Mutex tryLock()+unlock()", async (n) => {
    for (let i = 0; i < n; i++) {
      tmu.tryLock();
      tmu.unlock();
    }
  });
  await uncontended("baseline sync.Mutex lock()+unlock()", async (n) => {
    for (let i = 0; i < n; i++) {
      await lmu.lock();
      lmu.unlock();
    }
  });

  const me = new URL(import.meta.url);
  for (const w of WORKERS) {
    const ts: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const mu = new threads.Mutex();
      const counter = new threads.Int32();
      const [ready, gate, finished] = [new threads.WaitGroup(), new threads.WaitGroup(), new threads.WaitGroup()];
      const per = Math.floor(OPS / (w + 1));
      ready.add(w);
      gate.add(1);
      finished.add(w);
      const workers = Array.from(
        { length: w },
        () =>
          new Worker(me, {
            workerData: { [HEAP_KEY]: heap().sab, args: encodeValue([mu, counter, ready, gate, finished]), n: per },
          }),
      );
      // Listen for exits now: a worker may exit before finished.wait() returns here.
      const exited = workers.map((x) => new Promise((r) => x.once("exit", r)));
      await ready.wait();
      const ns = await time(async () => {
        gate.done();
        await contend(mu, counter, per);
        await finished.wait();
      });
      if (counter.load() !== per * (w + 1)) throw new Error(`lost updates: ${counter.load()} != ${per * (w + 1)}`);
      await Promise.all(exited);
      ts.push(ns / (per * (w + 1)));
    }
    rows.push([`contended: main + ${w} worker${w > 1 ? "s" : ""}`, median(ts)]);
  }

  const base = rows.find((r) => r[0].startsWith("baseline"))![1];
  console.log(`threads.Mutex — ns/op (median of ${SAMPLES}), ${OPS} lock/unlock pairs per sample`);
  for (const [name, ns] of rows) {
    console.log(`${name.padEnd(48)} ${ns.toFixed(1).padStart(9)}  ${(ns / base).toFixed(2)}x baseline`);
  }
}
