/**
 * `redis.writeLog(client, stream)`: the cache's durable write-behind buffer on a Redis Stream with a
 * consumer group.
 *
 * Invariants:
 * - `append` resolves after XADD has returned: from then on the write is in Redis and survives the
 *   process (durability beyond that is Redis's own: AOF/replicas).
 * - At most one process flushes a stream at a time: the holder of `<stream>:flusher` (SET NX PX with a
 *   token, renewed before each batch). It first re-delivers the group's pending entries (claimed from
 *   an earlier holder that died mid-batch, XAUTOCLAIM), then reads new ones (XREADGROUP `>`), so
 *   entries go to the database in stream order: per-key order holds, and an entry is XACKed and XDELed
 *   (together, in one MULTI) only after the sink has written it (at least once).
 * - A holder that dies loses the flusher lease after `leaseTtl`; the next process (or a live one
 *   retrying) takes it and flushes what the dead one left.
 * - The stream key is hash-tagged (`{stream}` unless it has a tag already), so the stream and its lease
 *   share a Redis Cluster slot.
 */
import type { Context } from "../context/index.js";
import { background, withCancel } from "../context/index.js";
import { Chan } from "../internal/chan.js";

import { go } from "../go.js";
import { recv, select } from "../select.js";
import { sleep } from "../time/sleep.js";
import { Timer } from "../time/timer.js";
import type { WriteLog } from "../cache/writebehind.js";
import { type Client, commands } from "./store.js";

const GROUP = "goroutine-cache";

