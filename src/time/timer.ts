/**
 * Timers: Go's `time.Timer`, `time.After` and `time.AfterFunc`, on the clock seam.
 *
 * Invariants:
 * - `handle` is set exactly while the timer is armed (pending): set by arm, cleared by fire, stop and
 *   reset. So `stop` returning true means "this call kept the timer from firing".
 * - A channel timer's value is in its channel's hidden slot only between its firing and a receive, stop or
 *   reset (see timerchan.ts); stop and reset drain the slot before they return, so no value prepared before
 *   the call is received after it (Go 1.23).
 * - A function timer (afterFunc) has a nil channel; its function is started in a new goroutine at most
 *   once per arming, and never after a stop or reset that returned true.
 * - A channel timer has a clock timer only while it is pending and a receiver is parked on `c` (internal/weaktimer.ts);
 *   otherwise it is just its due time `when`, and a receive attempt (`pollRecv`, which every recv,
 *   tryRecv and select poll goes through) delivers the value once `when` has passed — Go 1.23's
 *   maybeRunChan. So an `after` that lost its select, or a Timer nobody references, is garbage at once
 *   and does not delay exit, and a 0 ms timer is ready at the first receive attempt, in the same turn.
 *   afterFunc timers are ordinary (armed until they run).
 * - The clock is the one current when the timer was made (the bubble's fake clock inside synctest) and
 *   never changes afterwards; reset re-arms on the same clock.
 */
import { Chan } from "../internal/chan.js";
import { type Clock, type TimerHandle, clockOf } from "../internal/clock.js";
import { type BubbleHooks, currentG, spawn } from "../internal/scheduler.js";
import { TimerChan } from "./timerchan.js";

/**
 * Converts a user duration to a non-negative delay: negative and NaN act as 0 (Go's rule for timers and
 * sleeps); infinity stays infinite (the timer never fires).
 * @throws TypeError if `d` is not a number.
 */
export function toDelay(d: number, what: string): number {
  if (typeof d !== "number") {
    throw new TypeError(`${what}: duration must be a number of milliseconds, got ${typeof d}`);
  }
  return d > 0 ? d : 0; // NaN > 0 is false
}

/**
 * A timer made inside a synctest bubble runs on that bubble's clock, so only the bubble's goroutines may
 * stop or reset it (Go panics the same way).
 * @throws Error "stop of synctest timer from outside bubble" / "reset of synctest timer from outside bubble"
 */
export function checkTimerBubble(bubble: BubbleHooks | undefined, op: "stop" | "reset"): void {
  if (bubble !== undefined && currentG().bubble !== bubble) {
    throw new Error(`${op} of synctest timer from outside bubble`);
  }
}

/** Set by afterFunc just before it constructs a Timer, so the constructor makes a function timer. */
let nextFn: (() => unknown) | undefined;

/**
 * Timer is Go's `time.Timer`: a single event in the future. When it fires, the time at which it fell due
 * (on the clock the timer was made on; Go sends the current time minus how late the timer ran, the same
 * instant) is sent on {@link Timer.c}; a timer made by {@link afterFunc} instead starts its function in a
 * new goroutine, and its `c` is a nil channel.
 *
 * Go 1.23 semantics: `c` behaves as an unbuffered channel (`len` and `cap` are 0) and, after {@link
 * Timer.stop} or {@link Timer.reset} returns, no value prepared before the call is ever received. There is
 * no need to drain the channel before a reset.
 *
 * A zero, negative or NaN duration makes the timer due at once: the first receive (or select) finds its
 * value in the same turn, without waiting for a timer tick. `Infinity` never fires. Durations beyond
 * Node's setTimeout limit (2^31 − 1 ms, about 24.8 days) are waited out in steps, never early. Inside a
 * synctest bubble the timer runs on the bubble's fake clock and a goroutine waiting on `c` is durably
 * blocked. As in Go 1.23, a channel timer nobody references is garbage, stopped or not: it holds a clock
 * timer only while a goroutine waits on `c` (so it keeps the process alive only then, and an abandoned
 * one does not delay exit); otherwise it is just its due time, checked when `c` is received from. An
 * afterFunc timer keeps the process alive until it runs or is stopped.
 *
 * @throws TypeError if `d` is not a number.
 *
 * @example
 * ```ts
 * import { select, recv } from "goroutine";
 * import * as time from "goroutine/time";
 * const t = new time.Timer(10 * time.Millisecond);
 * const fired = await select([recv(t.c, (at) => at instanceof Date)]);
 * console.log(fired); // true
 * // It had already fired:
 * console.log(t.stop()); // false
 * ```
 */
