/**
 * `redis.Group`: singleflight across processes. One execution of `fn` per key at a time in the whole
 * cluster; every other caller, in any process, gets that execution's result or error.
 *
 * Keys of flight key K in group P (one hash tag): `{P:K}:lead` holds the current flight's id with a PX
 * lease, `{P:K}:r:<flight>` its result for `resultTtl`. Completions are published on the channel
 * `goroutine:flight:<P>` as `<flight>\n<payload>`.
 *
 * Invariants:
 * - Callers in one process share one local flight per key (at most one of them talks to Redis).
 * - join is SET NX PX in a script: the caller that sets `lead` leads, the others follow the flight id
 *   it read. The leader renews the lease every ttl/3 while fn runs; finish (one script) deletes the
 *   lease if still its own, stores the result and publishes it.
 * - A follower registers for its flight before it looks for a stored result, then waits for the
 *   message — or for the lease's end, when it looks again and joins anew: a live leader has renewed
 *   (follow again), a dead one has not (the first to join leads a new flight). So a dead leader is
 *   replaced after its lease and a lost message costs at most one lease, never a poll.
 */
import { randomBytes } from "node:crypto";
import { type Context, background, withCancel } from "../context/index.js";
import { type Cmd, type RedisOptions, checkClient, checkTimeout, timed } from "./conn.js";
import { type Client, commands } from "./store.js";

