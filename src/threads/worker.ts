/**
 * A worker thread of the threads runtime (Go's M bound to a P): finds runnable task records — its local
 * queue first, then the global queue, then other workers' local queues — and runs each as a goroutine;
 * when there is nothing to run it waits on the runtime's work sequence word.
 *
 * Invariants:
 * - Only this thread pushes to or pops from its own local queue; others only steal.
 * - A record is linked into this P's running list from the moment it is claimed until it has been
 *   pushed onto its submitter's inbox, so if this thread dies the main thread knows what it was running
 *   and what it finished without delivering.
 * - A worker that takes work while others are idle wakes one (Go's wakep), and one that claims a record
 *   whose task module it has not loaded takes no more work until the load is done, so what else it
 *   holds is stolen by the others instead of waiting behind the load.
 * - Before waiting, the worker counts itself idle and looks for work once more; a submitter publishes
 *   the record, bumps the sequence word, then reads the idle count; so a record is never left queued
 *   while every worker sleeps.
 * - Tasks run at most BATCH at a time between event-loop turns, so timers, I/O and messages (dump
 *   requests) of this thread still run while a flood of tiny tasks arrives.
 */
import { parentPort, workerData } from "node:worker_threads";
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { heap } from "../internal/threads/heap.js";
import { globalGet, globalLen, localGet, localLen, steal } from "../internal/threads/runq.js";
import {
  P_RUNNING,
  P_RUNQ,
  R_CLOSED,
  R_GQ,
  R_IDLE,
  R_NP,
  R_SLEEPING,
  R_WORK_SEQ,
  deliver,
  deliverSoon,
  pBlock,
  taskKey,
  wakeWorker,
} from "../internal/threads/sched.js";
import {
  cancelOver,
  claim,
  finishRecord,
  linkRunning,
  markStarted,
  readArgs,
  taskIndexOf,
} from "../internal/threads/records.js";
import { RESOLVED, turn, waitWord } from "../internal/threads/futex.js";
import { currentG, setCreationStacks, dump } from "../internal/scheduler.js";
import { threadQuiet } from "../internal/threads/quiet.js";
import { go } from "../go.js";
import { registered } from "./task.js";
// The public module registers how every shared object kind (Mutex, Chan, Int32, ...) is revived here.
import "./index.js";
import { type TaskInfo, running, setWorkerState, tasksByG } from "../internal/threads/current.js";

interface WorkerData {
  rcb: number;
  p: number;
}

const data = workerData as WorkerData;
const rcb = data.rcb;
const pIndex = data.p;
const P = pBlock(rcb, pIndex);
const myQ = P + P_RUNQ;
const gq = rcb + R_GQ;
const BATCH = 64;

// Creation stacks of task goroutines would all point here; they cost more than a tiny task.
if (process.env.GOROUTINE_STACKS !== "1") setCreationStacks(false);
setWorkerState({ rcb, pIndex, myQ });

// ---- finding work ------------------------------------------------------------------------------------

let stealFrom = pIndex;

function findRunnable(): number {
  let rec = localGet(myQ);
  if (rec !== 0) return rec;
  const i32 = heap().i32;
  const np = i32[rcb + R_NP];
  rec = globalGet(gq, myQ, np);
  if (rec !== 0) return rec;
  for (let k = 1; k < np; k++) {
    stealFrom = (stealFrom + 1) % np;
    if (stealFrom === pIndex) continue;
    rec = steal(myQ, pBlock(rcb, stealFrom) + P_RUNQ);
    if (rec !== 0) return rec;
  }
  return 0;
}

// ---- running a task ----------------------------------------------------------------------------------

type TaskFn = (...args: unknown[]) => unknown;
const modules = new Map<string, Promise<unknown>>();
const fns = new Map<string, TaskFn>();

/**
 * Claims record `rec` and starts its task in a goroutine. If the task's module is not loaded on this
 * worker yet, first wakes an idle worker (which can then steal what else this worker holds) and returns
 * a promise of the start: the caller waits for it before taking more work, so a burst of records is not
 * all claimed here while the module loads and then run one after another.
 */
