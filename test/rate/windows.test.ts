// goroutine/rate: the seeds' other algorithms (leaky bucket, fixed window, sliding log, sliding counter)
// behind RateLimiter, in virtual time; a contract suite run against every limiter, then each one's edges.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, runtime } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as context from "../../src/context/index.js";
import {
  Limiter,
  type RateLimiter,
  RateLimitError,
  fixedWindow,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
} from "../../src/rate/index.js";

const bg = context.background();

/** Every limiter here admits 10 events per second at most, from a standing start. */
const factories: [string, () => RateLimiter][] = [
  ["Limiter(10, 1)", () => new Limiter(10, 1)],
  ["leakyBucket(10/s)", () => leakyBucket({ rate: 10, capacity: 1000 })],
  ["fixedWindow(10/s)", () => fixedWindow({ limit: 10, window: time.Second })],
  ["slidingWindowLog(10/s)", () => slidingWindowLog({ limit: 10, window: time.Second })],
  ["slidingWindowCounter(10/s)", () => slidingWindowCounter({ limit: 10, window: time.Second })],
];

for (const [name, make] of factories) {
  describe(`RateLimiter contract: ${name}`, () => {
    test("waiters are admitted in FIFO order, at most 10 per second (the counter's estimate admits fewer)", async () => {
      await synctest.test(async () => {
        const lim = make();
        const order: number[] = [];
        const done = new Chan<void>(40);
        const start = time.now().getTime();
        for (let i = 0; i < 40; i++) {
          go(async () => {
            await lim.wait(bg);
            order.push(i);
            await done.send();
          });
        }
        for (let i = 0; i < 40; i++) await done.recv();
        assert.deepEqual(
          order,
          Array.from({ length: 40 }, (_, i) => i),
        );
        const took = time.now().getTime() - start;
        assert.ok(took >= 2900 && took <= 4500, `40 events took ${took} ms`);
      });
    });
    test("a cancelled wait rejects with the context's error and lets the next one through", async () => {
      await synctest.test(async () => {
        const lim = make();
        while (lim.allow());
        const [ctx, cancel] = context.withCancel(bg);
        const out = new Chan<unknown>(2);
        go(async () => out.send(await lim.wait(ctx).catch((e: unknown) => e)));
        await synctest.wait();
        go(async () => out.send(await lim.wait(bg).then(() => "second")));
        await synctest.wait();
        cancel();
        assert.equal(await out.recv(), context.Canceled);
        assert.equal(await out.recv(), "second");
      });
    });
    test("allow is false while others wait (no barging)", async () => {
      await synctest.test(async () => {
        const lim = make();
        while (lim.allow());
        const out = new Chan<void>(1);
        go(async () => out.send(await lim.wait(bg)));
        await synctest.wait();
        assert.equal(lim.allow(), false);
        await out.recv();
      });
    });
    test("an already-done context rejects at once", async () => {
      const lim = make();
      const [ctx, cancel] = context.withCancel(bg);
      cancel();
      await assert.rejects(lim.wait(ctx), (e) => e === context.Canceled);
    });
    test("cancelled waits on the real clock leave no goroutine, timer or listener behind", async () => {
      const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      const g0 = runtime.numGoroutine();
      const t0 = timers();
      const lim = make();
      while (lim.allow());
      const cancels: (() => void)[] = [];
      const waits: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const [ctx, cancel] = context.withCancel(bg);
        cancels.push(cancel);
        waits.push(lim.wait(ctx).catch((e: unknown) => e));
      }
      assert.ok(timers() > t0, "someone waits on a timer");
      for (const c of cancels.reverse()) c();
      assert.ok((await Promise.all(waits)).every((e) => e === context.Canceled));
      await new Promise((r) => setImmediate(r));
      assert.ok(timers() <= t0, `timers left: ${timers()} > ${t0}`);
      assert.ok(runtime.numGoroutine() <= g0);
    });
    test("bad n is a RangeError", () => {
      const lim = make();
      assert.throws(() => lim.allowN(new Date(0), -1), RangeError);
      assert.throws(() => lim.waitN(bg, 1.5), RangeError);
    });
  });
}

