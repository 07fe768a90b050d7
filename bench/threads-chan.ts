/**
 * threads.Chan benchmark: cross-thread channel round trips and a many-to-many stream, with the
 * postMessage round trip every worker-pool library pays per task as the baseline.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/threads-chan.js [--only=rt-main,rt-workers,stream,postmessage]
 *
 * Method:
 * - rt-main: main sends on an unbuffered threads.Chan, a worker receives and replies on another; one op =
 *   one round trip (two rendezvous). rt-workers: the same between two workers (main idle).
 *   2,000 warm-up round trips, then `--samples` (default 7) samples of `--n` (default 5,000) round trips;
 *   median and min ns per round trip.
 * - stream: a buffered(128) channel, 4 producers and 4 consumers as goroutines on 2 workers (2 + 2 each,
 *   one worker per core), 4 × `--per` (default 50,000) values; ns per value from the moment all start
 *   together until every consumer has counted out. 3 samples, fresh workers each; median.
 * - postmessage: main posts a number to a worker that echoes it back; ns per round trip (same sampling).
 * - Both sides spin ~50 µs before parking (GOROUTINE_SPIN_US), so a round trip stays in user space while
 *   both threads have a core; on a loaded machine the OS wake (~18 µs here) dominates.
 */
import { Worker } from "node:worker_threads";
import { cpus, loadavg } from "node:os";
import { ONLY, option, samples } from "./harness.js";
import { HEAP_KEY, heap } from "../src/internal/threads/heap.js";
import { encodeValues } from "../src/internal/threads/codec.js";
import * as threads from "../src/threads/index.js";

const SAMPLES = samples(7);
const N = Number(option("n", "5000"));
const PER = Number(option("per", "50000"));
const WARM = 2000;
const want = (id: string): boolean => ONLY.length === 0 || ONLY.some((o) => id.startsWith(o));
const fixture = new URL("./threads-chan-worker.js", import.meta.url);

function spawn(role: string, ...args: unknown[]): { worker: Worker; result: Promise<unknown> } {
  const worker = new Worker(fixture, { workerData: { [HEAP_KEY]: heap().sab, role, args: encodeValues(args) } });
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on("message", (m: { result?: unknown; error?: string } | number) => {
      if (typeof m === "number") return;
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.result);
    });
    worker.once("error", reject);
  });
  return { worker, result };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ns: number): string => (ns >= 100 ? Math.round(ns).toLocaleString("en-US") : ns.toFixed(1));
const rows: [string, number, number][] = [];
function row(name: string, xs: number[]): void {
  rows.push([name, median(xs), Math.min(...xs)]);
  console.log(`  ${name.padEnd(44)} ${fmt(median(xs)).padStart(8)} ns/op   min ${fmt(Math.min(...xs))}`);
}

async function rtMain(): Promise<void> {
  const a = new threads.Chan<number>();
  const b = new threads.Chan<number>();
  const { result } = spawn("pong", a, b, WARM + SAMPLES * N);
  for (let i = 0; i < WARM; i++) {
    await a.send(i);
    await b.recv();
  }
  const xs: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      await a.send(i);
      await b.recv();
    }
    xs.push(Number(process.hrtime.bigint() - t0) / N);
  }
  await result;
  row("round trip main ↔ worker (unbuffered)", xs);
}

async function rtWorkers(): Promise<void> {
  const a = new threads.Chan<number>();
  const b = new threads.Chan<number>();
  const pong = spawn("pong", a, b, WARM + SAMPLES * N);
  const ping = spawn("ping", a, b, WARM, N, SAMPLES);
  const xs = (await ping.result) as number[];
  await pong.result;
  row("round trip worker ↔ worker (unbuffered)", xs);
}

async function stream(): Promise<void> {
  const xs: number[] = [];
  for (let s = 0; s < 3; s++) {
    const ch = new threads.Chan<number>(128);
    const ready = new threads.Chan<number>(2);
    const start = new threads.Chan<number>();
    const prodDone = new threads.Chan<number>(4);
    const consDone = new threads.Chan<number>(4);
    const ws = [0, 1].map(() => spawn("mix", ch, ready, start, prodDone, consDone, 2, 2, PER));
    await ready.recv();
    await ready.recv();
    const t0 = process.hrtime.bigint();
    start.close();
    for (let i = 0; i < 4; i++) await prodDone.recv();
    ch.close();
    let total = 0;
    for (let i = 0; i < 4; i++) total += (await consDone.recv())!;
    const ns = Number(process.hrtime.bigint() - t0);
    if (total !== 4 * PER) throw new Error(`stream lost values: ${total} of ${4 * PER}`);
    xs.push(ns / total);
    await Promise.all(ws.map((w) => w.result));
  }
  row("stream 4 producers × 4 consumers, buffered(128)", xs);
}

async function postMessageRt(): Promise<void> {
  const { worker, result } = spawn("echo");
  const once = (v: number): Promise<void> =>
    new Promise((resolve) => {
      worker.once("message", () => resolve());
      worker.postMessage(v);
    });
  for (let i = 0; i < WARM; i++) await once(i);
  const xs: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await once(i);
    xs.push(Number(process.hrtime.bigint() - t0) / N);
  }
  worker.postMessage("stop");
  await result;
  await worker.terminate();
  row("baseline: postMessage round trip main ↔ worker", xs);
}

console.log(`threads.Chan benchmark — ${new Date().toISOString()}`);
const load = loadavg()[0].toFixed(1);
console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, load ${load}`);
if (want("rt-main")) await rtMain();
if (want("rt-workers")) await rtWorkers();
if (want("stream")) await stream();
if (want("postmessage")) await postMessageRt();
const rt = rows.find((r) => r[0].startsWith("round trip main"));
const pm = rows.find((r) => r[0].startsWith("baseline"));
if (rt !== undefined) {
  console.log(`target: round trip ≤ 5,000 ns → ${rt[1] <= 5000 ? "PASS" : "FAIL"} (median ${fmt(rt[1])})`);
  if (pm !== undefined) console.log(`postMessage / threads.Chan round trip: ${(pm[1] / rt[1]).toFixed(1)}×`);
}
