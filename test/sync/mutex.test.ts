import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go } from "../../src/index.js";
import { Mutex, RWMutex } from "../../src/sync/index.js";
import { STARVATION_THRESHOLD_MS } from "../../src/sync/mutex.js";
import { lockerSuite } from "./locker-suite.js";
import { settle, spin, waitState } from "./helpers.js";

lockerSuite("Mutex", () => new Mutex());
lockerSuite("RWMutex.lock", () => new RWMutex());

/** A locked mutex with one waiter queued; `got()` tells whether the waiter has acquired (it unlocks at once). */
async function heldWithWaiter(): Promise<{ mu: Mutex; got: () => boolean }> {
  const mu = new Mutex();
  await mu.lock();
  let acquired = false;
  void mu.lock().then((g) => {
    acquired = true;
    g[Symbol.dispose]();
  });
  return { mu, got: () => acquired };
}

describe("Mutex", () => {
  // The waiters' queue is a ring of parallel arrays (a special case beside internal/waitq.ts's
  // WaitList, kept for the mutex/contended/1000 bench row). This run makes it wrap and then grow while
  // wrapped: the hand-off order must stay the arrival order.
  test("FIFO hand-off order survives the waiter ring wrapping and growing", async () => {
    const mu = new Mutex();
    await mu.lock();
    const order: number[] = [];
    const all: Promise<void>[] = [];
    const waiter = (id: number): Promise<void> =>
      mu.lock().then((g) => {
        order.push(id);
        // The third waiter, holding the lock with three others still queued behind the ring's head,
        // queues 20 more: the tail wraps past the ring's end and the ring grows twice while wrapped.
        if (id === 2) for (let i = 6; i < 26; i++) all.push(waiter(i));
        g[Symbol.dispose]();
      });
    for (let i = 0; i < 6; i++) all.push(waiter(i));
    mu.unlock();
    while (order.length < 26) await Promise.all(all);
    assert.deepEqual(order, Array.from({ length: 26 }, (_, i) => i));
    assert.equal(mu.tryLock(), true);
  });

  test("unlock of an unlocked mutex throws Go's error", () => {
    const mu = new Mutex();
    assert.throws(() => mu.unlock(), { message: "sync: unlock of unlocked mutex" });
    assert.equal(mu.tryLock(), true);
    mu.unlock();
    assert.throws(() => mu.unlock(), { message: "sync: unlock of unlocked mutex" });
  });

  test("using a guard unlocks at the end of the block, also when it throws", async () => {
    const mu = new Mutex();
    {
      using _ = await mu.lock();
      assert.equal(mu.tryLock(), false);
    }
    assert.equal(mu.tryLock(), true);
    mu.unlock();
    await assert.rejects(async () => {
      using _ = await mu.lock();
      throw new Error("boom");
    }, /boom/);
    assert.equal(mu.tryLock(), true);
    mu.unlock();
  });

  test("a guard unlocks at most once and a stale guard never unlocks a later holder", async () => {
    const mu = new Mutex();
    const g1 = await mu.lock();
    g1[Symbol.dispose]();
    const g2 = await mu.lock();
    g1[Symbol.dispose](); // disposed twice: inert
    assert.equal(mu.tryLock(), false, "g2 still holds");
    g2[Symbol.dispose]();
    const g3 = await mu.lock();
    mu.unlock(); // direct unlock makes g3 stale
    assert.equal(mu.tryLock(), true);
    g3[Symbol.dispose](); // stale: must not unlock the tryLock holder
    assert.equal(mu.tryLock(), false);
    mu.unlock();
  });

  test("a blocked lock parks with reason sync.Mutex.Lock, not durable", async () => {
    const mu = new Mutex();
    await mu.lock();
    const g = go(async () => {
      using _ = await mu.lock();
    });
    await settle();
    assert.deepEqual(waitState(g.id), { reason: "sync.Mutex.Lock", durable: false });
    mu.unlock();
    await settle();
    assert.equal(waitState(g.id).reason, "");
  });

  test("a holder that unlocks and goes on without re-locking hands over within a few reactions", async () => {
    const { mu, got } = await heldWithWaiter();
    // Another task keeps the microtask queue busy without ever parking: the hand-off must not wait
    // for the queue to drain.
    let steps = 0;
    const busy = (async () => {
      while (!got() && steps < 1000) {
        steps++;
        await Promise.resolve();
      }
    })();
    mu.unlock();
    await busy;
    assert.equal(got(), true);
    assert.ok(steps <= 4, `handed over after ${steps} reactions`);
  });

  test("once a barger took the woken waiter's chance, a re-locking task keeps the lock until it blocks", async () => {
    const { mu, got } = await heldWithWaiter();
    mu.unlock();
    assert.equal(mu.tryLock(), true, "barges in the window");
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve(); // the waiter's chance came and was lost
    for (let i = 0; i < 10; i++) {
      mu.unlock();
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve(); // a few steps later, without blocking
      assert.equal(mu.tryLock(), true, `re-lock ${i} barges`);
    }
    assert.equal(got(), false);
    mu.unlock();
    await settle(); // the queue drains: the waiter's chance comes
    assert.equal(got(), true);
  });

  test("normal mode: an arriving locker barges ahead of a woken waiter", async () => {
    const mu = new Mutex();
    await mu.lock();
    let waiterGot = false;
    const p = mu.lock().then((gd) => {
      waiterGot = true;
      gd[Symbol.dispose]();
    });
    await settle();
    mu.unlock(); // wakes the waiter, which retries a microtask later
    assert.equal(mu.tryLock(), true, "the lock is free for a newcomer right after unlock");
    await settle();
    assert.equal(waiterGot, false, "the woken waiter lost and went back to the queue");
    mu.unlock();
    await p;
    assert.equal(waiterGot, true);
  });

  test("a waiter that waited over 1 ms and lost switches to starvation mode: FIFO hand-off", async () => {
    const mu = new Mutex();
    await mu.lock();
    const order: number[] = [];
    const ps = [1, 2, 3].map((i) =>
      mu.lock().then((gd) => {
        order.push(i);
        gd[Symbol.dispose]();
      }),
    );
    await settle();
    spin(2); // every waiter is now older than the 1 ms threshold
    mu.unlock();
    assert.equal(mu.tryLock(), true, "barge once");
    await settle(); // waiter 1 retries, loses, and is starving
    assert.equal(mu.isStarving, true);
    mu.unlock(); // hand-off: the lock is never observed free
    assert.equal(mu.tryLock(), false, "no barging in starvation mode");
    await Promise.all(ps);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(mu.isStarving, false, "back to normal once the queue drained");
    assert.equal(mu.tryLock(), true);
    mu.unlock();
  });

  test("starvation mode ends when a waiter got the lock in under 1 ms", async () => {
    const mu = new Mutex();
    await mu.lock();
    const old = mu.lock().then((gd) => gd);
    await settle();
    spin(2);
    mu.unlock();
    assert.equal(mu.tryLock(), true);
    await settle();
    assert.equal(mu.isStarving, true);
    // A fresh waiter queues behind the old one.
    const fresh = mu.lock().then((gd) => gd);
    mu.unlock(); // hands off to the old waiter (waited > 1 ms, not last): stays starving
    const gOld = await old;
    assert.equal(mu.isStarving, true);
    gOld[Symbol.dispose](); // hands off to the fresh waiter: waited < 1 ms, so normal mode again
    const gFresh = await fresh;
    assert.equal(mu.isStarving, false);
    gFresh[Symbol.dispose]();
  });

  test("fairness: a waiter behind a hot re-locking loop acquires within 2 ms of its starvation threshold", async () => {
    /** One waiter against a goroutine re-locking in a loop; how long the waiter waited, in ms. */
    const once = async (): Promise<number> => {
      const mu = new Mutex();
      let stop = false;
      let sawStarving = false;
      let spins = 0;
      const looper = new Promise<void>((resolve) => {
        go(async () => {
          while (!stop) {
            using _ = await mu.lock();
            await Promise.resolve(); // an await inside the critical section
            if (mu.isStarving) sawStarving = true;
            spins++;
          }
          resolve();
        });
      });
      await Promise.resolve();
      await Promise.resolve();
      const t0 = performance.now();
      let waited: number;
      {
        using _ = await mu.lock();
        waited = performance.now() - t0;
        if (mu.isStarving) sawStarving = true; // handed over in starvation mode
        stop = true;
      }
      await looper;
      assert.ok(spins > 0, "the looper was running");
      assert.equal(sawStarving, true, "starvation mode was entered");
      assert.ok(waited < 50, `waited ${waited.toFixed(2)} ms behind a hot loop`);
      return waited;
    };
    // The bound is real time on a shared machine: a run the OS interrupts can take longer, so the
    // waiter must make it within threshold + 2 ms in at least one of five runs (each run must still
    // enter starvation mode and stay under 50 ms).
    const within = (w: number): boolean => w <= STARVATION_THRESHOLD_MS + 2;
    const waits: number[] = [];
    for (let i = 0; i < 5 && !waits.some(within); i++) waits.push(await once());
    assert.ok(waits.some(within), `waited ${waits.map((w) => w.toFixed(2)).join(", ")} ms`);
  });
});
