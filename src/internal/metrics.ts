/**
 * The metrics engine behind goroutine/metrics: Go's runtime/metrics names and kinds over the
 * scheduler's counters, plus Node's event-loop figures under /node/.
 *
 * Invariants:
 * - `DESCRIPTIONS` is fixed at load and sorted by name, like Go's `metrics.All()`; `read` never
 *   allocates for uint64/float64 samples whose `value` object already exists (it is reused).
 * - The latency histogram's `counts` only grow (cumulative); `buckets.length === counts.length + 1`,
 *   with buckets[0] = 0 and the last +Inf, as Go's time histograms.
 * - The event-loop monitor starts on the first read of a /node/eventloop metric and is never stopped
 *   (its timer is unref'd by Node, so it keeps no process alive).
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import { mutexWaitTotalMs, schedCounts, setLatencySink } from "./scheduler.js";
import { type ThreadCounts, threadCounts } from "./obs.js";
import { gomaxprocs } from "../runtime/index.js";

export type Kind = "uint64" | "float64" | "float64histogram";
export interface Description {
  name: string;
  description: string;
  kind: Kind;
  cumulative: boolean;
}
export interface Float64Histogram {
  counts: number[];
  buckets: number[];
}
export interface Value {
  kind: Kind | "bad";
  value: number | Float64Histogram;
}
export interface Sample {
  name: string;
  value?: Value;
}

function d(name: string, kind: Kind, cumulative: boolean, description: string): Description {
  return { name, description, kind, cumulative };
}

/** Every metric, sorted by name. */
export const DESCRIPTIONS: readonly Description[] = [
  d("/node/eventloop/delay/max:seconds", "float64", false,
    "Longest event-loop delay seen by the monitor since the first read, with the monitor's 10 ms resolution subtracted."),
  d("/node/eventloop/delay/mean:seconds", "float64", false,
    "Mean event-loop delay since the first read, with the monitor's 10 ms resolution subtracted."),
  d("/node/eventloop/utilization:ratio", "float64", false,
    "Fraction of time the event loop has been busy (not idle in the poll phase) since the process started."),
  d("/sched/gomaxprocs:threads", "uint64", false,
    "The current runtime.gomaxprocs() setting: how many threads can run goroutines at once."),
  d("/sched/goroutines-created:goroutines", "uint64", true,
    "Count of goroutines created since program start (main included; tasks on worker threads are counted by their workers)."),
  d("/sched/goroutines/not-in-go:goroutines", "uint64", false,
    "Approximate count of goroutines that are alive but neither running, runnable nor parked in one of this library's primitives: awaiting I/O or a promise that is not ours."),
  d("/sched/goroutines/runnable:goroutines", "uint64", false,
    "Approximate count of goroutines ready to run but not running: created and not started yet, plus tasks queued for worker threads."),
  d("/sched/goroutines/running:goroutines", "uint64", false,
    "Approximate count of goroutines executing: the one reading the metric, plus tasks running on worker threads. Never more than /sched/threads/total:threads."),
  d("/sched/goroutines/waiting:goroutines", "uint64", false,
    "Approximate count of goroutines parked on a resource: a channel, select, lock, wait group, timer or cross-thread task."),
  d("/sched/goroutines:goroutines", "uint64", false,
    "Count of live goroutines, including tasks running or queued on worker threads."),
  d("/sched/latencies:seconds", "float64histogram", true,
    "Distribution of the time goroutines spend runnable before they run again, sampled on one ready in 64 (measured to the goroutine's next park or exit)."),
  d("/sched/threads/total:threads", "uint64", false,
    "The current count of live threads running goroutines: the main thread plus the workers of open goroutine/threads runtimes."),
  d("/sync/mutex/wait/total:seconds", "float64", true,
    "Approximate cumulative time goroutines have spent blocked on a sync.Mutex or sync.RWMutex."),
];

const INDEX = new Map<string, number>(DESCRIPTIONS.map((x, i) => [x.name, i]));

// ---- the latency histogram ---------------------------------------------------------------------------

