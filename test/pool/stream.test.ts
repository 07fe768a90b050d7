// Stream and iter: conc's stream and iter tests ported to our contract.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Chan } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import { Stream, iter } from "../../src/pool/index.js";

describe("Stream", () => {
  test("callbacks run in submission order, one at a time", async () => {
    await synctest.test(async () => {
      const s = new Stream().withMaxGoroutines(5);
      const order: number[] = [];
      let inCallback = 0;
      for (let i = 0; i < 20; i++) {
        await s.go(async () => {
          await time.sleep((i * 7) % 5);
          return async () => {
            assert.equal(++inCallback, 1);
            await time.sleep(1);
            order.push(i);
            inCallback--;
          };
        });
      }
      await s.wait();
      assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
    });
  });

  test("a task without a callback is skipped", async () => {
    const s = new Stream();
    const seen: number[] = [];
    await s.go(() => undefined);
    await s.go(() => () => void seen.push(1));
    await s.wait();
    assert.deepEqual(seen, [1]);
  });

  test("max goroutines bounds the tasks running at once", async () => {
    await synctest.test(async () => {
      const s = new Stream().withMaxGoroutines(3);
      let active = 0;
      let top = 0;
      for (let i = 0; i < 20; i++) {
        await s.go(async () => {
          top = Math.max(top, ++active);
          await time.sleep(1);
          active--;
          return undefined;
        });
      }
      await s.wait();
      assert.equal(top, 3);
    });
  });

  test("an error in a task is wait's; later callbacks still run", async () => {
    const s = new Stream();
    const seen: number[] = [];
    await s.go(() => Promise.reject(new Error("task")));
    await s.go(() => () => void seen.push(2));
    await assert.rejects(s.wait(), /task/);
    assert.deepEqual(seen, [2]);
  });

  test("an error in a callback does not block producers and is wait's", async () => {
    const s = new Stream().withMaxGoroutines(1);
    let n = 0;
    for (let i = 0; i < 10; i++) {
      await s.go(() => () => {
        n++;
        if (i === 0) throw new Error("callback");
      });
    }
    await assert.rejects(s.wait(), /callback/);
    assert.equal(n, 10);
  });

  test("go blocks once max + 1 callbacks are waiting", async () => {
    const s = new Stream().withMaxGoroutines(1);
    const gate = new Chan<void>();
    await s.go(() => () => gate.recv()); // its callback holds the callbacker
    let submitted = 0;
    const more = (async () => {
      for (let i = 0; i < 5; i++) {
        await s.go(() => undefined);
        submitted++;
      }
    })();
    await new Promise((r) => setImmediate(r));
    assert.ok(submitted < 5, `submitted ${submitted}`);
    gate.close();
    await more;
    await s.wait();
    assert.equal(submitted, 5);
  });
});

describe("iter", () => {
  test("map keeps input order and bounds concurrency", async () => {
    await synctest.test(async () => {
      let active = 0;
      let top = 0;
      const got = await iter.map(
        Array.from({ length: 50 }, (_, i) => i),
        async (x) => {
          top = Math.max(top, ++active);
          await time.sleep((x * 13) % 7);
          active--;
          return x * 2;
        },
        { maxGoroutines: 4 },
      );
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i * 2));
      assert.equal(top, 4);
    });
  });

  test("forEach visits every item once, with its index", async () => {
    const seen = new Array<number>(30).fill(0);
    await iter.forEach(new Set(Array.from({ length: 30 }, (_, i) => i)), (x, i) => {
      assert.equal(x, i);
      seen[x]++;
    });
    assert.deepEqual(seen, new Array<number>(30).fill(1));
  });

  test("empty input, and more goroutines than items", async () => {
    assert.deepEqual(await iter.map([], (x: number) => x), []);
    assert.deepEqual(await iter.map([1], (x) => x + 1, { maxGoroutines: 100 }), [2]);
  });

  test("a throwing call rejects with the first error and starts no further item", async () => {
    let started = 0;
    await assert.rejects(
      iter.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        async (x) => {
          started++;
          await Promise.resolve();
          if (x === 3) throw new Error("three");
        },
        { maxGoroutines: 2 },
      ),
      /three/,
    );
    assert.ok(started < 10, `started ${started}`);
  });

  test("bad arguments", async () => {
    await assert.rejects(iter.map([1], (x) => x, { maxGoroutines: 0 }), RangeError);
    await assert.rejects(iter.forEach([1], 3 as unknown as () => void), TypeError);
  });

  test("property: map equals the sequential map for any input and limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer()), fc.integer({ min: 1, max: 10 }), async (xs, max) => {
        const got = await iter.map(xs, async (x) => x * 3 + 1, { maxGoroutines: max });
        assert.deepEqual(got, xs.map((x) => x * 3 + 1));
      }),
      { numRuns: 100 },
    );
  });
});
