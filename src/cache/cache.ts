/**
 * The cache engine: an in-process tier (lru-cache), an optional shared Store tier, a singleflight per
 * key type for misses, refresh-ahead and stale refreshes in background goroutines, and the write
 * policies.
 *
 * Invariants:
 * - An in-process entry is fresh while `now < fresh`, servable stale while `now < stale`
 *   (`stale = fresh + staleTtl`), and refreshed ahead once `now >= refreshAt`. `value` undefined is a
 *   negative entry (the source said absent), kept for `negativeTtl`.
 * - `refreshing` is set by the hit that starts a background refresh and cleared when it ends, so a hot
 *   key starts one refresh, not one per hit. The refresh runs through the same singleflight as misses,
 *   so a miss arriving during it joins it.
 * - A load's error is never stored: every caller waiting on that flight gets the same error object, and
 *   the next get starts a new flight. A failed background refresh leaves the old entry in place.
 * - String and number keys are different in-process keys (two flight groups); in the shared store both
 *   are `String(key)`.
 * - All time is `clockOf()`: the whole cache runs in synctest virtual time.
 */
import { LRUCache } from "lru-cache";
import { type Context, background } from "../context/index.js";
import { clockOf } from "../internal/clock.js";
import { checkSize } from "../internal/size.js";
import { go } from "../go.js";
import { Group } from "../singleflight/index.js";
import type { Lease, Store } from "./store.js";
import { type WriteLog, WriteBehind, writeBatch } from "./writebehind.js";

/** A cache key: a string or a number. */
export type Key = string | number;

/** The write policies of the seeds; `"aside"` (the default) leaves the database to the caller. */
export type WritePolicy = "aside" | "through" | "behind" | "around";

/** Options of {@link Cache}; see the constructor for each one's meaning. */
export interface CacheOptions<K extends Key, V> {
  load?: (key: K, ctx: Context) => Promise<V | undefined>;
  write?: (key: K, value: V, ctx: Context) => Promise<void>;
  writeMany?: (entries: [K, V][], ctx: Context) => Promise<void>;
  remove?: (key: K, ctx: Context) => Promise<void>;
  ttl: number;
  staleTtl?: number;
  refreshAhead?: number;
  negativeTtl?: number;
  writePolicy?: WritePolicy;
  writeBehind?: { maxBatch?: number; maxDelay?: number; durable?: WriteLog };
  max?: number;
  store?: Store<V>;
  lease?: { ttl: number };
}

/** Per-call options: a caller whose ctx ends or signal aborts stops waiting; the load goes on. */
export interface GetOptions {
  ctx?: Context;
  signal?: AbortSignal;
}

/** What {@link Cache.stats} returns: counters since the cache was made. */
export interface Stats {
  hits: number;
  misses: number;
  staleHits: number;
  loads: number;
  refreshes: number;
  writes: number;
  pendingWrites: number;
  errors: number;
}

interface Entry<V> {
  value: V | undefined;
  fresh: number;
  stale: number;
  refreshAt: number;
  refreshing: boolean;
}

type Loader<K, V> = (key: K, ctx: Context) => Promise<V | undefined>;

const ctxNone = background();

function checkDuration(name: string, d: unknown, allowZero: boolean): void {
  if (typeof d !== "number" || Number.isNaN(d) || d < 0 || (!allowZero && d === 0)) {
    throw new RangeError(`cache: ${name} must be a ${allowZero ? "non-negative" : "positive"} duration in ms, got ${String(d)}`);
  }
}

function checkKey(key: unknown): void {
  const t = typeof key;
  if (t !== "string" && t !== "number") throw new TypeError(`cache: key must be a string or a number, got ${t}`);
}

function isPromise(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === "object" && typeof (r as PromiseLike<unknown>).then === "function";
}

/** Every cache entry counts 1 towards a `maxSize` bound (see the constructor). */
const one = (): number => 1;

/** The engine behind `goroutine/cache`'s Cache (see the facade for the contract). */
export class CacheEngine<K extends Key, V> {
  private readonly lru: LRUCache<K, Entry<V>>;
  private readonly sfs = new Group<V | undefined>();
  private readonly sfn = new Group<V | undefined>();
  private readonly ttl: number;
  private readonly staleTtl: number;
  private readonly ahead: number;
  private readonly negativeTtl: number;
  private readonly policy: WritePolicy;
  private readonly store: Store<V> | undefined;
  private readonly leaseTtl: number;
  private readonly wb: WriteBehind<K, V> | undefined;
  private readonly log: WriteLog | undefined;
  private readonly unsubscribe: (() => void) | undefined;
  private readonly origin = Math.random().toString(36).slice(2);
  private closed = false;
  readonly st: Stats = { hits: 0, misses: 0, staleHits: 0, loads: 0, refreshes: 0, writes: 0, pendingWrites: 0, errors: 0 };

