/**
 * DistributedCircuitBreaker (gobreaker v2): a breaker whose state lives in a SharedDataStore, so every
 * process sharing the store sees one state, one generation and one set of counts.
 *
 * Invariants:
 * - Every read-modify-write of the shared state happens under the store's lock for the breaker's name
 *   (key `gobreaker:mutex:<name>`): read, inject into the local state machine, run one synchronous
 *   step (admit, record, or read the state), extract, write (key `gobreaker:state:<name>`), unlock.
 *   Between inject and extract nothing awaits, so the local machine is never seen half-updated.
 * - A request takes two such steps: admission before `fn` runs and its outcome after. Rejected
 *   alternative: gobreaker holds the lock while `fn` runs, which serialises every request of every
 *   process behind one lock; the request count written at admission already limits half-open probes
 *   across processes to `maxRequests`, which is what the lock was for.
 * - The encoding is gobreaker's JSON (`state` as 0/1/2, Go's field names for Counts, RFC 3339 times
 *   with Go's zero time for "none"), so a Go service using gobreaker's Redis store and this one can
 *   share a breaker.
 * - A failed lock is retried every 500 ms for 5 s (gobreaker's mutexWaitTime/mutexTimeout) on the
 *   library's clock; then the last error is thrown. An error with `retryable: false` is thrown at once:
 *   the store has already waited for its backend (redis.breakerStore's UnavailableError).
 */
import { Chan } from "../internal/chan.js";
import { type Core, Rolling, Tally } from "../internal/breaker.js";
import { clockOf } from "../internal/clock.js";
import { sleep } from "../time/sleep.js";
import { type Counts, type Settings, type State, newCore, stateName } from "./settings.js";

/**
 * SharedDataStore stores a distributed breaker's state (gobreaker's interface, asynchronous).
 * `lock` resolves once the caller holds the named lock (it may wait) or rejects if it cannot get it
 * (the breaker retries for 5 s, unless the error has `retryable: false`); `getData` resolves
 * `undefined` when nothing is stored.
 */
export interface SharedDataStore {
  lock(name: string): Promise<void>;
  unlock(name: string): Promise<void>;
  getData(name: string): Promise<Uint8Array | undefined>;
  setData(name: string, data: Uint8Array): Promise<void>;
}

const MUTEX_TIMEOUT = 5_000;
const MUTEX_WAIT = 500;

interface GoCounts {
  Requests: number;
  TotalSuccesses: number;
  TotalFailures: number;
  TotalExclusions: number;
  ConsecutiveSuccesses: number;
  ConsecutiveFailures: number;
}
interface GoShared {
  state: number;
  generation: number;
  age: number;
  counts: GoCounts;
  buckets: GoCounts[] | null;
  start: string;
  expiry: string;
}

const toGo = (t: Tally): GoCounts => ({
  Requests: t.requests,
  TotalSuccesses: t.totalSuccesses,
  TotalFailures: t.totalFailures,
  TotalExclusions: t.totalExclusions,
  ConsecutiveSuccesses: t.consecutiveSuccesses,
  ConsecutiveFailures: t.consecutiveFailures,
});
function fromGo(t: Tally, g: Partial<GoCounts> | undefined): void {
  t.requests = g?.Requests ?? 0;
  t.totalSuccesses = g?.TotalSuccesses ?? 0;
  t.totalFailures = g?.TotalFailures ?? 0;
  t.totalExclusions = g?.TotalExclusions ?? 0;
  t.consecutiveSuccesses = g?.ConsecutiveSuccesses ?? 0;
  t.consecutiveFailures = g?.ConsecutiveFailures ?? 0;
}

const GO_ZERO = "0001-01-01T00:00:00Z";

