/**
 * sync.Mutex: a mutual-exclusion lock with Go's two modes, normal (barging) and starvation (hand-off).
 *
 * Invariants:
 * - `owner !== null` exactly while the mutex is locked. `owner` is the holder's guard (one object per
 *   lock generation), or the shared `TRY_OWNER` token after a `tryLock`. A guard unlocks only while it is
 *   the owner, so a guard disposed twice, or after a direct `unlock`, never unlocks a later holder.
 * - `owner === null && q.first !== null` implies `woken`: whenever the lock is free while goroutines
 *   wait, exactly one chance for the head waiter is pending (Go's mutexWoken), so an unlock never
 *   schedules a second one for the same free lock.
 * - `starving` implies `owner !== null`: in starvation mode the lock passes from the unlocker straight to
 *   the head waiter and is never observed free, so newcomers cannot barge and queue at the tail.
 * - Normal mode: unlock frees the lock and gives the head waiter its chance from a microtask (one shared
 *   by every mutex unlocked in the same turn). In between, any goroutine calling `lock` takes the free
 *   lock on the fast path (barging). If the lock is still free at the chance, it is handed to the head
 *   waiter; if a barger took it, the waiter stays first in line, parked (Go wakes it to lose and sleep
 *   again: the same outcome, minus a wake and a park), and if it has waited more than 1 ms since it
 *   first queued the mutex switches to starvation mode.
 * - Starvation mode ends when the waiter that receives the lock is the last one, or waited under 1 ms.
 *
 * Why barging at all: a goroutine that unlocks and immediately re-locks (a hot loop) keeps running on
 * the fast path — no waiter, no pending promise, no park — instead of queueing behind everyone at every
 * iteration as strict FIFO hand-off would make it. Starvation mode bounds the unfairness that buys: no
 * waiter waits much more than 1 ms behind a barging goroutine. (When nobody barges, bench/sync.ts
 * measures the retry hop at about the cost of a hand-off's clock read: the two modes cost the same.)
 *
 * Why the real clock (monoNow) and not clockOf().now() for the 1 ms threshold: the threshold is scheduler
 * fairness measured in real time spent not running, not user-visible time. Inside a synctest bubble the
 * fake clock stands still while any goroutine is runnable (and a mutex wait is not durable), so with the
 * fake clock a starving waiter would never be detected. park's own time stamp is taken once per microtask
 * burst, too coarse for a 1 ms threshold, so the mutex reads the clock itself, at most once per 16
 * arrivals while its queue stays non-empty (see `stamp`).
 */
import { type G, currentG, defer, doneWith, mustYield, park, pending, ready, wakeNow } from "../internal/scheduler.js";
import { WaitList, WaitNode } from "./waitlist.js";
import { monoNow } from "../internal/clock.js";

/** A waiter that has waited longer than this switches the mutex to starvation mode (Go: 1e6 ns). */
export const STARVATION_THRESHOLD_MS = 1;

/**
 * Locker is Go's `sync.Locker`: anything with `lock` and `unlock`. `lock` may return a promise (it is
 * awaited), so a {@link Mutex}, an {@link RWMutex}, `rwmutex.rLocker()` or your own lock all qualify.
 *
 * @example
 * ```ts
 * import { Cond, Mutex, type Locker } from "goroutine/sync";
 * const l: Locker = new Mutex();
 * const c = new Cond(l); // any Locker will do
 * await l.lock();
 * c.signal();
 * l.unlock();
 * console.log(c.l === l); // true
 * ```
 */
export interface Locker {
  lock(): unknown;
  unlock(): void;
}

/** Arrivals that may share one clock reading while the queue stays non-empty (see Mutex.stamp). */
const STAMP_REUSE = 16;

/** @internal Owner token of a lock taken with tryLock (no guard object is allocated for it). */
export const TRY_OWNER: object = Object.freeze({ tryLock: true });

/** @internal Lets Cond re-lock a lock for the same owner (guard) the waiting goroutine held before. */
export const kLockAs = Symbol("lockAs");
/** @internal Lets Cond read who owns the lock before it unlocks it. */
export const kOwner = Symbol("owner");

/** @internal Implemented by the library's own locks so Cond.wait keeps the caller's guard valid. */
export interface OwnedLocker extends Locker {
  [kOwner](): object | null;
  [kLockAs](owner: object): Promise<void>;
}

/** @internal */
export function isOwnedLocker(l: Locker): l is OwnedLocker {
  return typeof (l as Partial<OwnedLocker>)[kLockAs] === "function";
}