  constructor(private readonly o: CacheOptions<K, V>) {
    if (o === null || typeof o !== "object") throw new TypeError("cache: options must be an object");
    checkDuration("ttl", o.ttl, false);
    if (o.staleTtl !== undefined) checkDuration("staleTtl", o.staleTtl, true);
    if (o.negativeTtl !== undefined) checkDuration("negativeTtl", o.negativeTtl, true);
    const f = o.refreshAhead;
    if (f !== undefined && (typeof f !== "number" || !(f > 0 && f < 1))) {
      throw new RangeError(`cache: refreshAhead must be a factor in (0, 1), got ${String(f)}`);
    }
    for (const name of ["load", "write", "writeMany", "remove"] as const) {
      if (o[name] !== undefined && typeof o[name] !== "function") {
        throw new TypeError(`cache: ${name} must be a function, got ${typeof o[name]}`);
      }
    }
    const max = o.max ?? 10_000;
    checkSize(max, "cache", "max", { min: 1, unlimited: true });
    const policy = o.writePolicy ?? "aside";
    if (!["aside", "through", "behind", "around"].includes(policy)) {
      throw new RangeError(`cache: writePolicy must be "aside", "through", "behind" or "around", got ${String(policy)}`);
    }
    if (policy !== "aside" && o.write === undefined && o.writeMany === undefined) {
      throw new TypeError(`cache: writePolicy "${policy}" needs write or writeMany`);
    }
    if (policy === "through" || policy === "around") {
      if (o.write === undefined) throw new TypeError(`cache: writePolicy "${policy}" needs write`);
    }
    if (o.lease !== undefined) {
      checkDuration("lease.ttl", o.lease.ttl, false);
      if (o.store?.lease === undefined) throw new TypeError("cache: lease needs a store with leases (e.g. redis.store)");
    }
    this.ttl = o.ttl;
    this.staleTtl = o.staleTtl ?? 0;
    this.ahead = f ?? 1;
    this.negativeTtl = o.negativeTtl ?? 0;
    this.policy = policy;
    this.store = o.store;
    this.leaseTtl = o.lease?.ttl ?? 0;
    // lru-cache preallocates `max` slots (a max of 1e9 ran out of memory); past 2^16 entries the bound is
    // kept as a total size of 1 per entry instead, which allocates as entries come (Infinity: no bound).
    this.lru = new LRUCache<K, Entry<V>>(
      max <= 65_536 ? { max } : { maxSize: max === Infinity ? Number.MAX_VALUE : max, sizeCalculation: one },
    );
    if (policy === "behind") {
      const maxBatch = o.writeBehind?.maxBatch ?? 100;
      const maxDelay = o.writeBehind?.maxDelay ?? 1000;
      checkSize(maxBatch, "cache", "writeBehind.maxBatch", { min: 1 });
      checkDuration("writeBehind.maxDelay", maxDelay, true);
      const sink = { write: o.write, writeMany: o.writeMany, onError: () => void this.st.errors++ };
      this.log = o.writeBehind?.durable;
      if (this.log !== undefined) {
        this.log.start(
          async (batch) => {
            this.st.pendingWrites += batch.length;
            try {
              await writeBatch(sink, batch.map(([k, v]) => [JSON.parse(k) as K, JSON.parse(v) as V]));
            } finally {
              this.st.pendingWrites -= batch.length;
            }
          },
          { maxBatch, maxDelay },
        );
      } else {
        this.wb = new WriteBehind<K, V>(sink, maxBatch, maxDelay);
      }
    }
    if (this.store?.subscribe !== undefined) {
      this.unsubscribe = this.store.subscribe((key, origin) => {
        if (origin === this.origin) return;
        this.lru.delete(key as K);
        const n = Number(key);
        if (key !== "" && String(n) === key) this.lru.delete(n as K);
      });
    }
  }

  // ---- reads

  get(key: K, opts: GetOptions | undefined, loader: Loader<K, V> | undefined): Promise<V | undefined> {
    checkKey(key);
    const e = this.lru.get(key);
    if (e !== undefined) {
      const now = clockOf().now();
      if (now < e.fresh) {
        this.st.hits++;
        if (now >= e.refreshAt && !e.refreshing) this.refresh(key, e, loader);
        return Promise.resolve(e.value);
      }
      if (now < e.stale) {
        this.st.staleHits++;
        if (!e.refreshing) this.refresh(key, e, loader);
        return Promise.resolve(e.value);
      }
    }
    return this.miss(key, opts, loader);
  }

  private async miss(key: K, opts: GetOptions | undefined, loader: Loader<K, V> | undefined): Promise<V | undefined> {
    if (this.closed) throw new Error("cache: get on closed cache");
    this.st.misses++;
    const r = await this.group(key).do(typeof key === "number" ? String(key) : key, (ctx) => this.fill(key, ctx, loader), opts);
    return r.value;
  }

