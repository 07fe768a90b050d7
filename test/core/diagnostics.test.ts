import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { subscribe, unsubscribe, tracingChannel } from "node:diagnostics_channel";
import { go, Chan, runtime } from "../../src/index.js";
import * as threads from "../../src/threads/index.js";
import { quickTask } from "../fixtures/obs-tasks.js";

test("goroutine:go:create and goroutine:block carry the goroutine and what it waits on", async () => {
  const created: { id: number; parentId: number; fn: string }[] = [];
  const blocked: { id: number; reason: string }[] = [];
  const onCreate = (m: unknown): void => void created.push(m as (typeof created)[0]);
  const onBlock = (m: unknown): void => void blocked.push(m as (typeof blocked)[0]);
  subscribe("goroutine:go:create", onCreate);
  subscribe("goroutine:block", onBlock);
  try {
    const ch = new Chan<number>();
    const g = go(async function waiter() {
      await ch.recv();
    });
    await Promise.resolve();
    await Promise.resolve();
    await ch.send(1);
    assert.deepEqual(created, [{ id: g.id, parentId: 1, fn: "waiter" }]);
    assert.deepEqual(blocked.filter((b) => b.id === g.id), [{ id: g.id, reason: "chan receive" }]);
  } finally {
    unsubscribe("goroutine:go:create", onCreate);
    unsubscribe("goroutine:block", onBlock);
  }
});

test("goroutine:panic carries the error of a goroutine that failed", async () => {
  const seen: unknown[] = [];
  const on = (m: unknown): void => void seen.push((m as { error: unknown }).error);
  subscribe("goroutine:panic", on);
  const handled = new Chan<void>(1);
  const prev = runtime.setPanicHandler(() => handled.close());
  try {
    const err = new Error("boom");
    go(() => {
      throw err;
    });
    await handled.recv();
    assert.deepEqual(seen, [err]);
  } finally {
    runtime.setPanicHandler(prev);
    unsubscribe("goroutine:panic", on);
  }
});

test("goroutine:deadlock carries the dump before the process exits", () => {
  const fixture = fileURLToPath(new URL("../fixtures/deadlock-dc.js", import.meta.url));
  const r = spawnSync(process.execPath, [fixture], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stdout, /dc:deadlock has-dump/);
});

test("goroutine:threads:run traces a task run from start to its settlement", async () => {
  const events: string[] = [];
  const tc = tracingChannel("goroutine:threads:run");
  const handlers = {
    start: () => void events.push("start"),
    end: () => void events.push("end"),
    asyncStart: () => void events.push("asyncStart"),
    asyncEnd: () => void events.push("asyncEnd"),
    error: () => void events.push("error"),
  };
  tc.subscribe(handlers);
  const rt = threads.start({ workers: 1 });
  try {
    assert.equal(await rt.run(quickTask, 41), 42);
    assert.deepEqual(events, ["start", "end", "asyncStart", "asyncEnd"]);
  } finally {
    tc.unsubscribe(handlers);
    await rt.close();
  }
});
