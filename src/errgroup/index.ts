/**
 * `goroutine/errgroup`: golang.org/x/sync/errgroup — synchronization, error propagation and context
 * cancellation for a group of goroutines working on subtasks of a common task.
 *
 * Invariants:
 * - `pending` counts functions accepted by `go`/`tryGo` that have not finished: queued ones plus running
 *   ones. `wait` resolves only when it is 0, so a fire-and-forget `g.go(fn)` is always waited for.
 * - `active` counts running functions; with a limit (`limit >= 0`) `active <= limit` and `queue` is
 *   non-empty only while `active === limit`. A finishing function starts the oldest queued one (FIFO).
 * - A `go` caller that awaits a queued start is parked ("chan send", as Go's blocked `g.sem <- token{}`)
 *   and made ready when the last function it awaits has started; a caller that does not await runs on
 *   and is never marked blocked (the start promise parks lazily, in `then`). `wait` is durable in a synctest bubble when every `go` of the
 *   current round was called from that bubble (Go: the group's WaitGroup).
 * - `err` is written once, by the first function to fail; the derived context is cancelled with it as
 *   the cause at that moment, and (with no error) when `wait` returns.
 *
 * Errors: a function fails by throwing or by rejecting. JavaScript has no separate panic channel, so a
 * thrown error is the function's error (Go's `return err`), not a crash; a returned value — even an
 * Error instance — is not an error. Rejected alternative: treating a returned Error as failure, which
 * would make `() => fetchThing()` resolving to an Error object fail surprisingly.
 */
import { go as spawnGo } from "../go.js";
import { type Context, withCancelCause } from "../context/index.js";
import { type BubbleHooks, type G, currentG, done, park, ready, wakeNow } from "../internal/scheduler.js";
import { Ring } from "../internal/ring.js";
import { checkSize } from "../internal/size.js";
import { groupOfContext } from "../internal/groupctx.js";

interface Queued {
  fn: () => unknown;
  g: G;
  started: () => void;
  /** The caller awaited the start promise and is parked on it. */
  parked: boolean;
  /** `fn` has started: a `then` from now on must not park (nothing would make the caller ready). */
  left: boolean;
}

/** How many start promises each goroutine is parked on (it is made ready when the last one starts). */
const parkedOn = new WeakMap<G, number>();

/**
 * The promise `go` returns while `fn` is queued. A caller that awaits it (or calls `then`) is parked as
 * blocked in Go's `g.sem <- token{}`; a fire-and-forget caller is not, since it runs on.
 */
class StartPromise extends Promise<void> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  /** @internal */
  entry: Queued | undefined;
  override then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const q = this.entry;
    // `await p` calls `then` a microtask later, by which time `fn` may already have started.
    if (q !== undefined && !q.parked && !q.left) {
      q.parked = true;
      const n = parkedOn.get(q.g) ?? 0;
      parkedOn.set(q.g, n + 1);
      // Park once per goroutine, however many starts it awaits (parks are not counted twice).
      if (n === 0) park(q.g, "chan send", q.g.bubble !== undefined);
    }
    return super.then(onFulfilled, onRejected);
  }
}

const UNSET: unique symbol = Symbol("unset");
const MIXED: unique symbol = Symbol("mixed");

/** A limit: any integer (negative: no limit) or Infinity (no limit); see src/internal/size.ts. */
function checkLimit(n: unknown): number {
  return checkSize(n, "errgroup.SetLimit", "n", { min: -Infinity, unlimited: true });
}

/**
 * Group is a collection of goroutines working on subtasks that are part of the same overall task
 * (Go's `errgroup.Group`). A new Group is valid, has no limit on the number of active goroutines, and
 * does not cancel on error; use {@link withContext} for a Group with a derived context.
 *
 * Happens-before: the completion of every function passed to `go` synchronizes before `wait` returns.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as errgroup from "goroutine/errgroup";
 * const [g, ctx] = errgroup.withContext(context.background());
 * const pages = ["a", "b", "c"];
 * const sizes: number[] = [];
 * for (const p of pages) {
 *   g.go(async () => {
 *     if (ctx.err()) return; // another fetch failed
 *     sizes.push(p.length);
 *   });
 * }
 * await g.wait();
 * console.log(sizes.length); // 3
 * ```
 */
export class Group {
  private pending = 0;
  private active = 0;
  private limit = -1;
  private readonly queue = new Ring<Queued>();
  private failed = false;
  private err: unknown = undefined;
  private waiters: { g: G; resolve: () => void; durable: boolean }[] = [];
  /** Bubble of the `go` calls of the current round (as WaitGroup): decides whether `wait` is durable. */
  private bubble: BubbleHooks | undefined | typeof UNSET | typeof MIXED = UNSET;
  /** @internal Set by withContext: cancels the derived context with a cause. */
  cancel: ((cause?: Error) => void) | undefined = undefined;

  /**
   * go calls `fn` in a new goroutine. The first call to fail (throw or reject) sets the group's error
   * and cancels the derived context; later errors are dropped.
   *
   * With a limit (see {@link Group.setLimit}), `fn` starts when fewer than that many functions are
   * running, otherwise it is queued (FIFO). The returned promise resolves when `fn` has started: await it
   * for Go's behaviour, where `Go` blocks the caller until a slot is free (back-pressure). It never
   * rejects.
   *
   * **Cancellation**: a queued function cannot be withdrawn; it starts when a slot frees up. To skip the
   * work after a failure, check the group's context at the top of `fn` (`if (ctx.err()) return;`).
   */
  go(fn: () => unknown): Promise<void> {
    if (typeof fn !== "function") throw new TypeError(`errgroup: go expects a function, got ${typeof fn}`);
    const g = currentG();
    this.track(g);
    this.pending++;
    if (this.limit < 0 || this.active < this.limit) {
      this.start(fn);
      return done();
    }
    // Go blocks in `g.sem <- token{}`: a channel send, durable in a bubble (once awaited).
    let entry!: Queued;
    const p = new StartPromise((started) => {
      entry = { fn, g, started, parked: false, left: false };
    });
    p.entry = entry;
    this.queue.push(entry);
    return p;
  }

