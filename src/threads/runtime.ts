/**
 * The threads runtime on the main thread: starts `gomaxprocs()` workers over shared run queues, submits
 * tasks, replaces workers that die, and closes: the public layer. The shared layout is in
 * internal/threads/sched.ts, task records and their state transitions in internal/threads/records.ts,
 * a worker's loop in ./worker.ts.
 *
 * Invariants:
 * - Every record this thread submitted and has not yet taken back from its inbox has an entry in
 *   `pending`; the entry's promise settles exactly once (at completion, or earlier when its context
 *   cancels it while still queued).
 * - A submitting goroutine is parked ("threads.run") from submission until its promise settles.
 * - A worker that exits while the runtime is open is replaced on the same P; the records it was running
 *   fail (LOST) with the exit's error and the records in its local queue move to the global queue.
 */
import { type WorkerOptions, Worker, isMainThread } from "node:worker_threads";
import { tracingChannel } from "node:diagnostics_channel";
import { type Context, Canceled, DeadlineExceeded, DeadlineExceededError, afterFunc, cause as causeOf } from "../context/index.js";
import { BACKGROUND, CancelCtx, propagate } from "../context/ctx.js";
import { heap, HEAP_KEY } from "../internal/threads/heap.js";
import {
  Inbox,
  MAX_WORKERS,
  enqueue,
  internTask,
  isShutDown,
  makeRuntime,
  reclaimDeadWorker,
  setClosed,
  wakeAllWorkers,
} from "../internal/threads/sched.js";
import {
  cancelQueued,
  cancelWord,
  isStarted,
  newRecord,
  outcomeOf,
  readCancel,
  readResult,
  recycle,
  requestCancel,
} from "../internal/threads/records.js";
import { parkedWaits, setOnFirstWait, waitWord } from "../internal/threads/futex.js";
import { pause, startWatchdog, unwatchRuntime, watchRuntime } from "../internal/threads/quiet.js";
import { running, tasksByG, workerState } from "../internal/threads/current.js";
import { type G, currentG, park, ready } from "../internal/scheduler.js";
import { gomaxprocs } from "../runtime/index.js";
import { type ThreadCounts, setThreadSource } from "../internal/obs.js";
import { Task } from "./task.js";

/** Options of {@link start}. */
export interface StartOptions {
  /** How many worker threads (default: `runtime.gomaxprocs()`); a whole number from 1 to 256. */
  workers?: number;
  /**
   * Node options for the workers. Default: the workers inherit this process's options, as Node's
   * `new Worker` does — loaders such as `--import tsx` reach them, and process-wide flags
   * (`--max-old-space-size`, `--expose-gc`, the test runner's flags) apply to the whole process without
   * being passed again. A list given here is passed as the workers' `execArgv`, less any flag Node refuses
   * in a worker (those apply to the process only; for a worker's heap use {@link StartOptions.resourceLimits}).
   */
  execArgv?: string[];
  /**
   * Limits of each worker's JavaScript engine (Node's `resourceLimits` of `new Worker`): heap sizes in MB
   * and stack size. A worker that exceeds them exits, and the task it ran rejects with {@link WorkerExitError}.
   * Default: Node's defaults.
   */
  resourceLimits?: WorkerLimits;
}

/**
 * Per-worker engine limits (see {@link StartOptions.resourceLimits}); each a positive number of MB.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * import { getHeapStatistics } from "node:v8";
 * export const heapLimitMb = threads.task(import.meta.url, function heapLimitMb(): number {
 *   return getHeapStatistics().heap_size_limit / 2 ** 20;
 * });
 * if (threads.isMainThread) {
 *   const rt = threads.start({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } });
 *   console.log((await rt.run(heapLimitMb)) < 128); // true
 *   await rt.close();
 * }
 * ```
 */
export interface WorkerLimits {
  /** Maximum size of the main heap. */
  maxOldGenerationSizeMb?: number;
  /** Maximum size of the heap space for recently created objects. */
  maxYoungGenerationSizeMb?: number;
  /** Size of the pre-allocated memory range for generated code. */
  codeRangeSizeMb?: number;
  /** Maximum stack size of the thread. */
  stackSizeMb?: number;
}

const LIMIT_KEYS = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"] as const;

