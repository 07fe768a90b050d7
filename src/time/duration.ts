/**
 * Durations: a duration is a number of milliseconds (fractions allowed), as everywhere in JavaScript.
 * The constants make arithmetic read like Go (`2 * Second`), and the formatting and parsing follow Go's
 * `Duration.String` and `ParseDuration` exactly, at nanosecond resolution.
 */

/** One nanosecond, in milliseconds. */
export const Nanosecond = 1e-6;
/** One microsecond, in milliseconds. */
export const Microsecond = 1e-3;
/** One millisecond. */
export const Millisecond = 1;
/** One second, in milliseconds. */
export const Second = 1000;
/** One minute, in milliseconds. */
export const Minute = 60_000;
/** One hour, in milliseconds. */
export const Hour = 3_600_000;

/** Formats `v / 10^prec` with trailing zeros (and a bare point) dropped. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let s = "";
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) s = String(digit) + s;
    v /= 10n;
  }
  if (print) s = "." + s;
  return [s, v];
}

/**
 * durationString formats `d` milliseconds as Go's `Duration.String`: `"72h3m0.5s"`, `"1.5ms"`, `"2µs"`,
 * `"0s"`. The value is rounded to whole nanoseconds first.
 *
 * @throws RangeError for NaN or an infinite duration.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * console.log(time.durationString(3723.5 * time.Second)); // "1h2m3.5s"
 * console.log(time.durationString(1.5)); // "1.5ms"
 * ```
 */
export function durationString(d: number): string {
  if (typeof d !== "number" || !Number.isFinite(d)) {
    throw new RangeError(`time: cannot format duration ${String(d)}`);
  }
  let ns = BigInt(Math.round(d * 1e6));
  const neg = ns < 0n;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1_000_000_000n) {
    // Less than a second: use a smaller unit, as Go does.
    if (ns === 0n) return "0s";
    let prec: number;
    let unit: string;
    if (ns < 1000n) {
      prec = 0;
      unit = "ns";
    } else if (ns < 1_000_000n) {
      prec = 3;
      unit = "µs";
    } else {
      prec = 6;
      unit = "ms";
    }
    const [frac, whole] = fmtFrac(ns, prec);
    out = String(whole) + frac + unit;
  } else {
    const [frac, secs] = fmtFrac(ns, 9);
    let s = String(secs % 60n) + frac + "s";
    const mins = secs / 60n;
    if (mins > 0n) {
      s = String(mins % 60n) + "m" + s;
      const hours = mins / 60n;
      if (hours > 0n) s = String(hours) + "h" + s;
    }
    out = s;
  }
  return neg ? "-" + out : out;
}

const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "µs": 1000n, // U+00B5 micro sign
  "μs": 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;

/**
 * The nanoseconds a fraction's digits add for `unit`, computed as Go does: the digits that fit in an int64
 * are kept (later ones ignored), then scaled in float64 — "float64 is needed to be nanosecond accurate
 * for fractions of hours" — and truncated. So "0.3333333333333333333h" is exactly 20m, as in Go.
 */
function fractionNs(digits: string, unit: bigint): bigint {
  let x = 0n;
  let scale = 1;
  for (const c of digits) {
    const y = x * 10n + BigInt(c);
    if (y > MAX_NS) break;
    x = y;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(x) * (Number(unit) / scale)));
}

/**
 * parseDuration parses Go's duration syntax — a possibly signed sequence of decimal numbers, each with an
 * optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), such as `"300ms"`, `"-1.5h"` or
 * `"2h45m"` — and returns milliseconds.
 *
 * @throws TypeError `time: invalid duration "…"`, `time: missing unit in duration "…"`,
 * `time: unknown unit "…" in duration "…"`, or for a value beyond Go's ±292 years.
 *
 * @example
 * ```ts
 * import * as time from "goroutine/time";
 * console.log(time.parseDuration("1h15m30.5s")); // 4530500
 * console.log(time.parseDuration("1.5ms")); // 1.5
 * ```
 */
export function parseDuration(s: string): number {
  if (typeof s !== "string") throw new TypeError(`time: invalid duration ${String(s)}`);
  const orig = s;
  const q = JSON.stringify(orig);
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new TypeError(`time: invalid duration ${q}`);
  let total = 0n;
  // Each element: digits [. digits] unit. Track the fraction exactly as a ratio of bigints.
  while (s !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = m[1] ?? "";
    const frac = m[2];
    if (whole === "" && (frac === undefined || frac === "")) throw new TypeError(`time: invalid duration ${q}`);
    s = s.slice(m[0].length);
    const um = /^[^0-9.]*/.exec(s)!;
    const u = um[0];
    if (u === "") throw new TypeError(`time: missing unit in duration ${q}`);
    // An own-property lookup: `unitNs[u]` would find `__proto__`, `constructor` or `toString` on the
    // prototype chain and then fail in BigInt arithmetic instead of naming the unknown unit.
    const unit = Object.hasOwn(unitNs, u) ? unitNs[u] : undefined;
    if (unit === undefined) throw new TypeError(`time: unknown unit ${JSON.stringify(u)} in duration ${q}`);
    s = s.slice(u.length);
    let v = BigInt(whole === "" ? "0" : whole) * unit;
    if (frac !== undefined && frac !== "") v += fractionNs(frac, unit);
    total += v;
    if (total > MAX_NS + (neg ? 1n : 0n)) throw new TypeError(`time: invalid duration ${q}`);
  }
  const ms = Number(total) / 1e6;
  return neg && ms !== 0 ? -ms : ms;
}