export class Timer {
  /** The channel on which the firing time is delivered; a nil channel for an afterFunc timer. */
  readonly c: Chan<Date>;
  readonly #clock: Clock;
  readonly #fn: (() => unknown) | undefined;
  readonly #bubble: BubbleHooks | undefined;
  /**
   * The clock timer. An afterFunc timer has one exactly while it is armed; a channel timer only while it
   * is pending and a receiver is parked on `c` (Go 1.23 keeps a channel timer in the runtime's heap only
   * while a goroutine is blocked on it).
   */
  #handle: TimerHandle | undefined;
  /** A channel timer's due time (clock ms) while pending: armed, not yet delivered; NaN otherwise. */
  #when = NaN;
  readonly #onFire = (): void => this.#fire();

  /** Makes a timer that sends the current time on {@link Timer.c} after `d` milliseconds. */
  constructor(d: number) {
    const fn = nextFn;
    nextFn = undefined;
    const delay = toDelay(d, fn === undefined ? "time.NewTimer" : "time.AfterFunc");
    const g = currentG();
    this.#clock = clockOf(g);
    this.#bubble = g.bubble;
    this.#fn = fn;
    this.c =
      fn === undefined
        ? new TimerChan(
            (parked) => this.#waiters(parked),
            () => this.#runIfDue(),
          )
        : Chan.nil<Date>();
    this.#arm(delay);
  }

