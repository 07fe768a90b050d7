/**
 * `redis.Limiter`: golang.org/x/time/rate's token bucket shared by every process that uses the same
 * key, one Lua script per decision, on the Redis server's clock.
 *
 * Invariants:
 * - The bucket is the string `{key}:tb` holding Go's three fields, "tokens last lastEvent": tokens
 *   (negative while reservations are in debt), the time they were counted at, and the latest
 *   reservation's time to act. (One string, GET and SET PX: a hash took HMGET, HSET and PEXPIRE, half
 *   again the server time.) A missing key is a full bucket that has never been used (Go's zero
 *   `last`), so it expires at the moment it would be full again and no later reservation could be
 *   cancelled: expiring it changes no answer.
 * - Every decision (take, reserve, cancel, tokens) is one EVALSHA: the script reads TIME, advances the
 *   bucket with Go's formulas (durations truncated to whole nanoseconds, as `time.Duration` does) and
 *   writes it back, atomically. Reservations are served in the order their scripts ran, so the FIFO
 *   order of x/time/rate holds across processes: a later reservation's time to act is never earlier.
 * - Times in the scripts are the server's epoch ms (with µs); a Reservation keeps its delay as
 *   measured by the server and the local time the answer arrived, so `delay()` counts down on the
 *   local clock with no clock comparison between machines.
 * - Rate and burst are this process's constructor arguments, sent with every call: processes sharing a
 *   key must agree on them (a disagreement is resolved per call, by the caller's values).
 * - Numbers cross the Lua boundary as strings with 17 significant digits, so the script's arithmetic
 *   equals x/time/rate's double for double (the property test pins it against `goroutine/rate`).
 */
import type { Context } from "../context/index.js";
import { waitUntil } from "../internal/ctxwait.js";
import { Inf, type Limit } from "../rate/limiter.js";
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
  timedMap,
} from "./conn.js";
import { type Client, commands } from "./store.js";

const LUA = {
  // allowN alone, lean (it is the hot path: no closures, one number formatted only when admitting);
  // the same arithmetic as the 'take' branch below. ARGV: limit, burst, n, pinned now, 't' to answer the time
  goroutineRateTake: {
    keys: 1,
    lua: `local now
if ARGV[4] ~= '' then now = tonumber(ARGV[4]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local limit, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = burst
local st = redis.call('GET', KEYS[1])
if st then
  local a, b = string.match(st, '^(%S+) (%S+)')
  local last = tonumber(b)
  if now < last then last = now end
  tokens = tonumber(a)
  local d = now - last
  if limit > 0 and d > 0 then tokens = tokens + (d / 1000) * limit end
  if tokens > burst then tokens = burst end
end
tokens = tokens - n
if n > burst then return 0 end
if tokens < 0 then
  if limit <= 0 then return 0 end
  local ns = (-tokens / limit) * 1e9
  if ns > 9223372036854775807 or math.floor(ns) > 0 then return 0 end
end
local ts = string.format('%.17g', now)
local ttl = 1000
if limit > 0 then ttl = ttl + ((burst - tokens) / limit) * 1000 end
local v = string.format('%.17g', tokens) .. ' ' .. ts .. ' ' .. ts
if limit > 0 and ttl < 1e12 then redis.call('SET', KEYS[1], v, 'PX', math.ceil(ttl)) else redis.call('SET', KEYS[1], v) end
if ARGV[5] == 't' then return ts end
return 1`,
  },
  goroutineRateBucket: {
    keys: 1,
    lua: `${LUA_FMT}
${LUA_NOW}
-- ARGV: op, limit, burst, n, maxFutureReserve ('' = inf) or timeToAct (cancel), pinned now, limit at reservation (cancel)
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local now = now_ms(ARGV[6])
local MAX_NS = 9223372036854775807
-- Go's Limit.durationFromTokens, in ms truncated to whole ns
local function dur(lim, tokens)
  if lim <= 0 then return math.huge end
  local ns = (tokens / lim) * 1e9
  if ns > MAX_NS then return math.huge end
  if ns < 0 then ns = math.ceil(ns) else ns = math.floor(ns) end
  return ns / 1e6
end
-- Go's Limit.tokensFromDuration
local function tok(lim, d)
  if lim <= 0 or d <= 0 then return 0 end
  return (d / 1000) * lim
end
local st = redis.call('GET', KEYS[1])
local tokens, last, lastEvent = burst, -math.huge, -math.huge
if st then
  local a, b, c = string.match(st, '^(%S+) (%S+) (%S+)$')
  tokens, last, lastEvent = tonumber(a), tonumber(b), tonumber(c)
end
local function advance(t)
  local l = last
  if t < l then l = t end
  local x = tokens + tok(limit, t - l)
  if x > burst then x = burst end
  return x
end
local function save(t, x, e)
  local v = fmt(x) .. ' ' .. fmt(t) .. ' ' .. fmt(e)
  local ttl = e - t
  if ttl < 0 then ttl = 0 end
  ttl = ttl + dur(limit, burst - x) + 1000
  if ttl < 1e12 then redis.call('SET', KEYS[1], v, 'PX', math.ceil(ttl)) else redis.call('SET', KEYS[1], v) end
end
if op == 'take' then
  local x = advance(now) - n
  if n > burst then return {'0', fmt(now)} end
  if x < 0 and dur(limit, -x) > 0 then return {'0', fmt(now)} end
  save(now, x, now)
  return {'1', fmt(now)}
elseif op == 'reserve' then
  local maxF = math.huge
  if ARGV[5] ~= '' then maxF = tonumber(ARGV[5]) end
  local x = advance(now) - n
  local wait = 0
  if x < 0 then wait = dur(limit, -x) end
  if n > burst or wait > maxF then return {'0', fmt(now), fmt(now + wait)} end
  local at = now + wait
  save(now, x, at)
  return {'1', fmt(now), fmt(at)}
elseif op == 'cancel' then
  local tta = tonumber(ARGV[5])
  local rl = tonumber(ARGV[7])
  if n == 0 or tta < now then return {'0', fmt(now)} end
  local restore = n - tok(rl, lastEvent - tta)
  if restore <= 0 then return {'0', fmt(now)} end
  local x = advance(now) + restore
  if x > burst then x = burst end
  local e = lastEvent
  if tta == lastEvent then
    local prev = tta + dur(rl, -n)
    if prev >= now then e = prev end
  end
  save(now, x, e)
  return {'1', fmt(now)}
end
return {fmt(advance(now)), fmt(now)}`,
  },
};