function checkLimits(l: unknown): WorkerLimits | undefined {
  if (l === undefined) return undefined;
  if (typeof l !== "object" || l === null) throw new TypeError("threads.start: resourceLimits must be an object");
  const out: WorkerLimits = {};
  for (const k of Object.keys(l)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(k)) {
      throw new TypeError(`threads.start: unknown resourceLimits field ${JSON.stringify(k)} (known: ${LIMIT_KEYS.join(", ")})`);
    }
    const v = (l as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new RangeError(`threads.start: resourceLimits.${k} must be a positive number of MB, got ${typeof v === "number" ? v : typeof v}`);
    }
    out[k as (typeof LIMIT_KEYS)[number]] = v;
  }
  return out;
}

/**
 * The flags of `new Worker`'s ERR_WORKER_INVALID_EXEC_ARGV ("Initiated Worker with invalid execArgv
 * flags: --a, --b=1"), or undefined for any other error.
 */
function refusedFlags(e: unknown): Set<string> | undefined {
  if (!(e instanceof Error) || (e as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") return undefined;
  const colon = e.message.indexOf(": ");
  if (colon < 0) return undefined;
  return new Set(e.message.slice(colon + 2).split(", "));
}

/**
 * `argv` without the flags in `refused`; a refused flag written without `=` takes its value (the next
 * element, when it is not itself a flag) with it.
 */
function withoutFlags(argv: readonly string[], refused: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!refused.has(a)) {
      out.push(a);
      continue;
    }
    if (!a.includes("=") && i + 1 < argv.length && !argv[i + 1].startsWith("-")) i++;
  }
  return out;
}

/** Options of one {@link Runtime.run} call. */
export interface RunOptions {
  /**
   * Cancels the task: if it has not started, `run` rejects at once with the context's cause and the task
   * never runs; if it is running, the task's {@link taskContext} is cancelled and `run` settles with
   * whatever the task then returns or throws.
   */
  context?: Context;
}

/**
 * RuntimeClosedError: a task submitted to a closed runtime, or one that had not started when the
 * runtime was closed with `{ cancel: true }`.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const one = threads.task(import.meta.url, function one(): number {
 *   return 1;
 * });
 * if (threads.isMainThread) {
 *   const rt = threads.start({ workers: 1 });
 *   await rt.close();
 *   const err = await rt.run(one).catch((e: unknown) => e);
 *   console.log(err instanceof threads.RuntimeClosedError); // true
 * }
 * ```
 */
export class RuntimeClosedError extends Error {
  override readonly name = "RuntimeClosedError";
}

/**
 * WorkerExitError: the worker running a task exited (crashed, called `process.exit`, or threw outside
 * any task) before the task finished. The runtime replaces the worker; tasks it had not started run
 * elsewhere.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const quit = threads.task(import.meta.url, function quit(): void {
 *   process.exit(3); // on a worker: ends that thread only
 * });
 * if (threads.isMainThread) {
 *   const rt = threads.start({ workers: 1 });
 *   const err = await rt.run(quit).catch((e: unknown) => e);
 *   console.log(err instanceof threads.WorkerExitError); // true
 *   await rt.close();
 * }
 * ```
 */
export class WorkerExitError extends Error {
  override readonly name = "WorkerExitError";
}

/** Who counts a submission: a runtime on the main thread, or a worker's own runtime. */
interface Owner {
  outstanding: number;
  onDrained: (() => void) | undefined;
}

/** What a worker posts to the main thread (worker.ts): "ready", "load-error", or a reply to a request. */
interface WorkerMessage {
  type: string;
  id?: number;
  url?: string;
  error?: Error;
  text?: string;
  quiet?: boolean;
}

interface Pending {
  owner: Owner;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  g: G;
  /** Already settled (cancelled while queued); the record is still to come back. */
  settled: boolean;
  /** The record came back (and may be reused): a late cancellation must not touch it. */
  done: boolean;
  /** Given up by a failed runtime: no longer counted; the record is only reclaimed if it comes back. */
  abandoned: boolean;
  stop: (() => boolean) | undefined;
  rec: number;
}

const workerUrl = new URL("./worker.js", import.meta.url);

