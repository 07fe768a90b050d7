/**
 * `goroutine/semaphore`: golang.org/x/sync/semaphore — a weighted semaphore with FIFO fairness and
 * context-aware acquisition.
 *
 * Invariants:
 * - `0 <= cur <= size` at all times; a failed or cancelled `acquire` leaves `cur` unchanged.
 * - Waiters are served strictly in arrival order: while the head waiter cannot be satisfied, no later
 *   (smaller) waiter is granted, and the fast path is taken only when nobody waits. Rejected
 *   alternative: granting any waiter that fits — small requests would then starve a large one forever.
 * - A waiter is queued exactly until it is granted or cancelled; both happen synchronously (the grant
 *   moves its weight into `cur` before its promise settles), so a grant and a cancellation can never
 *   both take effect. A waiter whose context is already done when its turn comes is cancelled instead
 *   of granted (the cancellation happened before the grant).
 * - When the head waiter leaves (cancelled) and permits are free, the next waiters are re-examined at
 *   once, so permits a large cancelled waiter was blocking are not left idle.
 * - The queue is a ring of flat entries `[waiter, n, g]` (`q`, `head`, `len`, `cap` a power of two).
 *   A request whose context can never be done (background, todo) is queued as its bare resolve
 *   function: no waiter object, no watcher. Others are a {@link CtxWaiter}. A cancelled CtxWaiter
 *   that is not at the head stays in the ring, counted in `dead`, until it reaches the head (dropped
 *   then) or the dead are the majority (the ring is compacted: O(len) paid for by as many
 *   cancellations). The head entry is never a cancelled one, so `len === 0` means nobody waits.
 *   Rejected alternative: the library's one intrusive waiter list (internal/waitq.ts's WaitList) — a
 *   9-field node per waiter plus a promise made through a shared executor; with 1000 contending tasks
 *   that measured ~15% more per acquire/release pair (~300 vs ~255 ns), mostly allocation and scavenges
 *   (bench/sync.ts's contended rows at N = 1000: `semaphore(10)/contended/1000` "goroutine Weighted(10)"
 *   and `mutex/contended/1000` "goroutine Weighted(1)"; commit d3a2096). This ring is a special case
 *   kept for those rows, pinned by test/semaphore/semaphore.test.ts, "FIFO order survives the ring
 *   wrapping, growing, compacting and shrinking".
 * - A grant settles the waiter's promise at once (`wakeNow`, or at the next macrotask turn while a
 *   preemption is pending), as the mutex's grants do, rather than holding it until the releaser blocks
 *   (`wake`): a lock hand-off is on the critical path of every waiter behind it.
 * - Every wait is registered with the scheduler: `park(g, "semaphore.Acquire", inBubble)` when queued
 *   and `ready` with the same durability just before its promise settles (granted or cancelled).
 */
import { Canceled, type Context, afterFunc, background, todo } from "../context/index.js";
import { type G, currentG, done, park, ready, wakeNow } from "../internal/scheduler.js";
import { checkSize } from "../internal/size.js";

/** Queue entry states of a {@link CtxWaiter}. */
const QUEUED = 0;
const GRANTED = 1;
const CANCELLED = 2;