  /**
   * tryGo calls `fn` in a new goroutine only if the number of active goroutines is below the limit,
   * and reports whether it did. It never queues and never waits.
   */
  tryGo(fn: () => unknown): boolean {
    if (typeof fn !== "function") throw new TypeError(`errgroup: tryGo expects a function, got ${typeof fn}`);
    if (this.limit >= 0 && this.active >= this.limit) return false;
    this.track(currentG());
    this.pending++;
    this.start(fn);
    return true;
  }

  /**
   * setLimit limits the number of active goroutines in this group to at most `n`; a negative `n` or
   * `Infinity` means no limit. A limit of 0 prevents any new goroutine from starting (every `go` queues).
   * @throws Error "errgroup: modify limit while N goroutines in the group are still active" if goroutines
   *   started under a limit are still running (a panic in Go); RangeError if `n` is NaN or a fraction
   *   (any integer is accepted, however large; Infinity, like a negative `n`, means no limit).
   */
  setLimit(n: number): void {
    checkLimit(n);
    if (n < 0 || n === Infinity) {
      this.limit = -1;
      this.drain();
      return;
    }
    const inUse = this.limit >= 0 ? this.active : 0; // Go: len(g.sem), 0 when there was no limit
    if (inUse !== 0) {
      throw new Error(`errgroup: modify limit while ${inUse} goroutines in the group are still active`);
    }
    this.limit = n;
    this.drain(); // functions queued under a limit of 0 may start now
  }

  /**
   * wait blocks until every function passed to `go` (queued ones included) has finished, then resolves,
   * or rejects with the first error. It cancels the derived context, if any, when it returns.
   * **Cancellation**: not cancellable; cancel the group's context to make the functions return early.
   */
  wait(): Promise<void> {
    if (this.pending === 0) return this.finish();
    const g = currentG();
    const b = this.bubble;
    const durable = b !== UNSET && b !== MIXED && b !== undefined && b === g.bubble;
    return new Promise<void>((resolve) => {
      this.waiters.push({ g, resolve, durable });
      park(g, "sync.WaitGroup.Wait", durable);
    }).then(() => this.finish());
  }

  private finish(): Promise<void> {
    this.cancel?.(this.failed ? toError(this.err) : undefined);
    // The first error is rethrown as is, whatever it is.
    return this.failed ? Promise.reject(this.err) : done();
  }

  private track(g: G): void {
    if (this.bubble === UNSET) this.bubble = g.bubble;
    else if (this.bubble !== g.bubble) this.bubble = MIXED;
  }

  private start(fn: () => unknown): void {
    this.active++;
    spawnGo(runInGroup, this, fn);
  }

  /** @internal A function finished, with or without an error. */
  end(failed: boolean, err: unknown): void {
    if (failed && !this.failed) {
      this.failed = true;
      this.err = err;
      this.cancel?.(toError(err));
    }
    this.active--;
    this.pending--;
    this.drain();
    if (this.pending === 0) this.bubble = UNSET;
    if (this.pending === 0 && this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) ready(w.g, w.durable);
      for (const w of ws) wakeNow(w.resolve);
    }
  }

  /** Starts queued functions while slots are free. */
  private drain(): void {
    while (this.queue.length > 0 && (this.limit < 0 || this.active < this.limit)) {
      const q = this.queue.shift();
      q.left = true;
      this.start(q.fn);
      if (q.parked) {
        const n = parkedOn.get(q.g)! - 1;
        if (n === 0) {
          parkedOn.delete(q.g);
          ready(q.g, q.g.bubble !== undefined);
        } else parkedOn.set(q.g, n);
      }
      wakeNow(q.started);
    }
  }
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function runInGroup(g: Group, fn: () => unknown): unknown {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    g.end(true, e);
    return undefined;
  }
  if (r !== null && typeof r === "object" && typeof (r as PromiseLike<unknown>).then === "function") {
    return Promise.resolve(r).then(
      () => g.end(false, undefined),
      (e: unknown) => g.end(true, e),
    );
  }
  g.end(false, undefined);
  return undefined;
}

/**
 * withContext returns a new Group and an associated Context derived from `ctx` (Go's
 * `errgroup.WithContext`). The derived Context is cancelled the first time a function passed to `go`
 * fails (with that error as its cause) or the first time `wait` returns, whichever occurs first.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as errgroup from "goroutine/errgroup";
 * const [g, ctx] = errgroup.withContext(context.background());
 * g.go(async () => { throw new Error("boom"); });
 * g.go(async () => { await ctx.done().recv(); }); // returns once the failure cancels ctx
 * await g.wait().catch((e: Error) => console.log(e.message)); // "boom"
 * console.log(context.cause(ctx)?.message); // "boom"
 * ```
 */
export function withContext(ctx: Context): [Group, Context] {
  const [c, cancel] = withCancelCause(ctx);
  const g = new Group();
  g.cancel = cancel;
  groupOfContext.set(c, g); // pipeline stages built on c run in g
  return [g, c];
}
