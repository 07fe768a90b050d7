/**
 * sync.Mutex: a mutual-exclusion lock with Go's two modes, normal (barging) and starvation (hand-off).
 *
 * Invariants:
 * - `owner !== null` exactly while the mutex is locked. `owner` is the holder's guard (one object per
 *   lock generation), or the shared `TRY_OWNER` token after a `tryLock`. A guard unlocks only while it is
 *   the owner, so a guard disposed twice, or after a direct `unlock`, never unlocks a later holder.
 * - `owner === null && qLen > 0` implies `woken`: whenever the lock is free while goroutines wait,
 *   exactly one chance for the head waiter is pending (Go's mutexWoken), so an unlock never schedules a
 *   second one for the same free lock.
 * - Waiters leave the queue only from its head (a mutex wait cannot be cancelled), so the queue is a
 *   ring of parallel arrays: no record is allocated per waiter. This is the one special case beside the
 *   library's waiter list (internal/waitq.ts's WaitList), kept because a bench row shows the gain: on
 *   bench/sync.ts's `mutex/contended/1000` row ("goroutine Mutex"), this Mutex with its queue on a
 *   WaitList (one node per waiter) took 15–60% longer per lock/unlock pair in paired runs on a loaded
 *   2-core machine (equal within noise at `mutex/contended/10`). Pinned by test/sync/mutex.test.ts, "FIFO hand-off order
 *   survives the waiter ring wrapping and growing".
 * - `starving` implies `owner !== null`: in starvation mode the lock passes from the unlocker straight to
 *   the head waiter and is never observed free, so newcomers cannot barge and queue at the tail.
 * - Normal mode: unlock frees the lock and wakes the head waiter (unless one is woken already). Woken
 *   is not running: until its chance comes, any goroutine calling `lock` takes the free lock on the
 *   fast path (barging). If the lock is still free at the chance, it is handed to the head waiter; if a
 *   barger took it, the waiter stays first in line, parked (Go wakes it to lose and sleep again: the
 *   same outcome, minus a wake and a park), and if it has waited more than 1 ms since it first queued
 *   the mutex switches to starvation mode.
 * - When the chance comes: two promise reactions after the unlock (after the unlocking task's own next
 *   step), while no barger has been seen; once a barger took a chance (`lost`), as Go's runnext has it:
 *   when the unlocking goroutine blocks (parks in a primitive) or the microtask queue drains. The first
 *   lets a task that finishes after unlocking hand over at once; the second lets a task that re-locks
 *   in a loop keep the lock, as a running goroutine does in Go. A chance the waiter wins clears `lost`.
 * - A goroutine re-locking in a loop may never block, so a held chance could wait for the next
 *   preemption (10 ms). Bargers therefore check the head's age too (one clock read per 16): past 1 ms the
 *   barger switches the mutex to starvation mode, hands it to the head at once, and queues itself.
 * - Starvation mode ends when the waiter that receives the lock is the last one, or waited under 1 ms.
 *
 * Why barging at all: a goroutine that unlocks and re-locks before it blocks keeps running on the fast
 * path — no waiter, no pending promise, no park, no hand-off — instead of queueing behind everyone at
 * every iteration as strict FIFO hand-off would make it. That is Go's trade: throughput for a bounded
 * unfairness, since starvation mode makes sure no waiter waits much more than 1 ms behind bargers.
 * Measured (bench/sync.ts, 10 tasks re-locking with an await inside the critical section): about
 * 125 ns per lock/unlock pair, against about 145 ns for a bare 30-line FIFO lock with no registry and
 * no guard, and 200–215 ns when the woken waiter's chance always came one or two reactions after the
 * unlock. Tasks that lock once and finish hand over in about 330 ns per task at N = 10 (each its own
 * async function), against about 470 ns when every chance waited for the queue to drain.
 *
 * Why the real clock (monoNow) and not clockOf().now() for the 1 ms threshold: the threshold is scheduler
 * fairness measured in real time spent not running, not user-visible time. Inside a synctest bubble the
 * fake clock stands still while any goroutine is runnable (and a mutex wait is not durable), so with the
 * fake clock a starving waiter would never be detected. park's own time stamp is taken once per microtask
 * burst, too coarse for a 1 ms threshold, so the mutex reads the clock itself, at most once per 16
 * arrivals while its queue stays non-empty (see `stamp`).
 */
