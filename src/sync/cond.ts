/**
 * sync.Cond: a condition variable over a Locker.
 *
 * Invariants:
 * - A waiter is queued *before* `wait` unlocks `l` (Go's notifyListAdd ticket), so a `signal` made by
 *   the next holder of `l` can never be missed.
 * - `signal` wakes the oldest waiter, `broadcast` all waiters queued at the time of the call; a waiter
 *   that queues during a broadcast's wake-ups is not woken by it.
 * - A woken waiter is made ready at once and then re-acquires `l` like any other locker; `wait` returns
 *   only after it holds `l` again. When `l` is one of the library's locks, the re-lock is made for the
 *   same owner the caller held (the same guard), so `using _ = await mu.lock()` around a `wait` loop
 *   still unlocks at the end of the block.
 */
import { type G, currentG, park, ready, wakeNow } from "../internal/scheduler.js";
import { type Locker, isOwnedLocker, kLockAs, kOwner } from "./mutex.js";
import { WaitList, WaitNode } from "../internal/waitq.js";

class CondWaiter extends WaitNode {
  constructor(
    readonly g: G,
    readonly resolve: () => void,
  ) {
    super();
  }
}

/**
 * Cond is a condition variable (Go's `sync.Cond`): a rendezvous point for goroutines waiting for or
 * announcing a change of state guarded by its Locker `l`.
 *
 * `wait()` must be called with `l` held: it queues the caller, unlocks `l`, blocks until `signal` or
 * `broadcast` wakes it, re-locks `l` and returns. Since the state may have changed again by then, wait
 * in a loop: `while (!ready) await c.wait();`. Happens-before, in Go's words: a call to `broadcast` or
 * `signal` synchronizes before any `wait` call that it unblocks.
 *
 * In a synctest bubble, `wait` is durably blocking (wait reason "sync.Cond.Wait"); re-acquiring `l`
 * afterwards is not.
 *
 * **Cancellation**: `wait` cannot be cancelled. For waits that must give up, use a channel and `select`.
 *
 * @example
 * ```ts
 * import { go } from "goroutine";
 * import { Cond, Mutex } from "goroutine/sync";
 * const c = new Cond(new Mutex());
 * let ready = false;
 * go(async () => {
 *   using _ = await c.l.lock();
 *   ready = true;
 *   c.broadcast();
 * });
 * {
 *   using _ = await c.l.lock();
 *   while (!ready) await c.wait();
 *   console.log("ready"); // "ready"
 * }
 * ```
 */
export class Cond<L extends Locker = Locker> {
  private readonly q = new WaitList<CondWaiter>();

  /** Makes a Cond over `l`, which must be held around `wait`. */
  constructor(readonly l: L) {
    if (l === null || typeof l !== "object" || typeof l.lock !== "function" || typeof l.unlock !== "function") {
      throw new TypeError("sync.Cond: expected a Locker (an object with lock and unlock)");
    }
  }

  /**
   * wait unlocks `l`, blocks until woken by `signal` or `broadcast`, then locks `l` again before
   * resolving. The caller must hold `l`; if it does not, the error of `l.unlock()` is thrown (for a
   * Mutex: "sync: unlock of unlocked mutex") and nothing is queued.
   */
  async wait(): Promise<void> {
    const l = this.l;
    const g = currentG();
    let resolve!: () => void;
    const woken = new Promise<void>((r) => (resolve = r));
    const w = new CondWaiter(g, resolve);
    this.q.push(w);
    const owned = isOwnedLocker(l);
    const owner = owned ? l[kOwner]() : null;
    try {
      l.unlock();
    } catch (e) {
      this.q.remove(w);
      throw e;
    }
    park(g, "sync.Cond.Wait", true, this);
    await woken;
    if (owned && owner !== null) await l[kLockAs](owner);
    else await l.lock();
  }

  /** signal wakes the longest-waiting goroutine in `wait`, if any. The caller need not hold `l`. */
  signal(): void {
    const w = this.q.shift();
    if (w === null) return;
    ready(w.g, true);
    wakeNow(w.resolve);
  }

  /** broadcast wakes every goroutine waiting in `wait`. The caller need not hold `l`. */
  broadcast(): void {
    let n = this.q.size;
    while (n-- > 0) this.signal();
  }
}

