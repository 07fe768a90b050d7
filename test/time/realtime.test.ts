/**
 * goroutine/time on the real clock (outside synctest): short durations (<= 50 ms) and generous bounds
 * only. Exact timing is tested in virtual time (timer.test.ts, ticker.test.ts, sleep.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Chan, select, recv } from "../../src/index.js";
import * as time from "../../src/time/index.js";

const LATE = 5000; // generous upper bound for a shared, busy machine

test("sleep waits at least d", async () => {
  const start = time.now();
  await time.sleep(20);
  const took = time.since(start);
  assert.ok(took >= 18 && took < LATE, `took ${took}ms`);
});

test("Timer fires with a Date near now; stop after receive is false", async () => {
  const start = time.now().getTime();
  const t = new time.Timer(15);
  const v = await t.c.recv();
  assert.ok(v instanceof Date);
  assert.ok(v.getTime() >= start + 14 && v.getTime() < start + LATE);
  assert.equal(t.stop(), false);
});

test("stop then no stale value, reset then only the new value", async () => {
  const t = new time.Timer(10);
  await time.sleep(30); // fired, not received
  assert.equal(t.stop(), true);
  await time.sleep(20);
  assert.equal(t.c.tryRecv(), undefined);
  const before = time.now().getTime();
  assert.equal(t.reset(10), false);
  const v = await t.c.recv();
  assert.ok(v!.getTime() >= before + 9, "the value is from the reset, not older");
});

test("after is a timeout case", async () => {
  const r = await select([recv(new Chan<string>(), () => "never"), recv(time.after(10), () => "timeout")]);
  assert.equal(r, "timeout");
});

test("afterFunc runs fn in a goroutine; stop prevents it", async () => {
  const ran = new Chan<string>(2);
  time.afterFunc(10, () => ran.trySend("a"));
  const stopped = time.afterFunc(10, () => ran.trySend("b"));
  assert.equal(stopped.stop(), true);
  assert.equal(await ran.recv(), "a");
  await time.sleep(30);
  assert.equal(ran.tryRecv(), undefined);
});

test("Ticker ticks, drops ticks for a slow receiver, and stop ends it", async () => {
  const t = new time.Ticker(10);
  await t.c.recv();
  await time.sleep(50); // ~5 ticks' worth: at most one waits
  assert.ok(t.c.tryRecv() !== undefined, "one tick waited");
  assert.equal(t.c.tryRecv(), undefined, "the rest were dropped");
  t.stop();
  await time.sleep(25);
  assert.equal(t.c.tryRecv(), undefined, "nothing after stop");
});