/** Epoch ms (0 = Go's zero time) as Go's RFC 3339 with nanoseconds, in UTC. @internal */
export function formatTime(ms: number): string {
  if (ms === 0) return GO_ZERO;
  const whole = Math.floor(ms);
  let ns = Math.round((ms - whole) * 1e6);
  let base = whole;
  if (ns >= 1e6) {
    base++;
    ns -= 1e6;
  }
  const iso = new Date(base).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const frac = (String(base - Math.floor(base / 1000) * 1000).padStart(3, "0") + String(ns).padStart(6, "0")).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac === "" ? "" : "." + frac) + "Z";
}

/** Go's RFC 3339 (any offset, up to nanoseconds) as epoch ms; Go's zero time as 0. @internal */
export function parseTime(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (m === null) throw new SyntaxError(`breaker: bad time in shared state: ${JSON.stringify(s)}`);
  const base = Date.parse(m[1] + (m[3] === "Z" ? "Z" : m[3]));
  if (base === -62135596800000) return 0; // 0001-01-01T00:00:00Z
  const frac = m[2] === undefined ? 0 : Number(`0.${m[2]}`) * 1000;
  return base + frac;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * DistributedCircuitBreaker is gobreaker's DistributedCircuitBreaker: the same state machine as
 * {@link CircuitBreaker}, with its state kept in `store` so that all processes sharing it act as one
 * breaker (one half-open probe across all of them, with `maxRequests: 1`). Methods are asynchronous;
 * the shared state is created at first use if the store has none (or lost it).
 *
 * @example
 * ```ts
 * import { DistributedCircuitBreaker, MemoryStore } from "goroutine/breaker";
 * const store = new MemoryStore();
 * const a = new DistributedCircuitBreaker<string>(store, { name: "pay", readyToTrip: (c) => c.consecutiveFailures >= 1 });
 * const b = new DistributedCircuitBreaker<string>(store, { name: "pay" });
 * await a.execute(async () => { throw new Error("down"); }).catch(() => {});
 * console.log(await b.state()); // "open"
 * ```
 */
export class DistributedCircuitBreaker<T = unknown> {
  readonly #core: Core;
  readonly #store: SharedDataStore;
  readonly #mutexKey: string;
  readonly #stateKey: string;

  /**
   * Makes a breaker whose state is shared through `store` under `settings.name`.
   * @throws TypeError if `store` is missing; RangeError on bad settings.
   */
  constructor(store: SharedDataStore, settings?: Settings) {
    if (store === null || store === undefined || typeof store.lock !== "function") {
      throw new TypeError("breaker: no shared store");
    }
    this.#store = store;
    this.#core = newCore(settings);
    this.#mutexKey = "gobreaker:mutex:" + this.#core.s.name;
    this.#stateKey = "gobreaker:state:" + this.#core.s.name;
  }

  /** The breaker's name. */
  get name(): string {
    return this.#core.s.name;
  }

  /** The shared state, after applying any timeout or interval that has passed (written back). */
  state(): Promise<State> {
    return this.#step((c) => stateName(c.current()));
  }

  /** The shared counts as last written (not advanced by the clock). */
  async counts(): Promise<Counts> {
    const data = await this.#store.getData(this.#stateKey);
    if (data === undefined || data.length === 0) return this.#core.view();
    this.#inject(data);
    return this.#core.view();
  }

  /**
   * execute runs `fn` if the shared breaker admits it and records its outcome in the store (see
   * {@link CircuitBreaker.execute}). Rejects with ErrOpenState/ErrTooManyRequests when refused, with a
   * store error if the store fails (an outcome that could not be recorded is reported that way too,
   * as gobreaker does), else with `fn`'s error.
   *
   * **Cancellation**: none while waiting for the store's lock; `fn` is never called if admission fails.
   */
  async execute(fn: () => T | Promise<T>): Promise<T> {
    let age = 0;
    const gen = await this.#step((c) => {
      const g = c.before();
      age = c.reqAge;
      return g;
    });
    let v: T;
    try {
      v = await fn();
    } catch (e) {
      await this.#step((c) => c.after(gen, age, e, true));
      throw e;
    }
    await this.#step((c) => c.after(gen, age, undefined, false));
    return v;
  }

  /** Locks, loads the shared state, runs `f` on it, stores it (even if `f` threw), unlocks. */
  async #step<R>(f: (c: Core) => R): Promise<R> {
    await this.#lock();
    let out: R;
    let failed = false;
    let err: unknown;
    try {
      const data = await this.#store.getData(this.#stateKey);
      // No shared state yet (or the store lost it): this process's last known state becomes it.
      if (data !== undefined && data.length !== 0) this.#inject(data);
      try {
        out = f(this.#core);
      } catch (e) {
        failed = true;
        err = e;
      }
      await this.#store.setData(this.#stateKey, this.#extract());
    } finally {
      await this.#store.unlock(this.#mutexKey);
    }
    if (failed) throw err;
    return out!;
  }

  async #lock(): Promise<void> {
    const clock = clockOf();
    const until = clock.now() + MUTEX_TIMEOUT;
    let last: unknown;
    do {
      try {
        await this.#store.lock(this.#mutexKey);
        return;
      } catch (e) {
        // a store that has already waited for its backend says so (redis.breakerStore's UnavailableError)
        if (e !== null && typeof e === "object" && (e as { retryable?: unknown }).retryable === false) throw e;
        last = e;
      }
      await sleep(MUTEX_WAIT);
    } while (clock.now() < until);
    throw last;
  }

  #inject(data: Uint8Array): void {
    const sh = JSON.parse(dec.decode(data)) as GoShared;
    const c = this.#core;
    c.state = sh.state === 1 || sh.state === 2 ? sh.state : 0;
    c.generation = sh.generation;
    const buckets = sh.buckets ?? [];
    const r = new Rolling(0);
    fromGo(r, sh.counts);
    r.age = sh.age;
    r.buckets = buckets.map((b) => {
      const t = new Tally();
      fromGo(t, b);
      return t;
    });
    c.counts = r;
    c.start = parseTime(sh.start);
    c.expiry = parseTime(sh.expiry);
  }

  #extract(): Uint8Array {
    const c = this.#core;
    const sh: GoShared = {
      state: c.state,
      generation: c.generation,
      age: c.counts.age,
      counts: toGo(c.counts),
      buckets: c.counts.buckets.map(toGo),
      start: formatTime(c.start),
      expiry: formatTime(c.expiry),
    };
    return enc.encode(JSON.stringify(sh));
  }
}

