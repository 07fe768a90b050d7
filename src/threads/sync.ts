/**
 * goroutine/threads sync: Go's `sync` primitives (Mutex, WaitGroup, Cond, Once) and x/sync's weighted
 * semaphore, with their state in the shared heap so goroutines on every thread — workers and the main
 * thread — can use one object. Waits never block a thread: they go through `waitWhile` (spin briefly,
 * then `Atomics.waitAsync`), park the goroutine with a Go-like reason shown by `runtime.dump()`, and
 * keep the process alive while pending.
 *
 * Invariants:
 * - Mutex: see src/threads/mutex.ts.
 * - WaitGroup — words [COUNT, GEN]: COUNT >= 0 always (a bad `add` changes nothing); every transition of
 *   COUNT to 0 by `add` bumps GEN, which is what waiters wait on, and a waiter reads GEN before
 *   re-checking COUNT, so it cannot miss a transition.
 * - Cond — words [TICKETS, NOTIFIED, L]: a waiter takes ticket `t = TICKETS++` before unlocking `l` and
 *   wakes once `NOTIFIED > t` (wrapping compare); `signal` moves NOTIFIED up by one and `broadcast` to
 *   TICKETS, never past it, so each signal wakes exactly one waiter, the oldest (Go's notifyList).
 * - Once — word [STATE]: IDLE -> RUNNING (one CAS, by exactly one caller on any thread) -> DONE; DONE is
 *   final. Callers that lose the CAS wait for DONE.
 * - Semaphore: see src/internal/threads/sema.ts.
 */
import { go } from "../go.js";
import { Canceled, type Context, afterFunc, background, todo } from "../context/index.js";
import { isContext } from "../context/ctx.js";
import { done as settled } from "../internal/scheduler.js";
import { SHARED } from "../internal/threads/codec.js";
import { notifyWord, waitWhile } from "../internal/threads/futex.js";
import { heap } from "../internal/threads/heap.js";
import {
  CANCELLED,
  WAITING,
  SEMA_BYTES,
  semaCancel,
  semaEnqueue,
  semaFinish,
  semaInit,
  semaRelease,
  semaSize,
  semaTry,
  stateWord,
} from "../internal/threads/sema.js";
import { type SharedRef, checkInt, isKind, reviveKind, sharedKind, sharedObject } from "../internal/threads/shared.js";

import { Mutex } from "./mutex.js";

export { Mutex, MutexGuard } from "./mutex.js";

// ---- WaitGroup ---------------------------------------------------------------------------------------

const COUNT = 0;
const GEN = 1;
const I32_MAX = 0x7fff_ffff;

/**
 * WaitGroup waits for a collection of operations on any threads to finish (Go's `sync.WaitGroup`): `add`
 * the number of operations, each calls `done` when finished, and `wait` resolves once the counter is 0.
 *
 * Happens-before: a `done` synchronizes before the return of any `wait` it unblocks.
 *
 * **Cancellation**: `wait` is not cancellable.
 *
 * **Errors**: a counter that would go below 0 throws Error "sync: negative WaitGroup counter" and is
 * left unchanged; a non-integer delta is a TypeError/RangeError.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const wg = new threads.WaitGroup();
 * const sum = new threads.Int32();
 * for (const n of [1, 2, 3]) wg.go(async () => { sum.add(n); });
 * await wg.wait();
 * console.log(sum.load()); // 6
 * ```
 */
export class WaitGroup {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly w: number;

  /** Makes a WaitGroup with counter 0. */
  constructor() {
    this[SHARED] = sharedObject(this, "threads.WaitGroup", 8);
    this.w = this[SHARED].off >> 2;
  }

