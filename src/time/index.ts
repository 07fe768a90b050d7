/**
 * `goroutine/time`: Go's `time` package — durations, sleep, timers and tickers — on the library's clock
 * seam, so everything here runs on virtual time inside a synctest bubble.
 *
 * Timer and ticker channels follow Go 1.23: they behave as unbuffered, and after `stop` or `reset` no
 * stale value is received. Negative and NaN durations act as 0 for timers and sleeps; a ticker period
 * must be positive.
 */
export * from "./duration.js";
export { sleep, now, since, until } from "./sleep.js";
export { Timer, after, afterFunc } from "./timer.js";
export { Ticker, tick } from "./ticker.js";
