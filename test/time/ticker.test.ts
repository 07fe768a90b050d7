/**
 * time.Ticker and time.tick in virtual time (synctest): the tick grid, dropped ticks for a slow
 * receiver, Go 1.23's no-stale-tick rule for stop and reset, and bad periods.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { select, recv } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";

const EPOCH = Date.UTC(2000, 0, 1);
const elapsed = (): number => time.since(EPOCH);
const ms = (d: Date | undefined): number => d!.getTime() - EPOCH;

describe("Ticker (virtual time)", () => {
  test("ticks every d with the clock's time", async () => {
    await synctest.test(async () => {
      const t = new time.Ticker(time.Second);
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push(ms(await t.c.recv()));
      assert.deepEqual(got, [1000, 2000, 3000, 4000]);
      assert.equal(t.c.len, 0);
      assert.equal(t.c.cap, 0);
      t.stop();
    });
  });

  test("drops ticks for a slow receiver: one stale tick waits, no backlog, grid kept", async () => {
    await synctest.test(async () => {
      const t = new time.Ticker(time.Second);
      await time.sleep(5500); // ticks at 1s..5s; only the first is kept
      assert.equal(ms(await t.c.recv()), 1000, "the one tick that waited");
      assert.equal(t.c.tryRecv(), undefined, "the others were dropped, not queued");
      assert.equal(ms(await t.c.recv()), 6000, "the next tick is on the grid");
      assert.equal(elapsed(), 6000);
      t.stop();
    });
  });

  test("a busy consumer that takes 2.5 periods per tick sees every second or third tick", async () => {
    await synctest.test(async () => {
      const t = new time.Ticker(100);
      const got: number[] = [];
      for (let i = 0; i < 4; i++) {
        got.push(ms(await t.c.recv()));
        await time.sleep(250);
      }
      // recv 100, busy till 350 (200 waits, 300 dropped); recv 200, busy till 600 (400 waits; 500 and
      // the 600 tick that coincides with the wake-up are dropped); recv 400, busy till 850 (700 waits).
      assert.deepEqual(got, [100, 200, 400, 700]);
      t.stop();
    });
  });

  test("Go 1.23: stop discards a waiting tick and no tick comes after", async () => {
    await synctest.test(async () => {
      const t = new time.Ticker(time.Second);
      await time.sleep(1500);
      t.stop();
      assert.equal(t.c.tryRecv(), undefined, "the waiting 1s tick is gone");
      await time.sleep(time.Hour);
      assert.equal(t.c.tryRecv(), undefined);
      t.stop(); // twice is harmless
    });
  });

  test("Go 1.23: reset discards a waiting tick, changes the period, restarts from now", async () => {
    await synctest.test(async () => {
      const t = new time.Ticker(time.Second);
      await time.sleep(1500);
      t.reset(300);
      assert.equal(t.c.tryRecv(), undefined, "no stale tick after reset");
      assert.equal(ms(await t.c.recv()), 1800);
      assert.equal(ms(await t.c.recv()), 2100);
      t.stop();
      t.reset(time.Second); // restarts a stopped ticker
      assert.equal(ms(await t.c.recv()), elapsed());
      assert.equal(elapsed(), 3100);
      t.stop();
    });
  });

  for (const bad of [0, -1, NaN, -Infinity]) {
    test(`period ${bad} is a RangeError; so is reset(${bad}), leaving the ticker unchanged`, async () => {
      assert.throws(() => new time.Ticker(bad), {
        name: "RangeError",
        message: /^non-positive interval for NewTicker/,
      });
      await synctest.test(async () => {
        const t = new time.Ticker(time.Second);
        assert.throws(() => t.reset(bad), { name: "RangeError", message: /^non-positive interval for Ticker.Reset/ });
        assert.equal(ms(await t.c.recv()), 1000, "still ticking with its old period");
        t.stop();
      });
    });
  }

  test("non-number period is a TypeError", () => {
    assert.throws(() => new time.Ticker("1s" as unknown as number), TypeError);
  });
});

describe("tick", () => {
  test("a ticker's channel; nil for d <= 0 or NaN", async () => {
    await synctest.test(async () => {
      const c = time.tick(time.Minute);
      assert.equal(ms(await c.recv()), time.Minute);
      assert.equal(ms(await c.recv()), 2 * time.Minute);
      for (const d of [0, -1, NaN]) assert.equal(select([recv(time.tick(d), () => "tick")], () => "nil"), "nil");
    });
  });

  test("non-number is a TypeError", () => {
    assert.throws(() => time.tick(undefined as unknown as number), TypeError);
  });
});
