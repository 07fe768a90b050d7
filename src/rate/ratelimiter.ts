import type { Context } from "../context/index.js";

/**
 * RateLimiter is what every limiter of `goroutine/rate` implements: {@link Limiter} (token bucket) and
 * the leaky bucket, fixed window, sliding log and sliding counter.
 */
export interface RateLimiter {
  /** Whether one event may happen now (taking it if so). Never blocks. */
  allow(): boolean;
  /** Whether `n` events may happen at `t` (taking them if so). Never blocks. */
  allowN(t: Date, n: number): boolean;
  /** Blocks until one event is permitted or `ctx` ends. */
  wait(ctx: Context): Promise<void>;
  /** Blocks until `n` events are permitted or `ctx` ends. */
  waitN(ctx: Context, n: number): Promise<void>;
}

/**
 * AsyncRateLimiter is {@link RateLimiter} for limiters whose state lives elsewhere (the distributed
 * limiters of `goroutine/redis`): the same methods, with `allow`/`allowN` answering through a promise.
 * Code written against it (`if (!(await lim.allow())) …`) takes either kind: see {@link AnyRateLimiter}.
 */
export interface AsyncRateLimiter {
  /** Whether one event may happen now (taking it if so). Never waits for tokens. */
  allow(): Promise<boolean>;
  /** Whether `n` events may happen at `t` (taking them if so). Never waits for tokens. */
  allowN(t: Date, n: number): Promise<boolean>;
  /** Blocks until one event is permitted or `ctx` ends. */
  wait(ctx: Context): Promise<void>;
  /** Blocks until `n` events are permitted or `ctx` ends. */
  waitN(ctx: Context, n: number): Promise<void>;
}

/** Either kind of limiter: an in-process {@link RateLimiter} or an {@link AsyncRateLimiter}; `await` its answers. */
export type AnyRateLimiter = RateLimiter | AsyncRateLimiter;
