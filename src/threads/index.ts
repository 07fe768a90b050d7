/**
 * `goroutine/threads`: Go's M:N model on Node's worker threads. A runtime runs `runtime.gomaxprocs()`
 * workers over run queues in shared memory (a global queue, a local queue per worker, work stealing);
 * each worker runs many goroutines. Tasks are functions registered in modules with {@link task} (or
 * exported, see {@link exported}) and referred to by module URL and name, so they type-check end to end
 * and never capture state that cannot cross threads.
 *
 * A module that defines tasks is imported by every worker: keep its top level to definitions, or guard
 * the rest with `if (threads.isMainThread)`.
 * @packageDocumentation
 */
export { isMainThread } from "node:worker_threads";
export { Task, exported, task } from "./task.js";
export {
  type RunOptions,
  Runtime,
  RuntimeClosedError,
  type StartOptions,
  type WorkerLimits,
  WorkerExitError,
  run,
  start,
  taskContext,
} from "./runtime.js";
export { Cond, Mutex, MutexGuard, Once, Semaphore, WaitGroup } from "./sync.js";
export { Bool, Int32, Int64 } from "./atomic.js";
export { Chan } from "./chan.js";
