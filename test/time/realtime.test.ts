/**
 * goroutine/time on the real clock (outside synctest): short durations (<= 50 ms) and generous bounds
 * only. Exact timing is tested in virtual time (timer.test.ts, ticker.test.ts, sleep.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, select, recv } from "../../src/index.js";
import * as time from "../../src/time/index.js";
import { realClock } from "../../src/internal/clock.js";

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

// Regression (issue 17 item 7): on the real clock, a wait longer than setTimeout's 2^31 - 1 ms limit is
// armed in steps. Node's mock timers stand in for the 24.8 days; performance.now is not mocked, so each
// step finds the real deadline still far off and re-arms instead of firing (Node itself would have fired
// such a setTimeout after 1 ms, with a TimeoutOverflowWarning).
describe("real-clock timers past setTimeout's limit", () => {
  test("neither fire early nor overflow: 3 × 2^31 ms of timer turns pass without a firing", (t) => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on("warning", onWarning);
    t.mock.timers.enable({ apis: ["setTimeout"] });
    try {
      let fired = 0;
      const h = realClock.setTimer(realClock.now() + 2 ** 31 + 1000, () => fired++);
      t.mock.timers.tick(1);
      t.mock.timers.tick(2 ** 31);
      t.mock.timers.tick(2 ** 31);
      t.mock.timers.tick(2 ** 31);
      assert.equal(fired, 0);
      assert.equal(h.clear(), true, "still pending");
      const inf = realClock.setTimer(Infinity, () => fired++);
      t.mock.timers.tick(2 ** 31);
      assert.equal(fired, 0);
      assert.equal(inf.clear(), true);
    } finally {
      t.mock.timers.reset();
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
