/**
 * The clock seam. Every timer and every reading of the time in the library goes through `clockOf(g)`:
 * the real clock normally, the bubble's fake clock for a goroutine inside a synctest bubble. No other
 * module calls setTimeout, setInterval, Date.now or performance.now for time-keeping.
 *
 * Invariants:
 * - `now()` is milliseconds since the Unix epoch (fractions allowed) and never goes backwards.
 * - A timer set for `at` fires once, no earlier than `now() >= at`, unless cleared first; clearing a fired
 *   or cleared timer is a no-op. Node's setTimeout takes at most 2^31 - 1 ms (a longer delay would fire
 *   after 1 ms): the real clock re-arms in steps of at most that, re-reading the time at each step.
 */
import { type G, currentG } from "./scheduler.js";

/** A pending timer of a {@link Clock}. */
export interface TimerHandle {
  /** Cancels the timer; returns true if it had not fired yet. */
  clear(): boolean;
  /**
   * Whether this timer keeps the process alive (Node's ref/unref; true when set). Kept across the
   * internal re-arming of very long timers. A fake clock's timers ignore it.
   */
  setRef(keepAlive: boolean): void;
}

/** A source of time and timers: the real one or a synctest bubble's fake one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once when the clock reaches `at` (epoch ms). */
  setTimer(at: number, fn: () => void): TimerHandle;
}

const origin = performance.timeOrigin;

/**
 * The latest time a Date can hold (epoch ms, year 275760). A timer or deadline beyond it — `Infinity`, or
 * a huge finite duration — is "never": a context gets no deadline, a fake clock never jumps there. (A
 * real-clock timer set that far is still armed, in steps, so a goroutine sleeping for ever keeps the
 * process alive, as in Go.)
 */
export const MAX_TIME_MS = 8.64e15;

/** A timer that never fires: what a fake clock returns for a time beyond {@link MAX_TIME_MS}. */
export class NeverTimer implements TimerHandle {
  #cleared = false;
  clear(): boolean {
    if (this.#cleared) return false;
    this.#cleared = true;
    return true;
  }
  setRef(): void {}
}

/**
 * Real elapsed time in milliseconds (monotonic), for scheduling decisions that must use the real clock
 * even inside a synctest bubble: preemption time slices, the mutex's starvation threshold, how long a
 * goroutine has waited in the dump. User-visible time goes through {@link clockOf}.
 */
export function monoNow(): number {
  return performance.now();
}

class RealTimer implements TimerHandle {
  fired = false;
  keepAlive = true;
  handle: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly fn: () => void) {}
  clear(): boolean {
    if (this.fired || this.handle === undefined) return false;
    clearTimeout(this.handle);
    this.handle = undefined;
    return true;
  }
  setRef(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    if (this.handle === undefined) return;
    if (keepAlive) this.handle.ref();
    else this.handle.unref();
  }
}

/** The real clock: wall time from performance.timeOrigin + performance.now(), timers from setTimeout. */
export const realClock: Clock = {
  now: () => origin + performance.now(),
  setTimer(at: number, fn: () => void): TimerHandle {
    const t = new RealTimer(fn);
    const delay = Math.max(0, at - (origin + performance.now()));
    // setTimeout takes at most 2^31-1 ms; longer waits are re-armed in steps.
    const arm = (d: number): void => {
      t.handle = setTimeout(
        () => {
          const left = at - (origin + performance.now());
          if (left > 0) {
            arm(left);
            return;
          }
          t.fired = true;
          t.handle = undefined;
          fn();
        },
        Math.min(d, 2 ** 31 - 1),
      );
      if (!t.keepAlive) t.handle.unref();
    };
    arm(delay);
    return t;
  },
};

/** The clock that governs goroutine `g` (the current one by default). */
export function clockOf(g: G = currentG()): Clock {
  return g.bubble?.clock ?? realClock;
}