const LUA = {
  goroutineLogLease: {
    keys: 1,
    lua: `local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  },
  goroutineLogRelease: {
    keys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
};

/** Options of {@link writeLog}. */
export interface WriteLogOptions {
  /** How long a flusher's lease lasts without renewal: a dead flusher's entries wait this long (10 s). */
  leaseTtl?: number;
}

type Entry = [id: string, fields: string[]];

class RedisWriteLog implements WriteLog {
  private readonly key: string;
  private readonly leaseKey: string;
  private readonly cmd: ReturnType<typeof commands>;
  private readonly me = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private readonly leaseTtl: number;
  private readonly kick = new Chan<void>(1);
  private readonly done = new Chan<void>();
  private readonly ctx: Context;
  private readonly stop: () => void;
  private lastAppended = "";
  private appendedSinceRead = 0;
  private started = false;
  private maxBatch = 100;

  constructor(
    private readonly client: Client,
    stream: string,
    opts: WriteLogOptions | undefined,
  ) {
    this.key = /\{[^}]+\}/.test(stream) ? stream : `{${stream}}`;
    this.leaseKey = `${this.key}:flusher`;
    this.leaseTtl = opts?.leaseTtl ?? 10_000;
    this.cmd = commands(client, LUA);
    [this.ctx, this.stop] = withCancel(background());
  }

  async append(key: string, value: string): Promise<void> {
    const id = await this.client.xadd(this.key, "*", "k", key, "v", value);
    if (id !== null) this.lastAppended = id;
    if (++this.appendedSinceRead >= this.maxBatch) this.kick.trySend(undefined);
  }

  start(sink: (batch: [string, string][]) => Promise<void>, opts: { maxBatch: number; maxDelay: number }): void {
    if (this.started) throw new Error("redis: writeLog already started");
    this.started = true;
    this.maxBatch = opts.maxBatch;
    go(() => this.loop(sink, opts.maxBatch, opts.maxDelay));
  }

  private async loop(sink: (batch: [string, string][]) => Promise<void>, maxBatch: number, maxDelay: number): Promise<void> {
    try {
      await this.client.xgroup("CREATE", this.key, GROUP, "0", "MKSTREAM").catch((e: Error) => {
        if (!/BUSYGROUP/.test(e.message)) throw e;
      });
      while (this.ctx.err() === undefined) {
        const held = (await this.cmd.goroutineLogLease(this.leaseKey, this.me, this.leaseTtl)) === 1;
        if (!held) {
          await this.pause(Math.max(10, this.leaseTtl / 4));
          continue;
        }
        // pass 1 — entries an earlier holder read but did not acknowledge (it died mid-batch)
        const claimed = (await this.client.xautoclaim(this.key, GROUP, this.me, 0, "0-0", "COUNT", maxBatch)) as [string, Entry[]];
        let entries = claimed[1].filter((e) => e[1] !== null);
        // pass 2 — new entries
        if (entries.length === 0) {
          this.appendedSinceRead = 0;
          const r = (await this.client.xreadgroup("GROUP", GROUP, this.me, "COUNT", maxBatch, "STREAMS", this.key, ">")) as
            | [string, Entry[]][]
            | null;
          entries = r?.[0]?.[1] ?? [];
        }
        if (entries.length === 0) {
          await this.pause(maxDelay);
          continue;
        }
        // coalesce per key in stream order (last value wins)
        const last = new Map<string, string>();
        for (const [, f] of entries) {
          const key = field(f, "k");
          last.delete(key);
          last.set(key, field(f, "v"));
        }
        await sink([...last]);
        const ids = entries.map((e) => e[0]);
        // one MULTI: a crash between XACK and XDEL would leave entries acknowledged (never re-delivered)
        // yet still in the stream, and drain() would wait for them forever
        await this.client.multi().xack(this.key, GROUP, ...ids).xdel(this.key, ...ids).exec();
        if (entries.length < maxBatch) await this.pause(maxDelay);
      }
    } finally {
      await this.cmd.goroutineLogRelease(this.leaseKey, this.me).catch(() => undefined);
      this.done.close();
    }
  }

  /** Waits `ms`, or less if a full batch was appended here, or until close. */
  private async pause(ms: number): Promise<void> {
    const t = new Timer(ms);
    await select([recv(t.c), recv(this.kick), recv(this.ctx.done())]);
    t.stop();
  }

  async drain(): Promise<void> {
    let upTo = this.lastAppended;
    if (upTo === "") {
      // nothing appended here: drain what is in the stream now (a process flushing a dead one's writes)
      const newest = await this.client.xrevrange(this.key, "+", "-", "COUNT", 1);
      if (newest.length === 0) return;
      upTo = newest[0][0];
    }
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      // flushed entries are deleted, so nothing at or before upTo means all of them are in the database
      const r = await this.client.xrange(this.key, "-", upTo, "COUNT", 1);
      if (r.length === 0) return;
      this.kick.trySend(undefined);
      await sleep(wait);
    }
  }

  async close(): Promise<void> {
    this.stop();
    if (this.started) await this.done.recv();
  }
}

function field(f: string[], name: string): string {
  for (let i = 0; i + 1 < f.length; i += 2) if (f[i] === name) return f[i + 1];
  return "";
}

/**
 * writeLog returns a durable write-behind buffer on the Redis Stream `stream` (consumer group
 * `goroutine-cache`), for `new Cache({ writePolicy: "behind", writeBehind: { durable } })`: a `set` is
 * acknowledged once its write is in the stream, so it survives SIGKILL of the process; one process at a
 * time (the holder of a flusher lease) writes batches to the database in stream order and then
 * acknowledges and deletes them, and the next process to start flushes whatever a dead one left. At
 * least once: a batch the database took but the dead process did not acknowledge is written again.
 *
 * `drain()` (what `cache.flush()` calls) waits until everything this process appended has been
 * flushed, by whichever process holds the lease.
 *
 * @example
 * ```ts
 * import type { Redis } from "ioredis";
 * import { Cache } from "goroutine/cache";
 * import * as redis from "goroutine/redis";
 * function orders(client: Redis, save: (rows: [string, number][]) => Promise<void>): Cache<string, number> {
 *   const durable = redis.writeLog(client, "orders:writes", { leaseTtl: 5_000 });
 *   return new Cache<string, number>({ ttl: 60_000, writePolicy: "behind", writeBehind: { maxBatch: 500, durable }, writeMany: save });
 * }
 * console.log(typeof orders); // "function"
 * ```
 */
export function writeLog(client: Client, stream: string, opts?: WriteLogOptions): WriteLog {
  if (client === null || typeof client !== "object" || typeof (client as { xadd?: unknown }).xadd !== "function") {
    throw new TypeError("redis: client must be an ioredis Redis or Cluster");
  }
  if (typeof stream !== "string" || stream === "") throw new TypeError("redis: stream must be a non-empty string");
  const t = opts?.leaseTtl;
  if (t !== undefined && (typeof t !== "number" || !(t > 0))) throw new RangeError(`redis: leaseTtl must be a positive duration in ms, got ${String(t)}`);
  return new RedisWriteLog(client, stream, opts);
}


