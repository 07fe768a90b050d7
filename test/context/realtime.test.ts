/**
 * goroutine/context on the real clock (outside synctest): short timers, generous bounds. Everything
 * timing-exact is in deadline.test.ts, in virtual time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { select, recv } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as time from "../../src/time/index.js";

test("withTimeout fires on the real clock; its signal works with AbortSignal-aware APIs", async () => {
  const [ctx, cancel] = context.withTimeout(context.background(), 20 * time.Millisecond);
  const start = time.now();
  // node:events.once rejects with an AbortError whose cause is the signal's reason.
  await assert.rejects(once(new EventEmitter(), "never", { signal: ctx.signal }), (e: Error) => {
    assert.equal(e.name, "AbortError");
    assert.equal(e.cause, context.DeadlineExceeded);
    return true;
  });
  assert.equal(ctx.err(), context.DeadlineExceeded);
  const waited = time.since(start);
  assert.ok(waited >= 15 && waited < 5000, `waited ${waited}ms`);
  cancel();
});

test("cancel beats a real-clock timeout, and the timer is cleared", async () => {
  const [ctx, cancel] = context.withTimeout(context.background(), 30 * time.Millisecond);
  cancel();
  assert.equal(ctx.err(), context.Canceled);
  await time.sleep(50);
  assert.equal(ctx.err(), context.Canceled);
});

test("a context made from AbortSignal.timeout reports DeadlineExceeded", async () => {
  // AbortSignal.timeout's timer is unref'd: alone it would not keep the process alive (see fromSignal).
  const keepAlive = setTimeout(() => {}, 10_000);
  const [ctx, cancel] = context.fromSignal(context.background(), AbortSignal.timeout(10));
  await select([recv(ctx.done())]);
  clearTimeout(keepAlive);
  assert.equal(ctx.err(), context.DeadlineExceeded);
  assert.equal(context.cause(ctx)?.name, "TimeoutError");
  cancel();
});