/**
 * MemoryStore is an in-process {@link SharedDataStore}: named FIFO locks and a map of byte strings.
 * It lets several breakers in one process (or a test) share state; use `redis.breakerStore(client)`
 * across processes.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "goroutine/breaker";
 * const s = new MemoryStore();
 * await s.setData("k", new Uint8Array([1, 2]));
 * console.log((await s.getData("k"))?.length, await s.getData("none")); // 2 undefined
 * ```
 */
export class MemoryStore implements SharedDataStore {
  readonly #data = new Map<string, Uint8Array>();
  readonly #locks = new Map<string, Chan<void>>();

  /** Waits (FIFO) until the named lock is free and takes it. */
  lock(name: string): Promise<void> {
    let ch = this.#locks.get(name);
    if (ch === undefined) this.#locks.set(name, (ch = new Chan<void>(1)));
    return ch.send(undefined);
  }
  /** Releases the named lock. Rejects with Error("breaker: unlock of unlocked lock") if it was free. */
  unlock(name: string): Promise<void> {
    const r = this.#locks.get(name)?.tryRecv();
    if (r === undefined) return Promise.reject(new Error(`breaker: unlock of unlocked lock ${JSON.stringify(name)}`));
    return Promise.resolve();
  }
  /** A copy of the stored bytes, or undefined. */
  getData(name: string): Promise<Uint8Array | undefined> {
    const d = this.#data.get(name);
    return Promise.resolve(d === undefined ? undefined : d.slice());
  }
  /** Stores a copy of `data`. */
  setData(name: string, data: Uint8Array): Promise<void> {
    this.#data.set(name, data.slice());
    return Promise.resolve();
  }
}
