/**
 * The one rule for every size argument of the library — a weight, a count, a capacity, a limit, a burst,
 * a number of tries or goroutines:
 *
 * - any integer `>= min` is accepted, however large: above 2^53 (every double that large is an integer)
 *   and up to `Number.MAX_VALUE`. Such sizes are compared and added as doubles, so beyond 2^53 a count
 *   is exact only in steps of its spacing (2^53 + 1 === 2^53), which no real count reaches;
 * - `Infinity` is accepted only where a limit makes sense (`unlimited: true`: a semaphore's size, a
 *   group's or pool's limit, a cache's capacity) and means "no limit";
 * - anything else — NaN, a fraction, below `min`, `-Infinity`, `Infinity` where no limit is meant — is a
 *   RangeError that names the function and the argument, and says what is allowed; a value that is not
 *   a number at all is a TypeError.
 *
 * Rejected: accepting only safe integers (up to 2^53 − 1), which refused whole numbers such as 2^60 or
 * 1e300 as "not a whole number".
 */

/** Options of {@link checkSize}. */
export interface SizeRule {
  /** The smallest value allowed (default 0). */
  readonly min?: number;
  /** Whether `Infinity` is allowed, meaning "no limit" (default false). */
  readonly unlimited?: boolean;
}

/**
 * Returns `v` if it is a valid size under {@link SizeRule} (with -0 as 0).
 * @param where the API that takes it, e.g. "semaphore.Acquire"
 * @param name the argument, e.g. "n" or "weight"
 * @throws TypeError if `v` is not a number; RangeError if it breaks the rule (see the file comment).
 */
export function checkSize(v: unknown, where: string, name: string, rule?: SizeRule): number {
  const min = rule?.min ?? 0;
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= min) return v + 0;
    if (v === Infinity && rule?.unlimited === true) return v;
  } else {
    throw new TypeError(`${where}: ${name} must be a number, got ${typeof v}`);
  }
  const range = min === -Infinity ? "an integer" : `a whole number >= ${min}`;
  throw new RangeError(`${where}: ${name} must be ${range}${rule?.unlimited === true ? " or Infinity (no limit)" : ""}, got ${String(v)}`);
}