const isOne = (r: unknown): boolean => r === 1;

function checkLimit(r: unknown): Limit {
  if (typeof r !== "number" || Number.isNaN(r)) {
    throw new RangeError(`redis.Limiter: limit must be a number of events per second, got ${String(r)}`);
  }
  return r;
}

function checkWhole(b: unknown, what: string, fn: string): number {
  if (typeof b !== "number" || !Number.isSafeInteger(b) || b < 0) {
    throw new RangeError(`redis.${fn}: ${what} must be a whole number >= 0, got ${String(b)}`);
  }
  return b;
}

/** Options of {@link Limiter}. */
export interface LimiterOptions extends RedisOptions {
  /**
   * What a decision does when Redis does not answer within `timeout`: `"closed"` (default) rejects with
   * {@link UnavailableError} and admits nothing; `"open"` admits (allow resolves true, a reservation is
   * ok with no delay, wait resolves at once), and reports the error to `onError`.
   */
  failMode?: FailMode;
  /** Called with each error that fail-open swallowed (for logs and metrics). */
  onError?: (err: unknown) => void;
}

/**
 * A Reservation of a {@link Limiter} (x/time/rate's Reservation): the tokens were taken from the shared
 * bucket at the server's time, and the holder should wait `delay()` before acting, or `cancel()`.
 */
export class Reservation {
  /** @internal */
  constructor(
    private readonly lim: Limiter | undefined,
    private readonly isOk: boolean,
    /** The tokens reserved. */
    readonly n: number,
    /** When the tokens are available, on the Redis server's clock (epoch ms). */
    readonly timeToAct: number,
    /** The server's delay at the decision (ms). */
    private readonly wait: number,
    /** The local time (epoch ms) the answer arrived. */
    private readonly at: number,
  ) {}

  /** Whether the limiter granted the tokens (false only if n exceeds the burst, or a wait limit). */
  ok(): boolean {
    return this.isOk;
  }

  /** The ms to wait before acting, from now (0: act now); Infinity if not ok. */
  delay(): number {
    return this.delayFrom(Date.now());
  }

  /** The ms from local time `t` until the reserved action may happen. */
  delayFrom(t: Date | number): number {
    if (!this.isOk) return Infinity;
    const ms = typeof t === "number" ? t : t.getTime();
    const d = this.at + this.wait - ms;
    return d > 0 ? d : 0;
  }

  /**
   * cancel says the holder will not act and gives back the tokens that later reservations have not
   * already counted on (x/time/rate's Cancel, in one script at the server's time). No effect if not
   * ok, for 0 tokens, or once the time to act has passed.
   * Rejects with {@link UnavailableError} if Redis does not answer (fail-closed) — the tokens stay taken.
   */
  async cancel(): Promise<void> {
    if (!this.isOk || this.lim === undefined || this.n === 0) return;
    await this.lim.cancelReservation(this);
  }
}

