/**
 * Patterns benchmark: goroutine/pool and goroutine/pipeline against the JavaScript peers a user would
 * otherwise reach for (p-limit, p-queue, p-map, Node streams) and against the same stage written by hand
 * with channels, in one process.
 *
 *   node dist/bench/patterns.js [--samples=7] [--n=100000] [--only=pool,iter,pipeline]
 *
 * Workloads (n items each; the task is a tiny async function):
 * - pool: `new Pool().withMaxGoroutines(10)`, `await p.go(task)` × n, `await p.wait()` — vs
 *   `pLimit(10)` × n joined with `Promise.all`, and `new PQueue({ concurrency: 10 })`, `add` × n,
 *   `onIdle()`.
 * - iter: `iter.map(items, fn, { maxGoroutines: 8 })` vs `pMap(items, fn, { concurrency: 8 })`.
 * - pipeline: `pipeline.map(ctx, pipeline.generate(ctx, items), fn, { workers: 4, ordered: true })`
 *   drained with `for await`, with `background()` (never done: stages skip the select on ctx.done()) and
 *   with a `withCancel` context (every blocking send and receive is a two-case select), vs `Readable.from(items).map(fn, { concurrency: 4 })` drained the same way,
 *   and vs the same ordered 4-worker stage written by hand in Go's textbook form (generator, a dealer, a
 *   channel of futures, 4 worker goroutines, no context checks).
 *
 * Method: the contenders of a workload run alternately, one batch each per round, after one warm-up
 * round; the median ns per item over `--samples` rounds is reported with the ratio peer / ours (> 1:
 * ours is faster). Numbers come from a shared 2-core machine: compare ratios, not absolutes.
 */
import { Readable } from "node:stream";
import pLimit from "p-limit";
import PQueue from "p-queue";
import pMap from "p-map";
import { Chan, go } from "../src/index.js";
import * as context from "../src/context/index.js";
import { Pool, iter } from "../src/pool/index.js";
import * as pipeline from "../src/pipeline/index.js";
import { ONLY, option, samples } from "./harness.js";

const N = Math.max(1000, Number(option("n", "100000")));
const SAMPLES = samples(7);

type Batch = () => Promise<void>;

let sink = 0;
const task = async (): Promise<void> => {
  sink++;
};
const double = async (x: number): Promise<number> => x * 2;
const items = Array.from({ length: N }, (_, i) => i);

async function poolOurs(): Promise<void> {
  const p = new Pool().withMaxGoroutines(10);
  for (let i = 0; i < N; i++) await p.go(task);
  await p.wait();
}
async function poolPLimit(): Promise<void> {
  const limit = pLimit(10);
  const ps: Promise<void>[] = new Array<Promise<void>>(N);
  for (let i = 0; i < N; i++) ps[i] = limit(task);
  await Promise.all(ps);
}
async function poolPQueue(): Promise<void> {
  const q = new PQueue({ concurrency: 10 });
  for (let i = 0; i < N; i++) void q.add(task);
  await q.onIdle();
}

async function iterOurs(): Promise<void> {
  sink += (await iter.map(items, double, { maxGoroutines: 8 })).length;
}
async function iterPMap(): Promise<void> {
  sink += (await pMap(items, double, { concurrency: 8 })).length;
}

async function pipeOurs(): Promise<void> {
  await pipeWith(context.background());
}
async function pipeOursCancellable(): Promise<void> {
  const [ctx, cancel] = context.withCancel(context.background());
  await pipeWith(ctx);
  cancel();
}
async function pipeWith(ctx: context.Context): Promise<void> {
  const out = pipeline.map(ctx, pipeline.generate(ctx, items), double, { workers: 4, ordered: true });
  for await (const v of out) sink += v;
}
async function pipeReadable(): Promise<void> {
  for await (const v of Readable.from(items).map(double, { concurrency: 4 })) sink += v as number;
}
/** The same ordered 4-worker stage by hand: a generator, a channel of futures, 4 workers. */
async function pipeByHand(): Promise<void> {
  const src = new Chan<number>();
  go(async () => {
    for (const x of items) await src.send(x);
    src.close();
  });
  const work = new Chan<{ v: number; ch: Chan<number> }>(4);
  const order = new Chan<Chan<number>>(4);
  go(async () => {
    for await (const v of src) {
      const ch = new Chan<number>(1);
      await order.send(ch);
      await work.send({ v, ch });
    }
    work.close();
    order.close();
  });
  for (let w = 0; w < 4; w++) {
    go(async () => {
      for await (const job of work) job.ch.trySend(await double(job.v));
    });
  }
  const out = new Chan<number>();
  go(async () => {
    for await (const ch of order) await out.send((await ch.recv())!);
    out.close();
  });
  for await (const v of out) sink += v;
}

