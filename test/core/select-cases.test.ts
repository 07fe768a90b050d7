/**
 * select's documented contract (TSDoc in src/select.ts): `ctx.done()` and `time.after(d)` are ordinary channels, so timeouts and cancellation are
 * just cases. (Real timers here, with no bound on how late they may fire.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Chan } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select } from "../../src/select.js";
import * as time from "../../src/time/index.js";
import * as context from "../../src/context/index.js";

test("time.after is a channel: a timeout case wins over a silent channel", async () => {
  const timeout = time.after(5 * time.Millisecond);
  assert.ok(timeout instanceof Chan);
  const silent = new Chan<string>();
  const r = await select([recv(silent, (v) => `got ${v}`), recv(timeout, () => "timeout")]);
  assert.equal(r, "timeout");
  assert.equal(silent.trySend("late"), false, "the losing case left no receiver behind");
});

test("a value that is ready wins over a timeout that is not", async () => {
  const ch = new Chan<string>(1);
  ch.trySend("now");
  // An abandoned one-hour timer must not keep this test process alive (core-bugs #6).
  assert.equal(await select([recv(ch, (v) => v), recv(time.after(time.Hour), () => "timeout")]), "now");
});

test("ctx.done() is a channel: cancel wakes a blocked select with ok = false", async () => {
  const [ctx, cancel] = context.withCancel(context.background());
  assert.ok(ctx.done() instanceof Chan);
  const work = new Chan<number>();
  const out = new Chan<string>(1);
  go(async () => {
    await out.send(await select([recv(work, (v) => `work ${v}`), recv(ctx.done(), (_v, ok) => `canceled ok=${ok}`)]));
  });
  cancel();
  assert.equal(await out.recv(), "canceled ok=false");
  assert.equal(ctx.err(), context.Canceled);
});

test("an already canceled context is a ready case: the default does not run", () => {
  const [ctx, cancel] = context.withCancel(context.background());
  cancel();
  assert.equal(select([recv(ctx.done(), () => "done")], () => "default"), "done");
});

test("context.background().done() never becomes ready", () => {
  assert.equal(select([recv(context.background().done(), () => "done")], () => "default"), "default");
});
