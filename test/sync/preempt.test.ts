/**
 * sync primitives while a preemption is pending (the scheduler defers settlements to the next macrotask):
 * state changes still happen at once and nothing is lost or granted twice.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as context from "../../src/context/index.js";
import { Mutex, WaitGroup } from "../../src/sync/index.js";
import { Weighted } from "../../src/semaphore/index.js";
import { settle, spin } from "./helpers.js";
import { forcePreemption, preemptionOver } from "../support/preempt.js";

function track<T>(p: Promise<T>): { state: "pending" | "fulfilled" | "rejected"; value?: T } {
  const t: { state: "pending" | "fulfilled" | "rejected"; value?: T } = { state: "pending" };
  p.then(
    (v) => {
      t.state = "fulfilled";
      t.value = v;
    },
    () => (t.state = "rejected"),
  );
  return t;
}

describe("sync under a pending preemption", () => {
  test("Mutex fast path: the lock is taken at once, the promise settles at a later turn", async () => {
    await settle();
    const mu = new Mutex();
    forcePreemption();
    const t = track(mu.lock());
    assert.equal(mu.tryLock(), false, "held at once");
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(t.state, "pending");
    await preemptionOver();
    assert.equal(t.state, "fulfilled");
    mu.unlock();
  });

  test("Mutex normal-mode wake and starvation hand-off both complete after the turn", async () => {
    const mu = new Mutex();
    await mu.lock();
    const a = track(mu.lock());
    await settle();
    forcePreemption();
    mu.unlock(); // normal mode: the retry is deferred to the next turn; the lock is free meanwhile
    assert.equal(mu.tryLock(), true, "a newcomer may still barge");
    mu.unlock();
    await preemptionOver();
    assert.equal(a.state, "fulfilled");
    // Starvation: age a waiter, make it lose once, then hand off under preemption.
    const b = track(mu.lock());
    await settle();
    spin(2);
    (a.value as Disposable)[Symbol.dispose]();
    assert.equal(mu.tryLock(), true);
    await settle();
    assert.equal(mu.isStarving, true);
    forcePreemption();
    mu.unlock(); // hand-off: owned by b at once
    assert.equal(mu.tryLock(), false);
    await preemptionOver();
    assert.equal(b.state, "fulfilled");
    (b.value as Disposable)[Symbol.dispose]();
    assert.equal(mu.tryLock(), true);
    mu.unlock();
  });

  test("WaitGroup and semaphore settle after the turn with their state already updated", async () => {
    const wg = new WaitGroup();
    wg.add(1);
    const w = track(wg.wait());
    const s = new Weighted(1);
    await s.acquire(context.background());
    const a = track(s.acquire(context.background()));
    await settle();
    forcePreemption();
    wg.done();
    s.release();
    assert.equal(s.held, 1, "granted at once");
    assert.equal(s.tryAcquire(), false);
    await Promise.resolve();
    assert.equal(w.state, "pending");
    assert.equal(a.state, "pending");
    await preemptionOver();
    assert.equal(w.state, "fulfilled");
    assert.equal(a.state, "fulfilled");
  });
});
