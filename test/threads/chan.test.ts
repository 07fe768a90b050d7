/**
 * threads.Chan across threads (raw workers): order, rendezvous, close, iteration, many-to-many, and bad
 * input. Select is in chan-select.test.ts, the model-based property test in chan-property.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as threads from "../../src/threads/index.js";
import { ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { dump } from "../../src/internal/scheduler.js";
import { SHARED, decodeValue, encodeValue } from "../../src/internal/threads/codec.js";
import { queued } from "../../src/internal/threads/chan.js";
import { heap } from "../../src/internal/threads/heap.js";
import { onWorker, waitFor } from "./support.js";
import { stateAfterTurns, track } from "../core/helpers.js";

const off = (ch: threads.Chan<unknown>): number => ch[SHARED].off;
const closedErr = (msg: string) => (e: unknown) => e instanceof ChanClosedError && e.message === msg;

describe("threads.Chan across threads", () => {
  test("values from each sender arrive in the order sent (3 worker producers, buffered)", async () => {
    const ch = new threads.Chan<[number, number]>(4);
    const producers = [1, 2, 3].map((id) => onWorker("produce", ch, id, 200));
    const next = new Map<number, number>();
    for (let k = 0; k < 600; k++) {
      const [id, i] = (await ch.recv())!;
      assert.equal(i, next.get(id) ?? 0, `sender ${id} out of order`);
      next.set(id, i + 1);
    }
    assert.deepEqual(await Promise.all(producers), [200, 200, 200]);
    assert.deepEqual(ch.tryRecv(), undefined);
  });

  test("unbuffered: a send completes only when another thread receives it", async () => {
    const ch = new threads.Chan<string>();
    assert.equal(ch.trySend("no one listens"), false);
    const sent = track(ch.send("hello"));
    assert.equal(await stateAfterTurns(sent.promise, 5), "pending");
    assert.equal(ch.len, 0);
    assert.equal(queued(off(ch), true), 1);
    assert.deepEqual(await onWorker("recvOk", ch), ["hello", true]);
    await sent.promise;
    assert.equal(queued(off(ch), true), 0);
    // and the other way: a receive waits for a sender on another thread
    const got = ch.recvOk();
    assert.equal(await onWorker("sendOnce", ch, "back"), "sent");
    assert.deepEqual(await got, ["back", true]);
  });

  test("close wakes receivers parked on other threads and makes senders reject", async () => {
    const ch = new threads.Chan<number>();
    const receivers = [onWorker("recvOk", ch), onWorker("recvOk", ch)];
    await waitFor(() => queued(off(ch), false) === 2, "two parked receivers");
    ch.close();
    assert.deepEqual(await Promise.all(receivers), [
      [undefined, false],
      [undefined, false],
    ]);

    const ch2 = new threads.Chan<number>();
    const sender = onWorker("sendOnce", ch2, 1);
    await waitFor(() => queued(off(ch2), true) === 1, "a parked sender");
    ch2.close();
    assert.equal(await sender, "send on closed channel");
    await assert.rejects(ch2.send(2), closedErr("send on closed channel"));
    assert.throws(() => ch2.trySend(3), closedErr("send on closed channel"));
    assert.throws(() => ch2.close(), closedErr("close of closed channel"));
    assert.deepEqual(await ch2.recvOk(), [undefined, false]);
  });

  test("buffered values stay receivable after close, then ok = false", async () => {
    const ch = new threads.Chan<number>(3);
    assert.equal(await onWorker("produce", ch, 7, 3), 3);
    ch.close();
    assert.equal(ch.len, 3);
    assert.deepEqual(await onWorker("consume", ch), [
      [7, 0],
      [7, 1],
      [7, 2],
    ]);
    assert.deepEqual(ch.tryRecv(), [undefined, false]);
  });

  test("for await on main drains worker producers until close", async () => {
    const ch = new threads.Chan<[number, number]>(2);
    const producers = [onWorker("produce", ch, 1, 150), onWorker("produce", ch, 2, 150)];
    go(async () => {
      await Promise.all(producers);
      ch.close();
    });
    const got: [number, number][] = [];
    for await (const v of ch) got.push(v);
    assert.equal(got.length, 300);
    for (const id of [1, 2]) {
      assert.deepEqual(
        got.filter(([p]) => p === id).map(([, i]) => i),
        Array.from({ length: 150 }, (_, i) => i),
      );
    }
  });

  test("4 producers × 4 consumers over two threads and main: nothing lost or duplicated", async () => {
    const N = 400;
    const ch = new threads.Chan<[number, number]>(8);
    const producers = [onWorker("produce", ch, 1, N), onWorker("produce", ch, 2, N)];
    for (const id of [3, 4]) {
      producers.push(
        (async () => {
          for (let i = 0; i < N; i++) await ch.send([id, i]);
          return N;
        })(),
      );
    }
    const consumers: Promise<unknown[]>[] = [onWorker<unknown[]>("consume", ch)];
    for (let c = 0; c < 3; c++) {
      consumers.push(
        (async () => {
          const got: unknown[] = [];
          for await (const v of ch) got.push(v);
          return got;
        })(),
      );
    }
    await Promise.all(producers);
    ch.close();
    const all = (await Promise.all(consumers)).flat() as [number, number][];
    const keys = all.map(([id, i]) => id * 1e6 + i);
    assert.equal(new Set(keys).size, keys.length, "a value was received twice");
    assert.equal(keys.length, 4 * N, "a value was lost");
  });

  test("a channel crosses threads as itself: one proxy per thread, usable inside values", async () => {
    const ch = new threads.Chan<number>(1);
    assert.equal(decodeValue(encodeValue(ch)), ch);
    assert.equal((decodeValue(encodeValue({ inner: [ch] })) as { inner: unknown[] }).inner[0], ch);
    const carrier = new threads.Chan<{ reply: threads.Chan<number> }>(1);
    await carrier.send({ reply: ch });
    const { reply } = (await carrier.recv())!;
    assert.equal(reply, ch);
    assert.equal(reply.cap, 1);
  });

  test("the shared heap growing under a channel (a worker sending large values) loses nothing", async () => {
    const ch = new threads.Chan<Uint8Array>();
    const small = new threads.Chan<number>();
    const before = heap().sab.byteLength;
    const producer = onWorker("produceBytes", ch, 6, 3 << 20);
    for (let i = 0; i < 6; i++) {
      // a receive that parks (its record allocated around the growth) and a small value that follows
      const got = (await ch.recv())!;
      assert.equal(got.length, 3 << 20);
      assert.ok(got[0] === i && got[got.length - 1] === i);
      const r = small.recv();
      await small.send(i);
      assert.equal(await r, i);
    }
    assert.equal(await producer, 6);
    assert.ok(heap().sab.byteLength > before, "the heap did not grow; the test proves nothing");
  });

  test("a parked goroutine shows Go's wait reasons in the dump", async () => {
    const ch = new threads.Chan<number>();
    const done = new threads.Chan<boolean>(1);
    go(async () => done.send((await ch.recvOk())[1]));
    await waitFor(() => queued(off(ch), false) === 1, "the parked receiver");
    const text = dump();
    assert.match(text, /\[threads\.chan receive/, text);
    ch.close();
    assert.equal(await done.recv(), false);
  });
});

describe("threads.Chan bad input", () => {
  test("capacity is checked like make(chan T, n)", () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 27]) {
      assert.throws(() => new threads.Chan(bad), RangeError, String(bad));
    }
    assert.throws(() => new threads.Chan("3" as unknown as number), TypeError);
    assert.equal(new threads.Chan().cap, 0);
    assert.equal(new threads.Chan(5).cap, 5);
  });

  test("a value that cannot cross threads is a TypeError and leaves the channel unchanged", async () => {
    const ch = new threads.Chan<unknown>(2);
    await assert.rejects(ch.send(() => 1), TypeError);
    assert.throws(() => ch.trySend(Symbol("s")), TypeError);
    assert.throws(() => ch.trySend(new SharedArrayBuffer(8)), TypeError);
    assert.equal(ch.len, 0);
    assert.equal(ch.trySend({ ok: [1, "two"] }), true);
    assert.deepEqual(await ch.recv(), { ok: [1, "two"] });
  });

  test("send on a closed channel rejects; close twice throws", async () => {
    const ch = new threads.Chan<number>(1);
    ch.close();
    await assert.rejects(ch.send(1), closedErr("send on closed channel"));
    assert.throws(() => ch.close(), closedErr("close of closed channel"));
    assert.equal(await ch.recv(), undefined);
  });
});
