/**
 * Tickers: Go's `time.Ticker` and `time.Tick`, on the clock seam.
 *
 * Invariants:
 * - `handle` is set exactly while the ticker runs; stop clears it, reset replaces it.
 * - Ticks are scheduled on a fixed grid `start + k * period`. When a tick is handled late (the loop was
 *   busy, or the fake clock jumped), the missed grid points are skipped, not replayed: the next tick is
 *   the first grid point after now (Go's runtime does the same).
 * - The channel holds at most one undelivered tick (see timerchan.ts). A tick that finds the slot taken
 *   is dropped: a slow receiver gets one stale tick, then the ticks as they come, never a backlog.
 * - stop and reset drain the slot before returning (Go 1.23: no stale tick after either).
 * - Its real-clock timer keeps the process alive only while a receiver is parked on `c` (internal/weaktimer.ts).
 */
import type { Chan } from "../internal/chan.js";
import { Chan as ChanClass } from "../internal/chan.js";
import { type Clock, type TimerHandle, clockOf } from "../internal/clock.js";
import { TimerChan } from "./timerchan.js";
import { refTimer } from "../internal/weaktimer.js";
import { type BubbleHooks, currentG } from "../internal/scheduler.js";
import { checkTimerBubble } from "./timer.js";

function checkPeriod(d: number, what: string): number {
  if (typeof d !== "number") {
    throw new TypeError(`${what}: duration must be a number of milliseconds, got ${typeof d}`);
  }
  if (!(d > 0)) throw new RangeError(`non-positive interval for ${what} (got ${String(d)})`);
  return d;
}

/**
 * Ticker is Go's `time.Ticker`: it sends the current time on {@link Ticker.c} every `d` milliseconds
 * until stopped. If the receiver is slow, ticks are dropped rather than queued: at most one tick waits in
 * the channel, and the schedule stays on its grid.
 *
 * Go 1.23 semantics: `c` behaves as unbuffered (`len`, `cap` 0) and after {@link Ticker.stop} or
 * {@link Ticker.reset} no stale tick is received. Call `stop` when done. A running ticker keeps the process
 * alive only while a goroutine waits on `c`, so a forgotten ticker does not hold up exit. Inside a synctest bubble it runs on the fake clock.
 *
 * @throws RangeError "non-positive interval for NewTicker" if `d` is 0, negative or NaN;
 * TypeError if it is not a number.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * const t = new time.Ticker(2 * time.Millisecond);
 * let n = 0;
 * for await (const _at of t.c) if (++n === 3) break;
 * t.stop();
 * console.log(n); // 3
 * ```
 */
export class Ticker {
  /** The channel on which ticks (the current time) are delivered. */
  readonly c: Chan<Date>;
  readonly #clock: Clock;
  readonly #bubble: BubbleHooks | undefined = currentG().bubble;
  #period: number;
  #handle: TimerHandle | undefined;
  #next = 0;
  readonly #onTick = (): void => this.#tick();

  /** Starts a ticker with period `d` milliseconds; the first tick comes after `d`. */
  constructor(d: number) {
    this.#period = checkPeriod(d, "NewTicker");
    this.#clock = clockOf();
    this.c = new TimerChan((parked) => refTimer(this.#handle, parked));
    this.#start();
  }

  #start(): void {
    const clock = this.#clock;
    this.#next = clock.now() + this.#period;
    this.#arm(this.#next);
  }

  #arm(at: number): void {
    const h = this.#clock.setTimer(at, this.#onTick);
    this.#handle = h;
    if (!(this.c as TimerChan).parked) refTimer(h, false); // see internal/weaktimer.ts
  }

  #tick(): void {
    const clock = this.#clock;
    const now = clock.now();
    (this.c as TimerChan).deliver(new Date(now));
    const p = this.#period;
    // The first grid point after now: missed ones are skipped, never replayed.
    let next = this.#next + p * (Math.floor((now - this.#next) / p) + 1);
    if (!(next > now)) next = now + p; // rounding, or an infinite period
    this.#next = next;
    this.#arm(next);
  }

  /**
   * stop turns the ticker off: no more ticks are sent, and a tick waiting in the channel is discarded.
   * It does not close the channel (a goroutine ranging over it would wait forever). Never blocks;
   * stopping twice is harmless.
   *
   * @example
   * ```ts
   * import * as time from "goroutine/time";
   * const t = new time.Ticker(time.Second);
   * t.stop();
   * // Nothing will ever come:
 * console.log(t.c.tryRecv()); // undefined
   * ```
   */
  stop(): void {
    checkTimerBubble(this.#bubble, "stop");
    const h = this.#handle;
    this.#handle = undefined;
    h?.clear();
    (this.c as TimerChan).drain();
  }

  /**
   * reset stops the ticker, discards a waiting tick, sets the period to `d` and restarts it: the next tick
   * comes `d` milliseconds from now. It also restarts a stopped ticker. Never blocks.
   *
   * @throws RangeError "non-positive interval for Ticker.Reset" if `d` is 0, negative or NaN (the ticker
   * is then left unchanged); TypeError if it is not a number.
   *
   * @example
   * ```ts
   * import * as time from "goroutine/time";
   * const t = new time.Ticker(time.Hour);
   * t.reset(2 * time.Millisecond);
   * console.log((await t.c.recv()) instanceof Date); // true
   * t.stop();
   * ```
   */
  reset(d: number): void {
    const p = checkPeriod(d, "Ticker.Reset");
    checkTimerBubble(this.#bubble, "reset");
    this.stop();
    this.#period = p;
    this.#start();
  }
}

/**
 * tick is Go's `time.Tick(d)`: the channel of a new {@link Ticker} that is never stopped. For `d <= 0`
 * (or NaN) it returns a nil channel, as Go returns nil. Use it only for tickers that live as long as the
 * program; otherwise make a Ticker and stop it.
 *
 * @throws TypeError if `d` is not a number.
 *
 * @example
 * ```ts
 * import { select, recv } from "goroutine";
 * import * as time from "goroutine/time";
 * // A program-long heartbeat would be: for await (const at of time.tick(time.Second)) { ... }
 * const off = time.tick(0); // nil channel: its case is never chosen
 * console.log(select([recv(off, () => "tick")], () => "default")); // "default"
 * ```
 */
export function tick(d: number): Chan<Date> {
  if (typeof d !== "number") {
    throw new TypeError(`time.Tick: duration must be a number of milliseconds, got ${typeof d}`);
  }
  if (!(d > 0)) return ChanClass.nil<Date>();
  return new Ticker(d).c;
}
