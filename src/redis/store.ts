/**
 * `redis.store(client, { prefix })`: the cache's shared tier on Redis — values with TTLs, leases with
 * fencing tokens, and invalidation published to every process.
 *
 * Keys (hash-tagged so the three keys of one cache key live in one Redis Cluster slot):
 * `<prefix>{<key>}` the value, `<prefix>{<key>}:lease` the lease (its token, with PX ttl),
 * `<prefix>{<key>}:fence` the fencing counter. Events go on the channel `<prefix>:events` as
 * `<origin>\n<key>`, published after every set, delete and lease release.
 *
 * Invariants:
 * - A lease is granted only when none is live; its token is the key's fence counter after INCR, so
 *   tokens grow. A set with a lease writes only while that token is still the lease (one script), and
 *   deletes the lease in the same step.
 * - A lease waiter registers its wake-up before it tries the lease, so a fill published between the try
 *   and the wait is not missed; it also wakes when the holder's lease would end (its PTTL), so a holder
 *   that died delays the others by at most its ttl, never forever.
 * - Scripts are ioredis commands (defineCommand: EVALSHA with its own fallback to EVAL after a restart
 *   or SCRIPT FLUSH); the subscriber is a duplicate of the caller's client, made at the first use.
 */
import type { Cluster, Redis } from "ioredis";
import type { Context } from "../context/index.js";
import { Chan } from "../internal/chan.js";
import { recv, select } from "../select.js";
import { after } from "../time/timer.js";
import type { Lease, Store, StoreHit, WriteOpts } from "../cache/store.js";

/** An ioredis client: a `Redis` or a `Cluster`. */
export type Client = Redis | Cluster;

type Cmd = (...args: (string | number)[]) => Promise<unknown>;