  /**
   * add adds `delta` (which may be negative) to the counter; when it reaches 0, every waiting `wait` on
   * every thread resolves.
   * @throws Error "sync: negative WaitGroup counter" (counter unchanged); RangeError/TypeError for a
   *   delta that is not a whole number, or a counter that would pass 2^31-1.
   */
  add(delta: number): void {
    checkInt("threads.WaitGroup.add: delta", delta, -I32_MAX, I32_MAX);
    const i32 = heap().i32;
    const idx = this.w + COUNT;
    for (;;) {
      const c = Atomics.load(i32, idx);
      const v = c + delta;
      if (v < 0) throw new Error("sync: negative WaitGroup counter");
      if (v > I32_MAX) throw new RangeError("threads.WaitGroup.add: counter would exceed 2^31-1");
      if (Atomics.compareExchange(i32, idx, c, v) !== c) continue;
      if (v === 0 && delta !== 0) {
        Atomics.add(i32, this.w + GEN, 1);
        notifyWord(this.w + GEN);
      }
      return;
    }
  }

  /** done decrements the counter by one. @throws Error "sync: negative WaitGroup counter" at 0. */
  done(): void {
    this.add(-1);
  }

  /**
   * wait resolves when the counter is 0 (at once if it already is). Shows in the dump as
   * "threads.WaitGroup.Wait" while waiting.
   *
   * **Cancellation**: not cancellable.
   */
  wait(): Promise<void> {
    if (Atomics.load(heap().i32, this.w + COUNT) === 0) return settled();
    return this.waitSlow();
  }

  private async waitSlow(): Promise<void> {
    const i32 = heap().i32;
    for (;;) {
      const gen = Atomics.load(i32, this.w + GEN);
      if (Atomics.load(i32, this.w + COUNT) === 0) return;
      await waitWhile(this.w + GEN, gen, "threads.WaitGroup.Wait");
    }
  }

  /**
   * go runs `fn` in a new goroutine on this thread and counts it (Go 1.25's `WaitGroup.Go`): `add(1)`
   * now, `done()` when `fn` returns or its promise settles. For work on other threads, call `add`
   * before handing it out and `done` there. A throwing `fn` still counts down, then panics as an
   * uncaught goroutine error.
   * @throws TypeError if `fn` is not a function.
   */
  go(fn: () => unknown): void {
    if (typeof fn !== "function") throw new TypeError(`threads.WaitGroup.go: expected a function, got ${typeof fn}`);
    this.add(1);
    go(runCounted, this, fn);
  }
}
sharedKind("threads.WaitGroup", () => new WaitGroup());

async function runCounted(wg: WaitGroup, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } finally {
    wg.done();
  }
}

// ---- Cond --------------------------------------------------------------------------------------------

const TICKETS = 0;
const NOTIFIED = 1;
const L_OFF = 2;

/**
 * Cond is a condition variable usable from every thread (Go's `sync.Cond`), over a {@link Mutex} `l`
 * that must be held while the condition is checked or changed and when calling `wait`.
 *
 * Each `signal` wakes exactly one waiter (the longest waiting, on any thread), `broadcast` wakes all
 * current waiters; a `wait` that starts after a signal is not woken by it. No spurious wake-ups, but
 * as in Go, re-check the condition in a loop: another goroutine may change it before you re-lock.
 *
 * **Cancellation**: `wait` is not cancellable (as in Go); use a channel or a context-aware primitive
 * when a wait must be abandoned.
 *
 * **Errors**: `wait` without holding `l` throws Error "sync: unlock of unlocked mutex" (and does not
 * wait); the constructor throws TypeError unless `l` is a threads.Mutex.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const mu = new threads.Mutex();
 * const cond = new threads.Cond(mu);
 * const ready = new threads.Bool();
 * const waiter = (async () => {
 *   using _ = await mu.lock();
 *   while (!ready.load()) await cond.wait();
 *   return "woke";
 * })();
 * {
 *   using _ = await mu.lock();
 *   ready.store(true);
 *   cond.broadcast();
 * }
 * console.log(await waiter); // "woke"
 * ```
 */
export class Cond {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  /** The mutex held while observing or changing the condition. */
  readonly l: Mutex;
  private readonly w: number;

