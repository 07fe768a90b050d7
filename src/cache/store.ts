/**
 * The shared tier's interface, and an in-memory Store for tests and single-process use.
 *
 * Invariants (memoryStore):
 * - An entry is visible until the store's clock reaches its `until`; an expired entry is deleted by the
 *   read that finds it.
 * - A key has at most one lease; `token` grows by one per lease granted, so a later holder always has a
 *   larger token (fencing: a `set` with a stale token writes nothing).
 * - Every waiter of `lease` is woken by the first `set`, `delete` or `release` of its key, or when the
 *   holder's lease ends; it then re-reads and retries, so a dead holder delays others by at most its ttl.
 */
import type { Context } from "../context/index.js";
import { clockOf } from "../internal/clock.js";
import { Chan } from "../internal/chan.js";
import { select, recv } from "../select.js";
import { after } from "../time/timer.js";

/** A value found in a {@link Store}: `value` undefined is a cached absence (negative entry). */
export interface StoreHit<V> {
  value: V | undefined;
  /** Milliseconds the entry stays fresh. */
  ttl: number;
}

/** Who writes (subscribers skip their own writes) and under which lease. */
export interface WriteOpts {
  lease?: Lease;
  origin?: string;
}

/** A lease held on one key: the fencing token orders holders. */
export interface Lease {
  readonly key: string;
  readonly token: number;
}

/**
 * Store is the cache's shared tier: several Cache instances (in one process or many) that share a Store
 * see each other's values, and with `lease` they load a missing key once between them.
 *
 * `lease(key, ttl, ctx)` either grants the lease (resolves with a {@link Lease}) or waits until the
 * holder fills the key, gives the lease up, or loses it when its ttl passes, then resolves with
 * undefined (read the key again, and try again if it is still missing).
 *
 * @example
 * ```ts
 * import { memoryStore, type Store } from "goroutine/cache";
 * const s: Store<string> = memoryStore<string>();
 * await s.set("k", "v", 1000);
 * console.log((await s.get("k"))?.value); // "v"
 * ```
 */
export interface Store<V> {
  get(key: string): Promise<StoreHit<V> | undefined>;
  /**
   * Stores `value` for `ttl` ms; with `opts.lease`, only if it is still the current lease, which it
   * releases. Subscribers are told, with `opts.origin`.
   */
  set(key: string, value: V | undefined, ttl: number, opts?: WriteOpts): Promise<void>;
  delete(key: string, opts?: WriteOpts): Promise<void>;
  lease?(key: string, ttl: number, ctx: Context): Promise<Lease | undefined>;
  release?(lease: Lease): Promise<void>;
  /** Calls `fn` with each key set or deleted, and the writer's origin; returns the unsubscribe function. */
  subscribe?(fn: (key: string, origin: string) => void): () => void;
  close?(): Promise<void>;
}

interface MemEntry<V> {
  value: V | undefined;
  until: number;
}

interface MemLease {
  token: number;
  until: number;
  wake: Chan<void>;
}

/** An in-memory {@link Store} on the library's clock (so it runs in synctest virtual time). */
class MemoryStore<V> implements Store<V> {
  private readonly m = new Map<string, MemEntry<V>>();
  private readonly leases = new Map<string, MemLease>();
  private readonly subs = new Set<(key: string, origin: string) => void>();
  private token = 0;

  get(key: string): Promise<StoreHit<V> | undefined> {
    const e = this.m.get(key);
    const now = clockOf().now();
    if (e === undefined) return Promise.resolve(undefined);
    if (now >= e.until) {
      this.m.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve({ value: e.value, ttl: e.until - now });
  }

  set(key: string, value: V | undefined, ttl: number, opts?: WriteOpts): Promise<void> {
    const lease = opts?.lease;
    if (lease !== undefined) {
      const l = this.leases.get(key);
      if (l === undefined || l.token !== lease.token) return Promise.resolve(); // fenced off
      this.endLease(key, l);
    }
    this.m.set(key, { value, until: clockOf().now() + ttl });
    this.publish(key, opts?.origin ?? "");
    return Promise.resolve();
  }

  delete(key: string, opts?: WriteOpts): Promise<void> {
    this.m.delete(key);
    this.publish(key, opts?.origin ?? "");
    return Promise.resolve();
  }

  async lease(key: string, ttl: number, ctx: Context): Promise<Lease | undefined> {
    const now = clockOf().now();
    const l = this.leases.get(key);
    if (l === undefined || now >= l.until) {
      if (l !== undefined) this.endLease(key, l);
      const token = ++this.token;
      this.leases.set(key, { token, until: now + ttl, wake: new Chan<void>() });
      return { key, token };
    }
    await select([recv(l.wake), recv(after(l.until - now)), recv(ctx.done())]);
    return undefined;
  }

  release(lease: Lease): Promise<void> {
    const l = this.leases.get(lease.key);
    if (l !== undefined && l.token === lease.token) this.endLease(lease.key, l);
    return Promise.resolve();
  }

  subscribe(fn: (key: string, origin: string) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  private endLease(key: string, l: MemLease): void {
    this.leases.delete(key);
    l.wake.close();
  }

  private publish(key: string, origin: string): void {
    for (const fn of this.subs) fn(key, origin);
  }
}

/**
 * memoryStore returns an in-memory {@link Store}: entries with TTLs, leases with fencing tokens and
 * waiters woken on fill, all on the library's clock. Share one between several Cache instances to model
 * processes sharing Redis in a unit test; in production use `redis.store(client)`.
 *
 * @example
 * ```ts
 * import { Cache, memoryStore } from "goroutine/cache";
 * const store = memoryStore<number>();
 * const a = new Cache<string, number>({ ttl: 1000, store });
 * const b = new Cache<string, number>({ ttl: 1000, store });
 * await a.set("n", 7);
 * console.log(await b.get("n")); // 7
 * await a.close(); await b.close();
 * ```
 */
export function memoryStore<V>(): Store<V> {
  return new MemoryStore<V>();
}
