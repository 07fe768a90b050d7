/**
 * Write-behind: the queue of writes `set` acknowledged before the database saw them, and the one
 * goroutine that flushes it.
 *
 * Invariants:
 * - `pending` holds at most one value per key, the last one set (coalescing); a key re-set moves to the
 *   end, so batches go out in order of each key's last write.
 * - Exactly one batch is in flight at a time (the flusher goroutine writes it and only then takes the
 *   next), so a later value of a key never reaches the database before an earlier one: per-key order.
 * - A batch that fails is retried, whole, with exponential backoff (100 ms doubling to 10 s) until it
 *   succeeds; values set meanwhile wait in `pending`. Nothing is dropped, not even by `close`.
 * - Waits (the flusher's, `flush`'s) are on library channels and timers, so they are durable in synctest.
 *
 * With a durable {@link WriteLog}, `set` is acknowledged once the log has the write, and the log's own
 * flusher (one per stream, across processes) feeds batches to the same retrying `writeBatch`.
 */
import type { Context } from "../context/index.js";
import { background } from "../context/index.js";
import { Chan } from "../internal/chan.js";
import { clockOf } from "../internal/clock.js";
import { go } from "../go.js";
import { recv, select } from "../select.js";
import { Timer } from "../time/timer.js";
import { sleep } from "../time/sleep.js";
import { Group } from "../errgroup/index.js";
import { ExponentialBackOff } from "../backoff/index.js";

/**
 * WriteLog is a durable write-behind buffer (`redis.writeLog(client, stream)`): `append` resolves once
 * the write would survive the process dying; `start` makes this process one of the flushers, which
 * hand batches (in log order, key and value as the cache encoded them) to `sink` and drop them from the
 * log once `sink` resolves. Delivery is at least once.
 */
export interface WriteLog {
  append(key: string, value: string): Promise<void>;
  start(sink: (batch: [key: string, value: string][]) => Promise<void>, opts: { maxBatch: number; maxDelay: number }): void;
  /** Resolves when everything appended before the call has been flushed (by any process). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Where a batch goes: `writeMany`, or `write` per entry (in parallel: one value per key per batch). */
export interface Sink<K, V> {
  write?: (key: K, value: V, ctx: Context) => Promise<void>;
  writeMany?: (entries: [K, V][], ctx: Context) => Promise<void>;
  onError: (err: unknown) => void;
}

/**
 * Writes one batch, retrying it whole with backoff (goroutine/backoff: 100 ms doubling to 10 s, no
 * jitter, never giving up: a write-behind write that was acknowledged must not be dropped).
 */
export async function writeBatch<K, V>(sink: Sink<K, V>, batch: [K, V][]): Promise<void> {
  const ctx = background();
  let b: ExponentialBackOff | undefined;
  for (;;) {
    try {
      if (sink.writeMany !== undefined) {
        await sink.writeMany(batch, ctx);
      } else {
        const g = new Group();
        const write = sink.write!;
        for (const [k, v] of batch) void g.go(() => write(k, v, ctx));
        await g.wait();
      }
      return;
    } catch (e) {
      sink.onError(e);
      b ??= new ExponentialBackOff({ initialInterval: 100, multiplier: 2, maxInterval: 10_000, randomizationFactor: 0 });
      await sleep(b.nextBackOff());
    }
  }
}

/** The in-process write-behind queue and its flusher. */
export class WriteBehind<K, V> {
  private pending = new Map<K, V>();
  private oldest = 0;
  private inflight = 0;
  private running = false;
  private closed = false;
  private readonly wake = new Chan<void>(1);
  /** Closed (and replaced) each time the queue becomes empty with nothing in flight. */
  private idle: Chan<void> | undefined = undefined;

  constructor(
    private readonly sink: Sink<K, V>,
    private readonly maxBatch: number,
    private readonly maxDelay: number,
  ) {}

  get size(): number {
    return this.pending.size + this.inflight;
  }

  push(key: K, value: V): void {
    if (this.closed) throw new Error("cache: set on closed cache");
    const p = this.pending;
    if (p.size === 0) this.oldest = clockOf().now();
    p.delete(key);
    p.set(key, value);
    if (!this.running) {
      this.running = true;
      go(() => this.loop());
    } else if (p.size >= this.maxBatch) {
      this.wake.trySend(undefined);
    }
  }

  /** Drops a queued (not yet in flight) write of `key`, for a delete that follows it. */
  drop(key: K): void {
    if (this.pending.delete(key) && this.pending.size === 0) this.wake.trySend(undefined);
  }

  /** Resolves once everything queued before the call is in the database. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const idle = (this.idle ??= new Chan<void>());
    this.wake.trySend(undefined);
    await idle.recv();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake.trySend(undefined);
    await this.flush();
  }

  private async loop(): Promise<void> {
    for (;;) {
      const p = this.pending;
      if (p.size === 0) break;
      // pass 1 — wait for a full batch, the oldest write's deadline, or a flush
      const wait = this.oldest + this.maxDelay - clockOf().now();
      if (p.size < this.maxBatch && wait > 0 && this.idle === undefined && !this.closed) {
        const t = new Timer(wait);
        await select([recv(this.wake), recv(t.c)]);
        t.stop();
        continue;
      }
      // pass 2 — take up to maxBatch of the oldest entries and write them
      const batch: [K, V][] = [];
      for (const e of p) {
        batch.push(e);
        if (batch.length === this.maxBatch) break;
      }
      for (const [k] of batch) p.delete(k);
      this.inflight = batch.length;
      this.oldest = clockOf().now();
      await writeBatch(this.sink, batch);
      this.inflight = 0;
    }
    this.running = false;
    const idle = this.idle;
    this.idle = undefined;
    idle?.close();
  }
}
