/**
 * `redis.fixedWindow` and `redis.slidingWindow`: goroutine/rate's window limiters with the count kept in
 * Redis, one Lua script per decision, on the server's clock.
 *
 * Invariants:
 * - fixedWindow: the hash `{key}:fw` holds the current window's number `w` (floor(now / window)) and
 *   its count `c`; a decision in a later window starts from 0. The hash expires at the window's end.
 * - slidingWindow (exact, a log): the sorted set `{key}:sw` holds one member `<seq>:<n>` per admitted
 *   event (weight n), scored by its server time; the hash `{key}:sw:n` holds their total `sum` and the
 *   sequence `seq`. An event leaves the window `window` ms after it happened (score <= now - window),
 *   and its weight leaves the sum in the same script. Both keys expire `window` ms after the last event.
 * - A refusal returns the earliest server time at which `n` would fit if nobody else took any; `wait`
 *   sleeps exactly that long (on the local clock) and asks again — a retry when the window frees, never
 *   a polling loop. Waiters are not queued: FIFO across processes is the token bucket's ({@link Limiter}).
 */
import type { Context } from "../context/index.js";
import { waitUntil } from "../internal/ctxwait.js";
import type { AsyncRateLimiter } from "../rate/ratelimiter.js";
import {
  type Cmd,
  type FailMode,
  LUA_FMT,
  LUA_NOW,
  type RedisOptions,
  checkClient,
  checkFailMode,
  checkKey,
  checkTimeout,
  num,
  timed,
} from "./conn.js";
import { type Client, commands } from "./store.js";

const LUA = {
  goroutineRateFixed: {
    keys: 1,
    lua: `${LUA_FMT}
${LUA_NOW}
-- ARGV: limit, window, n, pinned now
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local now = now_ms(ARGV[4])
local w = math.floor(now / window)
local st = redis.call('HMGET', KEYS[1], 'w', 'c')
local c = 0
if tonumber(st[1]) == w then c = tonumber(st[2]) end
if c + n > limit then return {'0', fmt(now), fmt((w + 1) * window)} end
redis.call('HSET', KEYS[1], 'w', w, 'c', c + n)
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((w + 1) * window - now)))
return {'1', fmt(now)}`,
  },
  goroutineRateSliding: {
    keys: 2,
    lua: `${LUA_FMT}
${LUA_NOW}
-- KEYS: the log (zset), its sum and sequence (hash); ARGV: limit, window, n, pinned now
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local now = now_ms(ARGV[4])
local sum = tonumber(redis.call('HGET', KEYS[2], 'sum') or '0')
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now - window))
if #old > 0 then
  for _, m in ipairs(old) do sum = sum - tonumber(string.match(m, ':(%d+)$')) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - window))
  redis.call('HSET', KEYS[2], 'sum', sum)
end
if sum + n > limit then
  local excess = sum + n - limit
  local log = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #log, 2 do
    excess = excess - tonumber(string.match(log[i], ':(%d+)$'))
    if excess <= 0 then return {'0', fmt(now), fmt(tonumber(log[i + 1]) + window)} end
  end
  return {'0', fmt(now), 'inf'}
end
if n > 0 then
  local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  redis.call('ZADD', KEYS[1], fmt(now), seq .. ':' .. n)
  redis.call('HSET', KEYS[2], 'sum', sum + n)
  local ttl = math.ceil(window) + 1
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {'1', fmt(now)}`,
  },
};

/** Options of {@link fixedWindow} and {@link slidingWindow}. */
export interface WindowOptions extends RedisOptions {
  /** The most events per window (a whole number >= 0). */
  limit: number;
  /** The window's length, ms. */
  window: number;
  /** As {@link LimiterOptions.failMode}: `"closed"` (default) rejects when Redis does not answer, `"open"` admits. */
  failMode?: FailMode;
  /** Called with each error that fail-open swallowed. */
  onError?: (err: unknown) => void;
}

function checkWindow(opts: WindowOptions | undefined, fn: string): { limit: number; window: number } {
  const limit = opts?.limit;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`redis.${fn}: limit must be a whole number >= 0, got ${String(limit)}`);
  }
  const window = opts!.window;
  if (typeof window !== "number" || !(window > 0) || window === Infinity) {
    throw new RangeError(`redis.${fn}: window must be a positive number of milliseconds, got ${String(window)}`);
  }
  return { limit, window };
}

class WindowLimiter implements AsyncRateLimiter {
  readonly #keys: string[];
  readonly #cmd: Cmd;
  readonly #limit: number;
  readonly #window: number;
  readonly #timeout: number;
  readonly #failMode: FailMode;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #what: string;

  constructor(client: Client, keys: string[], cmd: string, fn: string, key: string, opts: WindowOptions) {
    const { limit, window } = checkWindow(opts, fn);
    this.#keys = keys;
    this.#limit = limit;
    this.#window = window;
    this.#timeout = checkTimeout(opts.timeout, fn);
    this.#failMode = checkFailMode(opts.failMode, fn);
    this.#onError = opts.onError;
    this.#what = `redis.${fn} ${JSON.stringify(key)}`;
    this.#cmd = commands(client, LUA)[cmd];
  }

