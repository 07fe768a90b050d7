/**
 * Regression (issue 17 item 11): sizes above 2^53 or 1e300 given to Weighted.acquire/tryAcquire and
 * errgroup.setLimit were refused as "must be a whole number" although whole. One rule now holds for
 * every size argument of the library (src/internal/size.ts): any integer >= the minimum is accepted,
 * however large; Infinity only where it means "no limit"; NaN, fractions and values below the minimum
 * are RangeErrors naming the argument; non-numbers are TypeErrors. This table runs the rule through the
 * shared validator and through one call site of each module that takes a size.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkSize } from "../../src/internal/size.js";
import { Chan } from "../../src/internal/chan.js";
import { Weighted } from "../../src/semaphore/index.js";
import { Group } from "../../src/errgroup/index.js";
import { Pool as SyncPool, WaitGroup } from "../../src/sync/index.js";
import { Pool } from "../../src/pool/index.js";
import * as context from "../../src/context/index.js";

const bg = context.background();

describe("checkSize: the one rule for sizes", () => {
  const accepted: [string, number, Parameters<typeof checkSize>[3]][] = [
    ["0", 0, undefined],
    ["-0 (returned as 0)", -0, undefined],
    ["2^53 - 1", 2 ** 53 - 1, undefined],
    ["2^53", 2 ** 53, undefined],
    ["2^60", 2 ** 60, undefined],
    ["1e300", 1e300, undefined],
    ["Number.MAX_VALUE", Number.MAX_VALUE, undefined],
    ["1 with min 1", 1, { min: 1 }],
    ["-5 with min -Infinity", -5, { min: -Infinity }],
    ["Infinity where unlimited", Infinity, { unlimited: true }],
  ];
  for (const [name, v, rule] of accepted) {
    test(`accepts ${name}`, () => {
      assert.ok(Object.is(checkSize(v, "f", "n", rule), v + 0));
    });
  }

  const refused: [string, unknown, Parameters<typeof checkSize>[3], ErrorConstructor, RegExp][] = [
    ["-1", -1, undefined, RangeError, /^f: n must be a whole number >= 0, got -1$/],
    ["0 with min 1", 0, { min: 1 }, RangeError, /^f: n must be a whole number >= 1, got 0$/],
    ["1.5", 1.5, undefined, RangeError, /^f: n must be a whole number >= 0, got 1\.5$/],
    ["NaN", NaN, undefined, RangeError, /got NaN$/],
    ["Infinity where no limit is meant", Infinity, undefined, RangeError, /got Infinity$/],
    ["-Infinity where unlimited", -Infinity, { unlimited: true }, RangeError, /or Infinity \(no limit\), got -Infinity$/],
    ["a fraction with min -Infinity", 0.5, { min: -Infinity }, RangeError, /^f: n must be an integer, got 0\.5$/],
    ['"3"', "3", undefined, TypeError, /^f: n must be a number, got string$/],
    ["3n", 3n, undefined, TypeError, /got bigint$/],
    ["null", null, undefined, TypeError, /got object$/],
  ];
  for (const [name, v, rule, ctor, msg] of refused) {
    test(`refuses ${name} with a ${ctor.name} naming the argument`, () => {
      assert.throws(() => checkSize(v, "f", "n", rule), (e: Error) => e instanceof ctor && msg.test(e.message));
    });
  }
});

describe("every size argument follows it", () => {
  test("Weighted: sizes and weights above 2^53 and 1e300 are accepted; Infinity is an unlimited size", async () => {
    for (const big of [2 ** 53, 2 ** 60, 1e300]) {
      const s = new Weighted(big);
      assert.equal(s.tryAcquire(big), true);
      assert.equal(s.tryAcquire(big), false);
      s.release(big);
      await s.acquire(bg, big);
      s.release(big);
    }
    const inf = new Weighted(Infinity);
    assert.equal(inf.tryAcquire(1e300), true);
    await inf.acquire(bg, 2 ** 60);
    assert.throws(() => inf.tryAcquire(Infinity), { name: "RangeError", message: /semaphore\.TryAcquire: n must be/ });
    assert.throws(() => new Weighted(1).tryAcquire(1.5), { name: "RangeError", message: /TryAcquire: n .* got 1\.5/ });
  });

  test("Weighted: a weight above the size is a valid request that can never be granted", () => {
    assert.equal(new Weighted(10).tryAcquire(1e300), false);
  });

  test("errgroup.setLimit: 2^53, 1e300 and Infinity are accepted (Infinity: no limit), fractions are not", async () => {
    for (const n of [2 ** 53, 1e300, Infinity]) {
      const g = new Group();
      g.setLimit(n);
      for (let i = 0; i < 3; i++) assert.equal(g.tryGo(() => undefined), true);
      await g.wait();
    }
    assert.throws(() => new Group().setLimit(2.5), { name: "RangeError", message: /errgroup\.SetLimit: n must be an integer/ });
    assert.throws(() => new Group().setLimit("2" as unknown as number), TypeError);
  });

  test("channel capacity, WaitGroup delta, sync.Pool max, pool goroutines: large whole numbers accepted", () => {
    assert.equal(new Chan<number>(2 ** 60).cap, 2 ** 60);
    const wg = new WaitGroup();
    wg.add(2 ** 60);
    wg.add(-(2 ** 60));
    assert.doesNotThrow(() => new SyncPool<number>({ max: Infinity }));
    assert.doesNotThrow(() => new Pool().withMaxGoroutines(1e300));
    assert.doesNotThrow(() => new Pool().withMaxGoroutines(Infinity));
    assert.throws(() => new Pool().withMaxGoroutines(0), { name: "RangeError", message: /n must be a whole number >= 1/ });
  });
});

describe("a cache's max follows it too", () => {
  test("max 1e9, 1e300 and Infinity make a usable cache (no slot preallocated per entry)", async () => {
    const { Cache } = await import("../../src/cache/index.js");
    for (const max of [1e9, 1e300, Infinity]) {
      const c = new Cache<string, number>({ ttl: 1000, max, load: async () => 1 });
      assert.equal(await c.get("a"), 1);
      await c.close();
    }
    assert.throws(() => new Cache({ ttl: 1, max: 0.5 }), { name: "RangeError", message: /cache: max must be a whole number >= 1/ });
  });
});