function checkWorkers(n: unknown): number {
  if (n === undefined) return Math.min(gomaxprocs(), MAX_WORKERS);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new RangeError(`threads.start: workers must be a whole number from 1 to ${MAX_WORKERS}, got ${typeof n === "number" ? n : typeof n}`);
  }
  return n;
}

// ---- submission (shared by the main thread's runtimes and by workers) ------------------------------------

/**
 * The submitted records of this thread that have not come back, by slot (a record's request id is its
 * slot; freed slots are reused, so the table stays as large as the most ever in flight at once).
 */
const slots: (Pending | undefined)[] = [undefined];
const freeSlots: number[] = [];
function* pendingEntries(): Generator<Pending> {
  for (const p of slots) if (p !== undefined) yield p;
}
let inbox: Inbox | undefined;

function myInbox(): Inbox {
  inbox ??= new Inbox(onFinished);
  return inbox;
}

/** Settles the run of a record that came back; returns false for one its runtime had given up. */
function onFinished(rec: number, req: number): boolean {
  const p = slots[req]!;
  slots[req] = undefined;
  freeSlots.push(req);
  p.done = true;
  if (p.abandoned) {
    recycle(rec);
    return false;
  }
  if (--p.owner.outstanding === 0) p.owner.onDrained?.();
  const outcome = outcomeOf(rec);
  if (!p.settled) {
    p.stop?.();
    ready(p.g, false);
    let v: unknown;
    try {
      v = readResult(rec);
    } catch (e) {
      p.reject(e); // an encoding this thread cannot decode fails this run only
      recycle(rec);
      return true;
    }
    if (outcome === "ok") p.resolve(v);
    else if (outcome === "lost") {
      // Made on the main thread and carried here as plain data: give it its class back.
      const e = v as Error;
      p.reject(new WorkerExitError(e.message, { cause: e.cause }));
    } else p.reject(v);
  }
  recycle(rec);
  return true;
}

/**
 * Cancels a submitted run with its context's `err` and `cause`: a record still queued is dropped
 * (CANCELLED, its worker hands it back unrun) and the run rejects with the cause; a record a worker
 * already took gets the cancellation in its cancel word, which cancels the task's taskContext with the
 * same err and cause.
 */
function cancelRun(p: Pending, err: Error, cause: Error): void {
  // Done: the record came back before this (possibly deferred) cancellation ran, and may be reused.
  if (p.done || p.settled) return;
  if (cancelQueued(p.rec)) {
    p.settled = true;
    ready(p.g, false);
    p.reject(cause);
    return;
  }
  requestCancel(p.rec, err === DeadlineExceeded || err instanceof DeadlineExceededError, cause === err ? undefined : cause);
}

/** Cancels run `p` with the err and cause of its context `ctx` (which is done). */
function cancelRunBy(p: Pending, ctx: Context): void {
  const err = ctx.err() ?? Canceled;
  cancelRun(p, err, causeOf(ctx) ?? err);
}

/** Splits `run`'s arguments: an optional RunOptions first, then the task, then the task's arguments. */
function splitRun(first: unknown, rest: unknown[]): [task: unknown, opts: RunOptions | undefined] {
  if (!(first instanceof Task) && typeof first === "object" && first !== null) {
    return [rest.shift(), first];
  }
  return [first, undefined];
}

/** The tracing channel of task runs (start/end/asyncStart/asyncEnd/error), used only when subscribed. */
const runChannel = tracingChannel("goroutine:threads:run");
let tracingRun = false;