  #arm(delay: number): void {
    const clock = this.#clock;
    const at = clock.now() + delay;
    if (this.#fn !== undefined) {
      this.#handle = clock.setTimer(at, this.#onFire);
      return;
    }
    // A channel timer is only a due time until someone waits on `c` (or polls it once it is due).
    this.#when = at;
    if ((this.c as TimerChan).parked) this.#handle = clock.setTimer(at, this.#onFire);
  }

  /** The first receiver parked on `c` (arm the clock timer), or the last one left (disarm it). */
  #waiters(parked: boolean): void {
    if (parked) {
      if (this.#handle === undefined && this.#when === this.#when) {
        this.#handle = this.#clock.setTimer(this.#when, this.#onFire);
      }
      return;
    }
    const h = this.#handle;
    if (h !== undefined) {
      this.#handle = undefined;
      h.clear();
    }
  }

  /** A receive attempt on `c`: a pending timer that is due delivers now, without its clock timer. */
  #runIfDue(): void {
    if (!(this.#when <= this.#clock.now())) return; // not pending (NaN), or not due yet
    const h = this.#handle;
    if (h !== undefined) {
      this.#handle = undefined;
      h.clear();
    }
    this.#deliver();
  }

  #fire(): void {
    this.#handle = undefined;
    const fn = this.#fn;
    if (fn !== undefined) {
      spawn(fn, [], afterFunc, this.#bubble);
      return;
    }
    this.#deliver();
  }

  /** Sends the due time on `c` (Go sends the time the timer was due, however late it runs). */
  #deliver(): void {
    const at = this.#when;
    this.#when = NaN;
    (this.c as TimerChan).deliver(new Date(at));
  }

  /** Disarms the timer and discards an undelivered value; true if either was pending. */
  #disarm(): boolean {
    let pending = false;
    const h = this.#handle;
    if (h !== undefined) {
      this.#handle = undefined;
      pending = h.clear();
    }
    if (this.#fn === undefined) {
      if (this.#when === this.#when) pending = true; // armed, due or not: never delivered
      this.#when = NaN;
      if ((this.c as TimerChan).drain()) pending = true;
    }
    return pending;
  }

  /**
   * stop prevents the timer from firing. It returns true if the call stopped the timer, false if the
   * timer had already fired (its value was received, or its function started) or had been stopped.
   *
   * Never blocks. After stop returns, no value is received from {@link Timer.c} until a reset, even if
   * the timer had fired and its value was not yet received (then stop returns true, as in Go 1.23: the
   * value was never delivered). For an afterFunc timer, stop does not wait for a function that has
   * already started; a true result means the function will not run.
   *
   * @example
   * ```ts
   * import * as time from "goroutine/time";
   * const t = new time.Timer(time.Hour);
   * console.log(t.stop()); // true
   * // Already stopped:
   * console.log(t.stop()); // false
   * ```
   */
  stop(): boolean {
    checkTimerBubble(this.#bubble, "stop");
    return this.#disarm();
  }

  /**
   * reset changes the timer to fire `d` milliseconds from now (negative or NaN: at once), whether it was
   * pending, stopped or had fired. It returns what {@link Timer.stop} would have returned: true if the
   * timer was pending (armed, or fired with the value not yet received). Never blocks.
   *
   * As in Go 1.23, no value prepared before the call is received after it: there is no need to stop and
   * drain the channel first. For an afterFunc timer, the function runs again (once) at the new time.
   *
   * @throws TypeError if `d` is not a number.
   *
   * @example
   * ```ts
   * import * as time from "goroutine/time";
   * const t = new time.Timer(time.Hour);
   * // It was pending:
   * console.log(t.reset(5 * time.Millisecond)); // true
   * await t.c.recv();
   * // It had fired and its value was received:
   * console.log(t.reset(5 * time.Millisecond)); // false
   * t.stop();
   * ```
   */
  reset(d: number): boolean {
    const delay = toDelay(d, "time.Timer.Reset");
    checkTimerBubble(this.#bubble, "reset");
    const pending = this.#disarm();
    this.#arm(delay);
    return pending;
  }
}

/**
 * after waits for `d` milliseconds and then sends the current time on the returned channel: Go's
 * `time.After(d)`, the same as `new Timer(d).c`. Use it as a timeout case in `select`. Never blocks.
 *
 * The timer cannot be stopped, and need not be: once the select it lost is over, nothing references it
 * and it is garbage (Go 1.23) — no Node timer, no memory held until it would have fired, no delay to
 * exit. `after(0)` (or a negative duration) is ready at once: as a timeout case it wins in the select's
 * first pass unless another case is ready too.
 *
 * @throws TypeError if `d` is not a number.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "goroutine";
 * import * as time from "goroutine/time";
 * const never = new Chan<string>();
 * const r = await select([recv(never, (v) => v), recv(time.after(5 * time.Millisecond), () => "timeout")]);
 * console.log(r); // "timeout"
 * ```
 */
export function after(d: number): Chan<Date> {
  toDelay(d, "time.After");
  return new Timer(d).c;
}

/**
 * afterFunc waits for `d` milliseconds and then starts `fn()` in its own goroutine (Go's
 * `time.AfterFunc`). It returns the {@link Timer}, whose `stop` keeps `fn` from starting (true if it did)
 * and whose `reset` schedules it again; its `c` is a nil channel. Never blocks.
 *
 * An error thrown by `fn` is a goroutine panic (see `runtime.setPanicHandler`).
 *
 * @throws TypeError if `d` is not a number or `fn` is not a function.
 *
 * @example
 * ```ts
 * import { Chan } from "goroutine";
 * import * as time from "goroutine/time";
 * const done = new Chan<string>();
 * time.afterFunc(5 * time.Millisecond, () => done.send("ran"));
 * console.log(await done.recv()); // "ran"
 * const t = time.afterFunc(time.Hour, () => console.log("never"));
 * console.log(t.stop()); // true
 * ```
 */
export function afterFunc(d: number, fn: () => unknown): Timer {
  if (typeof fn !== "function") throw new TypeError(`time.AfterFunc: expected a function, got ${typeof fn}`);
  toDelay(d, "time.AfterFunc");
  nextFn = fn;
  return new Timer(d);
}
