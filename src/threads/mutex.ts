/**
 * goroutine/threads Mutex: Go's `sync.Mutex` with its state in the shared heap, usable from every thread,
 * with Go's two modes — normal (a freed mutex goes to whoever grabs it first, waiters included) and
 * starvation (the mutex is handed to a waiter that has waited over 1 ms). Waits go through `waitWhile`
 * (spin briefly, then `Atomics.waitAsync`) and show as "threads.Mutex.Lock" in `runtime.dump()`.
 *
 * Invariants (words [STATE, SEMA, HAND, ACQ_GEN] at the mutex's heap offset):
 * - STATE = LOCKED | WOKEN | STARVING | waiters << 3. LOCKED is set exactly while an acquisition holds
 *   the mutex. `waiters` counts lock calls queued for a wake token or the hand-off and not yet granted
 *   one; only CAS loops change STATE, except the starving waiter's one add when it takes the hand-off.
 * - WOKEN: some lock call is awake and will compete for the mutex — a waiter that took a token, or one
 *   spinning that claimed it — and it clears WOKEN at its next CAS on STATE. While WOKEN is set, unlock
 *   grants no token, so an unlock wakes at most one parked waiter and never one that would only lose.
 * - SEMA = tokens granted and not yet taken. A token is granted (SEMA++, then notify 1) only by an
 *   unlock that moves one waiter out of `waiters` and sets WOKEN in the same CAS; each token is taken
 *   by exactly one waiter (CAS on SEMA), so no grant is lost whether the waiter spins or is parked.
 * - STARVING: set, only while LOCKED, by the one waiter that waited over 1 ms and found the mutex held
 *   (the starving waiter; it is counted in `waiters`). While STARVING is set, no lock call takes the
 *   mutex by CAS (newcomers and woken waiters queue), so the next unlock clears LOCKED and sets HAND = 1,
 *   and the starving waiter — the only one waiting on HAND — resets HAND to 0 and takes the mutex with
 *   STARVING cleared in one add. So a waiter waits at most about 1 ms plus one hold per earlier starving
 *   waiter, and normal mode (barging) resumes at once. FIFO among waiters is not promised.
 * - ACQ_GEN changes at every unlock before LOCKED is cleared, so it is constant during an acquisition:
 *   a guard remembers it and unlocks only while it still matches (a stale guard never unlocks a later
 *   holder). `last` (per thread) is this thread's guard of the current acquisition, for Cond.wait.
 * - Happens-before: every acquisition and release is a seq-cst RMW on STATE (the starving hand-off:
 *   unlock's CAS then HAND store; the waiter's HAND load then add), so a release precedes the next lock.
 *
 * Why barging, not strict FIFO hand-off (a ticket lock, the previous design): hand-off makes every
 * unlock wait for one specific waiter, which on another thread has usually stopped spinning and needs
 * an OS wake (~20–40 µs here), so the lock convoys at one wake per acquisition (~24 µs/op under
 * contention in bench/threads.ts). With barging the thread that just unlocked — or a spinning waiter —
 * takes the mutex at once while the woken waiter gets ready in parallel; starvation mode bounds the
 * unfairness. Why a single starving waiter with its own word (HAND) instead of Go's FIFO semaphore
 * queue: a token on SEMA can be taken by any waiter, and a waiter still spinning always beats the
 * parked starving one, so the hand-off needs a word only the starving waiter waits on.
 */
import { SHARED } from "../internal/threads/codec.js";
import { notifyWord, waitWhile } from "../internal/threads/futex.js";
import { heap } from "../internal/threads/heap.js";
import { monoNow } from "../internal/clock.js";
import { doneWith } from "../internal/scheduler.js";
import { type SharedRef, sharedKind, sharedObject } from "../internal/threads/shared.js";

/** Mutex words, relative to its heap offset >> 2. */
const STATE = 0; // LOCKED | WOKEN | STARVING | waiters << WAITER_SHIFT
const SEMA = 1; // wake tokens for normal-mode waiters (Go's sema)
const HAND = 2; // 1 while the lock is being handed to the starving waiter, else 0
const ACQ_GEN = 3; // bumped by every unlock: identifies an acquisition for its guard

