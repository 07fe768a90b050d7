/**
 * `redis.breakerStore(client)`: goroutine/breaker's SharedDataStore on Redis, so a
 * DistributedCircuitBreaker is one breaker across every process that shares the client's Redis.
 *
 * Invariants:
 * - The breaker's two names for one breaker X, `gobreaker:mutex:X` and `gobreaker:state:X`, map to one
 *   hash tag `{gobreaker:X}`: the lock is a {@link Mutex} on it and the state the string
 *   `{gobreaker:X}:state`, so both live in one Cluster slot and a write can be fenced by the lock.
 * - lock(name): first a local FIFO lock per name (callers of one process queue here, so Redis sees at
 *   most one waiter per process), then the Redis Mutex (FIFO across processes, leased). unlock hands
 *   the Redis permit on to the next local caller, up to 32 times in a row, before giving it back to
 *   Redis (where the other processes wait in FIFO order): contended steps cost no lock round trips.
 * - While this process holds the permit nobody else can write the state, so what it read or wrote
 *   under that permit is the state: getData answers from it, and setData of identical bytes writes
 *   nothing (a refused call changes nothing: zero round trips).
 * - setData under a held lock is fenced: one script writes the state only while the permit's lease is
 *   live, so a process whose lease ended (stalled past `lockTtl`) cannot overwrite the state written by
 *   the next holder. That is what keeps half-open probes at exactly `maxRequests` across processes.
 * - Fail-open keeps a copy of the last state this process read or wrote, per name, and uses it (with
 *   the local lock only) while Redis does not answer: each process then runs the breaker on its own.
 */
import type { SharedDataStore } from "../breaker/distributed.js";
import { background as bg } from "../context/index.js";
import { type FailMode, LeaseLostError, type RedisOptions, UnavailableError, checkClient, checkFailMode, checkTimeout, timed } from "./conn.js";
import { Mutex, type Permit } from "./semaphore.js";
import type { Client } from "./store.js";

/** Options of {@link breakerStore}. */
export interface BreakerStoreOptions extends RedisOptions {
  /**
   * `"closed"` (default): a store call that Redis does not answer within `timeout` rejects with
   * {@link UnavailableError}, and the breaker's execute rejects with it (fn is not called).
   * `"open"`: the store falls back to this process's last copy of the state and a local lock, so each
   * process keeps breaking on its own until Redis answers again; errors go to `onError`.
   */
  failMode?: FailMode;
  onError?: (err: unknown) => void;
  /** The lock's lease (ms, default 5 s): how long a dead lock holder blocks the others. */
  lockTtl?: number;
}

/** A FIFO lock for one process, without goroutine parking (the Redis round trips keep the loop alive). */
class LocalLock {
  #held = false;
  /** Callers queued behind the holder. */
  get waiting(): number {
    return this.#q.length - this.#head;
  }
  #q: (() => void)[] = [];
  #head = 0;
  lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#q.push(resolve));
  }
  unlock(): void {
    if (this.#head < this.#q.length) {
      const next = this.#q[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#q.length) {
        this.#q = this.#q.slice(this.#head);
        this.#head = 0;
      }
      next();
      return;
    }
    this.#held = false;
  }
}

interface Lock {
  local: LocalLock;
  mutex: Mutex;
  /** The Redis permit, kept across local hand-offs. */
  permit: Permit | undefined;
  /** Local hand-offs made under the current permit. */
  handoffs: number;
  /** The state as read or written under the current permit (nobody else can change it meanwhile). */
  seen: Map<string, Uint8Array>;
}

/** Local hand-offs of one Redis permit before it goes back to Redis (so other processes get turns). */
const MAX_HANDOFFS = 32;