function submit(owner: Owner, rcb: number, myQ: number, task: unknown, args: unknown[], opts: RunOptions | undefined): Promise<unknown> {
  if (!tracingRun && runChannel.hasSubscribers) {
    tracingRun = true;
    try {
      const name = task instanceof Task ? (task as Task<unknown[], unknown>).key : undefined;
      return runChannel.tracePromise(() => submit(owner, rcb, myQ, task, args, opts), { task: name, args });
    } finally {
      tracingRun = false;
    }
  }
  if (!(task instanceof Task)) {
    throw new TypeError(
      typeof task === "function"
        ? "threads.run: a plain function cannot cross threads (it may close over local state); " +
            "define it with threads.task(import.meta.url, fn) at the top level of a module"
        : `threads.run: expected a Task, got ${task === null ? "null" : typeof task}`,
    );
  }
  const ctx = opts?.context;
  if (ctx !== undefined && ctx.err() !== undefined) return Promise.reject(causeOf(ctx) ?? ctx.err()!);
  const box = myInbox();
  const req = freeSlots.length > 0 ? freeSlots.pop()! : slots.length;
  const rec = newRecord(internTask(rcb, (task as Task<unknown[], unknown>).key), args, box.word, req);
  const g = currentG();
  let p!: Pending;
  const promise = new Promise<unknown>((resolve, reject) => {
    p = { owner, resolve, reject, g, settled: false, done: false, abandoned: false, stop: undefined, rec };
  });
  slots[req] = p;
  owner.outstanding++;
  park(g, (task as Task<unknown[], unknown>).reason, false);
  box.expect();
  enqueue(rcb, rec, myQ);
  if (ctx !== undefined) p.stop = afterFunc(ctx, () => cancelRunBy(p, ctx));
  return promise;
}

/** Open runtimes of this thread, for goroutine/metrics' thread counts. */
const openRuntimes = new Set<Runtime>();

/** goroutine/metrics: worker threads of open runtimes, and this thread's submitted tasks by state. */
setThreadSource((out: ThreadCounts): void => {
  for (const r of openRuntimes) out.threads += r.workerCount();
  if (slots.length === 1) return;
  for (const p of pendingEntries()) {
    if (p.done || p.settled) continue;
    if (isStarted(p.rec)) out.running++;
    else out.runnable++;
  }
});

// ---- the runtime handle ------------------------------------------------------------------------------

/**
 * Runtime is a pool of worker threads sharing run queues in shared memory (Go's Ps with their Ms): tasks
 * submitted from the main thread go to the global queue, tasks submitted from a worker go to its own
 * local queue, and idle workers steal half of a busy one's queue. Make one with {@link start}, or use the
 * default runtime through the package-level {@link run}.
 *
 * Workers do not keep the process alive by themselves: the process stays up while a `run` is pending.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const wait = threads.task(import.meta.url, async function wait(ch: threads.Chan<number>): Promise<number> {
 *   return (await ch.recv()) ?? -1;
 * });
 * if (threads.isMainThread) {
 *   const rt = threads.start({ workers: 2 });
 *   const ch = new threads.Chan<number>();
 *   const p = rt.run(wait, ch);
 *   let dump = await rt.dump();
 *   while (!dump.includes("threads.chan receive")) dump = await rt.dump(); // until the task waits
 *   console.log(dump.includes("wait(...)")); // true
 *   await ch.send(42);
 *   console.log(await p); // 42
 *   await rt.close();
 * }
 * ```
 */
export class Runtime {
  /** @internal */ readonly rcb: number;
  private readonly owner: Owner = { outstanding: 0, onDrained: undefined };
  private readonly workers: (Worker | undefined)[];
  private readonly errors: (unknown)[] = [];
  /** The workers' execArgv, once cut down to what Node accepts; undefined: inherit this process's. */
  private execArgv: string[] | undefined;
  private readonly limits: WorkerLimits | undefined;
  private state: "open" | "closing" | "closed" = "open";
  private closeDone: Promise<void> | undefined;
  private readonly broken = new Map<string, Error>();
  private restarts = 0;
  /** Requests to workers (a dump, a watchdog probe) waiting for their reply, by request id. */
  private replies = new Map<number, (m: WorkerMessage) => void>();
  private nextAsk = 1;
  /** dump() calls in progress. */
  private dumping = 0;

  /** @internal Use {@link start}. */
  constructor(opts: StartOptions = {}) {
    if (!isMainThread) throw new Error("threads.start: start runtimes on the main thread");
    const n = checkWorkers(opts.workers);
    if (
      opts.execArgv !== undefined &&
      (!Array.isArray(opts.execArgv) || !opts.execArgv.every((a): a is string => typeof a === "string"))
    ) {
      throw new TypeError("threads.start: execArgv must be an array of strings");
    }
    this.execArgv = opts.execArgv === undefined ? undefined : [...opts.execArgv];
    this.limits = checkLimits(opts.resourceLimits);
    this.rcb = makeRuntime(n);
    this.workers = new Array<Worker | undefined>(n);
    for (let i = 0; i < n; i++) this.spawnWorker(i);
    watchRuntime(this, parkedWaits);
    setOnFirstWait(startWatchdog);
    openRuntimes.add(this);
  }

