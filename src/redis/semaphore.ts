/**
 * `redis.Semaphore` and `redis.Mutex`: x/sync's weighted semaphore shared by every process on one Redis
 * key, with FIFO waiters, leases and fencing tokens.
 *
 * Keys (one hash tag, so one Cluster slot): `{key}:sem` (hash: `used`, the arrival counter `seq`),
 * `{key}:sem:q` (waiters by arrival), `{key}:sem:w` (waiter → "session n arrived"), `{key}:sem:h`
 * (holder → "session n token"), `{key}:sem:s` (session → lease expiry), `{key}:sem:fence` (the token
 * counter, never expires).
 *
 * Invariants:
 * - `used` is the sum of the holders' weights; a request is granted at once only if nobody waits and it
 *   fits (Go's Acquire), else it queues; every script that frees capacity (release, a waiter leaving,
 *   a dead session purged) then grants from the head of the queue while the head fits, and stops at the
 *   first that does not (Go's notifyWaiters: a large waiter is not starved by small ones). A grant is
 *   a hand-off made by Redis: the waiter becomes a holder with a fresh token (INCR fence) in the same
 *   script, and the grant is PUBLISHed to its process. So tokens grow in grant order, and the queue is
 *   served in order of arrival at the server.
 * - Liveness is per session (a process's client, see hub.ts): every holder and waiter belongs to one,
 *   whose lease each script of that process renews, and which a timer renews every ttl/3 while the
 *   process holds or waits. Every script first purges the sessions whose lease has passed (their holds
 *   and queue places go), so a dead process's permits are free after its lease, and its token is
 *   refused from then on (`valid` is false; fencing checks see larger tokens).
 * - A grant's message can be lost (the subscriber reconnecting): the renewal returns the session's
 *   holders, and a waiter found among them is woken then. No waiter ever polls.
 * - A release (or a cancelled waiter's leave) that got no answer is kept as an orphan and sent again at
 *   each renewal until Redis has it, so a hold never outlives its release while the session lives on.
 */
import type { Context } from "../context/index.js";
import { afterFunc } from "../context/index.js";
import { neverDone } from "../internal/ctxwait.js";
import {
  type Cmd,
  LUA_FMT,
  LUA_NOW,
  LeaseLostError,
  type RedisOptions,
  UnavailableError,
  checkClient,
  checkKey,
  checkTimeout,
  num,
  timed,
} from "./conn.js";
import { type Hub, hubOf } from "./hub.js";
import { type Client, commands } from "./store.js";

const PRELUDE = `${LUA_FMT}
${LUA_NOW}
-- KEYS: meta, queue, waiters, holders, sessions, fence; ARGV: pinned now, capacity, session, ttl, ...
local now = now_ms(ARGV[1])
local N = tonumber(ARGV[2])
local sess = ARGV[3]
local ttl = tonumber(ARGV[4])
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local function parse(v)
  local s, n, x = string.match(v, '^(%S+) (%S+) (%S+)$')
  return s, tonumber(n), x
end
-- drop the holds and queue places of every session whose lease has passed
local function purge()
  local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', fmt(now))
  if #dead == 0 then return end
  local isdead = {}
  for _, s in ipairs(dead) do
    isdead[s] = true
    redis.call('ZREM', KEYS[5], s)
  end
  local h = redis.call('HGETALL', KEYS[4])
  for i = 1, #h, 2 do
    local s, n = parse(h[i + 1])
    if isdead[s] then
      redis.call('HDEL', KEYS[4], h[i])
      used = used - n
    end
  end
  local w = redis.call('HGETALL', KEYS[3])
  for i = 1, #w, 2 do
    local s = parse(w[i + 1])
    if isdead[s] then
      redis.call('HDEL', KEYS[3], w[i])
      redis.call('ZREM', KEYS[2], w[i])
    end
  end
end
-- hand the capacity to the waiters at the head of the queue while they fit (FIFO)
local function grant()
  while true do
    local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    if not head then return end
    local s, n = parse(redis.call('HGET', KEYS[3], head))
    if used + n > N then return end
    redis.call('ZREM', KEYS[2], head)
    redis.call('HDEL', KEYS[3], head)
    local token = redis.call('INCR', KEYS[6])
    redis.call('HSET', KEYS[4], head, s .. ' ' .. n .. ' ' .. token)
    used = used + n
    redis.call('PUBLISH', 'goroutine:sem:' .. s, head .. ' ' .. token)
  end
end
local function save()
  if used <= 0 then redis.call('HDEL', KEYS[1], 'used') else redis.call('HSET', KEYS[1], 'used', used) end
end
local function renew()
  redis.call('ZADD', KEYS[5], fmt(now + ttl), sess)
end
purge()
`;