const LOCKED = 1;
const WOKEN = 2;
const STARVING = 4;
const WAITER_SHIFT = 3;
const WAITER = 1 << WAITER_SHIFT;

/** A waiter that has waited longer than this claims starvation mode (Go: 1 ms). */
const STARVATION_MS = 1;
/**
 * How long a `lock` spins on the state word before it queues as a waiter (Go's active spinning: a few
 * tries, not a wait). Short on purpose: a queued waiter still spins ~50 µs in `waitWhile`, and a longer
 * spin here (20 µs) measured 1.5–2× slower in bench/threads.ts's mutex workload (fewer spinners claim
 * WOKEN and block the wake of a waiter that would have been next).
 */
const ACTIVE_SPIN_MS = 0.002;
const RESOLVED = Promise.resolve();

/**
 * MutexGuard is what {@link Mutex.lock} resolves to: disposing it unlocks the mutex, once, and only if
 * that same acquisition still holds it (so a guard disposed after an explicit `unlock()` never unlocks a
 * later holder). Use it with `using _ = await mu.lock();`.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const mu = new threads.Mutex();
 * {
 *   using _ = await mu.lock();
 *   console.log(mu.tryLock()); // false
 * }
 * console.log(mu.tryLock()); // true
 * ```
 */
export class MutexGuard implements Disposable {
  /** @internal */
  constructor(
    private readonly mu: Mutex,
    /** @internal The generation of the acquisition this guard unlocks (moved by Cond.wait's re-lock). */
    public gen: number,
  ) {}
  /** Unlocks the mutex if this guard's acquisition still holds it; otherwise does nothing. */
  [Symbol.dispose](): void {
    this.mu.unlockGen(this.gen);
  }
}

/**
 * Mutex is a mutual-exclusion lock usable from every thread (Go's `sync.Mutex`, with its two modes). In
 * normal mode a `lock` call may take a just-freed mutex ahead of goroutines already waiting (so a
 * thread that unlocks and re-locks keeps going without waiting for another thread to wake up); a waiter
 * that has waited more than 1 ms switches the mutex to starvation mode, where it is handed the lock at
 * the next unlock and newcomers queue instead. No waiter is starved by a thread that keeps re-locking.
 *
 * Happens-before: the n'th `unlock` synchronizes before the (n+1)'th `lock` returns, whatever threads
 * they run on.
 *
 * **Cancellation**: `lock` is not cancellable (as in Go); a goroutine that stops caring still gets the
 * lock eventually and must unlock it.
 *
 * **Errors**: `unlock` of an unlocked mutex throws Error "sync: unlock of unlocked mutex" (and changes
 * nothing). A thread that exits while holding the mutex, or while waiting in `lock`, leaves it locked
 * (or its wake-up unused) forever.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const mu = new threads.Mutex();
 * const total = new threads.Int32();
 * await Promise.all([1, 2, 3].map(async (n) => {
 *   using _ = await mu.lock();
 *   const v = total.load();
 *   await Promise.resolve(); // others wait meanwhile
 *   total.store(v + n);
 * }));
 * console.log(total.load()); // 6
 * ```
 */
export class Mutex {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly w: number;
  /** This thread's guard for the current acquisition, if a goroutine of this thread made it. */
  private last: MutexGuard | null = null;

  /** Makes an unlocked mutex. */
  constructor() {
    this[SHARED] = sharedObject(this, "threads.Mutex", 16);
    this.w = this[SHARED].off >> 2;
  }

