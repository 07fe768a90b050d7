/**
 * The work every contender runs, as plain functions: our task module and the peers' worker files all
 * call these, so the contenders differ only in how a call reaches a thread and how its result comes back.
 */

/** The tiny task. */
export function add(a: number, b: number): number {
  return a + b;
}

/** The CPU-bound task (fib(30) is ~1.3 M calls, ~10 ms). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Busy-waits `us` microseconds (a task that holds its core, without sleeping). */
export function busy(us: number): number {
  const end = performance.now() + us / 1000;
  let spins = 0;
  while (performance.now() < end) spins++;
  return spins;
}

/** One quicksort step: a leaf (sorted in place, returned) or a partition around a pivot. */
export type QStep =
  | { leaf: Float64Array }
  | { lo: Float64Array; pivot: number; eq: number; hi: Float64Array };

/**
 * Sorts `arr` if it has at most `cutoff` elements; else partitions it three ways around the median of its
 * first, middle and last elements into new arrays (`lo` < pivot, `eq` copies of it, `hi` > pivot).
 */
export function qstep(arr: Float64Array, cutoff: number): QStep {
  const n = arr.length;
  if (n <= cutoff) return { leaf: arr.sort() };
  const a = arr[0];
  const b = arr[n >> 1];
  const c = arr[n - 1];
  const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
  let nlo = 0;
  let nhi = 0;
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (v < pivot) nlo++;
    else if (v > pivot) nhi++;
  }
  const lo = new Float64Array(nlo);
  const hi = new Float64Array(nhi);
  let l = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (v < pivot) lo[l++] = v;
    else if (v > pivot) hi[h++] = v;
  }
  return { lo, pivot, eq: n - nlo - nhi, hi };
}

/** Joins a partition's sorted halves. */
export function join(lo: Float64Array, pivot: number, eq: number, hi: Float64Array): Float64Array {
  const out = new Float64Array(lo.length + eq + hi.length);
  out.set(lo);
  out.fill(pivot, lo.length, lo.length + eq);
  out.set(hi, lo.length + eq);
  return out;
}

/** `n` pseudo-random numbers in [0, 1) from a fixed seed (the same input for every contender). */
export function randomArray(n: number, seed = 12345): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** Whether `arr` is sorted ascending. */
export function isSorted(arr: Float64Array): boolean {
  for (let i = 1; i < arr.length; i++) if (arr[i - 1] > arr[i]) return false;
  return true;
}