/**
 * The value `Mutex.lock()` resolves to: disposing it unlocks the mutex it came from, once, and only if
 * that lock is still held by this guard. Use it with `using`: `using _ = await mu.lock();`. A guard
 * whose lock was already released (by `unlock()` or an earlier dispose) does nothing, so it can never
 * unlock a later holder.
 *
 * @example
 * ```ts
 * import { Mutex } from "goroutine/sync";
 * const mu = new Mutex();
 * {
 *   using _ = await mu.lock();
 *   console.log(mu.tryLock()); // false
 * } // unlocked here
 * const g = await mu.lock();
 * g[Symbol.dispose]();
 * g[Symbol.dispose](); // a second dispose does nothing
 * console.log(mu.tryLock()); // true
 * ```
 */
export class MutexGuard extends WaitNode implements Disposable {
  // While its lock call waits, the guard is also the waiter (one allocation instead of two).
  /** @internal The goroutine waiting, while queued. */
  g: G | null = null;
  /** @internal monoNow() when it first queued; kept across re-queues (Go's waitStartTime). */
  since = 0;
  /** @internal Who becomes the owner when this waiter is granted: itself, or a caller's guard (Cond). */
  owner: object = this;
  /** @internal Set by `pending` (no closure per promise). */
  resolve: ((v: never) => void) | null = null;
  /** @internal */
  reject: ((e: unknown) => void) | null = null;
  /** @internal */
  constructor(readonly mu: Mutex) {
    super();
  }
  /** Unlocks the mutex if this guard still holds it; otherwise (already unlocked) does nothing. */
  [Symbol.dispose](): void {
    if (this.mu.owner === this) this.mu.release();
  }
  /** @internal Settles the waiting lock call with its owner (a scheduler Settler). */
  settle(): void {
    const r = this.resolve as (v: object) => void;
    this.resolve = this.reject = null;
    this.g = null;
    r(this.owner);
  }
}

// After a normal-mode unlock the head waiter gets its chance one microtask later, from one shared
// microtask: `.then` on a settled promise costs less than queueMicrotask (which wraps every callback in an
// AsyncResource) and needs no closure per mutex.
let retryQ: Mutex[] = [];
let retryScheduled = false;
const SETTLED: Promise<void> = Promise.resolve();
function scheduleRetry(m: Mutex): void {
  retryQ.push(m);
  if (!retryScheduled) {
    retryScheduled = true;
    void SETTLED.then(drainRetries);
  }
}
function drainRetries(): void {
  const q = retryQ;
  retryQ = [];
  retryScheduled = false;
  for (let i = 0; i < q.length; i++) q[i].retry();
}

/**
 * Mutex is a mutual-exclusion lock (Go's `sync.Mutex`). A new Mutex is unlocked.
 *
 * `lock()` blocks (returns a pending promise) while another holder has it; `unlock()` releases it and
 * may be called by any goroutine, not only the one that locked it. In Go's terms: for any call n < m,
 * the n'th `unlock` synchronizes before the m'th `lock` returns.
 *
 * Fairness is Go's: in normal mode a goroutine calling `lock` may take a just-freed mutex ahead of a
 * woken waiter; once a waiter has waited more than 1 ms the mutex switches to starvation mode and hands
 * itself directly to waiters in FIFO order until the queue drains or a waiter got it in under 1 ms.
 *
 * **Cancellation**: `lock` cannot be cancelled; use a `semaphore.Weighted` of size 1 with a context when
 * you need a lock acquisition that gives up. A goroutine blocked in `lock` is not durably blocked in a
 * synctest bubble (wait reason "sync.Mutex.Lock").
 *
 * @example
 * ```ts
 * import { go } from "goroutine";
 * import { Mutex, WaitGroup } from "goroutine/sync";
 * const mu = new Mutex();
 * const wg = new WaitGroup();
 * let counter = 0;
 * for (let i = 0; i < 100; i++) {
 *   wg.go(async () => {
 *     using _ = await mu.lock();
 *     const v = counter;
 *     await Promise.resolve(); // the critical section may await
 *     counter = v + 1;
 *   });
 * }
 * await wg.wait();
 * console.log(counter); // 100
 * ```
 */
export class Mutex implements Locker {
  /** @internal The holder's guard, TRY_OWNER, or null when unlocked. */
  owner: object | null = null;
  /** @internal Starvation mode: unlock hands the lock straight to the head waiter. */
  starving = false;
  /** @internal A waiter was woken in normal mode and has not retried yet. */
  woken = false;
  /** @internal Last clock reading given to a waiter. */
  lastStamp = 0;
  /** @internal How many waiters have reused `lastStamp`. */
  stampUses = 0;
  /** @internal Waiting goroutines, oldest first (a woken loser re-enters at the front). */
  readonly q = new WaitList<MutexGuard>();

