/**
 * What the current thread is to the threads runtime: on a worker, its runtime and P; and, for each task
 * goroutine it runs, the task's record (so `taskContext()` can find its cancellation word).
 */
import type { Context } from "../../context/index.js";
import type { Goroutine } from "../scheduler.js";

export interface WorkerState {
  rcb: number;
  pIndex: number;
  /** Word index of this worker's local run queue. */
  myQ: number;
}

export interface TaskInfo {
  rec: number;
  finished: boolean;
  /** Made by the first `taskContext()` call. */
  ctx: Context | undefined;
}

let worker: WorkerState | undefined;

export function setWorkerState(s: WorkerState): void {
  worker = s;
}

/** The runtime this thread is a worker of, if any. */
export function workerState(): WorkerState | undefined {
  return worker;
}

/** The task whose function is running synchronously right now, if any. */
export const running: { info: TaskInfo | undefined } = { info: undefined };

/** The task each task goroutine of this worker runs (set once the task awaits). */
export const tasksByG = new WeakMap<Goroutine, TaskInfo>();
