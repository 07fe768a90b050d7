/**
 * The engine of `goroutine/pool` (sourcegraph/conc's pool): at most `max` worker goroutines that take
 * tasks from one unbuffered channel, started lazily, one per task until the limit is reached.
 *
 * Invariants:
 * - A generation (`Gen`) is the channel and the workers of one round, from the first `go` after a
 *   `wait` (or the pool's creation) to the next `wait`. `gen.spawned <= max`; `gen.exited` counts the
 *   workers still alive and reaches 0 only after `gen.tasks` is closed.
 * - `pending` counts tasks accepted by `go` and not yet finished, queued senders included: `wait` first
 *   waits for it to reach 0 (so a task that submits tasks is covered), then closes the channel and waits
 *   for the workers to return — no goroutine of the pool outlives `wait`.
 * - `go` never loses a task: it hands it to an idle worker (`trySend`: a worker parked in `recv`), or
 *   starts a worker with it, or sends it on the channel and blocks ("chan send", as conc's
 *   `p.tasks <- f`) until a worker takes it.
 * - Errors are kept by `fail` in the order the tasks failed; `take` hands them to `wait` and resets them.
 *   A worker survives its task's error (conc restarts a worker after a panic; we never lose it).
 *
 * Rejected alternative: one goroutine per task (errgroup's way). With creation stacks on, a `go` costs
 * about 1.6 µs, so 100,000 tiny tasks would spend most of their time being spawned; a long-lived worker
 * pays one channel hand-off per task instead.
 */
import { go } from "../go.js";
import { Chan } from "./chan.js";
import { done } from "./scheduler.js";
import { checkSize } from "./size.js";
import { WaitGroup } from "../sync/waitgroup.js";
import { type CancelCauseFunc, type Context, withCancelCause } from "../context/index.js";

export type Task = () => unknown;

/** How errors reach `wait`: the first one as is, or all of them joined. */
export const FIRST = 0;
export const ALL = 1;

class Gen {
  readonly tasks = new Chan<Task>();
  readonly exited = new WaitGroup();
  spawned = 0;
}

export class Engine {
  max = Infinity;
  mode = FIRST;
  /** Set once the pool has run a task; configuration is refused from then on (conc panics). */
  started = false;
  ctx: Context | undefined = undefined;
  cancel: CancelCauseFunc | undefined = undefined;
  cancelOnError = false;
  private gen: Gen | undefined = undefined;
  private readonly pending = new WaitGroup();
  private errs: unknown[] = [];

  /** A new engine with the same settings (conc's deref), for the pool conversions. */
  copy(): Engine {
    this.checkConfig();
    const e = new Engine();
    e.max = this.max;
    e.mode = this.mode;
    return e;
  }

  /** copy for a conversion from a plain pool to an error-collecting one. */
  copyAll(): Engine {
    const e = this.copy();
    e.mode = ALL;
    return e;
  }

  /** Makes the derived context of a ContextPool. */
  withContext(parent: Context): void {
    const [c, cancel] = withCancelCause(parent);
    this.ctx = c;
    this.cancel = cancel;
  }

  go(fn: Task): Promise<void> {
    this.started = true;
    let g = this.gen;
    if (g === undefined) g = this.gen = new Gen();
    this.pending.add(1);
    // fast path: an idle worker is parked in recv
    if (g.tasks.trySend(fn)) return done();
    if (g.spawned < this.max) {
      g.spawned++;
      g.exited.add(1);
      go(worker, this, g, fn);
      return done();
    }
    return g.tasks.send(fn);
  }

  /** @internal A task failed. */
  fail(e: unknown): void {
    this.errs.push(e);
    if (this.cancelOnError) this.cancel!(toError(e));
  }

  /** @internal A task finished. */
  finish(): void {
    this.pending.done();
  }

  /** Waits for every task and every worker; returns the errors of the round and resets them. */
  async drain(): Promise<unknown[]> {
    await this.pending.wait();
    const g = this.gen;
    if (g !== undefined) {
      this.gen = undefined;
      g.tasks.close();
      await g.exited.wait();
    }
    const errs = this.errs;
    this.errs = [];
    this.cancel?.();
    return errs;
  }

  /** The error `wait` rejects with, if any. */
  error(errs: unknown[]): unknown {
    if (errs.length === 0) return undefined;
    if (this.mode === FIRST) return errs[0];
    return new AggregateError(errs, errs.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
  }

  checkConfig(): void {
    if (this.started) throw new Error("pool: pool can not be reconfigured after calling go() for the first time");
  }

  setMax(n: number): void {
    this.checkConfig();
    this.max = checkSize(n, "pool.WithMaxGoroutines", "n", { min: 1, unlimited: true });
  }
}

/** A rejection with what a task threw, whatever it is. */
export function rejectWith(e: unknown): Promise<never> {
  return Promise.reject(e);
}

export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Whether a task's result must be awaited (a promise or any thenable). */
export function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === "object" && typeof (r as PromiseLike<unknown>).then === "function";
}

async function worker(e: Engine, g: Gen, first: Task): Promise<void> {
  let f: Task | undefined = first;
  while (f !== undefined) {
    try {
      const r = f();
      if (isThenable(r)) await r;
    } catch (err) {
      e.fail(err);
    }
    e.finish();
    f = await g.tasks.recv();
  }
  g.exited.done();
}