function startTask(rec: number): Promise<void> | undefined {
  if (!claim(rec)) {
    deliver(rec); // cancelled while queued: its submitter reclaims it
    return undefined;
  }
  linkRunning(P + P_RUNNING, rec, pIndex);
  const info: TaskInfo = { rec, finished: false, ctx: undefined };
  let args: unknown[];
  try {
    args = readArgs(rec);
  } catch (e) {
    finish(info, false, e);
    return undefined;
  }
  const key = taskKey(rcb, taskIndexOf(rec));
  let runner = runners.get(key);
  if (runner === undefined) runners.set(key, (runner = makeRunner(key)));
  if (fns.has(key)) {
    go(runner, info, args);
    return undefined;
  }
  wakeAnother();
  const r = runner;
  // Loaded or failed: either way the runner goes on (a failure fails the task there).
  return resolveTask(key).then(
    () => void go(r, info, args),
    () => void go(r, info, args),
  );
}

type Runner = (info: TaskInfo, args: unknown[]) => Promise<void> | undefined;
const runners = new Map<string, Runner>();

/** The goroutine function for one task: named after it, so the dump shows which task a goroutine runs. */
function makeRunner(key: string): Runner {
  const name = key.slice(key.lastIndexOf("#") + 1);
  const named = {
    [name]: (info: TaskInfo, args: unknown[]): Promise<void> | undefined => {
      const fn = fns.get(key);
      return fn !== undefined ? runTask(info, fn, args) : loadAndRun(info, key, args);
    },
  };
  return named[name];
}

/**
 * Runs the task's function in its goroutine. A synchronous task finishes here, without a promise (its
 * goroutine ends when this returns); an async one continues in {@link awaitTask}.
 */
function runTask(info: TaskInfo, fn: TaskFn, args: unknown[]): Promise<void> | undefined {
  let v: unknown;
  markStarted(info.rec);
  // While the function runs synchronously, taskContext() finds the task here; only a task that goes
  // on after an await needs the (costlier) map from its goroutine.
  running.info = info;
  try {
    v = fn(...args);
  } catch (e) {
    finish(info, false, e);
    return undefined;
  } finally {
    running.info = undefined;
  }
  if (isThenable(v)) {
    tasksByG.set(currentG(), info);
    return awaitTask(info, v);
  }
  finish(info, true, v);
  return undefined;
}

async function awaitTask(info: TaskInfo, p: PromiseLike<unknown>): Promise<void> {
  let v: unknown;
  try {
    v = await p;
  } catch (e) {
    finish(info, false, e);
    return;
  }
  finish(info, true, v);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as PromiseLike<unknown>).then === "function";
}

async function loadAndRun(info: TaskInfo, key: string, args: unknown[]): Promise<void> {
  let fn: TaskFn;
  try {
    fn = await resolveTask(key);
  } catch (e) {
    finish(info, false, e);
    return;
  }
  await runTask(info, fn, args);
}

