/** The worker file of workerpool: the functions `pool.exec(name, args)` calls. */
import workerpool from "workerpool";
import * as work from "./work.js";

workerpool.worker({
  add: (a: number, b: number) => work.add(a, b),
  fib: (n: number) => work.fib(n),
  busy: (us: number) => work.busy(us),
  qstep: (arr: Float64Array, cutoff: number) => work.qstep(arr, cutoff),
});
