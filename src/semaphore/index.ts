/**
 * `goroutine/semaphore`: golang.org/x/sync/semaphore — a weighted semaphore with FIFO fairness and
 * context-aware acquisition.
 *
 * Invariants:
 * - `0 <= cur <= size` at all times; a failed or cancelled `acquire` leaves `cur` unchanged.
 * - Waiters are served strictly in arrival order: while the head waiter cannot be satisfied, no later
 *   (smaller) waiter is granted, and the fast path is taken only when nobody waits. Rejected
 *   alternative: granting any waiter that fits — small requests would then starve a large one forever.
 * - A waiter is in `waiters` exactly until it is granted or cancelled; both happen synchronously (the
 *   grant moves its weight into `cur` before its promise settles), so a grant and a cancellation can
 *   never both take effect. A waiter whose context is already done when its turn comes is cancelled
 *   instead of granted (the cancellation happened before the grant).
 * - When the head waiter leaves (cancelled) and permits are free, the next waiters are re-examined at
 *   once, so permits a large cancelled waiter was blocking are not left idle.
 */
import { Canceled, type Context, afterFunc, background, todo } from "../context/index.js";
import { type G, currentG, done, park, pending, ready, wake } from "../internal/scheduler.js";
import { WaitList, WaitNode } from "../sync/waitlist.js";

class SemWaiter extends WaitNode {
  stop: (() => boolean) | undefined = undefined;
  /** Set by `pending` (no closure per promise). */
  resolve: ((v: never) => void) | null = null;
  reject: ((e: unknown) => void) | null = null;
  constructor(
    readonly n: number,
    readonly g: G,
    readonly ctx: Context,
  ) {
    super();
  }
}

const BACKGROUND = background();
const TODO = todo();

function checkWeight(fn: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`semaphore.${fn}: weight must be a whole number >= 0, got ${String(n)}`);
  }
  return n;
}

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
  private readonly waiters = new WaitList<SemWaiter>();

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
    if (ctx === null || ctx === undefined || typeof ctx.err !== "function") {
      throw new TypeError("semaphore.Acquire: ctx must be a Context (use context.background())");
    }
    const err = ctx.err();
    if (err !== undefined) return Promise.reject(err);
    if (this.size - this.cur >= n && this.waiters.first === null) {
      this.cur += n; // fast path: no waiter, no allocation beyond the settled promise
      return done();
    }
    return this.acquireSlow(ctx, n);
  }

  private acquireSlow(ctx: Context, n: number): Promise<void> {
    const g = currentG();
    if (n > this.size) {
      // Don't make other acquire calls block on one that is doomed to fail.
      return new Promise<void>((_, reject) => {
        park(g, "semaphore.Acquire", g.bubble !== undefined);
        afterFunc(ctx, () => {
          ready(g, g.bubble !== undefined);
          reject(ctx.err() ?? Canceled);
        });
      });
    }
    const w = new SemWaiter(n, g, ctx);
    const p = pending<void>(w);
    this.waiters.pushBack(w);
    // Durable in a bubble, as Go's (its waiter blocks on a channel made inside the bubble).
    park(g, "semaphore.Acquire", g.bubble !== undefined);
    // A context that can never be done needs no watcher.
    if (ctx !== BACKGROUND && ctx !== TODO) w.stop = afterFunc(ctx, () => this.cancel(w));
    return p;
  }

  /** A waiter's context is done: take it out of the line, unless it was granted first. */
  private cancel(w: SemWaiter): void {
    if (w.list === null) return; // granted (or already cancelled)
    const wasHead = this.waiters.first === w;
    this.drop(w);
    // If we were at the front and permits are free, the requests behind us may fit now.
    if (wasHead && this.size > this.cur) this.notifyWaiters();
  }

  /** Removes a cancelled waiter and rejects it with its context's error. */
  private drop(w: SemWaiter): void {
    this.waiters.remove(w);
    w.stop?.();
    ready(w.g, w.g.bubble !== undefined);
    const err = w.ctx.err();
    const reject = w.reject!;
    wake(() => reject(err));
  }

  /**
   * tryAcquire acquires the semaphore with a weight of `n` without blocking: true on success, false
   * (leaving the semaphore unchanged) if the weight is not free or others are waiting.
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  tryAcquire(n = 1): boolean {
    checkWeight("TryAcquire", n);
    if (this.size - this.cur >= n && this.waiters.first === null) {
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
    if (this.waiters.first !== null) this.notifyWaiters();
  }

  private notifyWaiters(): void {
    for (;;) {
      const w = this.waiters.first;
      if (w === null) return;
      if (w.ctx.err() !== undefined) {
        // Its context was done before this grant: it leaves now (its afterFunc will find it gone).
        this.drop(w);
        continue;
      }
      if (this.size - this.cur < w.n) {
        // Not enough for the head: stop here, so a large waiter is not starved by small ones behind it.
        return;
      }
      this.cur += w.n;
      this.waiters.remove(w);
      w.stop?.();
      ready(w.g, w.g.bubble !== undefined);
      wake(w.resolve as () => void);
    }
  }

  /** @internal Held weight, for tests and the models. */
  get held(): number {
    return this.cur;
  }
  /** @internal Number of queued requests, for tests. */
  get waiting(): number {
    return this.waiters.size;
  }
}