/** A waiter whose context can be done: it may leave the queue before its turn. */
class CtxWaiter {
  stop: (() => boolean) | undefined = undefined;
  state = QUEUED;
  constructor(
    readonly ctx: Context,
    readonly g: G,
    readonly resolve: () => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

/** Words per queue entry: the waiter (resolve function or CtxWaiter), its weight, its goroutine. */
const STRIDE = 3;
const MIN_CAP = 8;
/** A queue whose ring grew past this many entries gets a fresh small ring when it empties. */
const SHRINK_CAP = 1024;

const BACKGROUND = background();
const TODO = todo();

/** A weight (see src/internal/size.ts); a semaphore's size may also be Infinity (no limit). */
function checkWeight(fn: string, n: unknown): number {
  return checkSize(n, `semaphore.${fn}`, "n", fn === "NewWeighted" ? UNLIMITED : undefined);
}
const UNLIMITED = { unlimited: true };

/**
 * Weighted provides a way to bound concurrent access to a resource (Go's `semaphore.Weighted`).
 * Callers request access with a given weight; at most `size` total weight is held at once.
 *
 * Fairness: requests are granted in FIFO order; a request at the head that does not fit yet blocks the
 * requests behind it, so a large request is never starved by a stream of small ones.
 * Happens-before: a `release` synchronizes before the `acquire` it lets return.
 *
 * @example
 * ```ts
 * import { go } from "goroutine";
 * import * as context from "goroutine/context";
 * import { Weighted } from "goroutine/semaphore";
 * const sem = new Weighted(2); // at most two at a time
 * const ctx = context.background();
 * let running = 0, peak = 0;
 * await Promise.all([1, 2, 3, 4, 5].map(async () => {
 *   await sem.acquire(ctx);
 *   running++; peak = Math.max(peak, running);
 *   await Promise.resolve();
 *   running--;
 *   sem.release();
 * }));
 * console.log(peak); // 2
 * ```
 */
export class Weighted {
  /** The maximum combined weight. */
  readonly size: number;
  private cur = 0;
  /**
   * The waiters, a ring of `cap` entries of STRIDE words starting at entry `head`: [waiter, n, g], where
   * the waiter is the resolve function of a request whose context can never be done, or a CtxWaiter.
   */
  private q: unknown[] = new Array<unknown>(MIN_CAP * STRIDE);
  private cap = MIN_CAP;
  private head = 0;
  /** Entries in the ring, cancelled ones included. */
  private len = 0;
  /** Cancelled entries still in the ring (never the head one). */
  private dead = 0;

  /**
   * Makes a semaphore with a maximum combined weight of `n` (Go's NewWeighted).
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  constructor(n: number) {
    this.size = checkWeight("NewWeighted", n);
  }

  /**
   * acquire acquires the semaphore with a weight of `n`, blocking until resources are available or
   * `ctx` is done. On success it resolves; on failure it rejects with `ctx.err()` and leaves the
   * semaphore unchanged.
   *
   * As in Go, if `ctx` is already done on entry, acquire fails even when the weight is free (the
   * cancellation happened before the call). A request larger than the semaphore's size can never be
   * satisfied: it waits for `ctx` to be done and rejects, without blocking other callers.
   *
   * **Cancellation**: when `ctx` is done mid-wait, the request leaves the queue and no permits are
   * taken; if it was at the head, the requests behind it are re-examined at once. A request already
   * granted keeps its permits (release them as usual).
   *
   * @throws RangeError (synchronously) if `n` is not a whole number >= 0; TypeError if ctx is missing.
   */
  acquire(ctx: Context, n = 1): Promise<void> {
    checkWeight("Acquire", n);
    if (ctx !== BACKGROUND && ctx !== TODO) {
      if (ctx === null || ctx === undefined || typeof ctx.err !== "function") {
        throw new TypeError("semaphore.Acquire: ctx must be a Context (use context.background())");
      }
      const err = ctx.err();
      if (err !== undefined) return Promise.reject(err);
    }
    if (this.size - this.cur >= n && this.len === 0) {
      this.cur += n; // fast path: no waiter, no allocation beyond the settled promise
      return done();
    }
    return this.acquireSlow(ctx, n);
  }

  private acquireSlow(ctx: Context, n: number): Promise<void> {
    const g = currentG();
    // Durable in a bubble, as Go's (its waiter blocks on a channel made inside the bubble).
    const durable = g.bubble !== undefined;
    if (n > this.size) {
      // Don't make other acquire calls block on one that is doomed to fail.
      return new Promise<void>((_, reject) => {
        park(g, "semaphore.Acquire", durable);
        afterFunc(ctx, () => {
          ready(g, durable);
          reject(ctx.err() ?? Canceled);
        });
      });
    }
    if (this.len === this.cap) this.grow();
    const i = ((this.head + this.len) & (this.cap - 1)) * STRIDE;
    this.len++;
    const q = this.q;
    q[i + 1] = n;
    q[i + 2] = g;
    let p: Promise<void>;
    if (ctx === BACKGROUND || ctx === TODO) {
      // A context that can never be done: the entry is the bare resolve function, and no watcher.
      p = new Promise<void>((resolve) => {
        q[i] = resolve;
      });
    } else {
      let w: CtxWaiter | undefined;
      p = new Promise<void>((resolve, reject) => {
        w = new CtxWaiter(ctx, g, resolve, reject);
      });
      q[i] = w;
      w!.stop = afterFunc(ctx, () => this.cancel(w!));
    }
    park(g, "semaphore.Acquire", durable);
    return p;
  }

  /** Doubles the ring, unrolling it so the head entry is at 0. */
  private grow(): void {
    const old = this.q;
    const cap = this.cap;
    const q = new Array<unknown>(cap * 2 * STRIDE);
    for (let k = 0; k < this.len; k++) {
      const from = ((this.head + k) & (cap - 1)) * STRIDE;
      q[k * STRIDE] = old[from];
      q[k * STRIDE + 1] = old[from + 1];
      q[k * STRIDE + 2] = old[from + 2];
    }
    this.q = q;
    this.cap = cap * 2;
    this.head = 0;
  }

  /** Removes the head entry, then any cancelled entries that have become the head. */
  private pop(): void {
    const mask = this.cap - 1;
    const q = this.q;
    for (;;) {
      const i = this.head * STRIDE;
      q[i] = q[i + 2] = undefined;
      this.head = (this.head + 1) & mask;
      if (--this.len === 0) break;
      const next = q[this.head * STRIDE];
      if (typeof next === "function" || (next as CtxWaiter).state !== CANCELLED) return;
      this.dead--;
    }
    // Empty: a ring that grew large is not kept for ever (one burst of waiters would pin it).
    this.head = 0;
    if (this.cap > SHRINK_CAP) {
      this.q = new Array<unknown>(MIN_CAP * STRIDE);
      this.cap = MIN_CAP;
    }
  }

  /** A waiter's context is done: take it out of the line, unless it was granted first. */
  private cancel(w: CtxWaiter): void {
    if (w.state !== QUEUED) return; // granted (or already cancelled)
    w.state = CANCELLED;
    this.reject(w);
    if (this.q[this.head * STRIDE] === w) {
      this.pop();
      // We were at the front: if permits are free, the requests behind us may fit now.
      if (this.size > this.cur) this.notifyWaiters();
    } else {
      // Left in place and skipped when reached; compacted once cancelled entries are the majority, so
      // a head that never moves cannot pin the memory of every request that gave up behind it.
      if (++this.dead > 32 && this.dead * 2 > this.len) this.compact();
    }
  }

  /** Drops the cancelled entries from the ring, keeping order (into a fresh ring: it may wrap). */
  private compact(): void {
    const old = this.q;
    const mask = this.cap - 1;
    const q = new Array<unknown>(this.cap * STRIDE);
    let j = 0;
    for (let k = 0; k < this.len; k++) {
      const from = ((this.head + k) & mask) * STRIDE;
      const x = old[from];
      if (typeof x !== "function" && (x as CtxWaiter).state === CANCELLED) continue;
      q[j * STRIDE] = x;
      q[j * STRIDE + 1] = old[from + 1];
      q[j * STRIDE + 2] = old[from + 2];
      j++;
    }
    this.q = q;
    this.len = j;
    this.dead = 0;
    this.head = 0;
  }

  /** A cancelled waiter leaves: its goroutine is ready and its promise rejects with its context's error. */
  private reject(w: CtxWaiter): void {
    w.stop?.();
    ready(w.g, w.g.bubble !== undefined);
    const err = w.ctx.err();
    wakeNow(() => w.reject(err));
  }

  /**
   * tryAcquire acquires the semaphore with a weight of `n` without blocking: true on success, false
   * (leaving the semaphore unchanged) if the weight is not free or others are waiting.
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  tryAcquire(n = 1): boolean {
    checkWeight("TryAcquire", n);
    if (this.size - this.cur >= n && this.len === 0) {
      this.cur += n;
      return true;
    }
    return false;
  }

  /**
   * release releases the semaphore with a weight of `n`, granting waiting requests in FIFO order.
   * @throws Error "semaphore: released more than held" (leaving the semaphore unchanged) if more weight
   *   is released than is held; RangeError if `n` is not a whole number >= 0.
   */
  release(n = 1): void {
    checkWeight("Release", n);
    if (n > this.cur) throw new Error("semaphore: released more than held");
    this.cur -= n;
    if (this.len !== 0) this.notifyWaiters();
  }

  private notifyWaiters(): void {
    while (this.len !== 0) {
      const q = this.q;
      const i = this.head * STRIDE;
      const x = q[i];
      const n = q[i + 1] as number;
      if (typeof x === "function") {
        if (this.size - this.cur < n) return; // the head does not fit: nobody behind it goes first
        const g = q[i + 2] as G;
        this.cur += n;
        this.pop();
        ready(g, g.bubble !== undefined);
        wakeNow(x as () => void); // or at the next macrotask turn while a preemption is pending
        continue;
      }
      const w = x as CtxWaiter;
      if (w.ctx.err() !== undefined) {
        // Its context was done before this grant: it leaves now (its afterFunc will find it gone).
        w.state = CANCELLED;
        this.reject(w);
        this.pop();
        continue;
      }
      if (this.size - this.cur < n) return;
      this.cur += n;
      w.state = GRANTED;
      this.pop();
      w.stop?.();
      ready(w.g, w.g.bubble !== undefined);
      wakeNow(w.resolve);
    }
  }

  /** @internal Held weight, for tests and the models. */
  get held(): number {
    return this.cur;
  }
  /** @internal Number of queued requests, for tests. */
  get waiting(): number {
    return this.len - this.dead;
  }
}