const LUA = {
  // ARGV[5] id, ARGV[6] n, ARGV[7] 'try' | 'wait'
  goroutineSemAcquire: {
    keys: 6,
    lua: `${PRELUDE}
local id, n = ARGV[5], tonumber(ARGV[6])
grant()
renew()
if redis.call('ZCARD', KEYS[2]) == 0 and used + n <= N then
  local token = redis.call('INCR', KEYS[6])
  redis.call('HSET', KEYS[4], id, sess .. ' ' .. n .. ' ' .. token)
  used = used + n
  save()
  return {'1', token, fmt(now)}
end
save()
if ARGV[7] == 'try' then return {'0', 0, fmt(now)} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[2], seq, id)
redis.call('HSET', KEYS[3], id, sess .. ' ' .. n .. ' ' .. fmt(now))
return {'2', 0, fmt(now)}`,
  },
  // ARGV[5] id: release a hold, or leave the queue (a hold granted meanwhile is released too)
  goroutineSemRelease: {
    keys: 6,
    lua: `${PRELUDE}
local id = ARGV[5]
local ok = 0
local v = redis.call('HGET', KEYS[4], id)
if v then
  local _, n = parse(v)
  redis.call('HDEL', KEYS[4], id)
  used = used - n
  ok = 1
elseif redis.call('HEXISTS', KEYS[3], id) == 1 then
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
  ok = 2
end
grant()
save()
if redis.call('ZSCORE', KEYS[5], sess) then renew() end
return ok`,
  },
  // renews the session; returns '0' if it had expired, else '1' and this session's holders: id, token, ...
  goroutineSemRenew: {
    keys: 6,
    lua: `${PRELUDE}
grant()
save()
if not redis.call('ZSCORE', KEYS[5], sess) then return {'0'} end
renew()
local out = {'1'}
local h = redis.call('HGETALL', KEYS[4])
for i = 1, #h, 2 do
  local s, _, token = parse(h[i + 1])
  if s == sess then
    out[#out + 1] = h[i]
    out[#out + 1] = token
  end
end
return out`,
  },
  // KEYS[7] a key in the same slot; ARGV[5] id, ARGV[6] token, ARGV[7] value: SET only while that hold is live
  goroutineSemFencedSet: {
    keys: 7,
    lua: `${PRELUDE}
grant()
save()
local v = redis.call('HGET', KEYS[4], ARGV[5])
if not v then return 0 end
local _, _, token = parse(v)
if token ~= ARGV[6] then return 0 end
redis.call('SET', KEYS[7], ARGV[7])
return 1`,
  },
  // ARGV[5] id, ARGV[6] token: whether that hold is live
  goroutineSemValid: {
    keys: 6,
    lua: `${PRELUDE}
grant()
save()
local v = redis.call('HGET', KEYS[4], ARGV[5])
if not v then return 0 end
local _, _, token = parse(v)
if token == ARGV[6] then return 1 end
return 0`,
  },
};

