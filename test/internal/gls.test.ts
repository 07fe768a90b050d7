// The goroutine-local slot: which backend is active, and that identity follows awaits and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, type Goroutine } from "../../src/index.js";
import { AsyncLocalStorage } from "node:async_hooks";
import * as gls from "../../src/internal/gls.js";
import { currentG } from "../../src/internal/scheduler.js";

test("the addon is active on every Node line CI runs, in the form that line needs", () => {
  // Node 20 and 22 keep nothing of their own in V8's slot: the addon writes the goroutine there. Node 24
  // (and 22 with --experimental-async-context-frame) keep their AsyncContextFrame there: the addon writes
  // frames that extend Node's. AsyncLocalStorage only when forced.
  const frameBased = typeof (AsyncLocalStorage.prototype as { _enable?: unknown })._enable !== "function";
  const expected = process.env["GOROUTINE_CONTEXT"] === "als" ? "als" : frameBased ? "frame" : "native";
  assert.equal(
    gls.mode,
    expected,
    `no addon loaded: prebuilds/${process.platform}-${process.arch}/node.abi${process.versions.modules}.node ` +
      "should ship in the package (npm run prebuild), or build/Release be built by npm ci",
  );
});

test("an AsyncLocalStorage store current at go() is the goroutine's, and its own run() keeps the goroutine", async () => {
  const als = new AsyncLocalStorage<string>();
  const seen = new Chan<[string | undefined, number, string | undefined, number, string | undefined]>(1);
  let g!: Goroutine;
  await als.run("request-7", async () => {
    g = go(async () => {
      const store = als.getStore();
      await Promise.resolve();
      const [inner, innerId] = await als.run("inner", async () => {
        await new Promise<void>((r) => setImmediate(r));
        return [als.getStore(), currentG().id] as const;
      });
      await seen.send([store, currentG().id, inner, innerId, als.getStore()]);
    });
    await Promise.resolve();
  });
  const [store, id, inner, innerId, after] = (await seen.recv())!;
  assert.deepEqual([store, id, inner, innerId, after], ["request-7", g.id, "inner", g.id, "request-7"]);
  assert.equal(als.getStore(), undefined, "main's store is untouched");
});

test("a chain of goroutines each spawning the next keeps no ancestor reachable from the slot", async () => {
  // Frame backend: each goroutine's frame extends its parent's Node frame, never its parent's frame, so
  // a self-respawning loop does not grow a chain that keeps every ancestor alive.
  const als = new AsyncLocalStorage<number>();
  const done = new Chan<[number[], number[]]>(1);
  const stores: number[] = [];
  const depths: number[] = [];
  const step = (left: number): void => {
    go(async () => {
      await Promise.resolve();
      stores.push(als.getStore() ?? -1);
      depths.push(gls.frameDepth());
      if (left === 0) await done.send([stores, depths]);
      else step(left - 1);
    });
  };
  als.run(42, () => step(5));
  const [s, d] = (await done.recv())!;
  assert.deepEqual(s, [42, 42, 42, 42, 42, 42]);
  assert.deepEqual(d, new Array<number>(6).fill(gls.mode === "frame" ? 1 : 0));
});

test("a goroutine keeps its identity across awaits of every kind", async () => {
  const seen = new Chan<[number, number, number, number]>(1);
  const g = go(async () => {
    const a = currentG().id;
    await Promise.resolve();
    const b = currentG().id;
    await new Promise<void>((r) => setImmediate(r));
    const c = currentG().id;
    await new Chan<void>(1).send(undefined);
    await Promise.all([Promise.resolve(), new Promise((r) => setTimeout(r, 1))]);
    await seen.send([a, b, c, currentG().id]);
  });
  const [a, b, c, d] = (await seen.recv())!;
  assert.deepEqual([a, b, c, d], [g.id, g.id, g.id, g.id]);
});

test("run restores the previous value, also when fn throws", () => {
  assert.equal(gls.get(), undefined);
  assert.throws(() =>
    gls.run("x", () => {
      assert.equal(gls.get(), "x");
      throw new Error("out");
    }),
  );
  assert.equal(gls.get(), undefined);
});

test("identity does not leak from a goroutine into later unrelated callbacks", async () => {
  const done = new Chan<void>();
  go(async () => {
    await Promise.resolve();
    await done.send(undefined);
  });
  await done.recv();
  const inTimer = await new Promise<number>((r) => setTimeout(() => r(currentG().id), 0));
  assert.equal(inTimer, 1, "a timer callback scheduled by main runs as main");
});