function equal(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const background = bg();

const sanitize = (s: string): string => s.replace(/[{}]/g, "_");

/** `gobreaker:mutex:X` and `gobreaker:state:X` share the tag `gobreaker:X`; other names are their own tag. */
function tagOf(name: string): string {
  const m = /^gobreaker:(?:mutex|state):(.*)$/s.exec(name);
  return sanitize(m === null ? name : `gobreaker:${m[1]}`);
}

class RedisBreakerStore implements SharedDataStore {
  readonly #locks = new Map<string, Lock>();
  readonly #copies = new Map<string, Uint8Array>();
  readonly #timeout: number;
  readonly #lockTtl: number;
  readonly #failMode: FailMode;
  readonly #onError: ((e: unknown) => void) | undefined;

  constructor(
    private readonly client: Client,
    opts: BreakerStoreOptions | undefined,
  ) {
    this.#timeout = checkTimeout(opts?.timeout, "breakerStore");
    this.#lockTtl = checkTimeout(opts?.lockTtl, "breakerStore", "lockTtl", 5_000);
    this.#failMode = checkFailMode(opts?.failMode, "breakerStore");
    this.#onError = opts?.onError;
  }

  #lockOf(name: string): Lock {
    const tag = tagOf(name);
    let l = this.#locks.get(tag);
    if (l === undefined) {
      const mutex = new Mutex(this.client, tag, { ttl: this.#lockTtl, timeout: this.#timeout });
      this.#locks.set(tag, (l = { local: new LocalLock(), mutex, permit: undefined, handoffs: 0, seen: new Map() }));
    }
    return l;
  }

  #failed(e: unknown): void {
    if (this.#failMode === "closed") throw e;
    this.#onError?.(e);
  }

  async lock(name: string): Promise<void> {
    const l = this.#lockOf(name);
    await l.local.lock();
    if (l.permit !== undefined && !l.permit.signal.aborted) return; // handed on by a local holder
    l.permit = undefined;
    l.handoffs = 0;
    l.seen.clear();
    try {
      l.permit = await l.mutex.acquire(background);
    } catch (e) {
      l.permit = undefined;
      try {
        this.#failed(e);
      } catch (e2) {
        l.local.unlock();
        throw e2;
      }
    }
  }

  async unlock(name: string): Promise<void> {
    const l = this.#locks.get(tagOf(name));
    if (l === undefined) throw new Error(`breaker: unlock of unlocked lock ${JSON.stringify(name)}`);
    const p = l.permit;
    if (p !== undefined && !p.signal.aborted && l.local.waiting > 0 && l.handoffs < MAX_HANDOFFS) {
      // the next caller of this process takes the lock with the permit: no round trip
      l.handoffs++;
      l.local.unlock();
      return;
    }
    l.permit = undefined;
    l.seen.clear();
    try {
      if (p !== undefined) await l.mutex.release(p);
    } catch (e) {
      // a lost lease wrote nothing (setData is fenced); anything else is the fail mode's to decide
      if (!(e instanceof LeaseLostError)) this.#failed(e);
    } finally {
      l.local.unlock();
    }
  }

  async getData(name: string): Promise<Uint8Array | undefined> {
    const l = this.#locks.get(tagOf(name));
    const seen = l?.permit === undefined ? undefined : l.seen.get(name);
    if (seen !== undefined) return seen.slice();
    try {
      const b = await timed(this.client.getBuffer(`{${tagOf(name)}}:state`), this.#timeout, "redis.breakerStore");
      if (b === null) return undefined;
      const u = new Uint8Array(b);
      this.#copies.set(name, u);
      if (l?.permit !== undefined) l.seen.set(name, u.slice());
      return u;
    } catch (e) {
      this.#failed(e);
      return this.#copies.get(name);
    }
  }

  async setData(name: string, data: Uint8Array): Promise<void> {
    this.#copies.set(name, data.slice());
    const key = `{${tagOf(name)}}:state`;
    const value = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const l = this.#locks.get(tagOf(name));
    try {
      if (l?.permit !== undefined) {
        const seen = l.seen.get(name);
        if (seen !== undefined && equal(seen, data)) return; // unchanged under the same permit
        if (!(await l.mutex.setIfHeld(l.permit, key, value))) throw new LeaseLostError("redis.breakerStore", l.permit.token);
        l.seen.set(name, data.slice());
      } else {
        await timed(this.client.set(key, value), this.#timeout, "redis.breakerStore");
      }
    } catch (e) {
      if (e instanceof LeaseLostError || !(e instanceof UnavailableError)) throw e;
      this.#failed(e);
    }
  }
}

/**
 * breakerStore returns a {@link SharedDataStore} on Redis for goroutine/breaker's
 * `DistributedCircuitBreaker`: every process that makes a breaker of the same name on the same Redis
 * shares one state, one generation and one set of counts, so half-open admits exactly `maxRequests`
 * probes across all of them. The lock is a {@link Mutex} (FIFO across processes, leased for `lockTtl`,
 * one waiter per process at Redis), and a state write under the lock is fenced by its lease. The state
 * is gobreaker's JSON, under `{gobreaker:<name>}:state`.
 *
 * **Failure**: `failMode: "closed"` (default) — a store call Redis does not answer within `timeout`
 * rejects with {@link UnavailableError}, which the breaker does not retry (the store has already
 * waited), so `execute` rejects with it within `timeout` and `fn` is not called. `failMode: "open"` —
 * the process falls back to its last copy of the state and a local lock: requests keep flowing through
 * a per-process breaker until Redis answers again.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { DistributedCircuitBreaker } from "goroutine/breaker";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const store = redis.breakerStore(client);
 * const name = `doc-payments-${process.pid}`;
 * const a = new DistributedCircuitBreaker<string>(store, { name, readyToTrip: (c) => c.consecutiveFailures >= 1 });
 * const b = new DistributedCircuitBreaker<string>(redis.breakerStore(client), { name }); // as if in another process
 * await a.execute(async () => { throw new Error("down"); }).catch(() => {});
 * console.log(await b.state()); // "open"
 * await client.del(`{gobreaker:${name}}:state`);
 * client.disconnect();
 * ```
 */
export function breakerStore(client: Client, opts?: BreakerStoreOptions): SharedDataStore {
  checkClient(client, "breakerStore");
  return new RedisBreakerStore(client, opts);
}