const LUA: Record<string, { keys: number; lua: string }> = {
  goroutineCacheGet: {
    keys: 1,
    lua: `local v = redis.call('GET', KEYS[1])
if not v then return nil end
return {v, redis.call('PTTL', KEYS[1])}`,
  },
  goroutineCacheSet: {
    keys: 2,
    lua: `if ARGV[3] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  },
  goroutineCacheLease: {
    keys: 2,
    lua: `local left = redis.call('PTTL', KEYS[1])
if left > 0 then return {0, left} end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t, 'PX', ARGV[1])
return {1, t}`,
  },
  goroutineCacheRelease: {
    keys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
};

/** The scripts as callable commands of `client` (defined once per client). */
export function commands(client: Client, defs: Record<string, { keys: number; lua: string }> = LUA): Record<string, Cmd> {
  const c = client as unknown as Record<string, Cmd | undefined>;
  for (const [name, d] of Object.entries(defs)) {
    if (typeof c[name] !== "function") client.defineCommand(name, { numberOfKeys: d.keys, lua: d.lua });
  }
  const out: Record<string, Cmd> = {};
  for (const name of Object.keys(defs)) out[name] = (...args) => c[name]!.apply(client, args);
  return out;
}

/** Options of {@link store}. */
export interface StoreOptions {
  /** Prepended to every key and the events channel (default `"cache:"`). */
  prefix?: string;
  /** Turns values into strings and back (default JSON). */
  encode?: (v: unknown) => string;
  decode?: (s: string) => unknown;
}

class RedisStore<V> implements Store<V> {
  private readonly cmd: Record<string, Cmd>;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly encode: (v: unknown) => string;
  private readonly decode: (s: string) => unknown;
  private sub: Client | undefined;
  private ready: Promise<void> | undefined;
  private readonly listeners = new Set<(key: string, origin: string) => void>();
  /** Local lease waiters per key, woken by the key's next event. */
  private readonly waiters = new Map<string, Chan<void>>();

  constructor(
    private readonly client: Client,
    opts: StoreOptions | undefined,
  ) {
    const prefix = opts?.prefix ?? "cache:";
    if (typeof prefix !== "string") throw new TypeError(`redis: prefix must be a string, got ${typeof prefix}`);
    this.prefix = prefix;
    this.channel = `${prefix}:events`;
    this.encode = opts?.encode ?? ((v) => JSON.stringify(v));
    this.decode = opts?.decode ?? ((s) => JSON.parse(s) as unknown);
    this.cmd = commands(client);
  }

  private k(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  /** Subscribes (once) to the events channel; resolves when the subscription is live. */
  private listen(): Promise<void> {
    if (this.ready !== undefined) return this.ready;
    const sub = (this.sub = this.client.duplicate());
    sub.on("message", (ch: string, msg: string) => {
      if (ch !== this.channel) return;
      const nl = msg.indexOf("\n");
      const origin = msg.slice(0, nl);
      const key = msg.slice(nl + 1);
      const w = this.waiters.get(key);
      if (w !== undefined) {
        this.waiters.delete(key);
        w.close();
      }
      for (const fn of this.listeners) fn(key, origin);
    });
    this.ready = sub.subscribe(this.channel).then(() => undefined);
    return this.ready;
  }

  private publish(key: string, origin: string | undefined): Promise<unknown> {
    return this.client.publish(this.channel, `${origin ?? ""}\n${key}`);
  }

  async get(key: string): Promise<StoreHit<V> | undefined> {
    const r = (await this.cmd.goroutineCacheGet(this.k(key))) as [string, number] | null;
    if (r === null) return undefined;
    const [raw, ttl] = r;
    return { value: raw === "-" ? undefined : (this.decode(raw.slice(1)) as V), ttl: Math.max(1, ttl) };
  }

  async set(key: string, value: V | undefined, ttl: number, opts?: WriteOpts): Promise<void> {
    const raw = value === undefined ? "-" : `=${this.encode(value)}`;
    const k = this.k(key);
    const token = opts?.lease === undefined ? "" : String(opts.lease.token);
    const ok = await this.cmd.goroutineCacheSet(k, `${k}:lease`, raw, Math.max(1, Math.ceil(ttl)), token);
    if (ok === 1) await this.publish(key, opts?.origin);
  }

  async delete(key: string, opts?: WriteOpts): Promise<void> {
    await this.client.del(this.k(key));
    await this.publish(key, opts?.origin);
  }

  async lease(key: string, ttl: number, ctx: Context): Promise<Lease | undefined> {
    await this.listen();
    let w = this.waiters.get(key);
    if (w === undefined) this.waiters.set(key, (w = new Chan<void>()));
    const k = this.k(key);
    const [got, n] = (await this.cmd.goroutineCacheLease(`${k}:lease`, `${k}:fence`, Math.max(1, Math.ceil(ttl)))) as [number, number];
    if (got === 1) return { key, token: n };
    await select([recv(w), recv(after(n)), recv(ctx.done())]);
    return undefined;
  }

  async release(lease: Lease): Promise<void> {
    const ok = await this.cmd.goroutineCacheRelease(`${this.k(lease.key)}:lease`, String(lease.token));
    if (ok === 1) await this.publish(lease.key, "");
  }

  subscribe(fn: (key: string, origin: string) => void): () => void {
    this.listeners.add(fn);
    void this.listen();
    return () => {
      this.listeners.delete(fn);
    };
  }

  async close(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    this.ready = undefined;
    if (sub !== undefined) await sub.quit().catch(() => sub.disconnect());
  }
}

/**
 * store returns a cache {@link Store} on Redis through the ioredis `client` you pass (a `Redis` or a
 * `Cluster`; ioredis is an optional peer dependency of this package). Values live under
 * `<prefix>{<key>}` with the cache's TTL (PX); `lease` is SET NX PX with a fencing token, and the
 * processes that do not get it wait for the holder's value through pub/sub, or until its lease
 * expires if it died; every set and delete is published so each process drops its in-process copy.
 *
 * The store makes one extra connection (a duplicate of `client`) for pub/sub at first use; `close()`
 * ends it (the caller's client stays open: it is the caller's).
 *
 * **Cancellation**: a lease wait ends when the flight's context is done (every caller left).
 *
 * @example
 * ```ts
 * import type { Redis } from "ioredis";
 * import { Cache } from "goroutine/cache";
 * import * as redis from "goroutine/redis";
 * function usersCache(client: Redis): Cache<string, string> {
 *   const store = redis.store<string>(client, { prefix: "app:" });
 *   return new Cache<string, string>({ ttl: 60_000, store, lease: { ttl: 5_000 }, load: async (id) => `user ${id}` });
 * }
 * console.log(typeof usersCache); // "function"
 * ```
 */
export function store<V>(client: Client, opts?: StoreOptions): Store<V> {
  if (client === null || typeof client !== "object" || typeof (client as { defineCommand?: unknown }).defineCommand !== "function") {
    throw new TypeError("redis: client must be an ioredis Redis or Cluster");
  }
  return new RedisStore<V>(client, opts);
}
