/**
 * The breaker's settings, counts, states and errors, and gobreaker's defaulting of the settings.
 */
import { Core, type CountsView, type Resolved, type StateNum } from "../internal/breaker.js";
import { checkSize } from "../internal/size.js";

/** A breaker's state, as gobreaker's `State.String()` spells it. */
export type State = "closed" | "half-open" | "open";

const NAMES: readonly State[] = ["closed", "half-open", "open"];
/** @internal */
export const stateName = (s: StateNum): State => NAMES[s];

/**
 * Counts holds the numbers of requests and their outcomes in the current generation (gobreaker's
 * Counts). A breaker with `isExcluded` also reports `totalExclusions` (gobreaker v2.4).
 */
export type Counts = CountsView;

/**
 * Settings configures a breaker (gobreaker's Settings; durations in milliseconds).
 * - `maxRequests` (default 1; 0 means 1): requests admitted while half-open.
 * - `interval` (default 0: never): the closed-state period after which counts are cleared.
 * - `bucketPeriod`: with an interval, counts roll bucket by bucket instead (interval rounded up to a
 *   multiple of it).
 * - `timeout` (default 60 s; <= 0 means the default): how long the breaker stays open.
 * - `readyToTrip(counts)` (default: more than 5 consecutive failures): called after each failure while
 *   closed; true opens the breaker.
 * - `onStateChange(name, from, to)`: called synchronously on every transition.
 * - `isSuccessful(err)`: called, as in Go, with every outcome — `undefined` when the function returned
 *   normally, the thrown value otherwise; true counts it as a success. Default: it did not throw.
 * - `isExcluded(err)` (gobreaker v2.4): true leaves the outcome out of the counts altogether.
 */
export interface Settings {
  name?: string;
  maxRequests?: number;
  interval?: number;
  bucketPeriod?: number;
  timeout?: number;
  readyToTrip?: (counts: Counts) => boolean;
  onStateChange?: (name: string, from: State, to: State) => void;
  isSuccessful?: (err: unknown) => boolean;
  isExcluded?: (err: unknown) => boolean;
}

/** The class of {@link ErrOpenState} and {@link ErrTooManyRequests}. */
export class BreakerError extends Error {
  override readonly name = "BreakerError";
}

function sentinel(msg: string): BreakerError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // made at module load: a stack would point here and mislead
  try {
    return new BreakerError(msg);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * ErrOpenState is the error a request is refused with while the breaker is open. A sentinel: compare
 * with `===`.
 *
 * @example
 * ```ts
 * import { ErrOpenState } from "goroutine/breaker";
 * console.log(ErrOpenState.message); // "circuit breaker is open"
 * ```
 */
export const ErrOpenState: Error = sentinel("circuit breaker is open");
/**
 * ErrTooManyRequests is the error a request is refused with while the breaker is half-open and
 * `maxRequests` probes are already admitted. A sentinel: compare with `===`.
 *
 * @example
 * ```ts
 * import { ErrTooManyRequests } from "goroutine/breaker";
 * console.log(ErrTooManyRequests.message); // "too many requests"
 * ```
 */
export const ErrTooManyRequests: Error = sentinel("too many requests");

function duration(v: number | undefined, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new RangeError(`breaker: ${what} must be a number of milliseconds, got ${String(v)}`);
  }
  return v;
}

/** gobreaker's NewCircuitBreaker defaulting. @internal */
export function resolve(st: Settings | undefined): Resolved {
  const s = st ?? {};
  if (typeof s !== "object") throw new TypeError("breaker: settings must be an object");
  const mr = s.maxRequests ?? 0;
  checkSize(mr, "breaker", "maxRequests");
  const iv = duration(s.interval, "interval");
  const bp = duration(s.bucketPeriod, "bucketPeriod");
  const to = duration(s.timeout, "timeout");
  let interval: number, bucketPeriod: number, numBuckets: number;
  if (iv <= 0) {
    interval = bucketPeriod = 0;
    numBuckets = 1;
  } else if (bp <= 0) {
    interval = bucketPeriod = iv;
    numBuckets = 1;
  } else {
    interval = Math.ceil(iv / bp) * bp;
    bucketPeriod = bp;
    numBuckets = Math.round(interval / bp);
  }
  const onChange = s.onStateChange;
  return {
    name: s.name ?? "",
    maxRequests: mr === 0 ? 1 : mr,
    interval,
    bucketPeriod,
    numBuckets,
    timeout: to <= 0 ? 60_000 : to,
    readyToTrip: s.readyToTrip ?? ((c) => c.consecutiveFailures > 5),
    onStateChange: onChange === undefined ? undefined : (n, f, t) => onChange(n, stateName(f), stateName(t)),
    isSuccessful: s.isSuccessful,
    isExcluded: s.isExcluded,
  };
}

/** @internal */
export function newCore(st: Settings | undefined): Core {
  return new Core(resolve(st), ErrOpenState, ErrTooManyRequests);
}

