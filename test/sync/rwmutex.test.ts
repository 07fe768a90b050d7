import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go } from "../../src/index.js";
import { RWMutex, WaitGroup } from "../../src/sync/index.js";
import { settle, waitState } from "./helpers.js";

describe("RWMutex", () => {
  test("misuse throws Go's errors", () => {
    const rw = new RWMutex();
    assert.throws(() => rw.unlock(), { message: "sync: Unlock of unlocked RWMutex" });
    assert.throws(() => rw.rUnlock(), { message: "sync: RUnlock of unlocked RWMutex" });
    assert.equal(rw.tryRLock(), true);
    assert.throws(() => rw.unlock(), { message: "sync: Unlock of unlocked RWMutex" });
    rw.rUnlock();
  });

  test("readers share the lock; a writer excludes readers and writers", async () => {
    const rw = new RWMutex();
    const r1 = await rw.rLock();
    const r2 = await rw.rLock();
    assert.equal(rw.tryLock(), false);
    assert.equal(rw.tryRLock(), true);
    rw.rUnlock();
    r1[Symbol.dispose]();
    r2[Symbol.dispose]();
    {
      using _ = await rw.lock();
      assert.equal(rw.tryRLock(), false);
      assert.equal(rw.tryLock(), false);
    }
    assert.equal(rw.tryLock(), true);
    rw.unlock();
  });

  test("a waiting writer blocks new readers (writer preference)", async () => {
    const rw = new RWMutex();
    await rw.rLock();
    const events: string[] = [];
    const w = go(async () => {
      using _ = await rw.lock();
      events.push("writer");
    });
    await settle();
    assert.deepEqual(waitState(w.id), { reason: "sync.RWMutex.Lock", durable: false });
    assert.equal(rw.tryRLock(), false, "tryRLock fails while a writer waits");
    const r = go(async () => {
      using _ = await rw.rLock();
      events.push("late reader");
    });
    await settle();
    assert.deepEqual(waitState(r.id), { reason: "sync.RWMutex.RLock", durable: false });
    rw.rUnlock(); // last reader out admits the writer, then the late reader
    await settle();
    await settle();
    assert.deepEqual(events, ["writer", "late reader"]);
  });

  test("readers queued behind a writer are all admitted before the next writer", async () => {
    const rw = new RWMutex();
    await rw.lock();
    const events: string[] = [];
    const wg = new WaitGroup();
    wg.go(async () => {
      using _ = await rw.lock();
      events.push("w2");
    });
    await settle();
    for (let i = 0; i < 3; i++) {
      wg.go(async () => {
        using _ = await rw.rLock();
        events.push("r");
        await Promise.resolve();
      });
    }
    await settle();
    rw.unlock();
    await wg.wait();
    assert.deepEqual(events, ["r", "r", "r", "w2"]);
  });

  test("a write guard is inert once the lock was released", async () => {
    const rw = new RWMutex();
    const g1 = await rw.lock();
    rw.unlock();
    const g2 = await rw.lock();
    g1[Symbol.dispose]();
    assert.equal(rw.tryRLock(), false, "g2 still holds");
    g2[Symbol.dispose]();
    const r = await rw.rLock();
    r[Symbol.dispose]();
    r[Symbol.dispose](); // second dispose of a read guard is a no-op
    assert.equal(rw.tryLock(), true);
    rw.unlock();
  });

  test("no lost readers or writers under a random mix", async () => {
    const rw = new RWMutex();
    const wg = new WaitGroup();
    let readers = 0;
    let writers = 0;
    let bad = 0;
    let ops = 0;
    for (let i = 0; i < 60; i++) {
      wg.go(async () => {
        for (let j = 0; j < 4; j++) {
          if ((i + j) % 4 === 0) {
            using _ = await rw.lock();
            writers++;
            if (readers !== 0 || writers !== 1) bad++;
            await Promise.resolve();
            writers--;
          } else {
            using _ = await rw.rLock();
            readers++;
            if (writers !== 0) bad++;
            await Promise.resolve();
            readers--;
          }
          ops++;
        }
      });
    }
    await wg.wait();
    assert.equal(bad, 0);
    assert.equal(ops, 240);
  });

  test("rLocker locks for reading", async () => {
    const rw = new RWMutex();
    const l = rw.rLocker();
    await l.lock();
    assert.equal(rw.tryLock(), false);
    assert.equal(rw.tryRLock(), true);
    rw.rUnlock();
    l.unlock();
    assert.equal(rw.tryLock(), true);
    rw.unlock();
  });
});