  /** @internal Worker threads it has (for goroutine/metrics). */
  workerCount(): number {
    return this.workers.length;
  }

  /** @internal For the deadlock watchdog: each worker's answer, "busy" if it does not answer in time. */
  async probe(timeoutMs: number): Promise<{ quiet: boolean; dump: string }[]> {
    return Promise.all(
      this.workers.map((w) => {
        if (w === undefined) return Promise.resolve({ quiet: false, dump: "" });
        const [id, reply] = this.ask(w, "probe");
        return Promise.race([
          reply.then((m) => ({ quiet: m.quiet === true, dump: m.text ?? "" })),
          pause(timeoutMs).then(() => {
            this.replies.delete(id);
            return { quiet: false, dump: "" };
          }),
        ]);
      }),
    );
  }

  /** Sends worker `w` a request of kind `type`; returns its id and the promise of the reply. */
  private ask(w: Worker, type: "dump" | "probe"): [id: number, reply: Promise<WorkerMessage>] {
    const id = this.nextAsk++;
    const reply = new Promise<WorkerMessage>((r) => {
      this.replies.set(id, r);
      w.postMessage({ type, id });
    });
    return [id, reply];
  }

  /** How many worker threads the runtime runs. */
  get size(): number {
    return this.workers.length;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.state !== "open";
  }