/** Boundaries in seconds: 0, 2^-20 (~1 µs) … 2^4 (16 s), +Inf. */
const LAT_MIN_EXP = -20;
const LAT_MAX_EXP = 4;
export const LATENCY_BUCKETS: readonly number[] = [
  0,
  ...Array.from({ length: LAT_MAX_EXP - LAT_MIN_EXP + 1 }, (_, i) => 2 ** (LAT_MIN_EXP + i)),
  Infinity,
];
const latCounts = new Float64Array(LATENCY_BUCKETS.length - 1);
setLatencySink((s) => {
  let i: number;
  if (!(s >= 2 ** LAT_MIN_EXP)) i = 0;
  else i = Math.min(latCounts.length - 1, Math.floor(Math.log2(s)) - LAT_MIN_EXP + 1);
  latCounts[i]++;
});

// ---- the event loop ----------------------------------------------------------------------------------

const RESOLUTION_MS = 10;
let eld: IntervalHistogram | undefined;
function loopDelay(): IntervalHistogram {
  if (eld === undefined) {
    eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    eld.enable();
  }
  return eld;
}

// ---- reading -----------------------------------------------------------------------------------------

let procs: number | undefined;
const sched = new Float64Array(4);
const threads: ThreadCounts = { threads: 0, running: 0, runnable: 0 };
/** Snapshots of the counts, taken once per read call. */
function snapshot(): void {
  schedCounts(sched);
  threadCounts(threads);
}

function uint(x: number): number {
  return x > 0 ? Math.floor(x) : 0;
}

function valueOf(i: number): number | Float64Histogram {
  const live = sched[0] + threads.running + threads.runnable;
  switch (DESCRIPTIONS[i].name) {
    case "/node/eventloop/delay/max:seconds":
      return Math.max(0, loopDelay().max / 1e6 - RESOLUTION_MS) / 1000;
    case "/node/eventloop/delay/mean:seconds": {
      const m = loopDelay().mean;
      return Number.isNaN(m) ? 0 : Math.max(0, m / 1e6 - RESOLUTION_MS) / 1000;
    }
    case "/node/eventloop/utilization:ratio":
      return performance.eventLoopUtilization().utilization;
    case "/sched/gomaxprocs:threads":
      return (procs ??= gomaxprocs()); // reads the cgroup files: once
    case "/sched/goroutines-created:goroutines":
      return sched[1];
    case "/sched/goroutines/not-in-go:goroutines":
      return uint(sched[0] - sched[2] - 1 - sched[3]);
    case "/sched/goroutines/runnable:goroutines":
      return uint(sched[3] + threads.runnable);
    case "/sched/goroutines/running:goroutines":
      return 1 + threads.running;
    case "/sched/goroutines/waiting:goroutines":
      return sched[2];
    case "/sched/goroutines:goroutines":
      return live;
    case "/sched/latencies:seconds":
      return { counts: Array.from(latCounts), buckets: LATENCY_BUCKETS.slice() };
    case "/sched/threads/total:threads":
      return 1 + threads.threads;
    case "/sync/mutex/wait/total:seconds":
      return mutexWaitTotalMs() / 1000;
  }
  return 0;
}

const BAD: Value = Object.freeze({ kind: "bad", value: 0 });

/** Fills in every sample's value; unknown names get kind "bad" (Go's KindBad). */
export function read(samples: Sample[]): void {
  if (!Array.isArray(samples)) throw new TypeError("metrics.read: samples must be an array of { name }");
  snapshot();
  for (let k = 0; k < samples.length; k++) {
    const s = samples[k];
    const i = INDEX.get(s.name);
    if (i === undefined) {
      s.value = BAD;
      continue;
    }
    const kind = DESCRIPTIONS[i].kind;
    const v = valueOf(i);
    const old = s.value;
    if (old !== undefined && old !== BAD && old.kind === kind && kind !== "float64histogram") old.value = v;
    else s.value = { kind, value: v };
  }
}

/** Descriptions of every metric, sorted by name (fresh copies). */
export function all(): Description[] {
  return DESCRIPTIONS.map((x) => ({ ...x }));
}