  private group(key: K): Group<V | undefined> {
    return typeof key === "number" ? this.sfn : this.sfs;
  }

  /** Starts one background refresh of `key` (refresh-ahead or stale); a failure keeps the old entry. */
  private refresh(key: K, e: Entry<V>, loader: Loader<K, V> | undefined): void {
    const load = loader ?? this.o.load;
    if (load === undefined || this.closed) return;
    e.refreshing = true;
    this.st.refreshes++;
    go(async () => {
      try {
        await this.group(key).do(typeof key === "number" ? String(key) : key, (ctx) => this.fill(key, ctx, load, true));
      } catch {
        // counted in fill; the stale entry stays until its stale time
      } finally {
        e.refreshing = false;
      }
    });
  }

  /** The flight of one key: the shared tier, then the lease, then the loader. */
  private async fill(key: K, ctx: Context, loader: Loader<K, V> | undefined, refresh = false): Promise<V | undefined> {
    const load = loader ?? this.o.load;
    const store = this.store;
    const skey = String(key);
    if (store !== undefined && !refresh) {
      const hit = await store.get(skey);
      if (hit !== undefined) return this.put(key, hit.value, hit.ttl);
    }
    if (load === undefined) return undefined;
    let lease: Lease | undefined;
    if (store?.lease !== undefined && this.leaseTtl > 0) {
      for (;;) {
        lease = await store.lease(skey, this.leaseTtl, ctx);
        if (lease !== undefined) break;
        const cerr = ctx.err(); // a flight whose callers all left stops waiting for other processes
        if (cerr !== undefined) throw cerr;
        const hit = await store.get(skey);
        if (hit !== undefined) return this.put(key, hit.value, hit.ttl);
      }
    }
    let v: V | undefined;
    try {
      this.st.loads++;
      const r = load(key, ctx) as unknown;
      if (!isPromise(r)) throw new TypeError(`cache: loader must return a promise, got ${typeof r}`);
      v = (await r) as V | undefined;
    } catch (err) {
      this.st.errors++;
      if (lease !== undefined) await store!.release!(lease).catch(() => undefined);
      throw err;
    }
    const ttl = v === undefined ? this.negativeTtl : this.ttl;
    if (store !== undefined && ttl > 0) {
      await store.set(skey, v, ttl, { lease, origin: this.origin }).catch(() => void this.st.errors++);
    } else if (lease !== undefined) {
      await store!.release!(lease).catch(() => undefined);
    }
    return this.put(key, v, ttl);
  }

  private put(key: K, value: V | undefined, ttl: number): V | undefined {
    if (ttl <= 0) {
      this.lru.delete(key);
      return value;
    }
    const now = clockOf().now();
    const fresh = now + ttl;
    const neg = value === undefined;
    this.lru.set(key, {
      value,
      fresh,
      stale: neg ? fresh : fresh + this.staleTtl,
      refreshAt: neg || this.ahead >= 1 ? Infinity : now + this.ahead * ttl,
      refreshing: false,
    });
    return value;
  }

  // ---- writes

  async set(key: K, value: V): Promise<void> {
    checkKey(key);
    if (this.closed) throw new Error("cache: set on closed cache");
    const ctx = ctxNone;
    switch (this.policy) {
      case "through":
        await this.o.write!(key, value, ctx);
        this.st.writes++;
        await this.setTiers(key, value);
        return;
      case "around":
        await this.o.write!(key, value, ctx);
        this.st.writes++;
        await this.invalidate(key);
        return;
      case "behind":
        await this.setTiers(key, value);
        this.st.writes++;
        if (this.log !== undefined) await this.log.append(JSON.stringify(key), JSON.stringify(value));
        else this.wb!.push(key, value);
        return;
      default:
        await this.setTiers(key, value);
    }
  }

  private async setTiers(key: K, value: V): Promise<void> {
    this.put(key, value, this.ttl);
    if (this.store !== undefined) await this.store.set(String(key), value, this.ttl, { origin: this.origin });
  }

  private async invalidate(key: K): Promise<void> {
    this.lru.delete(key);
    this.group(key).forget(typeof key === "number" ? String(key) : key);
    if (this.store !== undefined) await this.store.delete(String(key), { origin: this.origin });
  }

  async delete(key: K): Promise<void> {
    checkKey(key);
    this.wb?.drop(key);
    await this.invalidate(key);
    if (this.policy !== "aside" && this.o.remove !== undefined) await this.o.remove(key, ctxNone);
  }

  async flush(): Promise<void> {
    await this.wb?.flush();
    await this.log?.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.wb?.close();
    if (this.log !== undefined) {
      await this.log.drain();
      await this.log.close();
    }
    this.unsubscribe?.();
  }

  stats(): Stats {
    return { ...this.st, pendingWrites: this.st.pendingWrites + (this.wb?.size ?? 0) };
  }
}
