/**
 * goroutine/threads sync and atomics on one thread: contracts, errors and bad input, identity across a
 * round trip through the codec, dump reasons, and the process kept alive by a main-thread wait.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as context from "../../src/context/index.js";
import { dump } from "../../src/runtime/index.js";
import { decodeValue, encodeValue } from "../../src/internal/threads/codec.js";
import { parkedWaits } from "../../src/internal/threads/futex.js";
import * as threads from "../../src/threads/index.js";
import { onWorker, turn } from "./jobs.js";

const roundTrip = <T>(v: T): T => decodeValue(encodeValue(v)) as T;

test("a primitive that crosses the codec comes back as the same object on this thread", () => {
  const objs = [
    new threads.Mutex(),
    new threads.WaitGroup(),
    new threads.Once(),
    new threads.Semaphore(2),
    new threads.Int32(1),
    new threads.Int64(2n),
    new threads.Bool(true),
  ];
  for (const o of objs) assert.equal(roundTrip(o), o);
  const cond = new threads.Cond(objs[0] as threads.Mutex);
  const [back] = roundTrip([cond]);
  assert.equal(back, cond);
  assert.equal(back.l, objs[0]);
});

test("Mutex: tryLock, unlock, guards that unlock once and never a later holder", async () => {
  const mu = new threads.Mutex();
  assert.equal(mu.tryLock(), true);
  assert.equal(mu.tryLock(), false);
  mu.unlock();
  assert.throws(() => mu.unlock(), { name: "Error", message: "sync: unlock of unlocked mutex" });
  const g = await mu.lock();
  mu.unlock(); // explicit unlock, then someone else locks
  const g2 = await mu.lock();
  g[Symbol.dispose](); // stale guard: must not unlock g2's hold
  assert.equal(mu.tryLock(), false);
  g2[Symbol.dispose]();
  g2[Symbol.dispose]();
  assert.equal(mu.tryLock(), true);
  mu.unlock();
});

test("Mutex: a waiter behind a hot re-locking loop on another thread gets the lock within a few ms (starvation mode)", async () => {
  const mu = new threads.Mutex();
  const [count, stop, exhausted] = [new threads.Int32(), new threads.Bool(), new threads.Bool()];
  // Without starvation mode the worker, re-locking on its fast path, wins nearly every race for the free
  // mutex; 2,000,000 iterations take it well over a second.
  const worker = onWorker("hot", [mu, count, stop, exhausted], 2_000_000);
  while (count.load() < 1000) await turn(); // the loop is hot
  const t0 = performance.now();
  {
    using _ = await mu.lock();
    stop.store(true);
  }
  const waited = performance.now() - t0;
  await worker;
  assert.equal(exhausted.load(), false, "the worker finished its loop before the waiter got the lock");
  assert.ok(waited < 100, `waited ${waited.toFixed(1)} ms for the lock`);
  assert.equal(mu.tryLock(), true, "left unlocked");
});

test("Mutex: in normal mode tryLock and lock may take a freed mutex ahead of parked waiters (barging)", async () => {
  const mu = new threads.Mutex();
  const first = await mu.lock();
  const order: number[] = [];
  const waiter = mu.lock().then((g) => {
    order.push(1);
    g[Symbol.dispose]();
  });
  await turn(); // the waiter is queued
  first[Symbol.dispose]();
  assert.equal(mu.tryLock(), true, "a newcomer takes the just-freed mutex");
  order.push(0);
  mu.unlock();
  await waiter;
  assert.deepEqual(order, [0, 1]);
});

test("Mutex: a waiter that waited over 1 ms and lost the race switches to starvation mode: the next unlock hands it the lock and newcomers cannot barge", async () => {
  const mu = new threads.Mutex();
  const held = await mu.lock();
  let got = false;
  const b = (async () => {
    using _ = await mu.lock();
    got = true;
  })();
  while (parkedWaits() === 0) await turn(); // b queued and parked
  const t0 = performance.now();
  while (performance.now() - t0 < 1.5); // b has now waited over 1 ms (the thread is busy, not asleep)
  held[Symbol.dispose](); // wakes b ...
  assert.equal(mu.tryLock(), true, "normal mode: a newcomer takes the freed mutex ahead of b");
  for (let i = 0; !mu.starving(); i++) {
    if (i === 10_000) {
      mu.unlock(); // let b finish, so the failure does not leave the process waiting
      await b;
      assert.fail("b never switched the mutex to starvation mode");
    }
    await turn(); // ... which loses, has waited too long, and claims starvation mode
  }
  mu.unlock(); // hands the mutex to b: free, yet not for newcomers
  assert.equal(mu.locked(), false);
  assert.equal(mu.tryLock(), false, "starvation mode: no barging");
  await b;
  assert.equal(got, true);
  assert.equal(mu.starving(), false, "back to normal mode once b got the mutex");
  assert.equal(mu.tryLock(), true, "b unlocked it");
  mu.unlock();
});

test("Cond: a guard stays valid across wait; wait without the lock throws and does not wait", async () => {
  const mu = new threads.Mutex();
  const cond = new threads.Cond(mu);
  await assert.rejects(cond.wait(), { message: "sync: unlock of unlocked mutex" });
  cond.signal(); // nobody waits: no effect, and it is not saved for a later waiter
  let woke = false;
  // w takes the lock first (its lock() call runs before ours), and gives it up only inside cond.wait,
  // after taking its place among the waiters: our signal must reach it.
  const w = (async () => {
    using _ = await mu.lock();
    await cond.wait();
    woke = true;
  })();
  {
    using _ = await mu.lock();
    cond.signal();
  }
  await w;
  assert.equal(woke, true);
  assert.equal(mu.tryLock(), true, "the waiter's guard unlocked the re-acquired lock");
});

test("WaitGroup: add/done/wait/go, and errors leave the counter unchanged", async () => {
  const wg = new threads.WaitGroup();
  await wg.wait(); // zero: returns at once
  assert.throws(() => wg.add(-1), { message: "sync: negative WaitGroup counter" });
  wg.add(2);
  assert.throws(() => wg.add(-3), { message: "sync: negative WaitGroup counter" });
  let finished = false;
  const p = wg.wait().then(() => (finished = true));
  wg.done();
  await turn();
  assert.equal(finished, false);
  wg.done();
  await p;
  const out: number[] = [];
  for (const n of [1, 2]) wg.go(async () => void out.push(n));
  await wg.wait();
  assert.deepEqual(out.sort(), [1, 2]);
});

test("Once: exactly one call, a throwing fn counts as done and only its caller sees the error", async () => {
  const once = new threads.Once();
  let calls = 0;
  const boom = new Error("boom");
  const a = once.do(async () => {
    calls++;
    await turn();
    throw boom;
  });
  const b = once.do(() => calls++);
  await assert.rejects(a, boom);
  await b;
  await once.do(() => calls++);
  assert.equal(calls, 1);
});

test("Semaphore: a cancelled acquire leaves it unchanged and lets the waiters behind it in", async () => {
  const sem = new threads.Semaphore(4);
  await sem.acquire(context.background(), 3);
  const [ctx, cancel] = context.withCancel(context.background());
  const big = sem.acquire(ctx, 4); // at the head, blocks the small one behind it
  let smallDone = false;
  const small = sem.acquire(context.background(), 1).then(() => (smallDone = true));
  await turn();
  assert.equal(smallDone, false, "FIFO: the small request waits behind the large one");
  cancel();
  await assert.rejects(big, (e) => e === context.Canceled);
  await small;
  sem.release(4);
  assert.equal(sem.tryAcquire(4), true, "nothing leaked to the cancelled request");
  sem.release(4);
});

test("Semaphore: ctx already done, doomed requests, over-release", async () => {
  const sem = new threads.Semaphore(2);
  const [done, cancel] = context.withCancel(context.background());
  cancel();
  await assert.rejects(sem.acquire(done, 1), (e) => e === context.Canceled);
  assert.equal(sem.tryAcquire(2), true, "the failed acquire took nothing");
  sem.release(2);
  assert.throws(() => sem.acquire(context.background(), 3), RangeError);
  const [ctx, cancel2] = context.withCancel(context.background());
  const doomed = sem.acquire(ctx, 3);
  assert.equal(sem.tryAcquire(1), true, "a doomed request does not block others");
  cancel2();
  await assert.rejects(doomed, (e) => e === context.Canceled);
  assert.throws(() => sem.release(2), { name: "Error", message: "semaphore: released more than held" });
  sem.release(1);
  assert.throws(() => sem.release(1), { message: "semaphore: released more than held" });
});

test("atomics: Int32 wraps like Go, Int64 with bigints, Bool", () => {
  const i = new threads.Int32(0x7fff_ffff);
  assert.equal(i.add(1), -0x8000_0000);
  assert.equal(i.sub(1), 0x7fff_ffff);
  assert.equal(i.swap(6), 0x7fff_ffff);
  assert.equal(i.and(3), 6);
  assert.equal(i.load(), 2);
  assert.equal(i.or(0xffff_ffff), 2);
  assert.equal(i.load(), -1);
  assert.equal(i.xor(-1), -1);
  assert.equal(i.load(), 0);
  assert.equal(i.compareAndSwap(1, 2), false);
  assert.equal(i.compareAndSwap(0, 2), true);
  i.store(-5);
  assert.equal(i.load(), -5);
  const l = new threads.Int64((1n << 63n) - 1n);
  assert.equal(l.add(1n), -(1n << 63n));
  assert.equal(l.sub(1n), (1n << 63n) - 1n);
  assert.equal(l.swap(12n), (1n << 63n) - 1n);
  assert.equal(l.and(4n), 12n);
  assert.equal(l.or((1n << 64n) - 1n), 4n);
  assert.equal(l.load(), -1n);
  assert.equal(l.xor(-1n), -1n);
  assert.equal(l.compareAndSwap(0n, 7n), true);
  l.store(-3n);
  assert.equal(l.load(), -3n);
  const b = new threads.Bool();
  assert.equal(b.load(), false);
  assert.equal(b.swap(true), false);
  assert.equal(b.compareAndSwap(false, false), false);
  assert.equal(b.compareAndSwap(true, false), true);
  b.store(true);
  assert.equal(b.load(), true);
});

test("bad input: TypeError for the wrong type, RangeError for a non-integer or out-of-range value", () => {
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ["Int32 initial 1.5", () => new threads.Int32(1.5), RangeError, /whole number/],
    ["Int32 initial 2^31", () => new threads.Int32(2 ** 31), RangeError, /\[-2147483648, 2147483647\]/],
    ["Int32 initial '1'", () => new threads.Int32("1" as unknown as number), TypeError, /must be a number, got string/],
    ["Int32.add NaN", () => new threads.Int32().add(NaN), RangeError, /delta/],
    ["Int32.store bigint", () => new threads.Int32().store(1n as unknown as number), TypeError, /got bigint 1n/],
    ["Int32.and 2^32", () => new threads.Int32().and(2 ** 32), RangeError, /mask/],
    ["Int64 initial number", () => new threads.Int64(1 as unknown as bigint), TypeError, /must be a bigint, got number 1/],
    ["Int64 initial 2^63", () => new threads.Int64(1n << 63n), RangeError, /initial value/],
    ["Int64.add 2^64", () => new threads.Int64().add(1n << 64n), RangeError, /delta/],
    ["Bool initial 1", () => new threads.Bool(1 as unknown as boolean), TypeError, /must be a boolean, got number 1/],
    ["Bool.store null", () => new threads.Bool().store(null as unknown as boolean), TypeError, /got null/],
    ["WaitGroup.add 0.5", () => new threads.WaitGroup().add(0.5), RangeError, /delta/],
    ["WaitGroup.add '1'", () => new threads.WaitGroup().add("1" as unknown as number), TypeError, /delta/],
    ["WaitGroup.go 1", () => new threads.WaitGroup().go(1 as unknown as () => void), TypeError, /function/],
    ["Semaphore size -1", () => new threads.Semaphore(-1), RangeError, /size/],
    ["Semaphore size 1.5", () => new threads.Semaphore(1.5), RangeError, /size/],
    ["Semaphore size undefined", () => new threads.Semaphore(undefined as unknown as number), TypeError, /size/],
    ["acquire -1", () => new threads.Semaphore(1).acquire(context.background(), -1), RangeError, /weight/],
    ["acquire bad ctx", () => new threads.Semaphore(1).acquire({} as context.Context, 1), TypeError, /Context/],
    ["tryAcquire 0.5", () => new threads.Semaphore(1).tryAcquire(0.5), RangeError, /weight/],
    ["release 'x'", () => new threads.Semaphore(1).release("x" as unknown as number), TypeError, /weight/],
    ["Cond over a non-Mutex", () => new threads.Cond({} as threads.Mutex), TypeError, /threads\.Mutex/],
    ["Once.do 1", () => new threads.Once().do(1 as unknown as () => void), TypeError, /function/],
  ];
  for (const [name, f, type, msg] of cases) {
    assert.throws(f, (e: unknown) => e instanceof type && msg.test(e.message), name);
  }
});

test("waits show their Go-like reason in runtime.dump()", async () => {
  const mu = new threads.Mutex();
  const cond = new threads.Cond(new threads.Mutex());
  const wg = new threads.WaitGroup();
  const sem = new threads.Semaphore(1);
  const once = new threads.Once();
  const held = await mu.lock();
  wg.add(1);
  assert.equal(sem.tryAcquire(), true);
  let release!: () => void;
  const onceRun = once.do(() => new Promise<void>((r) => (release = r)));
  // Each wait in its own goroutine, so each shows in the dump with its own reason.
  const fin = new threads.WaitGroup();
  const waits: (() => Promise<unknown>)[] = [
    async () => {
      using _ = await cond.l.lock();
      await cond.wait();
    },
    () => mu.lock().then((g) => g[Symbol.dispose]()),
    () => wg.wait(),
    () => sem.acquire(context.background(), 1),
    () => once.do(() => undefined),
  ];
  for (const f of waits) fin.go(f);
  await turn();
  const d = dump();
  for (const r of ["Mutex.Lock", "WaitGroup.Wait", "Semaphore.Acquire", "Once.Do", "Cond.Wait"]) {
    assert.match(d, new RegExp(`threads\\.${r.replace(".", "\\.")}`), `dump lacks threads.${r}:\n${d}`);
  }
  held[Symbol.dispose]();
  wg.done();
  sem.release(1);
  release();
  {
    using _ = await cond.l.lock();
    cond.signal();
  }
  await onceRun;
  await fin.wait();
});

test("a main-thread wait keeps the process alive until a worker releases it", () => {
  const fixture = fileURLToPath(new URL("./fixtures/keepalive.js", import.meta.url));
  const r = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "released\n");
});
