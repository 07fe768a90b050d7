import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Once, onceFunc, onceValue, onceValues } from "../../src/sync/index.js";

describe("Once", () => {
  test("do calls f only once, even with different functions", async () => {
    const once = new Once();
    let a = 0;
    let b = 0;
    await once.do(() => a++);
    await once.do(() => a++);
    await once.do(() => b++);
    assert.equal(a, 1);
    assert.equal(b, 0);
  });

  test("concurrent callers of an async f all wait for its completion", async () => {
    const once = new Once();
    let inited = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: boolean[] = [];
    const callers = [0, 1, 2].map(() =>
      once
        .do(async () => {
          await gate;
          inited = true;
        })
        .then(() => seen.push(inited)),
    );
    await Promise.resolve();
    assert.deepEqual(seen, []);
    release();
    await Promise.all(callers);
    assert.deepEqual(seen, [true, true, true]);
  });

  test("a throwing f counts as done: only the caller that ran it sees the error (Go)", async () => {
    const once = new Once();
    await assert.rejects(
      once.do(() => {
        throw new Error("init failed");
      }),
      /init failed/,
    );
    let called = false;
    await once.do(() => (called = true));
    assert.equal(called, false);

    const once2 = new Once();
    const first = once2.do(async () => {
      await Promise.resolve();
      throw new Error("async init failed");
    });
    const second = once2.do(() => {});
    await assert.rejects(first, /async init failed/);
    await second; // resolves
  });
});

describe("onceFunc / onceValue / onceValues", () => {
  test("onceValue calls f once and returns the same value", () => {
    let calls = 0;
    const f = onceValue(() => {
      calls++;
      return { n: 1 };
    });
    const a = f();
    assert.equal(f(), a);
    assert.equal(calls, 1);
  });

  test("a throwing f re-throws the same error on every call", () => {
    let calls = 0;
    const err = new Error("bad");
    for (const wrap of [onceFunc, onceValue]) {
      const f = wrap(() => {
        calls++;
        throw err;
      });
      assert.throws(() => f(), (e) => e === err);
      assert.throws(() => f(), (e) => e === err);
    }
    assert.equal(calls, 2);
    const v = onceValues((): [number, Error | undefined] => {
      throw err;
    });
    assert.throws(() => v(), (e) => e === err);
    assert.throws(() => v(), (e) => e === err);
  });

  test("async f: every call gets the same promise (shared completion and rejection)", async () => {
    let calls = 0;
    const f = onceFunc(async () => {
      calls++;
      await Promise.resolve();
    });
    const p = f();
    assert.equal(f(), p);
    await p;
    assert.equal(calls, 1);
    const g = onceValue(async () => {
      throw new Error("nope");
    });
    await assert.rejects(g(), /nope/);
    await assert.rejects(g(), /nope/);
  });

  test("onceValues returns the pair", () => {
    let calls = 0;
    const f = onceValues(() => {
      calls++;
      return [7, undefined] as const;
    });
    const [v, err] = f();
    assert.equal(v, 7);
    assert.equal(err, undefined);
    f();
    assert.equal(calls, 1);
  });
});

describe("Once: parking", () => {
  test("a caller arriving while an async f runs is parked as sync.Once.Do until f settles", async () => {
    const { go } = await import("../../src/index.js");
    const { settle, waitState } = await import("./helpers.js");
    const once = new Once();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void once.do(() => gate);
    const g = go(() => once.do(() => {}));
    await settle();
    assert.deepEqual(waitState(g.id), { reason: "sync.Once.Do", durable: false });
    release();
    await settle();
    assert.equal(waitState(g.id).reason, "");
  });
});
