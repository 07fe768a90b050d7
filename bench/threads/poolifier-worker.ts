/** The worker file of poolifier: a ThreadWorker with one named function per task. */
import { ThreadWorker } from "poolifier";
import * as work from "./work.js";

export default new ThreadWorker<unknown, unknown>({
  add: (ab) => work.add((ab as [number, number])[0], (ab as [number, number])[1]),
  fib: (n) => work.fib(n as number),
  busy: (us) => work.busy(us as number),
  qstep: (a) => work.qstep((a as { arr: Float64Array }).arr, (a as { cutoff: number }).cutoff),
});