  private spawnWorker(i: number): void {
    const wopts: WorkerOptions = { workerData: { [HEAP_KEY]: heap().sab, rcb: this.rcb, p: i } };
    if (this.limits !== undefined) wopts.resourceLimits = this.limits;
    let w: Worker;
    for (;;) {
      if (this.execArgv !== undefined) wopts.execArgv = this.execArgv;
      try {
        w = new Worker(workerUrl, wopts);
        break;
      } catch (e) {
        // Flags Node accepts only for the whole process: leave exactly those out (once per runtime: the
        // list is kept for the next workers) and try again.
        const refused = refusedFlags(e);
        if (refused === undefined || this.execArgv === undefined) throw e;
        const kept = withoutFlags(this.execArgv, refused);
        if (kept.length === this.execArgv.length) throw e;
        this.execArgv = kept;
      }
    }
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "ready") this.restarts = 0;
      else if (m.type === "load-error" && m.url !== undefined && m.error !== undefined) this.broken.set(m.url, m.error);
      else if (m.id !== undefined) {
        // a reply ("dump", "probe")
        this.replies.get(m.id)?.(m);
        this.replies.delete(m.id);
      }
    });
    w.on("error", (e) => {
      this.errors[i] = e;
    });
    w.on("exit", (code) => this.onExit(i, w, code));
    w.unref(); // after the listeners: adding a 'message' listener refs the worker's port again
    this.workers[i] = w;
  }

  /** A worker exited: fail what it was running, requeue what it had queued, and replace it. */
  private onExit(i: number, w: Worker, code: number): void {
    if (this.workers[i] !== w) return;
    this.workers[i] = undefined;
    if (this.state === "closed") return;
    const err = this.errors[i];
    this.errors[i] = undefined;
    const why = err instanceof Error ? `: ${err.message}` : "";
    reclaimDeadWorker(
      this.rcb,
      i,
      () => new WorkerExitError(`threads: worker ${i} exited with code ${code} while running this task${why}`, { cause: err }),
    );
    if (this.state !== "open" && isShutDown(this.rcb)) return;
    if (++this.restarts > 5) {
      // Workers die as they start (a bad execArgv, a loader that throws): stop instead of looping.
      this.fail(new WorkerExitError(`threads: workers keep exiting at start (last code ${code})${why}`, { cause: err }));
      return;
    }
    this.spawnWorker(i);
    wakeAllWorkers(this.rcb);
  }

  private fail(err: Error): void {
    this.state = "closed";
    // The records of this runtime will never come back: give up their slots and their inbox count, so
    // the inbox stops waiting for them and the process can exit.
    for (let req = 1; req < slots.length; req++) {
      const p = slots[req];
      if (p === undefined || p.owner !== this.owner || p.abandoned) continue;
      // The slot stays taken until the record comes back, if it ever does, so it cannot be matched
      // to a later run.
      p.abandoned = true;
      if (!p.settled) {
        p.settled = true;
        p.stop?.();
        ready(p.g, false);
        p.reject(err);
      }
      myInbox().abandon();
    }
    this.owner.outstanding = 0;
    this.owner.onDrained?.();
    void this.terminate();
  }

  /**
   * run runs `task(...args)` on a worker and resolves with its result (or rejects with what it threw).
   * Arguments and the result cross threads by value: numbers, strings, booleans, bigints, null and
   * undefined, typed arrays, DataViews and ArrayBuffers (copied), the threads primitives (shared: `Chan`,
   * `Mutex`, `WaitGroup`, ... reach the same object), errors (name, message, stack, cause, fields) and
   * anything else the structured clone algorithm accepts.
   *
   * **Blocking:** never blocks the calling thread; the calling goroutine shows in the dump as waiting on
   * `threads.run <name>` until the result arrives.
   *
   * **Cancellation:** pass `{ context }` as the first argument (see {@link RunOptions}).
   *
   * **Errors:** TypeError (synchronously) for something that is not a Task — a plain function is refused
   * because it may close over local state — or for an argument that cannot cross threads;
   * {@link RuntimeClosedError} once the runtime is closed; {@link WorkerExitError} if the worker running
   * the task dies; an error naming the module if the task's module cannot be loaded or lacks the task (a
   * module that fails to load is tried once; later runs of its tasks reject at once).
   */
  run<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<Awaited<R>>;
  run<A extends unknown[], R>(opts: RunOptions, task: Task<A, R>, ...args: A): Promise<Awaited<R>>;
  run(first: unknown, ...rest: unknown[]): Promise<unknown> {
    const [task, opts] = splitRun(first, rest);
    if (this.state !== "open") return Promise.reject(new RuntimeClosedError("threads: run on a closed runtime"));
    if (task instanceof Task) {
      const b = this.broken.get(task.url);
      if (b !== undefined) return Promise.reject(b);
    }
    return submit(this.owner, this.rcb, -1, task, rest, opts);
  }

  /**
   * close stops the runtime. By default it drains: tasks already submitted still run, `close` resolves
   * once every one of them has finished, and then the workers exit. With `{ cancel: true }` it rejects the
   * tasks that have not started with {@link RuntimeClosedError}, cancels the running tasks' contexts, and
   * waits for them. `run` on a closed runtime rejects. Calling `close` again returns the same promise.
   */
  close(opts: { cancel?: boolean } = {}): Promise<void> {
    if (this.closeDone !== undefined) return this.closeDone;
    this.state = "closing";
    setClosed(this.rcb, 1);
    if (opts.cancel === true) {
      const err = new RuntimeClosedError("threads: runtime closed before the task started");
      for (const p of pendingEntries()) if (p.owner === this.owner) cancelRun(p, Canceled, err);
    }
    this.closeDone = (async () => {
      if (this.owner.outstanding > 0) await new Promise<void>((r) => (this.owner.onDrained = r));
      await this.terminate();
    })();
    return this.closeDone;
  }

  private async terminate(): Promise<void> {
    setClosed(this.rcb, 2);
    this.state = "closed";
    unwatchRuntime(this);
    openRuntimes.delete(this);
    const ws = this.workers.filter((w): w is Worker => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /**
   * dump returns the goroutine dump of every worker (each headed by its worker number), like
   * `runtime.dump()` for this thread. A worker busy in a long synchronous computation answers when it
   * finishes it.
   */
  async dump(): Promise<string> {
    // The workers are unref'd: while their answers are awaited, they keep the process alive (else a
    // program whose only pending work is this dump would exit in the middle of it).
    if (this.dumping++ === 0) for (const w of this.workers) w?.ref();
    try {
      const parts = await Promise.all(
        this.workers.map(async (w, i) => {
          if (w === undefined) return `worker ${i}: (restarting)\n`;
          const m = await this.ask(w, "dump")[1];
          return `worker ${i}:\n${m.text ?? ""}`;
        }),
      );
      return parts.join("\n");
    } finally {
      if (--this.dumping === 0) for (const w of this.workers) w?.unref();
    }
  }
}

/**
 * start starts a runtime of worker threads (default `runtime.gomaxprocs()` of them).
 *
 * **Errors:** RangeError for a bad `workers` count; Error when called on a worker thread.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const square = threads.task(import.meta.url, function square(n: number): number {
 *   return n * n;
 * });
 * if (threads.isMainThread) {
 *   const rt = threads.start({ workers: 2 });
 *   console.log(await Promise.all([1, 2, 3].map((n) => rt.run(square, n)))); // [1, 4, 9]
 *   await rt.close();
 * }
 * ```
 */
export function start(opts?: StartOptions): Runtime {
  return new Runtime(opts);
}

let defaultRuntime: Runtime | undefined;
const workerOwner: Owner = { outstanding: 0, onDrained: undefined };

/**
 * run runs a task like {@link Runtime.run}: on the main thread in the default runtime (started on first
 * use with `runtime.gomaxprocs()` workers, never closed: its workers do not keep the process alive); on a
 * worker, in that worker's runtime, queued on the worker's own local queue so that spawning from inside a
 * task needs no round trip through the main thread.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const add = threads.task(import.meta.url, function add(a: number, b: number): number {
 *   return a + b;
 * });
 * if (threads.isMainThread) console.log(await threads.run(add, 2, 3)); // 5
 * ```
 */
export function run<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<Awaited<R>>;
export function run<A extends unknown[], R>(opts: RunOptions, task: Task<A, R>, ...args: A): Promise<Awaited<R>>;
export function run(first: unknown, ...rest: unknown[]): Promise<unknown> {
  const ws = workerState();
  if (ws === undefined) {
    defaultRuntime ??= new Runtime();
    return (defaultRuntime.run as (...a: unknown[]) => Promise<unknown>)(first, ...rest);
  }
  const [task, opts] = splitRun(first, rest);
  return submit(workerOwner, ws.rcb, ws.myQ, task, rest, opts);
}

/**
 * taskContext returns the context of the task the current goroutine runs: it is cancelled when the
 * context the task's submitter passed to `run` is done — with the same `err()` ({@link
 * context.Canceled}, or {@link context.DeadlineExceeded} when its deadline passed) and the same
 * `context.cause()` (a copy made on this thread, as any error that crosses) — or when the runtime is
 * closed with `{ cancel: true }` (err Canceled, cause a {@link RuntimeClosedError}). Call it in the
 * task's own goroutine and pass it on to goroutines it starts, as with any context.
 *
 * **Errors:** Error when the current goroutine is not running a task.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * import * as context from "goroutine/context";
 * import * as time from "goroutine/time";
 * import { select, recv } from "goroutine";
 * export const wait = threads.task(import.meta.url, async function wait(): Promise<string> {
 *   const ctx = threads.taskContext();
 *   return select([recv(ctx.done(), () => "cancelled"), recv(time.after(time.Hour), () => "slept")]);
 * });
 * if (threads.isMainThread) {
 *   const [ctx, cancel] = context.withCancel(context.background());
 *   const p = threads.run({ context: ctx }, wait);
 *   setTimeout(cancel, 50);
 *   console.log(await p); // "cancelled"
 * }
 * ```
 */
export function taskContext(): Context {
  const info = running.info ?? tasksByG.get(currentG());
  if (info === undefined) throw new Error("threads.taskContext: the current goroutine is not running a task");
  if (info.ctx !== undefined) return info.ctx;
  const ctx = new CancelCtx(BACKGROUND);
  propagate(ctx, BACKGROUND);
  info.ctx = ctx;
  const rec = info.rec;
  void (async () => {
    while (!info.finished) {
      // Read only while the task runs: the record (and the cancellation's block) stays ours until then.
      const word = cancelWord(rec);
      const v = Atomics.load(heap().i32, word);
      if (v !== 0) {
        const c = readCancel(rec);
        if (c !== undefined) ctx.cancel(true, c.deadline ? DeadlineExceeded : Canceled, c.cause);
        return;
      }
      await waitWord(word, 0, () => info.finished);
    }
  })();
  return ctx;
}
