/**
 * Every cross-thread primitive under contention from two raw workers and the main thread at once: the
 * same job (test/threads/jobs.ts) runs on each thread against the same shared objects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as threads from "../../src/threads/index.js";
import { jobs, onWorker, turn } from "./jobs.js";

const WORKERS = 2;

test("Mutex: N non-atomic increments from each of 2 workers and main end with the exact total, one holder at a time", async () => {
  const mu = new threads.Mutex();
  const counter = new threads.Int32();
  const inside = new threads.Int32();
  const N = 1500;
  const args = [mu, counter, inside];
  await Promise.all([
    ...Array.from({ length: WORKERS }, () => onWorker("mutex", args, N)),
    jobs.mutex(args, N),
  ]);
  assert.equal(counter.load(), (WORKERS + 1) * N);
  assert.equal(mu.tryLock(), true, "left unlocked");
});

test("WaitGroup: main waits for work done on workers; the wait ends exactly when the counter hits 0", async () => {
  const wg = new threads.WaitGroup();
  const sum = new threads.Int32();
  const N = 500;
  wg.add(WORKERS * N + N);
  const workers = Array.from({ length: WORKERS }, () => onWorker("wg", [wg, sum], N));
  const mine = jobs.wg([wg, sum], N);
  await wg.wait();
  assert.equal(sum.load(), (WORKERS + 1) * N);
  await Promise.all([...workers, mine]);
  assert.throws(() => wg.done(), { message: "sync: negative WaitGroup counter" });
});

test("Cond: one broadcast from main wakes waiters on two workers and on main", async () => {
  const mu = new threads.Mutex();
  const cond = new threads.Cond(mu);
  const ready = new threads.Bool();
  const arrived = new threads.WaitGroup();
  const woke = new threads.Int32();
  const PER = 3;
  arrived.add((WORKERS + 1) * PER);
  const args = [mu, cond, ready, arrived, woke];
  const all = [...Array.from({ length: WORKERS }, () => onWorker("cond", args, PER)), jobs.cond(args, PER)];
  await arrived.wait(); // every waiter has locked mu; each releases it only inside cond.wait
  {
    using _ = await mu.lock(); // so all are now waiting
    assert.equal(woke.load(), 0);
    ready.store(true);
    cond.broadcast();
  }
  await Promise.all(all);
  assert.equal(woke.load(), (WORKERS + 1) * PER);
});

test("Cond: each signal wakes exactly one waiter", async () => {
  const mu = new threads.Mutex();
  const cond = new threads.Cond(mu);
  const ready = new threads.Bool(true); // each waiter waits exactly once
  const arrived = new threads.WaitGroup();
  const woke = new threads.Int32();
  arrived.add(2);
  const waitOnce = async (): Promise<void> => {
    using _ = await mu.lock();
    arrived.done();
    await cond.wait();
    woke.add(1);
  };
  const a = waitOnce();
  const b = waitOnce();
  await arrived.wait();
  {
    using _ = await mu.lock();
    cond.signal();
  }
  await Promise.race([a, b]);
  await turn();
  assert.equal(woke.load(), 1, "one signal, one waiter");
  assert.equal(ready.load(), true);
  cond.signal();
  await Promise.all([a, b]);
  assert.equal(woke.load(), 2);
});

test("Semaphore: weighted holders on 2 workers and main never exceed the limit (Int32 high-water mark)", async () => {
  const SIZE = 5;
  const sem = new threads.Semaphore(SIZE);
  const inUse = new threads.Int32();
  const high = new threads.Int32();
  const N = 400;
  // Weights 1, 2 and 4 (a large one must not starve), one per thread.
  await Promise.all([
    onWorker("sem", [sem, inUse, high, 2], N),
    onWorker("sem", [sem, inUse, high, 4], N),
    jobs.sem([sem, inUse, high, 1], N),
    jobs.sem([sem, inUse, high, 1], N),
  ]);
  assert.ok(high.load() <= SIZE, `high-water mark ${high.load()} > ${SIZE}`);
  assert.ok(high.load() >= 4, "the limit was actually approached");
  assert.equal(inUse.load(), 0);
  assert.equal(sem.tryAcquire(SIZE), true, "everything released");
});

test("Once: fn runs exactly once across 2 workers and main, and everyone waits for it", async () => {
  const once = new threads.Once();
  const calls = new threads.Int32();
  const after = new threads.Int32();
  const PER = 4;
  const args = [once, calls, after];
  await Promise.all([...Array.from({ length: WORKERS }, () => onWorker("once", args, PER)), jobs.once(args, PER)]);
  assert.equal(calls.load(), 1);
  assert.equal(after.load(), (WORKERS + 1) * PER);
});
