/**
 * The workloads of the threads benchmark, run inside one child process against one started pool. Each
 * returns plain numbers (wall times in ms) for the parent to tabulate.
 */
import type { Pool } from "./contenders.js";
import { fib as fibLocal, isSorted, join, randomArray } from "./work.js";

/** Sizes of the workloads (see bench/threads.ts for the options that set them). */
export interface Sizes {
  tinyN: number;
  window: number;
  sampleEvery: number;
  fibN: number;
  fibTasks: number;
  skewN: number;
  sortN: number;
  cutoff: number;
  mutexOps: number;
  mutexTasks: number;
  reps: number;
  budgetMs: number;
}

export type Result = Record<string, number | string | boolean>;

/** Runs `f` up to `reps` times (fewer once `budgetMs` is spent) and keeps the fastest run. */
async function best<T extends { ms: number }>(s: Sizes, f: () => Promise<T>): Promise<T & { runs: number }> {
  const t0 = performance.now();
  let fastest: T | undefined;
  let runs = 0;
  do {
    const r = await f();
    runs++;
    if (fastest === undefined || r.ms < fastest.ms) fastest = r;
  } while (runs < s.reps && performance.now() - t0 < s.budgetMs);
  return { ...fastest, runs };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * `n` add(i, 1) calls with at most `window` in flight: each completion submits the next. Every
 * `sampleEvery`-th call records its submit→result latency.
 */
function tinyRun(pool: Pool, n: number, window: number, sampleEvery: number): Promise<{ ms: number; lat: Float64Array }> {
  const lat = new Float64Array(Math.ceil(n / sampleEvery));
  let nlat = 0;
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const launch = (): void => {
      const i = next++;
      const ts = i % sampleEvery === 0 ? performance.now() : 0;
      pool.add(i, 1).then((v) => {
        if (ts !== 0) lat[nlat++] = performance.now() - ts;
        if (v !== i + 1) reject(new Error(`add(${i}, 1) returned ${v}`));
        if (next < n) launch();
        if (++done === n) resolve({ ms: performance.now() - t0, lat: lat.subarray(0, nlat).sort() });
      }, reject);
    };
    const w = Math.min(window, n);
    for (let k = 0; k < w; k++) launch();
  });
}

export async function tiny(pool: Pool, s: Sizes): Promise<Result> {
  await tinyRun(pool, Math.min(50_000, Math.max(1000, s.tinyN >> 3)), s.window, s.sampleEvery); // warm-up
  const r = await best(s, () => tinyRun(pool, s.tinyN, s.window, s.sampleEvery));
  return {
    ms: r.ms,
    tasksPerSec: (s.tinyN / r.ms) * 1000,
    p50us: percentile(r.lat, 0.5) * 1000,
    p99us: percentile(r.lat, 0.99) * 1000,
    runs: r.runs,
  };
}

export async function fanout(pool: Pool, s: Sizes): Promise<Result> {
  const want = fibLocal(s.fibN);
  const once = async (): Promise<{ ms: number }> => {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: s.fibTasks }, () => pool.fib(s.fibN)));
    const ms = performance.now() - t0;
    if (rs.some((v) => v !== want)) throw new Error(`fib(${s.fibN}) != ${want}`);
    return { ms };
  };
  await pool.fib(s.fibN); // warm-up
  const r = await best(s, once);
  return { ms: r.ms, runs: r.runs };
}

/** Which of the `n` skewed tasks are long: every 20th position, shuffled with a fixed seed. */
function skewPlan(n: number): boolean[] {
  const plan = Array.from({ length: n }, (_, i) => i % 20 === 0);
  let seed = 42;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  return plan;
}

export async function skewed(pool: Pool, s: Sizes): Promise<Result> {
  const plan = skewPlan(s.skewN);
  const long = plan.filter((x) => x).length;
  const once = async (): Promise<{ ms: number }> => {
    const t0 = performance.now();
    await Promise.all(plan.map((isLong) => pool.busy(isLong ? 10_000 : 10)));
    return { ms: performance.now() - t0 };
  };
  await Promise.all(Array.from({ length: 64 }, () => pool.busy(10))); // warm-up
  const r = await best(s, once);
  return { ms: r.ms, runs: r.runs, cpuMs: long * 10 + (s.skewN - long) * 0.01 };
}

/** The peers' method: the main thread submits one partition step per sub-array and assembles the result. */
async function mainDriven(pool: Pool, arr: Float64Array, cutoff: number): Promise<Float64Array> {
  const st = await pool.qstep(arr, cutoff);
  if ("leaf" in st) return st.leaf;
  const [lo, hi] = await Promise.all([mainDriven(pool, st.lo, cutoff), mainDriven(pool, st.hi, cutoff)]);
  return join(lo, st.pivot, st.eq, hi);
}

export async function qsort(pool: Pool, s: Sizes): Promise<Result> {
  const input = randomArray(s.sortN);
  const sortOnce = async (how: (a: Float64Array) => Promise<Float64Array>): Promise<{ ms: number }> => {
    const arr = input.slice(); // a fresh copy: some contenders move (transfer) what they are given
    const t0 = performance.now();
    const out = await how(arr);
    const ms = performance.now() - t0;
    if (out.length !== s.sortN || !isSorted(out)) throw new Error("quicksort: result not sorted");
    return { ms };
  };
  const res: Result = { sorted: true };
  const small = (how: (a: Float64Array) => Promise<Float64Array>): Promise<Float64Array> =>
    how(input.subarray(0, Math.min(s.sortN, s.cutoff * 4)).slice()); // warm-up
  const drive = (a: Float64Array): Promise<Float64Array> => mainDriven(pool, a, s.cutoff);
  if (pool.qsort !== undefined) {
    const inside = (a: Float64Array): Promise<Float64Array> => pool.qsort!(a, s.cutoff);
    await small(inside);
    const r = await best(s, () => sortOnce(inside));
    res.ms = r.ms;
    res.runs = r.runs;
    await small(drive);
    res.mainDrivenMs = (await best(s, () => sortOnce(drive))).ms;
  } else {
    await small(drive);
    const r = await best(s, () => sortOnce(drive));
    res.ms = r.ms;
    res.runs = r.runs;
  }
  const t0 = performance.now();
  input.slice().sort();
  res.seqMs = performance.now() - t0;
  return res;
}

export async function mutex(pool: Pool, s: Sizes): Promise<Result> {
  if (pool.contend === undefined) return { skipped: "no cross-thread mutex" };
  const per = Math.floor(s.mutexOps / s.mutexTasks);
  const total = per * s.mutexTasks;
  await pool.contend(s.mutexTasks, Math.min(per, 1000)); // warm-up
  const r = await best(s, async () => {
    const t0 = performance.now();
    const count = await pool.contend!(s.mutexTasks, per);
    const ms = performance.now() - t0;
    if (count !== total) throw new Error(`mutex: lost updates, counter ${count} != ${total}`);
    return { ms };
  });
  return { ms: r.ms, runs: r.runs, nsPerOp: (r.ms * 1e6) / total, ops: total };
}

export const WORKLOADS = { tiny, fanout, skewed, qsort, mutex } as const;
export type WorkloadId = keyof typeof WORKLOADS;
