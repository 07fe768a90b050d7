/**
 * `goroutine/rate`: golang.org/x/time/rate — the token-bucket {@link Limiter} with reservations,
 * `wait` that fails early when a deadline cannot be met, live `setLimit`/`setBurst`, and
 * {@link Sometimes} — plus the seeds' other algorithms behind one {@link RateLimiter} interface:
 * {@link leakyBucket}, {@link fixedWindow}, {@link slidingWindowLog}, {@link slidingWindowCounter}.
 *
 * Durations are milliseconds, rates are events per second, and all time comes from the library's
 * clock, so every limiter runs in virtual time inside `synctest.test`.
 */
export { Inf, InfDuration, type Limit, Limiter, Reservation, every } from "./limiter.js";
export type { AnyRateLimiter, AsyncRateLimiter, RateLimiter } from "./ratelimiter.js";
export { Sometimes } from "./sometimes.js";
export { RateLimitError, fixedWindow, leakyBucket, slidingWindowCounter, slidingWindowLog } from "./windows.js";
