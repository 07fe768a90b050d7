/**
 * What every distributed primitive of `goroutine/redis` shares: the error classes, the bounded wait for
 * an answer from Redis, the fail-open/fail-closed option, and argument checks.
 *
 * Invariants:
 * - Every command a primitive sends goes through {@link timed}: it settles within `timeout` ms, with
 *   Redis's answer or with an {@link UnavailableError}. ioredis queues commands while it reconnects
 *   (and waits forever on a server that accepted the connection and stopped answering); the timer is
 *   what turns both into a clear error instead of a hang. A command that timed out may still run later
 *   in Redis; every script is written so that running late is harmless (a token taken late is a token
 *   nobody got, never one granted twice).
 * - One timer per timeout value, not per command (see Sweeper): a settled call leaves only a marked
 *   entry, dropped when the timer next fires; the timer is unref'd, so it never keeps a process alive.
 */
import type { Client } from "./store.js";

/**
 * UnavailableError is the rejection of a distributed primitive's call when Redis did not answer within
 * the primitive's `timeout` (connection cut, server stopped or restarting, network partition), or
 * answered with a connection error. `cause` is ioredis's error when there was one.
 *
 * @example
 * ```ts
 * import { UnavailableError } from "goroutine/redis";
 * const e = new UnavailableError("redis.Limiter api", 250);
 * console.log(e.message, e.retryable); // "redis.Limiter api: no answer from Redis within 250 ms" false
 * ```
 */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
  /** The call has already waited its timeout: callers that retry store errors (the breaker's lock) do not. */
  readonly retryable = false;
  constructor(
    /** Which primitive gave up, for the message. */
    what: string,
    /** The timeout that passed, in ms. */
    readonly timeout: number,
    cause?: unknown,
  ) {
    super(
      cause === undefined
        ? `${what}: no answer from Redis within ${timeout} ms`
        : `${what}: Redis failed: ${cause instanceof Error ? cause.message : JSON.stringify(cause)}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * LeaseLostError says that a holder's lease ended before it released: Redis did not hear from the
 * holder's process for the lease's ttl (the process stalled, or Redis was unreachable or restarted), so
 * the permit may have been granted to someone else and the holder's fencing token is refused from then
 * on. It is the rejection of `release` for such a permit, and the reason of the permit's `signal`.
 *
 * @example
 * ```ts
 * import { LeaseLostError } from "goroutine/redis";
 * const e = new LeaseLostError("redis.Mutex jobs", 7);
 * console.log(e.message); // "redis.Mutex jobs: lease of token 7 lost (expired before release)"
 * ```
 */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
  constructor(
    what: string,
    /** The fencing token whose lease ended. */
    readonly token: number,
  ) {
    super(`${what}: lease of token ${token} lost (expired before release)`);
  }
}

/**
 * What a limiter or breaker store does when Redis cannot answer: `"closed"` (the default) refuses —
 * the call rejects with {@link UnavailableError}, nothing is admitted; `"open"` admits — the call
 * behaves as if the limit or the shared state allowed it (see each primitive for exactly what).
 */
export type FailMode = "open" | "closed";

/** The options every Redis-backed primitive takes. */
export interface RedisOptions {
  /** The longest a call waits for Redis's answer before it fails with {@link UnavailableError} (ms, default 1000). */
  timeout?: number;
}

export const DEFAULT_TIMEOUT = 1000;

/** An ioredis script command, after `defineCommand`. */
export type Cmd = (...args: (string | number)[]) => Promise<unknown>;

/** Throws unless `client` looks like an ioredis Redis or Cluster. */
export function checkClient(client: unknown, fn: string): Client {
  if (client === null || typeof client !== "object" || typeof (client as { defineCommand?: unknown }).defineCommand !== "function") {
    throw new TypeError(`redis.${fn}: client must be an ioredis Redis or Cluster`);
  }
  return client as Client;
}

/** Throws unless `key` is a non-empty string without braces (it becomes the hash tag `{key}`). */
export function checkKey(key: unknown, fn: string): string {
  if (typeof key !== "string" || key === "" || /[{}]/.test(key)) {
    throw new TypeError(`redis.${fn}: key must be a non-empty string without { or }, got ${JSON.stringify(key)}`);
  }
  return key;
}

export function checkTimeout(t: unknown, fn: string, what = "timeout", def = DEFAULT_TIMEOUT): number {
  if (t === undefined) return def;
  if (typeof t !== "number" || !(t > 0) || t === Infinity) {
    throw new RangeError(`redis.${fn}: ${what} must be a positive number of milliseconds, got ${JSON.stringify(t)}`);
  }
  return t;
}

export function checkFailMode(m: unknown, fn: string): FailMode {
  if (m === undefined) return "closed";
  if (m !== "open" && m !== "closed") throw new TypeError(`redis.${fn}: failMode must be "open" or "closed", got ${JSON.stringify(m)}`);
  return m;
}

/**
 * Waits for `p` at most `timeout` ms. Rejects with an {@link UnavailableError} on the timeout or on a
 * connection-level failure of ioredis; Redis's own errors (a script error) pass through unchanged.
 */
export function timed<T>(p: Promise<T>, timeout: number, what: string): Promise<T> {
  return timedMap(p, timeout, what, identity as (v: unknown) => T, undefined);
}

const identity = (v: unknown): unknown => v;

/**
 * {@link timed}, resolving with `map(answer)`; a failure (timeout, connection, Redis error) goes to
 * `fail` when given — it returns the value to resolve with, or throws — else rejects. One promise per
 * call besides ioredis's: the hot path of `allow`.
 */
export function timedMap<A, T>(p: Promise<A>, timeout: number, what: string, map: (v: A) => T, fail: ((e: unknown) => T) | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const failed = (e: unknown): void => {
      if (fail === undefined) return reject(e);
      try {
        resolve(fail(e));
      } catch (e2) {
        reject(e2);
      }
    };
    const d = sweeperOf(timeout).add(() => failed(new UnavailableError(what, timeout)));
    p.then(
      (v) => {
        if (d.settled) return;
        d.settled = true;
        resolve(map(v));
      },
      (err: unknown) => {
        if (d.settled) return;
        d.settled = true;
        failed(isConnectionError(err) ? new UnavailableError(what, timeout, err) : err);
      },
    );
  });
}

interface Deadline {
  at: number;
  settled: boolean;
  fail: () => void;
}

/**
 * The deadlines of every call with one timeout value, in order (same timeout, so arrival order is
 * deadline order), behind one timer set for the oldest unsettled one. Rejected alternative: a
 * setTimeout per call — with thousands of calls in flight, arming and clearing a timer per call cost
 * a third of a decision's client time.
 */
class Sweeper {
  #q: (Deadline | undefined)[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly timeout: number) {}

  add(fail: () => void): Deadline {
    const d: Deadline = { at: performance.now() + this.timeout, settled: false, fail };
    this.#q.push(d);
    if (this.#timer === undefined) this.#arm(this.timeout);
    return d;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#sweep(), Math.max(0, ms));
    this.#timer.unref();
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = performance.now();
    const q = this.#q;
    while (this.#head < q.length) {
      const d = q[this.#head]!;
      if (!d.settled) {
        if (d.at > now) break;
        d.settled = true;
        d.fail();
      }
      q[this.#head++] = undefined;
    }
    if (this.#head === q.length) {
      this.#q = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#q = q.slice(this.#head);
      this.#head = 0;
    }
    this.#arm(this.#q[this.#head]!.at - now);
  }
}

const sweepers = new Map<number, Sweeper>();
function sweeperOf(timeout: number): Sweeper {
  let s = sweepers.get(timeout);
  if (s === undefined) sweepers.set(timeout, (s = new Sweeper(timeout)));
  return s;
}

/** ioredis's errors that mean "no connection" rather than "Redis said no". */
function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const name = e.name;
  return (
    name === "MaxRetriesPerRequestError" ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|enableOfflineQueue|Failed to refresh slots cache|None of startup nodes is available|CLUSTERDOWN|LOADING/.test(e.message)
  );
}

/** Lua's numbers as strings: 17 significant digits (tostring gives 14), inf and nan spelt out. */
export const LUA_FMT = `local function fmt(x)
  if x == math.huge then return 'inf' end
  if x == -math.huge then return '-inf' end
  return string.format('%.17g', x)
end`;

/** Parses a number formatted by the scripts' `fmt`. */
export function num(s: unknown): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}

/**
 * Lua: the server's clock in ms (with µs), or ARGV[i] when a test pins the time. Writes after TIME need
 * effects replication, the default since Redis 5 (the only mode since 7): Redis >= 5 is required.
 */
export const LUA_NOW = `local function now_ms(pinned)
  if pinned ~= nil and pinned ~= '' then return tonumber(pinned) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end`;
