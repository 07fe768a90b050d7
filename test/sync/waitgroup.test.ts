import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { go, runtime } from "../../src/index.js";
import { WaitGroup } from "../../src/sync/index.js";
import { fakeBubble, goIn, settle, waitState } from "./helpers.js";

describe("WaitGroup", () => {
  test("wait resolves when every goroutine is done", async () => {
    const wg = new WaitGroup();
    const seen: number[] = [];
    wg.add(3);
    for (let i = 0; i < 3; i++) {
      go(async () => {
        await Promise.resolve();
        seen.push(i);
        wg.done();
      });
    }
    await wg.wait();
    assert.equal(seen.length, 3);
  });

  test("wait on a zero counter returns at once", async () => {
    await new WaitGroup().wait();
  });

  test("negative counter throws Go's error and leaves the counter unchanged", async () => {
    const wg = new WaitGroup();
    assert.throws(() => wg.done(), { message: "sync: negative WaitGroup counter" });
    wg.add(2);
    assert.throws(() => wg.add(-3), { message: "sync: negative WaitGroup counter" });
    wg.add(-2);
    await wg.wait();
  });

  test("add takes whole numbers only", () => {
    const wg = new WaitGroup();
    for (const bad of [1.5, NaN, Infinity, -Infinity]) {
      assert.throws(() => wg.add(bad), { name: "RangeError", message: /delta must be an integer/ });
    }
    assert.throws(() => wg.add("1" as unknown as number), TypeError);
  });

  test("go runs fn as a goroutine and counts it until it settles, sync or async", async () => {
    const wg = new WaitGroup();
    const before = runtime.numGoroutine();
    let n = 0;
    wg.go(() => {
      n++;
    });
    wg.go(async () => {
      await Promise.resolve();
      n++;
    });
    assert.equal(runtime.numGoroutine(), before + 2);
    await wg.wait();
    assert.equal(n, 2);
  });

  test("go still calls done when fn throws (the error then panics its goroutine)", async () => {
    const wg = new WaitGroup();
    const caught: unknown[] = [];
    const prev = runtime.setPanicHandler((e) => caught.push(e));
    try {
      wg.go(() => {
        throw new Error("sync boom");
      });
      wg.go(async () => {
        throw new Error("async boom");
      });
      await wg.wait();
      await settle();
      assert.deepEqual(
        caught.map((e) => (e as Error).message).sort(),
        ["async boom", "sync boom"],
      );
    } finally {
      runtime.setPanicHandler(prev);
    }
  });

  test("every waiter is released, and the group can be reused", async () => {
    const wg = new WaitGroup();
    wg.add(1);
    let released = 0;
    const ws = [wg.wait(), wg.wait(), wg.wait()].map((p) => p.then(() => released++));
    const g = go(() => wg.wait());
    await settle();
    assert.deepEqual(waitState(g.id), { reason: "sync.WaitGroup.Wait", durable: false });
    wg.done();
    await Promise.all(ws);
    assert.equal(released, 3);
    wg.add(1);
    let again = false;
    const p = wg.wait().then(() => (again = true));
    await settle();
    assert.equal(again, false);
    wg.done();
    await p;
  });

  test("wait is durable only when every add was made in the waiter's bubble", async () => {
    const b = fakeBubble();
    // All adds inside the bubble: durable.
    const wg1 = new WaitGroup();
    const g1 = goIn(b, async () => {
      wg1.add(1);
      await wg1.wait();
    });
    await settle();
    assert.deepEqual(waitState(g1.id), { reason: "sync.WaitGroup.Wait", durable: true });
    // One add from outside the bubble: not durable.
    const wg2 = new WaitGroup();
    wg2.add(1);
    const g2 = goIn(b, async () => {
      wg2.add(1);
      await wg2.wait();
    });
    await settle();
    assert.deepEqual(waitState(g2.id), { reason: "sync.WaitGroup.Wait", durable: false });
    // Adds from another bubble: not durable.
    const other = fakeBubble(9001);
    const wg3 = new WaitGroup();
    const adder = goIn(other, () => wg3.add(1));
    void adder;
    await settle();
    const g3 = goIn(b, () => wg3.wait());
    await settle();
    assert.deepEqual(waitState(g3.id), { reason: "sync.WaitGroup.Wait", durable: false });
    wg1.done();
    wg2.add(-2);
    wg3.done();
    await settle();
  });

  test("property: behaves like a sequential counter model", async () => {
    type Op = { kind: "add"; n: number } | { kind: "done" } | { kind: "wait" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), n: fc.integer({ min: -2, max: 3 }) }),
      fc.constant({ kind: "done" as const }),
      fc.constant({ kind: "wait" as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const wg = new WaitGroup();
        let model = 0;
        // Each wait: the round it belongs to is over once the model counter has been 0 since it began.
        const waits: { released: boolean; shouldRelease: boolean }[] = [];
        for (const o of ops) {
          if (o.kind === "wait") {
            const w = { released: false, shouldRelease: model === 0 };
            waits.push(w);
            void wg.wait().then(() => (w.released = true));
          } else {
            const d = o.kind === "add" ? o.n : -1;
            if (model + d < 0) {
              assert.throws(() => (o.kind === "add" ? wg.add(o.n) : wg.done()), {
                message: "sync: negative WaitGroup counter",
              });
            } else {
              if (o.kind === "add") wg.add(o.n);
              else wg.done();
              model += d;
              if (model === 0) for (const w of waits) w.shouldRelease = true;
            }
          }
          await settle();
          for (const w of waits) assert.equal(w.released, w.shouldRelease);
        }
        // Release leftover waiters so nothing stays parked when the run ends.
        if (model > 0) wg.add(-model);
        await settle();
        for (const w of waits) assert.equal(w.released, true);
      }),
      { numRuns: 60 },
    );
  });
});
