/**
 * Timer figures for issue 17 (run in one process; machine load shows in every number, so run it a few
 * times and compare ranges):
 *
 *   node dist/bench/timers.js
 *
 * - `select-0ms`: 20,000 selects `select([recv(never), recv(time.after(0))])`, µs per select. Before the
 *   lazy channel timer (Go 1.23's maybeRunChan) each waited for Node's 1 ms timer tick: about 1.1 ms per
 *   select, 22 s for the 20,000. Target: ≤ 50 µs.
 * - `after-loses`: 100,000 selects where a buffered ready case beats `time.after(time.Hour)`: ns per
 *   select, and the heap still used after a full collection (needs --expose-gc, switched on from inside).
 * - `starvation`: the lateness of 10 ms timers set while two goroutines hand a primitive back and forth
 *   (median and max of 7, ms; the test in test/core/starvation.test.ts asserts the median ≤ 15 ms, net of
 *   the time the process was not running).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadavg } from "node:os";
import { Chan, recv, select } from "../src/index.js";
import * as time from "../src/time/index.js";
import * as context from "../src/context/index.js";
import { Weighted } from "../src/semaphore/index.js";
import { Mutex, RWMutex, WaitGroup } from "../src/sync/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function select0ms(n: number): Promise<number> {
  const never = new Chan<number>();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await select([recv(never), recv(time.after(0))]);
  return ((performance.now() - t0) * 1000) / n;
}

async function afterLoses(n: number): Promise<{ ns: number; mb: number }> {
  const ready = new Chan<number>(1);
  const before = heapMB();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    ready.trySend(i);
    await select([recv(ready), recv(time.after(time.Hour))]);
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  return { ns, mb: heapMB() - before };
}

type Step = () => Promise<void>;
async function lateness(makeStep: () => Step): Promise<number[]> {
  let stop = false;
  const step = makeStep();
  const wg = new WaitGroup();
  for (let k = 0; k < 2; k++) {
    wg.go(async () => {
      while (!stop) await step();
    });
  }
  const out: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10));
    out.push(performance.now() - t0 - 10);
  }
  stop = true;
  await wg.wait();
  return out;
}

const bg = context.background();
const chains: [string, () => Step][] = [
  [
    "Weighted(1)",
    () => {
      const s = new Weighted(1);
      return async () => {
        await s.acquire(bg, 1);
        await Promise.resolve();
        s.release(1);
      };
    },
  ],
  [
    "RWMutex",
    () => {
      const rw = new RWMutex();
      return async () => {
        await rw.lock();
        await Promise.resolve();
        rw.unlock();
      };
    },
  ],
  [
    "Mutex",
    () => {
      const mu = new Mutex();
      return async () => {
        await mu.lock();
        await Promise.resolve();
        mu.unlock();
      };
    },
  ],
];

console.log(`node ${process.version}, load average ${loadavg()[0].toFixed(1)}`);
const n0 = 20_000;
console.log(`select-0ms   ${(await select0ms(n0)).toFixed(2)} µs per select (${n0} selects; target ≤ 50 µs)`);
const al = await afterLoses(100_000);
console.log(`after-loses  ${al.ns.toFixed(0)} ns per select, heap kept ${al.mb.toFixed(2)} MB after 100,000 (target ≤ 5 MB)`);
for (const [name, make] of chains) {
  const l = await lateness(make);
  const s = [...l].sort((a, b) => a - b);
  console.log(`starvation   ${name.padEnd(12)} 10 ms timer lateness median ${s[3].toFixed(1)} ms, max ${s[6].toFixed(1)} ms`);
}
