// redis.writeLog: the write-behind crash scenario with real processes, a real Redis and SQLite
// (better-sqlite3). 100,000 acknowledged writes over 1,000 keys, SIGKILL at a random moment, restart.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { Cache } from "../../src/cache/index.js";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { child, cleanup, prefix } from "./support.js";

const { url, skip } = redisUrl();
const writer = fileURLToPath(new URL("../cache/fixtures/writer.js", import.meta.url));
const WRITES = 100_000;
const KEYS = 1000;

/** Runs the writer, SIGKILLs it after a random number of acknowledged batches; returns the last ack. */
async function crash(mode: "durable" | "memory", db: string, stream: string): Promise<number> {
  const w = child(writer, [mode, db, url!, stream, String(WRITES), String(KEYS)]);
  const killAt = 50 + Math.floor(Math.random() * 800); // of 1,000 batches of 100
  const line = await w.line(new RegExp(`^ack ${killAt * 100 - 1}$`));
  w.p.kill("SIGKILL");
  await w.exit;
  // the last ack printed before the kill (lines after `line` may have arrived too)
  const acks = w.lines.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4)));
  assert.ok(acks.length > 0, line);
  return Math.max(...acks);
}

/** For each key, the last value acknowledged up to `lastAck`, and how many keys the database lags on. */
function lost(dbPath: string, lastAck: number): { behind: number; wrong: number } {
  const db = new Database(dbPath, { readonly: true });
  const rows = new Map(db.prepare("SELECT k, v FROM kv").all().map((r) => [(r as { k: string }).k, (r as { v: number }).v]));
  db.close();
  let behind = 0;
  let wrong = 0;
  for (let k = 0; k < KEYS; k++) {
    const expected = lastAck - ((lastAck - k) % KEYS + KEYS) % KEYS; // largest i ≤ lastAck with i % KEYS === k
    const got = rows.get(`k${k}`);
    if (got === undefined || got < expected) behind++;
    else if (got % KEYS !== k) wrong++;
  }
  return { behind, wrong };
}

describe("redis.writeLog: write-behind crash", { skip }, () => {
  let client: Redis;
  let dir: string;
  const p = prefix();
  before(() => {
    client = new Redis(url!);
    dir = mkdtempSync(join(tmpdir(), "goroutine-wb-"));
  });
  after(async () => {
    await cleanup(client, p);
    client.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  test("with the durable log: SIGKILL at a random moment, restart → nothing acknowledged is lost", { timeout: 120_000 }, async () => {
    const db = join(dir, "durable.db");
    const stream = `${p}writes`;
    const lastAck = await crash("durable", db, stream);
    const r = child(writer, ["recover", db, url!, stream]);
    await r.line(/^recovered$/);
    assert.equal(await r.exit, 0);
    const { behind, wrong } = lost(db, lastAck);
    process.stdout.write(`# durable: killed after ${lastAck + 1} acknowledged writes; keys behind: ${behind}\n`);
    assert.equal(behind, 0, "every key holds at least its last acknowledged value");
    assert.equal(wrong, 0);
    assert.equal(await client.xlen(`{${stream}}`), 0, "the log was drained");
  });

  test("without it: the loss after SIGKILL, as a number", { timeout: 120_000 }, async () => {
    const db = join(dir, "memory.db");
    const lastAck = await crash("memory", db, `${p}unused`);
    const { behind, wrong } = lost(db, lastAck);
    process.stdout.write(`# in-memory write-behind: killed after ${lastAck + 1} acknowledged writes; keys whose last value was lost: ${behind} of ${KEYS}\n`);
    assert.equal(wrong, 0);
    assert.ok(behind >= 0 && behind <= KEYS);
  });

  test("per-key order through the log, coalescing per batch, flush waits for the database", async () => {
    const stream = `${p}order`;
    const writes: [string, number][] = [];
    const c = new Cache<string, number>({
      ttl: 60_000,
      writePolicy: "behind",
      writeBehind: { maxBatch: 50, maxDelay: 5, durable: redis.writeLog(client, stream) },
      writeMany: async (es) => {
        writes.push(...es);
        await Promise.resolve();
      },
    });
    for (let i = 0; i < 500; i++) await c.set(`k${i % 7}`, i);
    await c.flush();
    for (let k = 0; k < 7; k++) {
      const seq = writes.filter(([key]) => key === `k${k}`).map(([, v]) => v);
      assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `k${k} in order`);
      assert.equal(seq[seq.length - 1], 500 - 1 - ((500 - 1 - k) % 7), `k${k} ends at its last value`);
    }
    assert.ok(writes.length < 500, "coalesced within batches");
    await c.close();
  });

  test("bad input", () => {
    assert.throws(() => redis.writeLog(client, ""), TypeError);
    assert.throws(() => redis.writeLog(client, "s", { leaseTtl: 0 }), RangeError);
    assert.throws(() => redis.writeLog({} as Redis, "s"), TypeError);
  });
});
