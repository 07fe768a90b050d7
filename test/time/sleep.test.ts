/**
 * time.sleep, now, since and until in virtual time (synctest), plus their bad input.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import { allGoroutines, waitOf } from "../../src/internal/scheduler.js";

const EPOCH = Date.UTC(2000, 0, 1);

describe("sleep (virtual time)", () => {
  test("sleeps exactly d on the fake clock", async () => {
    await synctest.test(async () => {
      await time.sleep(90 * time.Minute);
      assert.equal(time.since(EPOCH), 90 * time.Minute);
      await time.sleep(1.25);
      assert.equal(time.since(EPOCH), 90 * time.Minute + 1.25);
    });
  });

  for (const [name, d] of [
    ["zero", 0],
    ["negative", -time.Second],
    ["NaN", NaN],
  ] as const) {
    test(`sleep(${name}) returns at once without advancing the clock`, async () => {
      await synctest.test(async () => {
        await time.sleep(d);
        assert.equal(time.since(EPOCH), 0);
      });
    });
  }

  test('a sleeping goroutine is parked with reason "sleep", durably', async () => {
    await synctest.test(async () => {
      const started = new Chan<number>(1);
      const finished = new Chan<void>();
      const g = go(async () => {
        started.trySend(1);
        await time.sleep(time.Hour);
        finished.close();
      });
      await started.recv();
      await synctest.wait();
      const rec = allGoroutines().find((x) => x.id === g.id)!;
      assert.equal(waitOf(rec)?.reason, "sleep");
      assert.equal(waitOf(rec)?.durable, true);
      await finished.recv();
      assert.equal(time.since(EPOCH), time.Hour);
    });
  });

  test("bad input", () => {
    assert.throws(() => time.sleep("1s" as unknown as number), TypeError);
  });
});

describe("now, since, until", () => {
  test("read the bubble's fake clock", async () => {
    await synctest.test(async () => {
      assert.equal(time.now().getTime(), EPOCH);
      await time.sleep(time.Second);
      assert.equal(time.since(new Date(EPOCH)), 1000);
      assert.equal(time.since(EPOCH), 1000, "epoch milliseconds work too");
      assert.equal(time.until(new Date(EPOCH + 5000)), 4000);
      assert.equal(time.until(EPOCH), -1000, "negative once passed");
    });
  });

  test("read the real clock outside a bubble", () => {
    const n = time.now().getTime();
    assert.ok(Math.abs(n - Date.now()) < 1000);
  });

  test("bad input is a TypeError", () => {
    assert.throws(() => time.since(new Date(NaN)), TypeError);
    assert.throws(() => time.until("2020" as unknown as Date), TypeError);
    assert.throws(() => time.since(undefined as unknown as Date), TypeError);
  });
});
