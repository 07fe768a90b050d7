// Faults, on a private redis-server started by this test (never the shared one): SCRIPT FLUSH and a
// server restart are recovered without the caller noticing (ioredis's EVALSHA falls back to EVAL).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import * as context from "../../src/context/index.js";
import { Cache } from "../../src/cache/index.js";
import * as redis from "../../src/redis/index.js";
import { redisUrl } from "../support/services.js";
import { freePort, startServer } from "./support.js";

const { skip } = redisUrl();

describe("redis.store: faults on a private server", { skip }, () => {
  let port: number;
  let server: ChildProcess;
  let client: Redis;
  before(async () => {
    port = await freePort();
    server = await startServer(port);
    client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 50 });
  });
  after(() => {
    client.disconnect();
    server.kill("SIGKILL");
  });

  test("SCRIPT FLUSH: the next get, set and lease still work", async () => {
    const s = redis.store<string>(client, { prefix: "f:" });
    await s.set("a", "1", 60_000);
    await client.script("FLUSH");
    assert.equal((await s.get("a"))?.value, "1");
    const l = await s.lease!("b", 1000, context.background());
    assert.ok(l !== undefined);
    await s.set("b", "2", 60_000, { lease: l });
    assert.equal((await s.get("b"))?.value, "2");
    await s.close?.();
  });

  test("a server restart: the cache reloads and the store works again", async () => {
    const s = redis.store<string>(client, { prefix: "r:" });
    let loads = 0;
    const c = new Cache<string, string>({ ttl: 60_000, store: s, lease: { ttl: 1000 }, load: async () => `v${++loads}` });
    assert.equal(await c.get("k"), "v1");
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    server = await startServer(port);
    await c.delete("k"); // queued by ioredis until it has reconnected
    assert.equal(await c.get("k"), "v2", "the emptied server is filled again through the lease script");
    await c.close();
    await s.close?.();
  });
});
