/** Argument checks shared by the rate limiters (Go's names in the messages), and their clock reading. */
import { clockOf, realClock } from "../internal/clock.js";
import { liveBubbles } from "../internal/livebubbles.js";
import { checkSize as size } from "../internal/size.js";

/** A time argument: a Date or epoch milliseconds. @throws TypeError otherwise. */
export function checkTime(t: Date | number, fn: string): number {
  const ms = typeof t === "number" ? t : t instanceof Date ? t.getTime() : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`rate.${fn}: t must be a valid Date or epoch milliseconds`);
  return ms;
}

/** An event count: a whole number >= 0 (the library's size rule, src/internal/size.ts). */
export function checkN(n: unknown, fn: string): number {
  return size(n, `rate.${fn}`, "n");
}

/** A size (limit, capacity): a whole number >= `min` (src/internal/size.ts), naming `what`. */
export function checkSize(v: unknown, what: string, fn: string, min = 0): number {
  return size(v, `rate.${fn}`, what, { min });
}

/** A positive duration in ms. @throws RangeError naming `what` otherwise. */
export function checkPeriod(v: unknown, what: string, fn: string): number {
  if (typeof v !== "number" || !(v > 0) || v === Infinity) {
    throw new RangeError(`rate.${fn}: ${what} must be a positive number of milliseconds, got ${String(v)}`);
  }
  return v;
}

const hrtime = process.hrtime;
const hrMs = (): number => {
  const h = hrtime();
  return h[0] * 1e3 + h[1] / 1e6;
};
/**
 * realClock.now() (performance.timeOrigin + performance.now()) rebased onto process.hrtime, the same
 * monotonic source without performance.now's brand check: about 15% cheaper, and a clock read is most
 * of `allow`. The offset is taken once, from two back-to-back reads, so the two readings agree to well
 * under a microsecond, and both are monotonic.
 */
const hrOffset = realClock.now() - hrMs();

/**
 * The caller's clock reading. While no synctest bubble is live no caller can be in one, so the real
 * clock is read directly, skipping the current-goroutine lookup of `clockOf` (about 7 ns of `allow`).
 */
export function nowMs(): number {
  return liveBubbles === 0 ? hrOffset + hrMs() : clockOf().now();
}
