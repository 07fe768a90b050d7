/** The worker file of piscina and tinypool: one argument per call, the function picked by `name`. */
import * as work from "./work.js";

export function add(ab: [number, number]): number {
  return work.add(ab[0], ab[1]);
}
export function fib(n: number): number {
  return work.fib(n);
}
export function busy(us: number): number {
  return work.busy(us);
}
export function qstep(a: { arr: Float64Array; cutoff: number }): work.QStep {
  return work.qstep(a.arr, a.cutoff);
}