import { type G, currentG, defer, done, doneWith, mainG, mustYield, park, lockHook, pending, readyLock, tick, wake, wakeWith } from "../internal/scheduler.js";
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
/** Fills the ring's empty goroutine slots. */
const NO_G: G = mainG;

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
export class MutexGuard implements Disposable {
  // One field: a guard is allocated by every lock, contended or not, so it is kept as small as it gets.
  /** @internal */
  constructor(readonly mu: Mutex) {}
  /** Unlocks the mutex if this guard still holds it; otherwise (already unlocked) does nothing. */
  [Symbol.dispose](): void {
    if (this.mu.owner === this) this.mu.release();
  }
}

function noop(): void {}
const SETTLED: Promise<void> = Promise.resolve();
/** Where `pending` leaves a waiting lock's resolve function, to be moved into the ring at once. */
const slot: { resolve: ((v: never) => void) | null; reject: ((e: unknown) => void) | null } = {
  resolve: null,
  reject: null,
};


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
  /**
   * Waiting goroutines, oldest first, in a ring of parallel arrays (no record per waiter; a mutex wait is
   * never cancelled, so waiters only ever leave from the head): slot `i` holds the promise's resolve, the
   * owner it will be granted to (a new guard, or a Cond caller's guard), the goroutine, and the time it
   * queued (Go's waitStartTime) in a Float64Array so the reading is not boxed.
   */
  private qHead = 0;
  private qLen = 0;
  private qResolve: ((owner: object) => void)[] = [];
  private qOwner: object[] = [];
  private qG: G[] = [];
  private qSince = new Float64Array(0);
  /** Last clock reading given to a waiter, and how many waiters have reused it. */
  private lastStamp = 0;
  private stampUses = 0;
  /** Locks that found the lock free with a waiter woken (see bargerSeesStarvation). */
  private barges = 0;
  /** `retry` bound to this mutex, and the first of the two hops that lead to it; made at first use. */
  private retryFn: (() => void) | null = null;
  private hopFn: (() => void) | null = null;
  /** The head waiter's last chance was taken by a barger (see release). */
  private lost = false;

  /**
   * lock locks the mutex, waiting while it is held. It resolves to a guard whose disposal unlocks:
   * `using _ = await mu.lock();` unlocks at the end of the block, even when the block throws.
   *
   * Blocks: yes, while another holder has the lock. Never rejects. Not cancellable.
   */
  lock(): Promise<MutexGuard> {
    if (this.owner === null && (this.qLen === 0 || !this.bargerSeesStarvation())) {
      // Fast path: free (normal mode, possibly barging ahead of a woken waiter). One guard, one
      // settled promise — what the signature forces — and no waiter.
      const gd = new MutexGuard(this);
      this.owner = gd;
      tick();
      return mustYield ? doneWith(gd) : Promise.resolve(gd);
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
    if (this.qLen === 0) {
      this.owner = null; // fast path: nobody waits
      return;
    }
    if (lockHook !== undefined) lockHook.unlock(this); // mutex profile: the unlocker's stack
    if (this.starving) {
      // Starvation mode: hand the lock straight to the head waiter; it is never observed free.
      const since = this.qSince[this.qHead];
      this.grant();
      if (this.qLen === 0 || monoNow() - since < STARVATION_THRESHOLD_MS) this.starving = false;
      return;
    }
    // Normal mode: free the lock and wake the head waiter, unless one is already woken. Woken is not
    // running: until its chance comes, anyone calling `lock` may take the free lock (barging).
    this.owner = null;
    if (this.woken) return;
    this.woken = true;
    const retry = (this.retryFn ??= () => this.retry());
    if (this.lost) {
      // A barger took the previous chance: wait, as Go's runnext does, for the unlocker to block (or
      // the microtask queue to drain), so a task re-locking in a loop keeps the lock.
      wake(retry);
      return;
    }
    // No barger seen: the chance comes two promise reactions after the unlock, after the unlocking
    // task's own next step, so a task that exits hands over without waiting for the queue to drain.
    const hop = (this.hopFn ??= () => void SETTLED.then(retry));
    if (mustYield) defer(hop);
    else void SETTLED.then(hop);
  }

  /**
   * A caller of `lock` found the lock free while the head waiter's chance is pending (the window in
   * which it may barge). Go's woken waiter notices it has waited over 1 ms when it runs and loses; here
   * a goroutine that keeps re-locking may never block, so its chance could be held back until the
   * next preemption (10 ms). So the bargers look instead, reading the clock once per 16 of them: when
   * the head has waited over 1 ms the mutex switches to starvation mode, hands itself to the head at
   * once, and the barger queues.
   */
  private bargerSeesStarvation(): boolean {
    if ((++this.barges & 15) !== 0 || !this.headStarved()) return false;
    this.starving = true;
    this.grant();
    return true;
  }

  /**
   * The head waiter's chance (Go's woken waiter competing for the lock). If the lock is still free it is
   * handed over; if a barging goroutine took it, the waiter simply stays first in line — rather than
   * being woken to lose and park again, which is the same outcome at the cost of a wake and a park —
   * and, if it has waited more than 1 ms, the mutex switches to starvation mode.
   */
  private retry(): void {
    this.woken = false;
    if (this.qLen === 0) return;
    if (this.owner !== null) {
      this.lost = true;
      if (this.headStarved()) this.starving = true;
      return;
    }
    this.lost = false;
    this.grant();
  }

  /** Whether the head waiter has waited longer than the starvation threshold. */
  private headStarved(): boolean {
    return monoNow() - this.qSince[this.qHead] > STARVATION_THRESHOLD_MS;
  }

  /** Dequeues the head waiter and makes it the owner; it resumes at once (or after a pending preemption). */
  private grant(): void {
    const i = this.qHead;
    const resolve = this.qResolve[i];
    const owner = this.qOwner[i];
    const g = this.qG[i];
    this.qResolve[i] = noop; // drop the references; keep the arrays' element kinds
    this.qOwner[i] = TRY_OWNER;
    this.qG[i] = NO_G;
    this.qHead = (i + 1) & (this.qSince.length - 1);
    this.qLen--;
    this.owner = owner;
    readyLock(g, this);
    wakeWith(resolve, owner); // counts towards the time slice; deferred while a preemption is pending
  }

  /**
   * A waiter's arrival time. A clock read costs about as much as the rest of a contended lock, so
   * while the queue stays non-empty up to STAMP_REUSE arrivals share one reading; a waiter can only
   * look older than it is (never younger), by at most the time those arrivals took, so the error only
   * ever tips the mutex toward starvation mode (FIFO), never delays it.
   */
  private stamp(): number {
    if (this.qLen === 0 || ++this.stampUses >= STAMP_REUSE) {
      this.stampUses = 0;
      this.lastStamp = monoNow();
    }
    return this.lastStamp;
  }

  private lockSlow(owner: object): Promise<object> {
    const g = currentG();
    const since = this.stamp();
    if (this.qLen === this.qSince.length) this.grow();
    const i = (this.qHead + this.qLen) & (this.qSince.length - 1);
    this.qLen++;
    this.qOwner[i] = owner;
    this.qG[i] = g;
    this.qSince[i] = since;
    const p = pending<object>(slot);
    this.qResolve[i] = slot.resolve as (owner: object) => void;
    park(g, "sync.Mutex.Lock", false, this);
    return p;
  }

  /** Doubles the ring (at least 8 slots), moving the waiters to the front in order. */
  private grow(): void {
    const cap = Math.max(8, this.qSince.length * 2);
    const mask = this.qSince.length - 1;
    const resolve = new Array<(owner: object) => void>(cap).fill(noop);
    const owner = new Array<object>(cap).fill(TRY_OWNER);
    const gs = new Array<G>(cap).fill(NO_G);
    const since = new Float64Array(cap);
    for (let k = 0; k < this.qLen; k++) {
      const j = (this.qHead + k) & mask;
      resolve[k] = this.qResolve[j];
      owner[k] = this.qOwner[j];
      gs[k] = this.qG[j];
      since[k] = this.qSince[j];
    }
    this.qResolve = resolve;
    this.qOwner = owner;
    this.qG = gs;
    this.qSince = since;
    this.qHead = 0;
  }

  /** @internal */
  [kOwner](): object | null {
    return this.owner;
  }

  /** @internal Locks on behalf of `owner` (Cond.wait re-locking for the guard its caller holds). */
  [kLockAs](owner: object): Promise<void> {
    if (this.owner === null && (this.qLen === 0 || !this.bargerSeesStarvation())) {
      this.owner = owner;
      return done();
    }
    return this.lockSlow(owner) as Promise<unknown> as Promise<void>;
  }

  /** @internal For tests and the dump: whether the mutex is in starvation mode. */
  get isStarving(): boolean {
    return this.starving;
  }
}