  /** Makes a condition variable over `l`. @throws TypeError unless `l` is a threads.Mutex. */
  constructor(l: Mutex) {
    const ref = sharedObject(this, "threads.Cond", 12, {
      check: () => {
        if (!isKind(l, "threads.Mutex")) throw new TypeError("threads.Cond: l must be a threads.Mutex");
      },
      init: (off) => Atomics.store(heap().i32, (off >> 2) + L_OFF, l[SHARED].off),
    });
    this[SHARED] = ref;
    this.w = ref.off >> 2;
    // Revived (called without arguments): the mutex is the one the block names.
    this.l = l !== undefined ? l : reviveMutex(Atomics.load(heap().i32, this.w + L_OFF));
  }

  /**
   * wait unlocks `l`, waits for a `signal` or `broadcast` issued after this call began, and locks `l`
   * again before resolving (a guard from `l.lock()` stays valid across it). Shows in the dump as
   * "threads.Cond.Wait".
   *
   * **Cancellation**: not cancellable.
   * @throws Error "sync: unlock of unlocked mutex" if `l` is not locked (nothing else happens).
   */
  async wait(): Promise<void> {
    if (!this.l.locked()) throw new Error("sync: unlock of unlocked mutex");
    const i32 = heap().i32;
    const t = Atomics.add(i32, this.w + TICKETS, 1);
    const g = this.l.handOff();
    for (;;) {
      const n = Atomics.load(i32, this.w + NOTIFIED);
      if (((n - t) | 0) > 0) break;
      await waitWhile(this.w + NOTIFIED, n, "threads.Cond.Wait");
    }
    await this.l.relock(g);
  }

  /** signal wakes the longest-waiting goroutine (on any thread), if any. Holding `l` is allowed, not required. */
  signal(): void {
    const i32 = heap().i32;
    for (;;) {
      const t = Atomics.load(i32, this.w + TICKETS);
      const n = Atomics.load(i32, this.w + NOTIFIED);
      if (t === n) return; // nobody waits
      if (Atomics.compareExchange(i32, this.w + NOTIFIED, n, (n + 1) | 0) === n) break;
    }
    notifyWord(this.w + NOTIFIED);
  }

  /** broadcast wakes every goroutine waiting now, on every thread. */
  broadcast(): void {
    const i32 = heap().i32;
    for (;;) {
      const t = Atomics.load(i32, this.w + TICKETS);
      const n = Atomics.load(i32, this.w + NOTIFIED);
      if (t === n) return;
      if (Atomics.compareExchange(i32, this.w + NOTIFIED, n, t) === n) break;
    }
    notifyWord(this.w + NOTIFIED);
  }
}
sharedKind("threads.Cond", () => new Cond(undefined as unknown as Mutex));

function reviveMutex(off: number): Mutex {
  return reviveKind("threads.Mutex", off) as Mutex;
}

// ---- Semaphore ---------------------------------------------------------------------------------------

const MAX_WEIGHT = Number.MAX_SAFE_INTEGER;
const BACKGROUND = background();
const TODO = todo();

/**
 * Semaphore is a weighted semaphore usable from every thread (golang.org/x/sync's `semaphore.Weighted`):
 * at most `size` total weight is held at once, by goroutines on any threads.
 *
 * Fairness: requests are granted in FIFO order across all threads; a request at the head that does not
 * fit yet blocks those behind it, so a large request is never starved by a stream of small ones.
 * Happens-before: a `release` synchronizes before the `acquire` it lets return.
 *
 * **Cancellation**: an `acquire` given a `goroutine/context` Context leaves the queue when the context is
 * done and rejects with `ctx.err()`, taking nothing: the semaphore is left as if it had never been
 * called, and if it was at the head, the requests behind it are re-examined at once. If the grant and
 * the cancellation race, whichever reaches the semaphore first wins; a granted request resolves and
 * keeps its weight (release it as usual).
 *
 * **Errors**: `release` of more than is held throws Error "semaphore: released more than held" and
 * changes nothing; weights that are not whole numbers >= 0 are RangeError/TypeError.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * import * as context from "goroutine/context";
 * const sem = new threads.Semaphore(3);
 * await sem.acquire(context.background(), 2);
 * console.log(sem.tryAcquire(2)); // false
 * const [ctx, cancel] = context.withCancel(context.background());
 * const p = sem.acquire(ctx, 3);
 * cancel();
 * console.log(await p.catch((e: Error) => e.message)); // "context canceled"
 * sem.release(2);
 * console.log(sem.tryAcquire(3)); // true
 * ```
 */
