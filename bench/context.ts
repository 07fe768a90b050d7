/**
 * Context benchmark: goroutine/context against the AbortController/AbortSignal way of doing the same
 * job, in one process.
 *
 *   node dist/bench/context.js [--samples=7] [--n=200000]
 *
 * Workloads (each op uses one long-lived parent, made once):
 * - child: create a cancellable child of the parent, then cancel it.
 *   ours: `withCancel(parent)` + `cancel()` (also with `ctx.done()` or `ctx.signal` touched, which
 *   makes the lazy channel / AbortController); peer: `new AbortController()` +
 *   `AbortSignal.any([parent, ac.signal])` + `ac.abort()`.
 * - timeout: create a child with a 60 s timeout, then cancel it before it fires.
 *   ours: `withTimeout(parent, 60s)` + `cancel()`; peers: `AbortSignal.any([parent, ac.signal,
 *   AbortSignal.timeout(60s)])` + `ac.abort()` (the timeout cannot be cleared: its timer stays pending),
 *   and the hand-rolled `AbortSignal.any([parent, ac.signal])` + `setTimeout`/`clearTimeout`.
 *
 * Method: batches of `--n` operations (`--peer-n` for the AbortController peers, see PEER_N), a full GC before each, one warm-up batch, then `--samples`
 * timed batches (process.hrtime.bigint); the median ns/op is reported, with the ratio peer / ours
 * (> 1: ours is faster). Numbers are from a shared 2-core machine: compare ratios, not absolutes.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as context from "../src/context/index.js";

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  for (const a of process.argv.slice(2)) if (a.startsWith(prefix)) return a.slice(prefix.length);
  return fallback;
}

const SAMPLES = Math.max(3, Number(option("samples", "7")));
const N = Math.max(1000, Number(option("n", "200000")));
/**
 * Batch size for the AbortController peers: each op costs microseconds, and on Node 20 every
 * AbortSignal.any over a long-lived parent leaves memory behind (the parent keeps its dependants), so a
 * full batch of N would take minutes and run out of heap. The retained heap is reported below.
 */
const PEER_N = Math.max(1000, Number(option("peer-n", "5000")));
/** Batch size for rows that make a real AbortController (microseconds each on Node 20). */
const SIGNAL_N = Math.min(N, 4 * PEER_N);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Op = (n: number) => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function measure(op: Op, n: number): number {
  gc();
  op(n); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    gc();
    const t0 = process.hrtime.bigint();
    op(n);
    xs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(xs);
}

// ---- contenders --------------------------------------------------------------------------------------

const [parent] = context.withCancel(context.background());
const parentAc = new AbortController();
const parentSignal = parentAc.signal;
const MINUTE = 60_000;
let sink: unknown;

const ours = {
  child: (n: number) => {
    for (let i = 0; i < n; i++) {
      const [c, cancel] = context.withCancel(parent);
      cancel();
      sink = c;
    }
  },
  childDone: (n: number) => {
    for (let i = 0; i < n; i++) {
      const [c, cancel] = context.withCancel(parent);
      sink = c.done();
      cancel();
    }
  },
  childSignal: (n: number) => {
    for (let i = 0; i < n; i++) {
      const [c, cancel] = context.withCancel(parent);
      sink = c.signal;
      cancel();
    }
  },
  timeout: (n: number) => {
    for (let i = 0; i < n; i++) {
      const [c, cancel] = context.withTimeout(parent, MINUTE);
      cancel();
      sink = c;
    }
  },
  timeoutSignal: (n: number) => {
    for (let i = 0; i < n; i++) {
      const [c, cancel] = context.withTimeout(parent, MINUTE);
      sink = c.signal;
      cancel();
    }
  },
};

const reason = new Error("done");
const peers = {
  bare: (n: number) => {
    for (let i = 0; i < n; i++) {
      const ac = new AbortController();
      sink = ac.signal;
      ac.abort(reason);
    }
  },
  child: (n: number) => {
    for (let i = 0; i < n; i++) {
      const ac = new AbortController();
      sink = AbortSignal.any([parentSignal, ac.signal]);
      ac.abort();
    }
  },
  timeoutAny: (n: number) => {
    for (let i = 0; i < n; i++) {
      const ac = new AbortController();
      sink = AbortSignal.any([parentSignal, ac.signal, AbortSignal.timeout(MINUTE)]);
      ac.abort();
    }
  },
  timeoutManual: (n: number) => {
    for (let i = 0; i < n; i++) {
      const ac = new AbortController();
      sink = AbortSignal.any([parentSignal, ac.signal]);
      const t = setTimeout(() => ac.abort(), MINUTE);
      clearTimeout(t);
      ac.abort();
    }
  },
};

// ---- run -----------------------------------------------------------------------------------------------

const fmt = (ns: number): string => `${ns.toFixed(0).padStart(7)} ns/op`;
const pad = (s: string, w: number): string => s.padEnd(w);

function row(label: string, ns: number, ref?: number): void {
  const ratio = ref === undefined ? "" : `   ${(ns / ref).toFixed(1)}x ours`;
  console.log(`  ${pad(label, 58)}${fmt(ns)}${ratio}`);
}

console.log(`goroutine/context vs AbortController (node ${process.version}, n=${N}, median of ${SAMPLES})\n`);

console.log("child: create + cancel");
const oc = measure(ours.child, N);
row("ours   withCancel + cancel", oc);
row("ours   withCancel + done() + cancel", measure(ours.childDone, N));
row("ours   withCancel + signal + cancel", measure(ours.childSignal, SIGNAL_N));
row("(floor: new AbortController + abort, no parent at all)", measure(peers.bare, SIGNAL_N), oc);
const heap0 = heapAfterGc();
row("peer   AbortController + AbortSignal.any + abort", measure(peers.child, PEER_N), oc);
const peerOps = PEER_N * (SAMPLES + 1);
const retained = (heapAfterGc() - heap0) / peerOps;

console.log("\ntimeout: create + cancel before it fires (60 s)");
const ot = measure(ours.timeout, N);
row("ours   withTimeout + cancel", ot);
row("ours   withTimeout + signal + cancel", measure(ours.timeoutSignal, SIGNAL_N));
row("peer   AbortController + setTimeout/clearTimeout + any + abort", measure(peers.timeoutManual, PEER_N), ot);
// AbortSignal.timeout's timers cannot be cleared: they stay pending (and hold memory) for the full minute.
row("peer   AbortSignal.any([.., AbortSignal.timeout]) + abort", measure(peers.timeoutAny, PEER_N), ot);

const h1 = heapAfterGc();
for (let i = 0; i < 10; i++) ours.child(N);
ours.timeout(N);
const oursRetained = (heapAfterGc() - h1) / (11 * N);
console.log(
  `\nheap retained by the long-lived parent, per op, after GC: ours ${oursRetained.toFixed(1)} B,` +
    ` AbortSignal.any ${retained.toFixed(1)} B (${peerOps} ops)`,
);

void sink;
parentAc.abort();