/** Options of {@link Semaphore} and {@link Mutex}. */
export interface SemaphoreOptions extends RedisOptions {
  /**
   * The lease (ms, default 10 s): a process that stops renewing (it died, stalled, or lost Redis) loses
   * its permits and its queue places this long after its last renewal. Renewals run every ttl/3 while
   * the process holds or waits.
   */
  ttl?: number;
}

/**
 * A Permit is a grant of a {@link Semaphore} or {@link Mutex}: hold it while you work, then `release` it.
 */
export interface Permit {
  /** The fencing token: larger than every token granted before it on this key. Pass it to the resource you protect. */
  readonly token: number;
  /** The weight held. */
  readonly n: number;
  /** When the request reached Redis (the server's epoch ms): grants follow this order. */
  readonly arrived: number;
  /** Aborted (with a {@link LeaseLostError}) if this process learns that the lease ended before release. */
  readonly signal: AbortSignal;
}

class Hold implements Permit {
  readonly ac = new AbortController();
  released = false;
  constructor(
    readonly id: string,
    readonly token: number,
    readonly n: number,
    readonly arrived: number,
  ) {}
  get signal(): AbortSignal {
    return this.ac.signal;
  }
}

interface Waiting {
  id: string;
  n: number;
  arrived: number;
  /** A grant whose message overtook the acquire script's reply. */
  early?: number;
  grant: (token: number) => void;
  fail: (e: unknown) => void;
}

/**
 * Semaphore is x/sync's weighted semaphore (`semaphore.Weighted`) shared by every process that uses
 * the same Redis `key`: `n` units of capacity; `acquire(ctx, k)` waits, in FIFO order of arrival at
 * the Redis server, until `k` units are free; `tryAcquire(k)` never waits; `release(permit)` gives them
 * back. Each grant carries a fencing token that grows with every grant on the key.
 *
 * Waiters do not poll: Redis hands capacity to the head of the queue inside the script that frees it
 * and publishes the grant to the waiter's process (one pub/sub connection per client, a `duplicate()`).
 * Holds are leased: a process that dies (or stalls, or loses Redis) for `ttl` loses its permits, which
 * go to the next waiters, and its tokens are refused from then on ({@link Semaphore.valid}).
 *
 * **Failure**: Redis not answering within `timeout` makes `acquire`, `tryAcquire` and `release` reject
 * with {@link UnavailableError} (locks always fail closed: no permit is ever assumed), and a waiting
 * `acquire` rejects with it at its next renewal (within ttl/3 + timeout). A Redis restart loses every
 * hold (the permits' `signal`s abort, `release` rejects with {@link LeaseLostError}); waiters re-queue
 * by themselves.
 *
 * **Cancellation**: an `acquire` whose context ends leaves the queue (or, if the grant crossed the
 * cancellation, gives the permit back) and rejects with `ctx.err()`; the semaphore is left unchanged.
 *
 * @throws TypeError for a bad client or key; RangeError if `n` is not a whole number >= 1.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as context from "goroutine/context";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const sem = new redis.Semaphore(client, `doc:sem:${process.pid}`, 3); // 3 units for all processes
 * const p = await sem.acquire(context.background(), 2);
 * console.log(p.n, await sem.tryAcquire(2)); // 2 undefined
 * await sem.release(p);
 * console.log((await sem.tryAcquire(3))?.n); // 3
 * client.disconnect();
 * ```
 */
export class Semaphore {
  readonly #keys: string[];
  readonly #acq: Cmd;
  readonly #rel: Cmd;
  readonly #ren: Cmd;
  readonly #val: Cmd;
  readonly #fset: Cmd;
  readonly #hub: Hub;
  readonly #size: number;
  readonly #ttl: number;
  readonly #timeout: number;
  readonly #what: string;
  readonly #holds = new Map<string, Hold>();
  readonly #waiting = new Map<string, Waiting>();
  /** Holds and queue places whose release or leave did not reach Redis: retried at each renewal. */
  readonly #orphans = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastRenew = 0;