async function time(b: Batch): Promise<number> {
  const t0 = process.hrtime.bigint();
  await b();
  return Number(process.hrtime.bigint() - t0) / N;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Runs the contenders alternately; returns the median ns/item of each. */
async function compare(contenders: Record<string, Batch>): Promise<Record<string, number>> {
  const names = Object.keys(contenders);
  const times: Record<string, number[]> = {};
  for (const n of names) times[n] = [];
  for (const n of names) await contenders[n](); // warm-up
  for (let s = 0; s < SAMPLES; s++) {
    for (const n of names) times[n].push(await time(contenders[n]));
  }
  const out: Record<string, number> = {};
  for (const n of names) out[n] = median(times[n]);
  return out;
}

interface Row {
  workload: string;
  ours: number;
  peer: string;
  theirs: number;
  target: string;
  ok: (ratio: number) => boolean;
}

const rows: Row[] = [];
const want = (id: string): boolean => ONLY.length === 0 || ONLY.includes(id);

if (want("pool")) {
  const r = await compare({ ours: poolOurs, pLimit: poolPLimit, pQueue: poolPQueue });
  rows.push({ workload: "Pool.withMaxGoroutines(10), tiny async tasks", ours: r.ours, peer: "p-limit(10)", theirs: r.pLimit, target: "≥ 1×", ok: (x) => x >= 1 });
  rows.push({ workload: "Pool.withMaxGoroutines(10), tiny async tasks", ours: r.ours, peer: "p-queue(10)", theirs: r.pQueue, target: "≥ 2×", ok: (x) => x >= 2 });
}
if (want("iter")) {
  const r = await compare({ ours: iterOurs, pMap: iterPMap });
  rows.push({ workload: "iter.map, 8 goroutines", ours: r.ours, peer: "p-map(8)", theirs: r.pMap, target: "≥ 1×", ok: (x) => x >= 1 });
}
if (want("pipeline")) {
  const r = await compare({ ours: pipeOurs, cancellable: pipeOursCancellable, readable: pipeReadable, byHand: pipeByHand });
  const bg = "pipeline.map(workers: 4, ordered), background()";
  const wc = "pipeline.map(workers: 4, ordered), withCancel ctx";
  rows.push({ workload: bg, ours: r.ours, peer: "Readable.map(concurrency: 4)", theirs: r.readable, target: "≥ 3×", ok: (x) => x >= 3 });
  rows.push({ workload: bg, ours: r.ours, peer: "hand-written channel stage", theirs: r.byHand, target: "ours ≤ 1.5× it", ok: (x) => 1 / x <= 1.5 });
  rows.push({ workload: wc, ours: r.cancellable, peer: "Readable.map(concurrency: 4)", theirs: r.readable, target: "≥ 3×", ok: (x) => x >= 3 });
  rows.push({ workload: wc, ours: r.cancellable, peer: "hand-written channel stage", theirs: r.byHand, target: "ours ≤ 1.5× it", ok: (x) => 1 / x <= 1.5 });
}

console.log(`patterns bench: n = ${N}, ${SAMPLES} samples, median ns per item; ratio = peer / ours (> 1: ours faster)`);
console.log("| workload | goroutine | peer | peer ns | ratio | target | result |");
console.log("| --- | ---: | --- | ---: | ---: | --- | --- |");
for (const r of rows) {
  const ratio = r.theirs / r.ours;
  console.log(
    `| ${r.workload} | ${r.ours.toFixed(0)} | ${r.peer} | ${r.theirs.toFixed(0)} | ${ratio.toFixed(2)}× | ${r.target} | ${r.ok(ratio) ? "PASS" : "MISS"} |`,
  );
}
if (sink === -1) console.log(sink);