  /**
   * lock locks the mutex, waiting (without blocking the thread) while another acquisition holds it.
   * Resolves to a {@link MutexGuard}; disposing it unlocks. Shows in the dump as "threads.Mutex.Lock"
   * while waiting.
   *
   * **Cancellation**: not cancellable.
   */
  lock(): Promise<MutexGuard> {
    const i32 = heap().i32;
    // Fast path: grab an unlocked mutex that nobody waits for.
    if (Atomics.compareExchange(i32, this.w + STATE, 0, LOCKED) === 0) {
      return doneWith((this.last = new MutexGuard(this, Atomics.load(i32, this.w + ACQ_GEN))));
    }
    return this.lockSlow();
  }

  private async lockSlow(): Promise<MutexGuard> {
    await this.acquire();
    return (this.last = new MutexGuard(this, Atomics.load(heap().i32, this.w + ACQ_GEN)));
  }

  /** The slow path of lock (Go's lockSlow): resolves once this caller holds the mutex. */
  private async acquire(): Promise<void> {
    const i32 = heap().i32;
    const sw = this.w + STATE;
    let waitStart = 0;
    let starving = false;
    let awoke = false; // we own the WOKEN bit (set for us by an unlock, or claimed while spinning)
    let spinUntil = monoNow() + ACTIVE_SPIN_MS;
    let old = Atomics.load(i32, sw);
    for (;;) {
      // phase 1 — spin while the mutex is held in normal mode: it is usually freed within microseconds.
      if ((old & (LOCKED | STARVING)) === LOCKED && spinUntil > 0) {
        // Claim WOKEN so unlock does not wake a parked waiter just to lose the race to us.
        if (!awoke && (old & WOKEN) === 0 && old >>> WAITER_SHIFT !== 0) {
          if (Atomics.compareExchange(i32, sw, old, old | WOKEN) === old) awoke = true;
          old = Atomics.load(i32, sw);
          continue;
        }
        let k = 0;
        while (Atomics.load(i32, sw) === old) {
          if ((++k & 31) === 0) {
            if (monoNow() > spinUntil) {
              spinUntil = 0;
              break;
            }
            await RESOLVED; // let this thread's other goroutines (the holder, maybe) run
          }
        }
        old = Atomics.load(i32, sw);
        continue;
      }
      // phase 2 — one CAS: take the mutex if it is free and not promised to a starving waiter, or else
      // queue as a waiter (claiming starvation mode if we have waited too long and no one else has).
      let next = old;
      const free = (old & (LOCKED | STARVING)) === 0;
      if ((old & STARVING) === 0) next |= LOCKED;
      if (!free) next += WAITER;
      const claim = starving && (old & (LOCKED | STARVING)) === LOCKED;
      if (claim) next |= STARVING;
      if (awoke) next &= ~WOKEN;
      const seen = Atomics.compareExchange(i32, sw, old, next);
      if (seen !== old) {
        old = seen;
        continue;
      }
      if (free) return;
      if (waitStart === 0) waitStart = monoNow();
      if (claim) {
        // phase 3a — the next unlock hands the mutex to us: it leaves LOCKED clear and sets HAND.
        await waitWhile(this.w + HAND, 0, "threads.Mutex.Lock");
        Atomics.store(i32, this.w + HAND, 0);
        Atomics.add(i32, sw, LOCKED - WAITER - STARVING); // ours; back to normal mode
        return;
      }
      // phase 3b — wait for a wake token, then compete for the mutex again.
      await this.semacquire();
      awoke = true;
      starving = starving || monoNow() - waitStart > STARVATION_MS;
      spinUntil = monoNow() + ACTIVE_SPIN_MS;
      old = Atomics.load(i32, sw);
    }
  }

  /** Takes one wake token, waiting for an unlock to grant one. */
  private async semacquire(): Promise<void> {
    const i32 = heap().i32;
    const idx = this.w + SEMA;
    for (;;) {
      const v = Atomics.load(i32, idx);
      if (v > 0) {
        if (Atomics.compareExchange(i32, idx, v, v - 1) === v) return;
        continue;
      }
      await waitWhile(idx, v, "threads.Mutex.Lock");
    }
  }