export class Semaphore {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly off: number;

  /** Makes a semaphore with a maximum combined weight of `size`. @throws RangeError/TypeError for a bad size. */
  constructor(size: number) {
    this[SHARED] = sharedObject(this, "threads.Semaphore", SEMA_BYTES, {
      check: () => checkInt("threads.Semaphore: size", size, 0, MAX_WEIGHT),
      init: (off) => semaInit(off, size),
    });
    this.off = this[SHARED].off;
  }

  /** The maximum combined weight. */
  get size(): number {
    return semaSize(this.off);
  }

  /**
   * acquire takes weight `n` (default 1), waiting in FIFO order until it is free — Go's
   * `Weighted.Acquire(ctx, n)`, like `goroutine/semaphore`. Resolves once taken; shows in the dump as
   * "threads.Semaphore.Acquire" while waiting.
   *
   * Rejects with `ctx.err()` if `ctx` is already done (even when the weight is free, as in Go) or becomes
   * done while waiting, leaving the semaphore unchanged. A request larger than `size` can never be
   * satisfied: with a cancellable `ctx` it waits for the context (without blocking other requests); with
   * `background()`/`todo()` it throws RangeError at once rather than wait forever.
   *
   * **Cancellation**: see the class: a cancelled request takes nothing and leaves the queue.
   * @throws RangeError/TypeError (synchronously) for a bad weight or a `ctx` that is not a Context.
   */
  acquire(ctx: Context, n = 1): Promise<void> {
    if (!isContext(ctx)) {
      throw new TypeError("threads.Semaphore.acquire: ctx must be a goroutine/context Context");
    }
    checkInt("threads.Semaphore.acquire: weight", n, 0, MAX_WEIGHT);
    const err = ctx.err();
    if (err !== undefined) return Promise.reject(err);
    if (semaTry(this.off, n)) return settled();
    if (n > this.size) {
      if (ctx === BACKGROUND || ctx === TODO) {
        throw new RangeError(`threads.Semaphore.acquire: weight ${n} exceeds the size ${this.size}; it would wait forever`);
      }
      return this.doomed(ctx);
    }
    return this.acquireSlow(n, ctx);
  }

  private async doomed(ctx: Context): Promise<void> {
    // Wait for the context alone; nothing is queued, so other requests are not held up.
    const h = heap();
    const word = h.alloc(4);
    const w: Waiting = { word, live: true };
    const stop = afterFunc(ctx, () => wakeWord(w));
    try {
      await waitWhile(word >> 2, 0, "threads.Semaphore.Acquire");
    } finally {
      w.live = false; // afterFunc's goroutine may still be on its way: it must not touch the freed word
      stop();
      h.free(word);
    }
    throw ctx.err() ?? Canceled;
  }

  private async acquireSlow(n: number, ctx: Context): Promise<void> {
    const node = semaEnqueue(this.off, n);
    if (node === 0) return; // became free meanwhile
    const w: Waiting = { word: node, live: true };
    const cancellable = ctx !== BACKGROUND && ctx !== TODO;
    const stop = cancellable ? afterFunc(ctx, () => {
          if (w.live) semaCancel(this.off, node);
        }) : undefined;
    const i32 = heap().i32;
    const sw = stateWord(node);
    try {
      while (Atomics.load(i32, sw) === WAITING) await waitWhile(sw, WAITING, "threads.Semaphore.Acquire");
    } finally {
      w.live = false; // a late afterFunc goroutine must not cancel a reused node
      stop?.();
    }
    if (semaFinish(node) === CANCELLED) throw ctx.err() ?? Canceled;
  }

