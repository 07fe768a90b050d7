/**
 * Waiting on a word of the shared heap from any thread without blocking it: the goroutine-level futex
 * that every cross-thread primitive is built on.
 *
 * A wait spins first (checking the word, yielding to other goroutines of this thread between bursts),
 * then parks with `Atomics.waitAsync`. Why spin: on this kind of machine a thread woken through the OS
 * futex takes about 18 µs to run again (a round trip between two threads costs ~40 µs), while a spinning
 * thread sees a store within a microsecond. Go's runtime spins for the same reason before it parks an M.
 * The spin is short (`GOROUTINE_SPIN_US`, default 50 µs) so a thread waiting for long work wastes little.
 *
 * Invariants:
 * - A waiting goroutine is parked (state WAITING, reason as given, never durable: another thread can end
 *   the wait) from the moment it starts waiting until the word changes, and then made ready exactly once.
 * - While any `Atomics.waitAsync` of this thread is pending, one ref'd handle keeps the event loop alive
 *   (Node 20 lets a process exit with such a wait pending); the last one to end releases it.
 * - Wakers store first, then notify: a waiter that checks the word after registering cannot miss a store.
 */
import { monoNow } from "../clock.js";
import { currentG, done, park, ready } from "../scheduler.js";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { heap, markProgress } from "./heap.js";

const SPIN_MS = (() => {
  const us = Number(process.env.GOROUTINE_SPIN_US ?? "50");
  return Number.isFinite(us) && us >= 0 ? us / 1000 : 0.05;
})();

let pendingWaits = 0;
let keeper: MessagePort | undefined;

let onFirstWait: () => void = () => {};
/** Installs what runs when this thread starts parking cross-thread waits (the deadlock watchdog). */
export function setOnFirstWait(f: () => void): void {
  onFirstWait = f;
}

function hold(): void {
  if (pendingWaits++ === 0) {
    onFirstWait();
    if (keeper === undefined) {
      keeper = new MessageChannel().port1;
      keeper.on("message", noop);
    }
    keeper.ref();
  }
}

function release(): void {
  if (--pendingWaits === 0) keeper!.unref();
}

function noop(): void {}
/** A settled promise: awaiting it yields to this thread's other microtasks (goroutines) only. */
export const RESOLVED: Promise<void> = Promise.resolve();
/** Resolves after one turn of the event loop (timers, I/O and other threads' wake-ups get to run). */
export function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** How many cross-thread waits of this thread are parked in `Atomics.waitAsync` right now. */
export function parkedWaits(): number {
  return pendingWaits;
}

/**
 * Waits until word `idx` of the shared heap no longer holds `expected`. Resolves at once if it already
 * differs. The current goroutine shows in the dump as waiting on `reason` meanwhile.
 */
export function waitWhile(idx: number, expected: number, reason: string): Promise<void> {
  if (Atomics.load(heap().i32, idx) !== expected) return done();
  return waitSlow(idx, expected, reason);
}

async function waitSlow(idx: number, expected: number, reason: string): Promise<void> {
  const g = currentG();
  park(g, reason, false);
  try {
    await spinThenPark(idx, expected);
  } finally {
    ready(g, false);
  }
}

/**
 * Like {@link waitWhile} but without parking any goroutine: for the runtime's own loops (a worker's
 * idle wait, a thread's completion pump), which are not goroutines and must not show in the dump.
 */
export function waitWord(idx: number, expected: number, stop?: () => boolean, sleepers = -1): Promise<void> {
  if (Atomics.load(heap().i32, idx) !== expected) return RESOLVED;
  return spinThenPark(idx, expected, stop, sleepers);
}

/**
 * `stop`: also return once it says so (checked between spin bursts and after every wake-up).
 * `sleepers`: a word counting the waiters past their spin (in Atomics.waitAsync), so that wakers can
 * skip `Atomics.notify` — which is costly when it has waiters to post to — while everyone still spins.
 * A waker stores first and reads the count after; a waiter counts itself first and then compares the
 * word inside Atomics.waitAsync; so one of the two always sees the other.
 */
async function spinThenPark(idx: number, expected: number, stop?: () => boolean, sleepers = -1): Promise<void> {
  const i32 = heap().i32;
  // phase 1 — spin, letting this thread's other goroutines run between bursts.
  const until = monoNow() + SPIN_MS;
  let k = 0;
  while (Atomics.load(i32, idx) === expected) {
    if ((++k & 31) === 0) {
      if (stop?.() === true) break;
      // Mostly a microtask, so this thread's other goroutines run; every 8th burst a turn of the event
      // loop, because some wake-ups need one (another goroutine of this thread parked in
      // Atomics.waitAsync, I/O): a spin that never yields to the loop would hold them back for the
      // whole window — a lock hand-off between two goroutines of one worker took ~50 µs that way.
      // The clock is read only then: performance.now() costs ~0.4 µs here, and a burst made that slow
      // lets a same-thread peer fall behind by a whole event-loop turn (a same-thread round trip took
      // ~6 µs with the clock read every burst, ~2 µs without).
      if ((k & 255) === 0) {
        if (monoNow() > until) break;
        await turn();
      } else await RESOLVED;
    }
  }
  // phase 2 — park the thread's interest with the OS futex and keep the process alive meanwhile.
  while (Atomics.load(i32, idx) === expected && stop?.() !== true) {
    if (sleepers >= 0) Atomics.add(i32, sleepers, 1);
    const r = Atomics.waitAsync(i32, idx, expected);
    if (!r.async) {
      if (sleepers >= 0) Atomics.sub(i32, sleepers, 1);
      break;
    }
    hold();
    try {
      await r.value;
    } finally {
      release();
      if (sleepers >= 0) Atomics.sub(i32, sleepers, 1);
    }
  }
}

/** Wakes up to `count` waiters of word `idx` (all by default). Store the new value before calling. */
export function notifyWord(idx: number, count = Infinity): void {
  const i32 = heap().i32;
  markProgress(i32);
  Atomics.notify(i32, idx, count);
}
