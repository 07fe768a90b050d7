/**
 * `goroutine/runtime`: Go's `runtime` for this library — goroutine count, CPU count and GOMAXPROCS, the
 * goroutine dump, creation stacks and the panic handler.
 *
 * **Exit and deadlocks.** As in Go, the program ends when main ends: when the event loop runs dry, a
 * process whose main goroutine is blocked — its top level (or code outside any goroutine) parked in one
 * of the library's primitives, or an ES module's top-level `await` still pending while goroutines are
 * blocked — prints `fatal error: all goroutines are asleep - deadlock!` and the dump, and exits with code
 * 2. A main that has finished exits with the process's own code (`process.exitCode`), whatever
 * goroutines are left blocked: those are leaks, not a deadlock. Set `GOROUTINE_LEAKS=1` to have them
 * printed to stderr at exit (`goroutine leak: N goroutines still live at exit`, then their dump; main is
 * not listed); in a running process, `goroutine/pprof`'s `goroutineleak` profile finds goroutines blocked
 * on primitives nothing can reach any more.
 */
import { availableParallelism } from "node:os";
import * as sched from "../internal/scheduler.js";
import { cgroupCpuLimit } from "../internal/cgroup.js";

export type { Goroutine, PanicHandler } from "../internal/scheduler.js";

/**
 * numGoroutine returns the number of live goroutines, the main goroutine included.
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * console.log(runtime.numGoroutine() >= 1); // true
 * ```
 */
export function numGoroutine(): number {
  return sched.numGoroutine();
}

/**
 * numCPU returns the number of logical CPUs the process may use (`os.availableParallelism()`).
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * console.log(runtime.numCPU() >= 1); // true
 * ```
 */
export function numCPU(): number {
  return availableParallelism();
}

/**
 * gomaxprocs returns how many goroutines may run in parallel (used by `goroutine/threads`): the CPU count
 * capped by the cgroup CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`) rounded up,
 * and at least 2 on a machine with more than one CPU, as Go 1.25 does. A positive integer in the
 * `GOMAXPROCS` environment variable overrides all of that.
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * console.log(runtime.gomaxprocs() >= 1); // true
 * ```
 */
export function gomaxprocs(): number {
  const env = process.env["GOMAXPROCS"];
  if (env !== undefined && /^\s*\d+\s*$/.test(env) && Number(env) > 0) return Number(env);
  return computeGomaxprocs(numCPU(), cgroupCpuLimit());
}

/**
 * @internal The GOMAXPROCS rule as a pure function of the CPU count and the cgroup limit (in CPUs,
 * possibly fractional; undefined when unlimited).
 */
export function computeGomaxprocs(cpus: number, limit: number | undefined): number {
  let n = cpus;
  if (limit !== undefined && limit > 0) n = Math.min(n, Math.ceil(limit));
  if (cpus > 1) n = Math.max(n, 2);
  return Math.max(n, 1);
}

/**
 * dump returns Go's goroutine dump of every live goroutine, oldest first: its id, state (running,
 * runnable, or what it waits on: `chan receive`, `chan send`, `select`, `sync.Mutex.Lock`, `sleep`, …)
 * with how long it has waited, and where it was created (when creation stacks are on).
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * console.log(runtime.dump().startsWith("goroutine 1 [running]")); // true
 * ```
 */
export function dump(): string {
  return sched.dump();
}

/**
 * stack is {@link dump} under the name of Go's `runtime.Stack(buf, true)`.
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * console.log(runtime.stack().includes("goroutine 1")); // true
 * ```
 */
export function stack(): string {
  return sched.dump();
}

/**
 * setPanicHandler installs `handler` to take errors that goroutines throw and do not catch (instead of
 * crashing the process with `panic: …` and exit code 2), or removes it with `undefined`. Returns the
 * previous handler. The goroutine has ended when the handler runs.
 *
 * @throws TypeError if `handler` is neither a function nor undefined.
 *
 * @example
 * ```ts
 * import { go, runtime } from "goroutine";
 * const prev = runtime.setPanicHandler((err, g) => console.error(`goroutine ${g.id} failed:`, err));
 * go(() => { throw new Error("boom"); });
 * await new Promise((r) => setImmediate(r)); // the goroutine runs and fails
 * runtime.setPanicHandler(prev);
 * ```
 */
export function setPanicHandler(handler: sched.PanicHandler | undefined): sched.PanicHandler | undefined {
  return sched.setPanicHandler(handler);
}

/**
 * setCreationStacks turns recording of where each goroutine was created on or off and returns the previous
 * setting. On by default (`GOROUTINE_STACKS=0` starts with it off). Capturing the caller's frame costs
 * about 1.4 µs per `go` on a 2-core machine (V8 records the frame, more slowly when `go` was inlined into
 * optimized code), about 8× the rest of a spawn: turn it off for hot spawning loops. The frame is
 * formatted only when a dump shows it.
 *
 * @example
 * ```ts
 * import { runtime } from "goroutine";
 * const prev = runtime.setCreationStacks(false); // hot spawning loop ahead
 * runtime.setCreationStacks(prev);
 * ```
 */
export function setCreationStacks(on: boolean): boolean {
  return sched.setCreationStacks(on);
}