/**
 * Limiter is x/time/rate's token bucket shared by every process and machine that uses the same Redis
 * `key`: rate `r` events per second, bursts of up to `b`, initially full. Each decision is one Lua
 * script on the Redis server, at the server's clock (TIME), so processes with skewed clocks share one
 * timeline and one limit. Semantics are x/time/rate's, edge cases included: `allowN` takes n tokens
 * now or none; `reserveN` may go into debt, and later reservations queue behind it (FIFO across
 * processes); `waitN` fails at once with Go's errors when n exceeds the burst or the deadline cannot be
 * met, and refunds on cancellation. Limit {@link Inf} allows everything without a round trip; limit 0
 * allows only the initial burst.
 *
 * Every method is asynchronous (one round trip). The `t` argument of `allowN`/`reserveN` is accepted
 * for {@link AsyncRateLimiter} compatibility and ignored: the decision is at the server's time.
 *
 * **Failure**: a decision that Redis does not answer within `timeout` (default 1 s) rejects with
 * {@link UnavailableError} (`failMode: "closed"`, the default: nothing is admitted while Redis is
 * unreachable) or admits (`failMode: "open"`). A Redis restart or SCRIPT FLUSH inside the timeout is
 * invisible (the script is reloaded; a restarted empty server is a full bucket).
 *
 * @throws RangeError if `r` is NaN or `b` not a whole number >= 0; TypeError for a bad client or key.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const lim = new redis.Limiter(client, `doc:${process.pid}`, 10, 2); // 10/s, bursts of 2, for every process
 * console.log(await lim.allow(), await lim.allow(), await lim.allow()); // true true false
 * const r = await lim.reserve();
 * console.log(r.ok(), r.delay() > 0 && r.delay() <= 100); // true true
 * await r.cancel();
 * client.disconnect();
 * ```
 */
export class Limiter implements AsyncRateLimiter {
  readonly #key: string;
  readonly #cmd: Cmd;
  readonly #takeCmd: Cmd;
  readonly #limit: Limit;
  readonly #burst: number;
  readonly #timeout: number;
  readonly #failMode: FailMode;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #what: string;

  /**
   * Makes a limiter on `key` (keys `{key}:tb`) with rate `r` per second and burst `b`.
   * All processes sharing `key` should pass the same `r` and `b`.
   */
  constructor(client: Client, key: string, r: Limit, b: number, opts?: LimiterOptions) {
    checkClient(client, "Limiter");
    this.#key = `{${checkKey(key, "Limiter")}}:tb`;
    this.#limit = checkLimit(r);
    this.#burst = checkWhole(b, "burst", "Limiter");
    this.#timeout = checkTimeout(opts?.timeout, "Limiter");
    this.#failMode = checkFailMode(opts?.failMode, "Limiter");
    this.#onError = opts?.onError;
    this.#what = `redis.Limiter ${JSON.stringify(key)}`;
    const c = commands(client, LUA);
    this.#cmd = c.goroutineRateBucket;
    this.#takeCmd = c.goroutineRateTake;
  }

  /** The rate, events per second. */
  limit(): Limit {
    return this.#limit;
  }
  /** The burst: the most tokens one call can take (unless the limit is Inf). */
  burst(): number {
    return this.#burst;
  }