  /** Makes a semaphore of `n` units on `key` (keys `{key}:sem…`). */
  constructor(client: Client, key: string, n: number, opts?: SemaphoreOptions) {
    this.#init(client, key, n, opts, "Semaphore");
    const k = `{${key}}:sem`;
    this.#keys = [k, `${k}:q`, `${k}:w`, `${k}:h`, `${k}:s`, `${k}:fence`];
    this.#size = n;
    this.#ttl = checkTimeout(opts?.ttl, this.#fn, "ttl", 10_000);
    this.#timeout = checkTimeout(opts?.timeout, this.#fn);
    this.#what = `redis.${this.#fn} ${JSON.stringify(key)}`;
    const c = commands(client, LUA);
    this.#acq = c.goroutineSemAcquire;
    this.#rel = c.goroutineSemRelease;
    this.#ren = c.goroutineSemRenew;
    this.#val = c.goroutineSemValid;
    this.#fset = c.goroutineSemFencedSet;
    this.#hub = hubOf(client);
  }

  #fn = "Semaphore";
  #init(client: Client, key: string, n: number, _opts: SemaphoreOptions | undefined, fn: string): void {
    this.#fn = this instanceof Mutex ? "Mutex" : fn;
    checkClient(client, this.#fn);
    checkKey(key, this.#fn);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
      throw new RangeError(`redis.${this.#fn}: n must be a whole number >= 1, got ${String(n)}`);
    }
  }

  /**
   * acquire waits until `n` units are free for this caller and takes them, in FIFO order of arrival at
   * Redis across all processes; resolves with the {@link Permit} (its fencing token). Rejects with
   * `ctx.err()` if the context ends first (leaving the semaphore unchanged), with
   * {@link UnavailableError} if Redis does not answer. A request larger than the semaphore waits until
   * the context ends, as in Go.
   *
   * **Cancellation**: see the class: the place in the queue is given up, and a grant that crossed the
   * cancellation is given back.
   * @throws RangeError (synchronously) if `n` is not a whole number >= 0.
   */
  acquire(ctx: Context, n = 1): Promise<Permit> {
    return this.#acquire(ctx, this.#checkN(n, "Acquire"));
  }

