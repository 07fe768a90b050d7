/**
 * time/duration.ts against Go's documented outputs (Go's own `time` tests: durationTests,
 * parseDurationTests, parseDurationErrorTests), converted from nanoseconds to this library's milliseconds.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Hour,
  Microsecond,
  Millisecond,
  Minute,
  Nanosecond,
  Second,
  durationString,
  parseDuration,
} from "../../src/time/duration.js";

/** Milliseconds for a count of nanoseconds given exactly as a bigint. */
const ms = (ns: bigint): number => Number(ns) / 1e6;

/** Equal up to float rounding of the ms representation (durations are exact to the nanosecond). */
function close(got: number, want: number, what: string): void {
  const tol = Math.max(1e-12, Math.abs(want) * 1e-15);
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);
}

describe("constants", () => {
  test("units in milliseconds", () => {
    assert.deepEqual(
      [Nanosecond, Microsecond, Millisecond, Second, Minute, Hour],
      [1e-6, 1e-3, 1, 1000, 60_000, 3_600_000],
    );
  });
});

describe("durationString", () => {
  // Go's durationTests, plus the strings Duration's TSDoc promises (src/time/duration.ts).
  const rows: [string, number][] = [
    ["0s", 0],
    ["1ns", ms(1n)],
    ["1.1µs", ms(1100n)],
    ["2.2ms", ms(2_200_000n)],
    ["3.3s", ms(3_300_000_000n)],
    ["4m5s", 4 * Minute + 5 * Second],
    ["4m5.001s", 4 * Minute + 5001 * Millisecond],
    ["5h6m7.001s", 5 * Hour + 6 * Minute + 7001 * Millisecond],
    ["8m0.000000001s", ms(480_000_000_001n)],
    ["1h2m3.5s", 3723.5 * Second],
    ["1.5ms", 1.5],
    ["2µs", 2 * Microsecond],
    ["-1.5s", -1.5 * Second],
    ["999ns", ms(999n)],
    ["1µs", ms(1000n)],
    ["999.999µs", ms(999_999n)],
    ["1ms", 1],
    ["1s", Second],
    ["1m0s", Minute],
    ["1h0m0s", Hour],
    ["100h0m0s", 100 * Hour],
    ["-2.2ms", -2.2],
    ["-1ns", -ms(1n)],
  ];
  for (const [want, d] of rows) {
    test(`${d} ms -> ${want}`, () => assert.equal(durationString(d), want));
  }

  test("rounds to whole nanoseconds", () => {
    assert.equal(durationString(0.4 * Nanosecond), "0s");
    assert.equal(durationString(1.6 * Nanosecond), "2ns");
    assert.equal(durationString(-0), "0s");
  });

  test("NaN and infinities are RangeError", () => {
    for (const d of [NaN, Infinity, -Infinity]) assert.throws(() => durationString(d), RangeError);
  });
});