  /** The tokens in the shared bucket now (negative while reservations are in debt). */
  async tokens(): Promise<number> {
    if (this.#limit === Inf) return this.#burst;
    const r = await this.#run("tokens", 0, "");
    return num(r[0]);
  }

  /** allow is allowN(now, 1). */
  allow(): Promise<boolean> {
    return this.#take(1);
  }

  /**
   * allowN reports whether `n` events may happen now, taking their tokens from the shared bucket if so
   * (one round trip). Never waits for tokens. `t` is ignored (server time).
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  allowN(_t: Date | number, n: number): Promise<boolean> {
    return this.#take(checkWhole(n, "n", "Limiter.AllowN"));
  }

  /** reserve is reserveN(now, 1). */
  reserve(): Promise<Reservation> {
    return this.#reserve(1, Infinity);
  }

  /**
   * reserveN reserves `n` tokens at the server's now, going into debt if needed; wait the
   * Reservation's `delay()` before acting, or `cancel()` it. Not ok only if n exceeds the burst.
   * `t` is ignored (server time).
   * @throws RangeError if `n` is not a whole number >= 0.
   */
  reserveN(_t: Date | number, n: number): Promise<Reservation> {
    return this.#reserve(checkWhole(n, "n", "Limiter.ReserveN"), Infinity);
  }

  /** wait is waitN(ctx, 1). */
  wait(ctx: Context): Promise<void> {
    return this.#wait(ctx, 1);
  }

  /**
   * waitN blocks until the shared limiter permits `n` events (x/time/rate's WaitN). It rejects at once
   * with `Error("rate: Wait(n=3) exceeds limiter's burst 2")` if `n` exceeds the burst, with
   * `ctx.err()` if the context is already done, and with `Error("rate: Wait(n=1) would exceed context
   * deadline")` if the tokens cannot be had before the deadline (nothing is taken then).
   *
   * **Cancellation**: when `ctx` ends mid-wait, the reservation is cancelled in Redis (its tokens are
   * refunded as far as later reservations allow) and the promise rejects with `ctx.err()`.
   * @throws RangeError (synchronously) if `n` is not a whole number >= 0.
   */
  waitN(ctx: Context, n: number): Promise<void> {
    return this.#wait(ctx, checkWhole(n, "n", "Limiter.WaitN"));
  }

  async #wait(ctx: Context, n: number): Promise<void> {
    if (n > this.#burst && this.#limit !== Inf) throw new Error(`rate: Wait(n=${n}) exceeds limiter's burst ${this.#burst}`);
    const err = ctx.err();
    if (err !== undefined) throw err;
    const dl = ctx.deadline();
    const waitLimit = dl === undefined ? Infinity : dl.getTime() - Date.now();
    const r = await this.#reserve(n, waitLimit);
    if (!r.ok()) throw new Error(`rate: Wait(n=${n}) would exceed context deadline`);
    const d = r.delay();
    if (d <= 0) return;
    await waitUntil(ctx, Date.now() + d, "redis.Limiter.Wait", () => ctx.err(), () => {
      r.cancel().catch((e: unknown) => this.#onError?.(e));
    });
  }

  #take(n: number): Promise<boolean> {
    if (this.#limit === Inf) return Promise.resolve(true);
    if (n > this.#burst) return Promise.resolve(false);
    // allow is the hot path: the answer is mapped, and fail-open applied, inside the one wrapper promise
    return timedMap(this.#takeCmd(this.#key, this.#limit, this.#burst, n, "", ""), this.#timeout, this.#what, isOne, this.#takeFailed);
  }

  readonly #takeFailed = (e: unknown): boolean => this.#failed(e, true);

  /** @internal allowN, answering the server's time of an admission (NaN if refused), for tests and bench/redis.ts. */
  async allowTimed(n: number): Promise<number> {
    const r = await this.#takeRun(n, "", "t");
    return r === 0 ? NaN : num(r);
  }

  #takeRun(n: number, pinned: string, answer: string): Promise<unknown> {
    return timed(this.#takeCmd(this.#key, this.#limit, this.#burst, n, pinned, answer), this.#timeout, this.#what);
  }

  async #reserve(n: number, maxFutureReserve: number): Promise<Reservation> {
    const now = Date.now();
    if (this.#limit === Inf) return new Reservation(undefined, true, n, now, 0, now);
    if (n > this.#burst) return new Reservation(undefined, false, 0, 0, 0, now);
    let r: string[];
    try {
      r = await this.#run("reserve", n, maxFutureReserve === Infinity ? "" : String(maxFutureReserve));
    } catch (e) {
      this.#failed(e, true);
      return new Reservation(undefined, true, n, now, 0, now);
    }
    const at = Date.now();
    if (r[0] !== "1") return new Reservation(undefined, false, 0, 0, 0, at);
    const serverNow = num(r[1]);
    const tta = num(r[2]);
    return new Reservation(this, true, n, tta, tta - serverNow, at);
  }

  /** @internal */
  async cancelReservation(r: Reservation): Promise<void> {
    await this.#run("cancel", r.n, String(r.timeToAct), "", String(this.#limit));
  }

  /** Fail-open: report and return `open`; fail-closed: rethrow. */
  #failed<T>(e: unknown, open: T): T {
    if (this.#failMode === "closed") throw e;
    this.#onError?.(e);
    return open;
  }

  #run(op: string, n: number, arg: string, pinned = "", rlimit = ""): Promise<string[]> {
    return timed(
      this.#cmd(this.#key, op, this.#limit, this.#burst, n, arg, pinned, rlimit) as Promise<string[]>,
      this.#timeout,
      this.#what,
    );
  }

  /** @internal The script at a pinned server time (ms), for the property test against goroutine/rate. */
  async at(op: "take" | "lean" | "reserve" | "cancel" | "tokens", t: number, n: number, arg = "", rlimit = ""): Promise<string[]> {
    if (op === "lean") return [(await this.#takeRun(n, String(t), "")) === 1 ? "1" : "0"];
    return this.#run(op, n, arg, String(t), rlimit);
  }
}