const LUA = {
  goroutineFlightJoin: {
    keys: 1,
    lua: `local cur = redis.call('GET', KEYS[1])
if cur then return {'0', cur, redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'1', ARGV[1], ARGV[2]}`,
  },
  goroutineFlightRenew: {
    keys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  },
  goroutineFlightFinish: {
    keys: 2,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[1] .. '\\n' .. ARGV[2])
return 1`,
  },
};

/** Options of {@link Group}. */
export interface GroupOptions extends RedisOptions {
  /** The leader's lease (ms, default 10 s): a leader that dies is replaced this long after its last renewal. */
  ttl?: number;
  /** How long a finished flight's result stays readable for followers that missed the message (ms, default 10 s). */
  resultTtl?: number;
  /** Turn results into strings and back (default JSON). */
  encode?: (v: unknown) => string;
  decode?: (s: string) => unknown;
}

/**
 * One subscriber connection per client for every Group on it (a duplicate, made at first use, ended
 * with the client): each Group subscribes its channel once and filters the messages by channel.
 */
class FlightHub {
  readonly handlers = new Set<(ch: string, msg: string) => void>();
  readonly #channels = new Map<string, Promise<void>>();
  #sub: Client | undefined;
  constructor(private readonly client: Client) {}

  subscribe(channel: string): Promise<void> {
    let p = this.#channels.get(channel);
    if (p !== undefined) return p;
    if (this.#sub === undefined) {
      const sub = (this.#sub = this.client.duplicate());
      sub.on("error", () => undefined);
      sub.on("message", (ch: string, msg: string) => {
        for (const h of this.handlers) h(ch, msg);
      });
      this.client.once("end", () => sub.disconnect());
    }
    p = this.#sub.subscribe(channel).then(
      () => undefined,
      (e: unknown) => {
        this.#channels.delete(channel);
        throw e;
      },
    );
    this.#channels.set(channel, p);
    return p;
  }
}

const flightHubs = new WeakMap<Client, FlightHub>();
function flightHubOf(client: Client): FlightHub {
  let h = flightHubs.get(client);
  if (h === undefined) flightHubs.set(client, (h = new FlightHub(client)));
  return h;
}

/** A flight's outcome as stored and published. */
type Outcome = { v: unknown } | { e: { name: string; message: string } };

interface Follow {
  resolve: (payload: string) => void;
}

/**
 * Group is singleflight (golang.org/x/sync/singleflight) across processes: `do(key, fn)` runs `fn` once
 * per key at a time across every process sharing the Redis and the group's `prefix`; concurrent callers
 * anywhere get the same result or error (`shared: true`). Callers in one process join one local flight
 * first. The leader holds a lease that it renews while `fn` runs; if it dies, a waiting caller takes
 * over after the lease and runs `fn` itself. Results travel as JSON (or `encode`/`decode`); an error
 * reaches followers as an Error with the leader's `name` and `message`.
 *
 * `fn` receives a Context that is cancelled if this process loses the lead (its lease ended and
 * another process took over).
 *
 * **Failure**: Redis not answering within `timeout` rejects `do` with {@link UnavailableError} (fn is
 * not run); a leader that finishes while Redis is unreachable still returns to its own callers, and the
 * followers elsewhere take over after the lease.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import * as redis from "goroutine/redis";
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6399");
 * const g = new redis.Group<string>(client, `doc:flights:${process.pid}`);
 * let runs = 0;
 * const fn = async () => { runs++; await new Promise((r) => setTimeout(r, 20)); return "report"; };
 * const [x, y] = await Promise.all([g.do("daily", fn), g.do("daily", fn)]);
 * console.log(x.value, y.value, y.shared, runs); // "report" "report" true 1
 * client.disconnect();
 * ```
 */
export class Group<T = unknown> {
  readonly #client: Client;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #join: Cmd;
  readonly #renew: Cmd;
  readonly #finish: Cmd;
  readonly #ttl: number;
  readonly #resultTtl: number;
  readonly #timeout: number;
  readonly #encode: (v: unknown) => string;
  readonly #decode: (s: string) => unknown;
  readonly #local = new Map<string, { p: Promise<{ value: T; remote: boolean }>; callers: number }>();
  readonly #follows = new Map<string, Follow>();
  readonly #me = randomBytes(6).toString("hex");
  #seq = 0;
  #ready: Promise<void> | undefined;

  /** Makes a group whose keys and channel are under `prefix`. */
  constructor(client: Client, prefix: string, opts?: GroupOptions) {
    this.#client = checkClient(client, "Group");
    if (typeof prefix !== "string" || prefix === "" || /[{}]/.test(prefix)) {
      throw new TypeError(`redis.Group: prefix must be a non-empty string without { or }, got ${JSON.stringify(prefix)}`);
    }
    this.#prefix = prefix;
    this.#channel = `goroutine:flight:${prefix}`;
    this.#ttl = checkTimeout(opts?.ttl, "Group", "ttl", 10_000);
    this.#resultTtl = checkTimeout(opts?.resultTtl, "Group", "resultTtl", 10_000);
    this.#timeout = checkTimeout(opts?.timeout, "Group");
    this.#encode = opts?.encode ?? ((v) => JSON.stringify(v));
    this.#decode = opts?.decode ?? ((s) => JSON.parse(s) as unknown);
    const c = commands(client, LUA);
    this.#join = c.goroutineFlightJoin;
    this.#renew = c.goroutineFlightRenew;
    this.#finish = c.goroutineFlightFinish;
  }

  /**
   * do runs `fn` for `key` unless a flight of `key` is already running somewhere, and resolves with its
   * value (`shared` true if other callers got it too); rejects with its error.
   *
   * **Cancellation**: `opts.signal` stops this caller's wait (rejecting with the signal's reason)
   * without disturbing the flight or the other callers.
   * @throws TypeError (synchronously) if `key` is not a string or `fn` not a function.
   */
  do(key: string, fn: (ctx: Context) => T | Promise<T>, opts?: { signal?: AbortSignal }): Promise<{ value: T; shared: boolean }> {
    if (typeof key !== "string" || /[{}]/.test(key)) throw new TypeError(`redis.Group.do: key must be a string without { or }, got ${JSON.stringify(key)}`);
    if (typeof fn !== "function") throw new TypeError(`redis.Group.do: fn must be a function, got ${typeof fn}`);
    let f = this.#local.get(key);
    if (f === undefined) {
      const p = this.#flight(key, fn).finally(() => this.#local.delete(key));
      this.#local.set(key, (f = { p, callers: 0 }));
    }
    f.callers++;
    const flight = f;
    const out = flight.p.then((r) => ({ value: r.value, shared: r.remote || flight.callers > 1 }));
    const signal = opts?.signal;
    if (signal === undefined) return out;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      out.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  #keys(key: string, flight: string): [string, string] {
    const tag = `{${this.#prefix}:${key}}`;
    return [`${tag}:lead`, `${tag}:r:${flight}`];
  }

  #listen(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready;
    const hub = flightHubOf(this.#client);
    hub.handlers.add(this.#onMessage);
    this.#ready = hub.subscribe(this.#channel).catch((e: unknown) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  readonly #onMessage = (ch: string, msg: string): void => {
    if (ch !== this.#channel) return;
    const nl = msg.indexOf("\n");
    const f = this.#follows.get(msg.slice(0, nl));
    if (f !== undefined) f.resolve(msg.slice(nl + 1));
  };

  #t<R>(p: Promise<R>): Promise<R> {
    return timed(p, this.#timeout, `redis.Group ${JSON.stringify(this.#prefix)}`);
  }

  async #flight(key: string, fn: (ctx: Context) => T | Promise<T>): Promise<{ value: T; remote: boolean }> {
    await this.#t(this.#listen());
    for (;;) {
      const id = `${this.#me}:${(++this.#seq).toString(36)}`;
      const [lead] = this.#keys(key, id);
      const r = (await this.#t(this.#join(lead, id, this.#ttl))) as [string, string, number];
      if (r[0] === "1") return { value: await this.#lead(key, id, fn), remote: false };
      const payload = await this.#follow(key, r[1], Math.max(1, r[2]));
      if (payload !== undefined) return { value: this.#outcome(payload), remote: true };
      // the lease ended without a result: join again (a live leader has renewed; a dead one is replaced)
    }
  }

  /** Waits for flight `id`'s result, or for its lease to end (undefined then). */
  async #follow(key: string, id: string, pttl: number): Promise<string | undefined> {
    const [, res] = this.#keys(key, id);
    let resolve!: (p: string | undefined) => void;
    const got = new Promise<string | undefined>((r) => (resolve = r));
    this.#follows.set(id, { resolve });
    const timer = setTimeout(() => {
      this.#t(this.#client.get(res)).then((v) => resolve(v ?? undefined), () => resolve(undefined));
    }, pttl + 1);
    try {
      const stored = await this.#t(this.#client.get(res));
      if (stored !== null) return stored;
      return await got;
    } finally {
      clearTimeout(timer);
      this.#follows.delete(id);
    }
  }

  async #lead(key: string, id: string, fn: (ctx: Context) => T | Promise<T>): Promise<T> {
    const [lead, res] = this.#keys(key, id);
    const [ctx, cancel] = withCancel(background());
    const renew = setInterval(() => {
      this.#t(this.#renew(lead, id, this.#ttl)).then(
        (ok) => ok === 0 && cancel(),
        () => undefined,
      );
    }, this.#ttl / 3);
    renew.unref();
    let outcome: Outcome;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    try {
      value = await fn(ctx);
      outcome = { v: value };
    } catch (e) {
      failed = true;
      error = e;
      const err = e instanceof Error ? e : new Error(String(e));
      outcome = { e: { name: err.name, message: err.message } };
    } finally {
      clearInterval(renew);
      cancel();
    }
    const payload = "e" in outcome ? `e${JSON.stringify(outcome.e)}` : outcome.v === undefined ? "u" : `v${this.#encode(outcome.v)}`;
    await this.#t(this.#finish(lead, res, id, payload, this.#resultTtl, this.#channel)).catch(() => undefined);
    if (failed) throw error;
    return value as T;
  }

  #outcome(payload: string): T {
    if (payload === "u") return undefined as T;
    if (payload.startsWith("v")) return this.#decode(payload.slice(1)) as T;
    const e = JSON.parse(payload.slice(1)) as { name: string; message: string };
    const err = new Error(e.message);
    err.name = e.name;
    throw err;
  }
}
