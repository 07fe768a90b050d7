// Real-clock checks of goroutine/metrics: /sync/mutex/wait/total measures real waiting time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as sync from "../../src/sync/index.js";
import * as metrics from "../../src/metrics/index.js";

function value(name: string): number {
  const s: metrics.Sample[] = [{ name }];
  metrics.read(s);
  return s[0].value!.value as number;
}

test("mutex wait time accumulates while a goroutine waits for a held Mutex", async () => {
  const before = value("/sync/mutex/wait/total:seconds");
  const mu = new sync.Mutex();
  await mu.lock();
  const got = new Chan<void>();
  go(async () => {
    await mu.lock();
    mu.unlock();
    got.close();
  });
  await new Promise((r) => setTimeout(r, 20)); // hold the lock 20 ms of real time: the metric measures it
  mu.unlock();
  await got.recv();
  assert.ok(value("/sync/mutex/wait/total:seconds") - before >= 0.005);
});