describe("parseDuration", () => {
  // Go's parseDurationTests, in nanoseconds.
  const rows: [string, bigint][] = [
    ["0", 0n],
    ["5s", 5_000_000_000n],
    ["30s", 30_000_000_000n],
    ["1478s", 1_478_000_000_000n],
    ["-5s", -5_000_000_000n],
    ["+5s", 5_000_000_000n],
    ["-0", 0n],
    ["+0", 0n],
    ["5.0s", 5_000_000_000n],
    ["5.6s", 5_600_000_000n],
    ["5.s", 5_000_000_000n],
    [".5s", 500_000_000n],
    ["1.0s", 1_000_000_000n],
    ["1.00s", 1_000_000_000n],
    ["1.004s", 1_004_000_000n],
    ["1.0040s", 1_004_000_000n],
    ["100.00100s", 100_001_000_000n],
    ["10ns", 10n],
    ["11us", 11_000n],
    ["12µs", 12_000n], // U+00B5
    ["12μs", 12_000n], // U+03BC
    ["13ms", 13_000_000n],
    ["14s", 14_000_000_000n],
    ["15m", 900_000_000_000n],
    ["16h", 57_600_000_000_000n],
    ["3h30m", 12_600_000_000_000n],
    ["10.5s4m", 250_500_000_000n],
    ["-2m3.4s", -123_400_000_000n],
    ["1h2m3s4ms5us6ns", 3_723_004_005_006n],
    ["39h9m14.425s", 140_954_425_000_000n],
    ["52763797000ns", 52_763_797_000n],
    ["0.3333333333333333333h", 1_200_000_000_000n],
    ["9007199254740993ns", (1n << 53n) + 1n],
    ["9223372036854775807ns", (1n << 63n) - 1n],
    ["9223372036854775.807us", (1n << 63n) - 1n],
    ["9223372036854ms775us807ns", (1n << 63n) - 1n],
    ["-9223372036854775808ns", -(1n << 63n)],
    ["-9223372036854775.808us", -(1n << 63n)],
    ["-9223372036854ms775us808ns", -(1n << 63n)],
    ["-2562047h47m16.854775808s", -(1n << 63n)],
    ["0.100000000000000000000h", 360_000_000_000n],
    ["0.830103483285477580700h", 49n * 60_000_000_000n + 48_000_000_000n + 372_539_827n],
    // the examples in src/time/duration.ts's TSDoc
    ["1h15m30.5s", 4_530_500_000_000n],
    ["1.5ms", 1_500_000n],
    ["300ms", 300_000_000n],
    ["-1.5h", -5_400_000_000_000n],
    ["2h45m", 9_900_000_000_000n],
  ];
  // Regression (core-bugs #2): Go scales a fraction in float64, which rounds 0.3333333333333333333h up to
  // exactly 20m; exact decimal arithmetic would truncate it to 1 ns less.
  for (const [input, ns] of rows) {
    test(`${JSON.stringify(input)} -> ${ns} ns`, () => close(parseDuration(input), ms(ns), input));
  }

  // Go's parseDurationErrorTests plus the cases named in the task; [input, message fragment].
  const bad: [string, string][] = [
    ["", `time: invalid duration ""`],
    ["3", `time: missing unit in duration "3"`],
    ["-", `time: invalid duration "-"`],
    ["s", `time: invalid duration "s"`],
    [".", `time: invalid duration "."`],
    ["-.", `time: invalid duration "-."`],
    [".s", `time: invalid duration ".s"`],
    ["+.s", `time: invalid duration "+.s"`],
    ["1d", `time: unknown unit "d" in duration "1d"`],
    ["1x", `time: unknown unit "x" in duration "1x"`],
    ["+-3s", `time: invalid duration "+-3s"`],
    ["\x85\x85", "time: invalid duration"],
    ["\xffff", "time: invalid duration"],
    ["hello \xffff world", "time: invalid duration"],
    ["9223372036854775808ns", `time: invalid duration "9223372036854775808ns"`],
    ["9223372036854775.808us", `time: invalid duration "9223372036854775.808us"`],
    ["9223372036854ms775us808ns", `time: invalid duration "9223372036854ms775us808ns"`],
    ["-9223372036854775809ns", `time: invalid duration "-9223372036854775809ns"`],
    ["3s-", `time: unknown unit "s-" in duration "3s-"`],
    ["1.5.5s", "time: "],
    [" 1s", "time: invalid duration"],
    ["1h 2m", "time: "],
  ];
  for (const [input, msg] of bad) {
    test(`${JSON.stringify(input)} is a TypeError (${msg})`, () => {
      assert.throws(
        () => parseDuration(input),
        (e: unknown) => e instanceof TypeError && e.message.startsWith(msg),
      );
    });
  }

  test("negative zero durations parse to 0, not -0 (regression: core-bugs #7)", () => {
    for (const input of ["-0", "-0s", "-0ms", "-0.0h", "-0h0m"]) assert.ok(Object.is(parseDuration(input), 0), input);
  });

  test("a non-string is a TypeError", () => {
    for (const v of [undefined, null, 5, {}]) assert.throws(() => parseDuration(v as string), TypeError);
  });

  test("round trip: parseDuration(durationString(d)) === d for whole nanoseconds", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 52n), max: 1n << 52n }), (ns) => {
        const d = ms(ns);
        close(parseDuration(durationString(d)), d, durationString(d));
      }),
      { numRuns: 500 },
    );
  });
});
