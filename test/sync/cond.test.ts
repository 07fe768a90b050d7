import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go } from "../../src/index.js";
import { Cond, Mutex, RWMutex, WaitGroup, type Locker } from "../../src/sync/index.js";
import { fakeBubble, goIn, settle, waitState } from "./helpers.js";

describe("Cond", () => {
  test("signal wakes one waiter, oldest first; broadcast wakes all", async () => {
    const c = new Cond(new Mutex());
    const woke: number[] = [];
    const wg = new WaitGroup();
    for (let i = 0; i < 3; i++) {
      wg.go(async () => {
        using _ = await c.l.lock();
        await c.wait();
        woke.push(i);
      });
    }
    await settle();
    c.signal();
    await settle();
    assert.deepEqual(woke, [0]);
    c.broadcast();
    await wg.wait();
    assert.deepEqual(woke, [0, 1, 2]);
  });

  test("wait releases the lock while waiting and holds it again on return", async () => {
    const mu = new Mutex();
    const c = new Cond(mu);
    let ready = false;
    let heldAfterWait = false;
    const done = new Promise<void>((resolve) => {
      go(async () => {
        using _ = await mu.lock();
        while (!ready) await c.wait();
        heldAfterWait = !mu.tryLock();
        resolve();
      });
    });
    await settle();
    assert.equal(mu.tryLock(), true, "the waiter released the lock");
    ready = true;
    c.signal();
    await settle();
    assert.equal(heldAfterWait, false, "cannot return before the signaller unlocks");
    mu.unlock();
    await done;
    assert.equal(heldAfterWait, true);
    assert.equal(mu.tryLock(), true, "the waiter's guard unlocked at block end");
    mu.unlock();
  });

  test("the caller's guard stays valid across wait (re-lock is for the same holder)", async () => {
    const mu = new Mutex();
    const c = new Cond(mu);
    const p = (async () => {
      using _ = await mu.lock();
      await c.wait();
    })();
    await settle();
    c.signal();
    await p;
    assert.equal(mu.tryLock(), true);
    mu.unlock();
    // Same with an RWMutex write lock.
    const rw = new RWMutex();
    const c2 = new Cond(rw);
    const p2 = (async () => {
      using _ = await rw.lock();
      await c2.wait();
    })();
    await settle();
    c2.broadcast();
    await p2;
    assert.equal(rw.tryLock(), true);
    rw.unlock();
  });

  test("wait without holding the lock throws the locker's error and queues nothing", async () => {
    const c = new Cond(new Mutex());
    await assert.rejects(c.wait(), { message: "sync: unlock of unlocked mutex" });
    c.signal(); // nothing to wake; must not throw
  });

  test("works over any Locker, including rLocker", async () => {
    let locked = false;
    const l: Locker = {
      lock() {
        locked = true;
      },
      unlock() {
        locked = false;
      },
    };
    const c = new Cond(l);
    l.lock();
    const p = c.wait();
    assert.equal(locked, false);
    c.signal();
    await p;
    assert.equal(locked, true);
    const rw = new RWMutex();
    const rc = new Cond(rw.rLocker());
    await rc.l.lock();
    const q = rc.wait();
    await settle();
    assert.equal(rw.tryLock(), true, "the read lock was released while waiting");
    rw.unlock();
    rc.signal();
    await q;
    assert.equal(rw.tryLock(), false);
    rc.l.unlock();
  });

  test("wait parks durably with reason sync.Cond.Wait", async () => {
    const b = fakeBubble();
    const c = new Cond(new Mutex());
    const g = goIn(b, async () => {
      using _ = await c.l.lock();
      await c.wait();
    });
    await settle();
    assert.deepEqual(waitState(g.id), { reason: "sync.Cond.Wait", durable: true });
    c.signal();
    await settle();
    assert.equal(waitState(g.id).reason, "");
  });

  test("new Cond rejects a non-Locker", () => {
    assert.throws(() => new Cond({} as Locker), TypeError);
  });
});