/** Loads the task's module once per worker; a module that fails to load fails all its tasks with that error. */
async function resolveTask(key: string): Promise<TaskFn> {
  const hash = key.lastIndexOf("#");
  const url = key.slice(0, hash);
  const name = key.slice(hash + 1);
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = import(url).catch((e: unknown) => {
      const err = new Error(`threads: cannot load task module ${url}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
      parentPort?.postMessage({ type: "load-error", url, error: err });
      throw err;
    });
    modules.set(url, loading);
  }
  const mod = (await loading) as Record<string, unknown>;
  const fn = registered(key) ?? (typeof mod[name] === "function" ? mod[name] : undefined);
  if (typeof fn !== "function") {
    throw new Error(
      `threads: module ${url} has no task ${JSON.stringify(name)}: register it with task(import.meta.url, fn) ` +
        `at the top level of the module, or export a function of that name`,
    );
  }
  fns.set(key, fn as TaskFn);
  return fn as TaskFn;
}

function finish(info: TaskInfo, ok: boolean, value: unknown): void {
  const rec = info.rec;
  info.finished = true;
  if (info.ctx !== undefined) cancelOver(rec);
  finishRecord(rec, ok, value);
  deliverSoon(P, rec);
}

// ---- the loop ----------------------------------------------------------------------------------------


function notLoop(g: { id: number }): boolean {
  return g.id !== 1;
}

/**
 * Go's wakep: a worker that takes work while others are idle wakes one if more work is queued (in its
 * own local queue, where the other can steal it, or in the global queue), so a burst that one wake-up
 * brought in is shared instead of run here one task after another. Idle workers count themselves
 * (R_IDLE) before their last look for work and wait on the sequence word read before that, so bumping
 * it after publishing work reaches a worker that is still spinning as well as one asleep.
 */
function wakeAnother(): void {
  const i32 = heap().i32;
  if (Atomics.load(i32, rcb + R_IDLE) === 0) return;
  if (localLen(myQ) === 0 && globalLen(gq) === 0) return;
  wakeWorker(rcb);
}

/** True while the loop waits for work (for the deadlock watchdog). */
let loopIdle = false;

async function loop(): Promise<void> {
  const i32 = heap().i32;
  for (;;) {
    if (Atomics.load(i32, rcb + R_CLOSED) === 2) return;
    // Start one task at a time and let it run until it blocks (its goroutine starts in the next
    // microtask) before taking the next, so what is still queued stays visible to thieves.
    // (With a long local queue, a few are started per yield: the rest stays stealable all the same.)
    let n = 0;
    while (n < BATCH) {
      const rec = findRunnable();
      if (rec === 0) break;
      if (n === 0) wakeAnother();
      const loading = startTask(rec);
      n++;
      if (loading !== undefined) await loading;
      else if (localLen(myQ) > 16 && n % 8 !== 0) continue;
      await RESOLVED;
    }
    if (n > 0) {
      await turn();
      continue;
    }
    // idle: count ourselves, look once more, then wait for the next submission.
    const seq = Atomics.load(i32, rcb + R_WORK_SEQ);
    Atomics.add(i32, rcb + R_IDLE, 1);
    const rec = findRunnable();
    if (rec !== 0) {
      Atomics.sub(i32, rcb + R_IDLE, 1);
      wakeAnother();
      const loading = startTask(rec);
      if (loading !== undefined) await loading;
      await turn();
      continue;
    }
    loopIdle = true;
    await waitWord(rcb + R_WORK_SEQ, seq, undefined, rcb + R_SLEEPING);
    loopIdle = false;
    Atomics.sub(i32, rcb + R_IDLE, 1);
  }
}

parentPort?.on("message", (m: { type: string; id?: number }) => {
  // The worker's goroutine 1 is its scheduling loop, not a goroutine of the program: left out.
  if (m.type === "dump") parentPort?.postMessage({ type: "dump", id: m.id, text: dump(notLoop) });
  else if (m.type === "probe") {
    // Answer after a turn of the loop, so that wake-ups already queued have run.
    setImmediate(() =>
      parentPort?.postMessage({ type: "probe", id: m.id, quiet: threadQuiet(loopIdle, true), text: dump(notLoop) }),
    );
  }
});
/**
 * Node 20 and 21 do not apply the parent's `--import`/`--loader` hooks to worker threads, so a
 * TypeScript loader given to the main thread would not reach task modules. Re-register them here (a
 * hook module registered with `module.register` inside the worker does apply to its imports). tsx's
 * `--import tsx` entry skips registration off the main thread, so its ESM hooks are registered directly.
 */
async function applyLoaders(): Promise<void> {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return;
  const argv = process.execArgv;
  const base = pathToFileURL(`${process.cwd()}/`);
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let spec: string | undefined;
    const eq = flag.indexOf("=");
    if (eq > 0) {
      spec = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    } else spec = argv[i + 1];
    if (spec === undefined) continue;
    if (flag === "--import") {
      if (spec === "tsx" || spec === "tsx/esm") register("tsx/esm", base, { data: {} });
      else await import(spec.startsWith(".") ? new URL(spec, base).href : spec);
    } else if (flag === "--loader" || flag === "--experimental-loader") {
      register(spec, base);
    }
  }
}

heap(); // adopt the shared heap before anything else touches it
await applyLoaders();
parentPort?.postMessage({ type: "ready" });
void loop();
