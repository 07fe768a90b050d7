/**
 * sleep and the wall clock readings (now, since, until), on the clock seam.
 *
 * Invariants:
 * - A sleeping goroutine is parked with reason "sleep" and durable = true: only its clock (its bubble's
 *   fake clock inside synctest) can wake it. It is marked ready in the timer callback, before its
 *   promise is settled.
 * - A non-positive or NaN duration does not park and does not touch the clock.
 */
import { clockOf } from "../internal/clock.js";
import { currentG, done, park, ready, wake } from "../internal/scheduler.js";
import { toDelay } from "./timer.js";

/**
 * sleep pauses the calling goroutine for at least `d` milliseconds (Go's `time.Sleep`). A negative, zero
 * or NaN duration returns at once. Inside a synctest bubble it waits on the fake clock and counts as
 * durably blocked, so virtual time advances past it instantly.
 *
 * **Cancellation:** none; to sleep until a context is done, use
 * `select([recv(time.after(d)), recv(ctx.done())])`.
 *
 * @throws TypeError if `d` is not a number.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * const start = time.now();
 * await time.sleep(5 * time.Millisecond);
 * console.log(time.since(start) >= 4); // true
 * ```
 */
export function sleep(d: number): Promise<void> {
  const delay = toDelay(d, "time.Sleep");
  if (delay === 0) return done();
  const g = currentG();
  const clock = clockOf(g);
  return new Promise<void>((resolve) => {
    park(g, "sleep", true);
    clock.setTimer(clock.now() + delay, () => {
      ready(g, true);
      wake(resolve);
    });
  });
}

/**
 * now returns the current time of the caller's clock (Go's `time.Now`): the real time normally, the
 * bubble's fake time inside synctest (which starts at 2000-01-01T00:00:00Z).
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * console.log(time.now() instanceof Date); // true
 * ```
 */
export function now(): Date {
  return new Date(clockOf().now());
}

function timeOf(t: Date | number, what: string): number {
  const ms = typeof t === "number" ? t : t instanceof Date ? t.getTime() : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${what}: expected a valid Date or epoch milliseconds`);
  return ms;
}

/**
 * since returns the milliseconds elapsed since `t` (a Date or epoch milliseconds) on the caller's clock:
 * Go's `time.Since(t)`, shorthand for `now() - t`.
 *
 * @throws TypeError if `t` is not a valid Date or number.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * const start = time.now();
 * console.log(time.since(start) >= 0); // true
 * ```
 */
export function since(t: Date | number): number {
  return clockOf().now() - timeOf(t, "time.Since");
}

/**
 * until returns the milliseconds from now until `t` (a Date or epoch milliseconds) on the caller's clock:
 * Go's `time.Until(t)`, negative once `t` has passed.
 *
 * @throws TypeError if `t` is not a valid Date or number.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * const deadline = new Date(time.now().getTime() + time.Minute);
 * console.log(time.until(deadline) > 59 * time.Second); // true
 * ```
 */
export function until(t: Date | number): number {
  return timeOf(t, "time.Until") - clockOf().now();
}