  /**
   * tryAcquire takes `n` units if they are free and nobody waits; resolves with the Permit, or
   * undefined without waiting. Rejects with {@link UnavailableError} if Redis does not answer.
   * @throws RangeError (synchronously) if `n` is not a whole number >= 0.
   */
  async tryAcquire(n = 1): Promise<Permit | undefined> {
    this.#checkN(n, "TryAcquire");
    if (n > this.#size) return undefined;
    const id = this.#hub.id();
    const r = await this.#list(this.#acq, id, n, "try");
    if (r[0] !== "1") return undefined;
    return this.#held(id, Number(r[1]), n, num(r[2]));
  }

  /**
   * release gives the permit's units back; Redis hands them to the next waiters in the same step.
   * Rejects with {@link LeaseLostError} if the lease had already ended (the units were given to others
   * meanwhile: the work done under this permit may have overlapped theirs), with
   * {@link UnavailableError} if Redis does not answer (the lease then ends by itself after `ttl`).
   * @throws Error("redis: Semaphore: release of a permit not held") for a permit released twice or not from here.
   */
  async release(p: Permit): Promise<void> {
    if (p instanceof Hold && p.signal.aborted && !p.released) {
      p.released = true; // lost before release: say so once
      throw p.signal.reason as LeaseLostError;
    }
    const h = p instanceof Hold ? this.#holds.get(p.id) : undefined;
    if (h === undefined || h !== p) throw new Error(`redis: ${this.#fn}: release of a permit not held`);
    h.released = true;
    this.#holds.delete(h.id);
    let r: unknown;
    try {
      r = await this.#call(this.#rel, h.id);
    } catch (e) {
      this.#orphan(h.id); // released here: Redis is told at the next renewal that reaches it
      throw e;
    } finally {
      this.#idle();
    }
    if (r !== 1) {
      const e = new LeaseLostError(this.#what, h.token);
      h.ac.abort(e);
      throw e;
    }
  }

  /**
   * valid reports whether `p` is still held in Redis (its lease has not ended): the fencing check for
   * a resource that can ask Redis. A resource that stores the largest token it has seen and refuses
   * smaller ones needs no call at all.
   */
  async valid(p: Permit): Promise<boolean> {
    if (!(p instanceof Hold)) return false;
    return (await this.#call(this.#val, p.id, String(p.token))) === 1;
  }

  /**
   * @internal SET `key` (in this semaphore's hash slot: `{key}…`) to `value` only while `p` is held —
   * a write fenced by the lease, in one script. Resolves false if the lease had ended.
   */
  async setIfHeld(p: Permit, key: string, value: Buffer): Promise<boolean> {
    if (!(p instanceof Hold)) return false;
    const r = await timed(
      this.#fset(...this.#keys, key, "", this.#size, this.#hub.sess, this.#ttl, p.id, String(p.token), value as unknown as string),
      this.#timeout,
      this.#what,
    );
    return r === 1;
  }

  async #acquire(ctx: Context, n: number): Promise<Permit> {
    const err = ctx.err();
    if (err !== undefined) throw err;
    if (n > this.#size) {
      // Go: don't make other acquirers wait behind one that can never be served
      await new Promise<void>((resolve) => afterFunc(ctx, resolve));
      throw ctx.err()!;
    }
    await timed(this.#hub.ready(), this.#timeout, this.#what);
    const id = this.#hub.id();
    let w!: Waiting;
    const granted = new Promise<number>((resolve, reject) => {
      w = { id, n, arrived: 0, grant: resolve, fail: reject };
    });
    this.#hub.waiters.set(id, (token) => {
      if (this.#waiting.has(id)) this.#granted(w, token);
      else w.early = token;
    });
    let r: unknown[];
    try {
      r = await this.#list(this.#acq, id, n, "wait");
    } catch (e) {
      this.#hub.waiters.delete(id);
      this.#orphan(id); // if it ran late, or runs later: leave the queue (or give the grant back)
      throw e;
    }
    w.arrived = num(r[2]);
    if (r[0] === "1") {
      this.#hub.waiters.delete(id);
      return this.#held(id, Number(r[1]), n, w.arrived);
    }
    if (w.early !== undefined) return this.#held(id, w.early, n, w.arrived);
    this.#waiting.set(id, w);
    this.#busy();
    const stop = neverDone(ctx)
      ? undefined
      : afterFunc(ctx, () => {
          if (!this.#waiting.delete(id)) return;
          this.#hub.waiters.delete(id);
          this.#idle();
          // leave the queue; a grant that crossed this is released by the same script
          this.#call(this.#rel, id).catch(() => this.#orphan(id));
          w.fail(ctx.err());
        });
    try {
      const token = await granted;
      return this.#held(id, token, n, w.arrived);
    } finally {
      stop?.();
    }
  }

  #granted(w: Waiting, token: number): void {
    if (!this.#waiting.delete(w.id)) return;
    this.#idle();
    w.grant(token);
  }

  #held(id: string, token: number, n: number, arrived: number): Permit {
    const h = new Hold(id, token, n, arrived);
    this.#holds.set(id, h);
    this.#busy();
    return h;
  }

  /** Starts the renewals when the process begins to hold or wait. */
  #busy(): void {
    if (this.#timer !== undefined) return;
    this.#lastRenew = Date.now();
    this.#timer = setInterval(() => void this.#renew(), this.#ttl / 3);
    this.#timer.unref();
  }

  /** Releases `id` in Redis later (its release or leave got no answer), at the next renewal. */
  #orphan(id: string): void {
    this.#orphans.add(id);
    this.#busy();
  }

  /** Stops them when it neither holds nor waits (nor owes Redis a release). */
  #idle(): void {
    if (this.#holds.size > 0 || this.#waiting.size > 0 || this.#orphans.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    let r: unknown[];
    try {
      r = await this.#list(this.#ren);
    } catch (e) {
      // no answer: waiters fail now (locks fail closed); holds are lost once a lease has passed
      for (const w of [...this.#waiting.values()]) {
        this.#waiting.delete(w.id);
        this.#hub.waiters.delete(w.id);
        w.fail(e instanceof UnavailableError ? e : new UnavailableError(this.#what, this.#timeout, e));
      }
      if (Date.now() - this.#lastRenew >= this.#ttl) this.#lose();
      this.#idle();
      return;
    }
    this.#lastRenew = Date.now();
    for (const id of [...this.#orphans]) {
      this.#call(this.#rel, id).then(
        () => {
          this.#orphans.delete(id);
          this.#idle();
        },
        () => undefined,
      );
    }
    if (r[0] !== "1") {
      // the session had expired (the process stalled, or Redis restarted empty): holds are gone,
      // waiters queue again
      this.#lose();
      for (const w of [...this.#waiting.values()]) void this.#requeue(w);
      this.#idle();
      return;
    }
    // grants whose message was lost
    for (let i = 1; i + 1 < r.length; i += 2) {
      const id = String(r[i]);
      const w = this.#waiting.get(id);
      if (w !== undefined) {
        this.#hub.waiters.delete(id);
        this.#granted(w, Number(r[i + 1]));
      }
    }
  }

  async #requeue(w: Waiting): Promise<void> {
    try {
      const r = await this.#list(this.#acq, w.id, w.n, "wait");
      w.arrived = num(r[2]);
      if (r[0] === "1") {
        this.#hub.waiters.delete(w.id);
        this.#granted(w, Number(r[1]));
      }
    } catch (e) {
      if (this.#waiting.delete(w.id)) {
        this.#hub.waiters.delete(w.id);
        w.fail(e);
        this.#idle();
      }
    }
  }

  #lose(): void {
    for (const h of this.#holds.values()) h.ac.abort(new LeaseLostError(this.#what, h.token));
    this.#holds.clear();
  }

  #checkN(n: unknown, fn: string): number {
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`redis.${this.#fn}.${fn}: n must be a whole number >= 0, got ${String(n)}`);
    }
    return n;
  }

  #call(cmd: Cmd, ...args: (string | number)[]): Promise<unknown> {
    return timed(cmd(...this.#keys, "", this.#size, this.#hub.sess, this.#ttl, ...args), this.#timeout, this.#what);
  }

  #list(cmd: Cmd, ...args: (string | number)[]): Promise<unknown[]> {
    return this.#call(cmd, ...args) as Promise<unknown[]>;
  }
}

/**
 * Mutex is a {@link Semaphore} of one unit shared by every process on the Redis `key`: one holder at a
 * time, FIFO hand-off by Redis to the next waiter, a lease that ends `ttl` after the holder's process
 * stops renewing it, and a fencing token per grant. `acquire(ctx)` locks, `tryAcquire()` never waits,
 * `release(permit)` unlocks.
 *
 * **Failure** and **Cancellation**: as {@link Semaphore} (locks always reject when Redis cannot answer).
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as context from "goroutine/context";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const mu = new redis.Mutex(client, `doc:mu:${process.pid}`, { ttl: 5_000 });
 * const p = await mu.acquire(context.background());
 * console.log(await mu.tryAcquire()); // undefined
 * await mu.release(p);
 * const q = await mu.acquire(context.background());
 * console.log(q.token > p.token); // true
 * await mu.release(q);
 * client.disconnect();
 * ```
 */
export class Mutex extends Semaphore {
  /** Makes a mutex on `key` (keys `{key}:sem…`). */
  constructor(client: Client, key: string, opts?: SemaphoreOptions) {
    super(client, key, 1, opts);
  }
}