  /**
   * tryLock locks the mutex if it is unlocked and not promised to a starving waiter, without waiting;
   * returns whether it did. As in Go, it may take the mutex ahead of waiters in normal mode.
   */
  tryLock(): boolean {
    const i32 = heap().i32;
    const old = Atomics.load(i32, this.w + STATE);
    if ((old & (LOCKED | STARVING)) !== 0) return false;
    if (Atomics.compareExchange(i32, this.w + STATE, old, old | LOCKED) !== old) return false;
    this.last = null;
    return true;
  }

  /**
   * unlock unlocks the mutex and, if goroutines wait for it, wakes at most one of them (on any thread).
   * As in Go, a mutex is not tied to a goroutine or thread: any one may unlock it.
   * @throws Error "sync: unlock of unlocked mutex" if the mutex is not locked (nothing changes).
   */
  unlock(): void {
    const i32 = heap().i32;
    const sw = this.w + STATE;
    let old = Atomics.load(i32, sw);
    if ((old & LOCKED) === 0) throw new Error("sync: unlock of unlocked mutex");
    this.last = null;
    // The acquisition ends here: its guard must stop matching before anyone else can lock.
    Atomics.add(i32, this.w + ACQ_GEN, 1);
    for (;;) {
      const seen = Atomics.compareExchange(i32, sw, old, old - LOCKED);
      if (seen === old) break;
      old = seen;
    }
    if (old !== LOCKED) this.unlockSlow(old - LOCKED);
  }

  /** After clearing LOCKED (state now `s`): wake one waiter or hand the mutex to the starving one. */
  private unlockSlow(s: number): void {
    const i32 = heap().i32;
    if ((s & STARVING) !== 0) {
      Atomics.store(i32, this.w + HAND, 1);
      notifyWord(this.w + HAND, 1);
      return;
    }
    for (;;) {
      // Nobody to wake, or someone already will take it: a barger (LOCKED), an awake waiter (WOKEN),
      // or the starving waiter (STARVING, set since our unlock).
      if (s >>> WAITER_SHIFT === 0 || (s & (LOCKED | WOKEN | STARVING)) !== 0) return;
      const seen = Atomics.compareExchange(i32, this.w + STATE, s, (s - WAITER) | WOKEN);
      if (seen === s) {
        Atomics.add(i32, this.w + SEMA, 1);
        notifyWord(this.w + SEMA, 1);
        return;
      }
      s = seen;
    }
  }

  /** @internal Unlocks if the acquisition of generation `gen` holds the mutex (a guard's dispose). */
  unlockGen(gen: number): void {
    const i32 = heap().i32;
    if ((Atomics.load(i32, this.w + STATE) & LOCKED) !== 0 && Atomics.load(i32, this.w + ACQ_GEN) === gen) this.unlock();
  }

  /** @internal Unlock for Cond.wait: returns the guard to carry over to the re-lock, if this thread has it. */
  handOff(): MutexGuard | null {
    const gen = Atomics.load(heap().i32, this.w + ACQ_GEN);
    const g = this.last !== null && this.last.gen === gen ? this.last : null;
    this.unlock();
    return g;
  }

  /** @internal Re-lock for Cond.wait, moving `g` (the caller's guard) to the new acquisition. */
  async relock(g: MutexGuard | null): Promise<void> {
    const i32 = heap().i32;
    if (Atomics.compareExchange(i32, this.w + STATE, 0, LOCKED) !== 0) await this.acquire();
    if (g !== null) {
      g.gen = Atomics.load(i32, this.w + ACQ_GEN);
      this.last = g;
    } else this.last = null;
  }

  /** @internal Whether the mutex is locked (by anyone). */
  locked(): boolean {
    return (Atomics.load(heap().i32, this.w + STATE) & LOCKED) !== 0;
  }

  /** @internal Whether the mutex is in starvation mode (promised to a waiter that waited too long). */
  starving(): boolean {
    return (Atomics.load(heap().i32, this.w + STATE) & STARVING) !== 0;
  }
}
sharedKind("threads.Mutex", () => new Mutex());

