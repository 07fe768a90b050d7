// Wake-up order: a goroutine woken through a buffered channel runs when its waker blocks (Go's runnext
// on one P), so the two ends of a buffered channel work in batches; unbuffered hand-offs stay immediate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";

test("a producer fills the buffer before the consumer it woke runs", async () => {
  await synctest.test(async () => {
    const ch = new Chan<number>(8);
    const lens: number[] = [];
    const done = new Chan<void>();
    go(async () => {
      for await (const _ of ch) lens.push(ch.len);
      done.close();
    });
    await synctest.wait(); // the consumer is parked on the empty channel
    for (let i = 1; i <= 8; i++) await ch.send(i); // 1 is handed over, 2..8 fill the buffer
    ch.close();
    await done.recv();
    assert.deepEqual(lens, [7, 6, 5, 4, 3, 2, 1, 0]);
  });
});

test("a held wake is released when the microtask queue drains, before timers and I/O", async () => {
  const ch = new Chan<number>(1);
  let got: number | undefined;
  go(async () => {
    got = await ch.recv();
  });
  await new Promise<void>((r) => setImmediate(r)); // the receiver has parked
  assert.equal(ch.trySend(42), true); // wakes the receiver; the waker does not block
  assert.equal(got, undefined);
  await new Promise<void>((r) => setTimeout(r, 0)); // first macrotask after the burst
  assert.equal(got, 42);
});

test("an unbuffered hand-off lets the receiver run right after the sender's await", async () => {
  const ch = new Chan<number>();
  const order: string[] = [];
  go(async () => {
    order.push(`got ${await ch.recv()}`);
  });
  await new Promise<void>((r) => setImmediate(r));
  await ch.send(1);
  order.push("sender resumed");
  await Promise.resolve();
  assert.deepEqual(order, ["got 1", "sender resumed"]);
});
