/** threads.Chan as a task argument: tasks on the runtime's workers and main share one pipeline. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as threads from "../../src/threads/index.js";
import { doubler } from "./fixtures/chan-tasks.js";

const rt = threads.start({ workers: 2 });
after(() => rt.close());

test("channels passed to tasks connect them with the main thread (fan-out, fan-in)", async () => {
  const input = new threads.Chan<number>(4);
  const output = new threads.Chan<number>(4);
  const runs = [0, 1, 2].map(() => rt.run(doubler, input, output));
  const N = 300;
  const got: number[] = [];
  const collecting = (async () => {
    for (let i = 0; i < N; i++) got.push((await output.recv())!);
  })();
  for (let i = 0; i < N; i++) await input.send(i);
  input.close();
  await collecting;
  const moved = await Promise.all(runs);
  assert.equal(
    moved.reduce((a, b) => a + b, 0),
    N,
  );
  assert.deepEqual(
    got.sort((a, b) => a - b),
    Array.from({ length: N }, (_, i) => 2 * i),
  );
});