  /**
   * lock locks the mutex, waiting while it is held. It resolves to a guard whose disposal unlocks:
   * `using _ = await mu.lock();` unlocks at the end of the block, even when the block throws.
   *
   * Blocks: yes, while another holder has the lock. Never rejects. Not cancellable.
   */
  lock(): Promise<MutexGuard> {
    if (this.owner === null) {
      // Fast path: free (normal mode, possibly barging ahead of a woken waiter). One guard, one
      // settled promise — what the signature forces — and no waiter.
      const gd = new MutexGuard(this);
      this.owner = gd;
      return doneWith(gd);
    }
    return this.lockSlow(new MutexGuard(this)) as Promise<MutexGuard>;
  }

  /**
   * tryLock locks the mutex if it is free and returns true, or returns false at once. Never waits.
   * Like Go, it fails in starvation mode even between hand-offs, and succeeds ahead of a woken waiter in
   * normal mode. Release with {@link Mutex.unlock}.
   */
  tryLock(): boolean {
    if (this.owner !== null) return false;
    this.owner = TRY_OWNER;
    return true;
  }

  /**
   * unlock unlocks the mutex. It may be called from a goroutine other than the one that locked it.
   * A guard from the unlocked generation becomes inert.
   * @throws Error "sync: unlock of unlocked mutex" if the mutex is not locked (a fatal error in Go).
   */
  unlock(): void {
    if (this.owner === null) throw new Error("sync: unlock of unlocked mutex");
    this.release();
  }

  /** @internal Unlocks a held mutex. */
  release(): void {
    const w = this.q.first;
    if (w === null) {
      this.owner = null; // fast path: nobody waits
      return;
    }
    this.unlockSlow(w);
  }

  private unlockSlow(w: MutexGuard): void {
    if (this.starving) {
      // Starvation mode: hand the lock straight to the head waiter; it is never observed free.
      this.q.shift();
      this.owner = w.owner;
      if (this.q.first === null || monoNow() - w.since < STARVATION_THRESHOLD_MS) this.starving = false;
      ready(w.g!, false);
      wakeNow(w); // or at the next macrotask turn while a preemption is pending
      return;
    }
    // Normal mode: free the lock; the head waiter gets its chance one microtask later unless a chance is
    // already pending. Meanwhile anyone calling `lock` may take the free lock (barging).
    this.owner = null;
    if (this.woken) return;
    this.woken = true;
    if (mustYield) defer(() => scheduleRetry(this));
    else scheduleRetry(this);
  }

  /**
   * @internal The head waiter's chance (Go's woken waiter competing for the lock). If the lock is still
   * free it is handed over; if a barging goroutine took it, the waiter simply stays first in line —
   * rather than being woken to lose and park again, which is the same outcome at the cost of a wake and a
   * park — and, if it has waited more than 1 ms, the mutex switches to starvation mode.
   */
  retry(): void {
    this.woken = false;
    const w = this.q.first;
    if (w === null) return;
    if (this.owner !== null) {
      if (monoNow() - w.since > STARVATION_THRESHOLD_MS) this.starving = true;
      return;
    }
    this.q.shift();
    this.owner = w.owner;
    ready(w.g!, false);
    wakeNow(w);
  }

  /**
   * A waiter's arrival time. A clock read costs about as much as the rest of a contended lock, so
   * while the queue stays non-empty up to STAMP_REUSE arrivals share one reading; a waiter can only
   * look older than it is (never younger), by at most the time those arrivals took, so the error only
   * ever tips the mutex toward starvation mode (FIFO), never delays it.
   */
  private stamp(): number {
    if (this.q.first === null || ++this.stampUses >= STAMP_REUSE) {
      this.stampUses = 0;
      this.lastStamp = monoNow();
    }
    return this.lastStamp;
  }

  private lockSlow(w: MutexGuard): Promise<MutexGuard | undefined> {
    const g = currentG();
    w.g = g;
    const p = pending<MutexGuard | undefined>(w);
    w.since = this.stamp();
    this.q.pushBack(w);
    park(g, "sync.Mutex.Lock", false);
    return p;
  }

  /** @internal */
  [kOwner](): object | null {
    return this.owner;
  }

  /** @internal Locks on behalf of `owner` (Cond.wait re-locking for the guard its caller holds). */
  [kLockAs](owner: object): Promise<void> {
    if (this.owner === null) {
      this.owner = owner;
      return doneWith(undefined);
    }
    const w = new MutexGuard(this); // a waiter node only; the caller's own guard becomes the owner
    w.owner = owner;
    return this.lockSlow(w) as Promise<unknown> as Promise<void>;
  }

  /** @internal For tests and the dump: whether the mutex is in starvation mode. */
  get isStarving(): boolean {
    return this.starving;
  }
}