describe("rate.leakyBucket", () => {
  test("events leave at a constant rate, with no burst", async () => {
    await synctest.test(async () => {
      const lb = leakyBucket({ rate: 4, capacity: 10 });
      const start = time.now().getTime();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        await lb.wait(bg);
        times.push(time.now().getTime() - start);
      }
      assert.deepEqual(times, [0, 250, 500, 750, 1000]);
    });
  });
  test("a full queue rejects the next wait at once with RateLimitError", async () => {
    await synctest.test(async () => {
      const lb = leakyBucket({ rate: 1, capacity: 2 });
      assert.equal(lb.allow(), true);
      const a = lb.wait(bg);
      const b = lb.wait(bg);
      const err = await lb.wait(bg).catch((e: unknown) => e);
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.retryAfter, 1000);
      await a;
      await b;
      assert.equal(time.since(new Date(Date.UTC(2000, 0, 1))), 2000);
    });
  });
  test("bad options are RangeErrors naming them", () => {
    assert.throws(() => leakyBucket({ rate: 0, capacity: 1 }), { name: "RangeError", message: /rate/ });
    assert.throws(() => leakyBucket({ rate: 1, capacity: 0 }), { name: "RangeError", message: /capacity/ });
    assert.throws(() => leakyBucket({ rate: NaN, capacity: 1 }), { name: "RangeError", message: /rate/ });
  });
});

describe("rate.fixedWindow", () => {
  test("limit per aligned window; a burst at the boundary is allowed (the algorithm's known edge)", () => {
    const fw = fixedWindow({ limit: 3, window: 1000 });
    const at = (ms: number): Date => new Date(10_000 + ms);
    assert.equal(fw.allowN(at(900), 3), true);
    assert.equal(fw.allowN(at(999), 1), false);
    assert.equal(fw.allowN(at(1000), 3), true); // 6 events within 100 ms
    assert.equal(fw.allowN(at(1500), 1), false);
  });
  test("n > limit fails wait at once", async () => {
    await assert.rejects(fixedWindow({ limit: 2, window: 10 }).waitN(bg, 3), { message: "rate: Wait(n=3) exceeds limit 2" });
  });
  test("a wait that cannot make the deadline fails at once", async () => {
    await synctest.test(async () => {
      const fw = fixedWindow({ limit: 1, window: time.Second });
      fw.allow();
      const [ctx, cancel] = context.withTimeout(bg, 100);
      await assert.rejects(fw.wait(ctx), { message: "rate: Wait(n=1) would exceed context deadline" });
      cancel();
    });
  });
  test("bad options are RangeErrors naming them", () => {
    assert.throws(() => fixedWindow({ limit: -1, window: 1 }), { name: "RangeError", message: /limit/ });
    assert.throws(() => fixedWindow({ limit: 1, window: 0 }), { name: "RangeError", message: /window/ });
  });
});

describe("rate.slidingWindowLog", () => {
  test("at most limit events in any window", () => {
    const sw = slidingWindowLog({ limit: 3, window: 1000 });
    const at = (ms: number): Date => new Date(10_000 + ms);
    assert.equal(sw.allowN(at(900), 3), true);
    assert.equal(sw.allowN(at(1000), 1), false); // unlike the fixed window
    assert.equal(sw.allowN(at(1899), 1), false);
    assert.equal(sw.allowN(at(1900), 3), true);
  });
  test("a waiter wakes exactly when the oldest event leaves the window", async () => {
    await synctest.test(async () => {
      const sw = slidingWindowLog({ limit: 2, window: 1000 });
      sw.allow();
      await time.sleep(300);
      sw.allow();
      const start = time.now().getTime();
      await sw.waitN(bg, 2);
      assert.equal(time.now().getTime() - start, 1000); // both must leave: the second at 300 + 1000
    });
  });
});

describe("rate.slidingWindowCounter", () => {
  test("the previous window counts in proportion to its overlap", () => {
    const sc = slidingWindowCounter({ limit: 10, window: 1000 });
    assert.equal(sc.allowN(new Date(900), 10), true);
    assert.equal(sc.allowN(new Date(1250), 3), false); // 10·0.75 + 3 = 10.5 > 10
    assert.equal(sc.allowN(new Date(1250), 2), true); // 7.5 + 2 = 9.5
  });
  test("a waiter wakes when enough of the previous window has slid out", async () => {
    await synctest.test(async () => {
      const sc = slidingWindowCounter({ limit: 10, window: 1000 });
      const origin = time.now().getTime(); // aligned: 2000-01-01 is a whole second
      assert.equal(sc.allowN(new Date(origin), 10), true);
      await time.sleep(1000); // next window: the estimate is 10·(1 − 0) = 10
      const start = time.now().getTime();
      await sc.waitN(bg, 4); // needs 10·(1 − f) + 4 <= 10: f >= 0.4
      assert.equal(time.now().getTime() - start, 400);
    });
  });
});