  allow(): Promise<boolean> {
    return this.#allow(1);
  }

  allowN(_t: Date | number, n: number): Promise<boolean> {
    return this.#allow(checkN(n, this.#what));
  }

  wait(ctx: Context): Promise<void> {
    return this.#wait(ctx, 1);
  }

  waitN(ctx: Context, n: number): Promise<void> {
    return this.#wait(ctx, checkN(n, this.#what));
  }

  async #allow(n: number): Promise<boolean> {
    if (n > this.#limit) return false;
    try {
      return (await this.#decide(n))[0] === "1";
    } catch (e) {
      return this.#failed(e, true);
    }
  }

  async #wait(ctx: Context, n: number): Promise<void> {
    if (n > this.#limit) throw new Error(`rate: Wait(n=${n}) exceeds limit ${this.#limit}`);
    for (;;) {
      const err = ctx.err();
      if (err !== undefined) throw err;
      let r: string[];
      try {
        r = await this.#decide(n);
      } catch (e) {
        this.#failed(e, undefined);
        return;
      }
      if (r[0] === "1") return;
      const delay = num(r[2]) - num(r[1]);
      const dl = ctx.deadline();
      if (dl !== undefined && Date.now() + delay > dl.getTime()) {
        throw new Error(`rate: Wait(n=${n}) would exceed context deadline`);
      }
      await waitUntil(ctx, Date.now() + Math.max(delay, 0.001), "redis.Window.Wait", () => ctx.err());
    }
  }

  #failed<T>(e: unknown, open: T): T {
    if (this.#failMode === "closed") throw e;
    this.#onError?.(e);
    return open;
  }

  #decide(n: number, pinned = ""): Promise<string[]> {
    return timed(this.#cmd(...this.#keys, this.#limit, this.#window, n, pinned) as Promise<string[]>, this.#timeout, this.#what);
  }

  /** @internal A decision at a pinned server time, for tests. */
  at(t: number, n: number): Promise<string[]> {
    return this.#decide(n, String(t));
  }
}

function checkN(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what}: n must be a whole number >= 0, got ${String(n)}`);
  }
  return n;
}

/**
 * fixedWindow allows `limit` events per window of `window` ms for every process sharing `key`, windows
 * aligned to multiples of `window` since the epoch on the Redis server's clock (goroutine/rate's
 * fixedWindow, shared). One Lua script per decision (key `{key}:fw`). `wait` sleeps until the next
 * window when this one is full and asks again; it rejects at once with `Error("rate: Wait(n=3) exceeds
 * limit 2")` when n exceeds the limit, and with `Error("rate: Wait(n=1) would exceed context deadline")`
 * when the next window starts after the deadline. `t` in `allowN` is ignored (server time).
 *
 * **Failure**: as {@link Limiter}: `failMode: "closed"` (default) rejects with UnavailableError after
 * `timeout` ms without an answer, `"open"` admits.
 *
 * **Cancellation**: a `wait` whose context ends rejects with `ctx.err()`; nothing was taken.
 *
 * @throws RangeError if `limit` is not a whole number >= 0 or `window` not a positive duration.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const fw = redis.fixedWindow(client, `doc:fw:${process.pid}`, { limit: 2, window: 60_000 });
 * console.log(await fw.allow(), await fw.allow(), await fw.allow()); // true true false
 * client.disconnect();
 * ```
 */
export function fixedWindow(client: Client, key: string, opts: WindowOptions): AsyncRateLimiter {
  checkClient(client, "FixedWindow");
  const k = `{${checkKey(key, "FixedWindow")}}:fw`;
  return new WindowLimiter(client, [k], "goroutineRateFixed", "FixedWindow", key, opts);
}

/**
 * slidingWindow allows at most `limit` events in any `window` ms for every process sharing `key`: an
 * exact sliding log (goroutine/rate's slidingWindowLog, shared) — each admitted event is kept in a
 * sorted set at its server time and leaves the window `window` ms later. Memory is proportional to the
 * events in one window. One Lua script per decision (keys `{key}:sw`, `{key}:sw:n`). `wait` sleeps until
 * enough events have left the window and asks again; errors as {@link fixedWindow}.
 *
 * **Failure**: as {@link Limiter}: `failMode: "closed"` (default) rejects with UnavailableError after
 * `timeout` ms without an answer, `"open"` admits.
 *
 * **Cancellation**: a `wait` whose context ends rejects with `ctx.err()`; nothing was taken.
 *
 * @throws RangeError if `limit` is not a whole number >= 0 or `window` not a positive duration.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const sw = redis.slidingWindow(client, `doc:sw:${process.pid}`, { limit: 3, window: 60_000 });
 * console.log(await sw.allowN(new Date(), 2), await sw.allowN(new Date(), 2), await sw.allow()); // true false true
 * client.disconnect();
 * ```
 */
export function slidingWindow(client: Client, key: string, opts: WindowOptions): AsyncRateLimiter {
  checkClient(client, "SlidingWindow");
  const k = `{${checkKey(key, "SlidingWindow")}}:sw`;
  return new WindowLimiter(client, [k, `${k}:n`], "goroutineRateSliding", "SlidingWindow", key, opts);
}