  /** tryAcquire takes weight `n` (default 1) if it is free and nobody waits; returns whether it did. */
  tryAcquire(n = 1): boolean {
    checkInt("threads.Semaphore.tryAcquire: weight", n, 0, MAX_WEIGHT);
    return semaTry(this.off, n);
  }

  /**
   * release returns weight `n` (default 1) and grants waiting requests, on any thread, in FIFO order.
   * @throws Error "semaphore: released more than held" (semaphore unchanged) if more is released than held.
   */
  release(n = 1): void {
    checkInt("threads.Semaphore.release: weight", n, 0, MAX_WEIGHT);
    if (!semaRelease(this.off, n)) throw new Error("semaphore: released more than held");
  }
}
sharedKind("threads.Semaphore", () => new Semaphore(0));

/** A wait whose heap word belongs to this thread until `live` turns false (then it may be freed). */
interface Waiting {
  readonly word: number;
  live: boolean;
}

function wakeWord(w: Waiting): void {
  if (!w.live) return;
  Atomics.store(heap().i32, w.word >> 2, 1);
  notifyWord(w.word >> 2);
}

// ---- Once --------------------------------------------------------------------------------------------

const IDLE = 0;
const RUNNING = 1;
const DONE = 2;

/**
 * Once runs a function exactly once across all threads (Go's `sync.Once`): the first `do` call, on
 * whichever thread, runs `fn` there; every other call, on any thread, waits until that run has finished
 * (for an async `fn`, until its promise settles) and then resolves without calling its own `fn`.
 *
 * Happens-before: the completion of the one `fn` synchronizes before the return of every `do`.
 *
 * **Cancellation**: `do` is not cancellable. If the thread running `fn` exits before `fn` finishes,
 * other callers wait forever.
 *
 * **Errors**: if `fn` throws or rejects, the caller that ran it rejects with that error and the Once
 * still counts as done (Go: a panicking f has returned); the others resolve normally.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const once = new threads.Once();
 * const calls = new threads.Int32();
 * await Promise.all([1, 2, 3].map(() => once.do(async () => { calls.add(1); })));
 * console.log(calls.load()); // 1
 * ```
 */
export class Once {
  /** The object's kind and heap offset: what crosses threads. */
  readonly [SHARED]: SharedRef;
  private readonly w: number;

  /** Makes a Once that has not run. */
  constructor() {
    this[SHARED] = sharedObject(this, "threads.Once", 4);
    this.w = this[SHARED].off >> 2;
  }

  /**
   * do calls `fn` if this is the first `do` on this Once on any thread, and resolves once that one call
   * has finished. Shows in the dump as "threads.Once.Do" while waiting for another thread's `fn`.
   *
   * **Cancellation**: not cancellable.
   * @throws TypeError if `fn` is not a function; rejects with `fn`'s error for the caller that ran it.
   */
  do(fn: () => unknown): Promise<void> {
    if (typeof fn !== "function") throw new TypeError(`threads.Once.do: expected a function, got ${typeof fn}`);
    const i32 = heap().i32;
    const s = Atomics.load(i32, this.w);
    if (s === DONE) return settled();
    if (s === IDLE && Atomics.compareExchange(i32, this.w, IDLE, RUNNING) === IDLE) return this.run(fn);
    return this.waitDone();
  }

  private async run(fn: () => unknown): Promise<void> {
    try {
      await fn();
    } finally {
      Atomics.store(heap().i32, this.w, DONE);
      notifyWord(this.w);
    }
  }

  private async waitDone(): Promise<void> {
    while (Atomics.load(heap().i32, this.w) === RUNNING) await waitWhile(this.w, RUNNING, "threads.Once.Do");
  }
}
sharedKind("threads.Once", () => new Once());
