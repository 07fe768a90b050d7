/** Shared primitives passed to tasks as arguments reach the same objects on every thread. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as threads from "../../src/threads/index.js";
import { lockedIncrements } from "./fixtures/tasks.js";

const rt = threads.start({ workers: 2 });
after(() => rt.close());

test("a Mutex, an Int32 and a WaitGroup passed to tasks are shared with the main thread", async () => {
  const mu = new threads.Mutex();
  const counter = new threads.Int32(0);
  const wg = new threads.WaitGroup();
  const per = 300;
  wg.add(4);
  const runs = [0, 1, 2, 3].map(() => rt.run(lockedIncrements, mu, counter, wg, per));
  // The main thread takes part under the same lock.
  for (let i = 0; i < per; i++) {
    using _ = await mu.lock();
    const v = counter.load();
    await Promise.resolve();
    counter.store(v + 1);
  }
  await wg.wait();
  assert.equal(counter.load(), 5 * per);
  await Promise.all(runs);
});
