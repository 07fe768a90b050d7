// The goroutine-local slot: which backend is active, and that identity follows awaits and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as gls from "../../src/internal/gls.js";
import { currentG } from "../../src/internal/scheduler.js";

test("the native backend is active on Node 20-23 unless GOROUTINE_CONTEXT=als", () => {
  const major = Number(process.versions.node.split(".")[0]);
  const expected = process.env["GOROUTINE_CONTEXT"] === "als" || major >= 24 ? "als" : "native";
  assert.equal(gls.mode, expected, "build/Release/goroutine_context.node should have been built by `npm ci`");
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
