/**
 * `goroutine/time`: Go's `time` package — durations, sleep, timers and tickers — on the library's clock
 * seam, so everything here runs on virtual time inside a synctest bubble.
 */
export * from "./duration.js";
