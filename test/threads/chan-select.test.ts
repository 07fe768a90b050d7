/**
 * select with threads.Chan cases, alone and mixed with in-thread channels: exactly one case commits,
 * whichever thread or channel kind wins, and a losing case neither sends nor consumes.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as threads from "../../src/threads/index.js";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select, send } from "../../src/select.js";
import { SHARED } from "../../src/internal/threads/codec.js";
import { queued } from "../../src/internal/threads/chan.js";
import { onWorker, waitFor } from "./support.js";

const off = (ch: threads.Chan<unknown>): number => ch[SHARED].off;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("select with threads.Chan", () => {
  test("a worker selecting over a cross-thread and an in-thread channel receives each value once", async () => {
    const N = 1500;
    const x = new threads.Chan<number>();
    const w = onWorker<[number[], number[], boolean, boolean]>("selectRecv", x, N, N);
    await Promise.all(
      [0, 1].map(async (half) => {
        for (let i = half; i < N; i += 2) await x.send(i);
      }),
    );
    const [fromX, fromLocal, xDrained, localDrained] = await w;
    assert.deepEqual([...fromX].sort((a, b) => a - b), range(N));
    assert.deepEqual(fromLocal, range(N));
    assert.ok(xDrained && localDrained);
    assert.equal(queued(off(x), false), 0, "a losing select left a receiver behind");
  });

  test("main selecting sends over a cross-thread and an in-thread channel: every value lands once", async () => {
    const N = 1500;
    const x = new threads.Chan<number>();
    const local = new Chan<number>();
    const remoteGot = onWorker<number[]>("consume", x);
    await waitFor(() => queued(off(x), false) === 1, "the worker's receiver");
    const localGot: number[] = [];
    const localDone = new Chan<void>();
    go(async () => {
      for await (const v of local) localGot.push(v);
      localDone.close();
    });
    let toX = 0;
    let toLocal = 0;
    for (let i = 0; i < 2 * N; i++) {
      await select([send(x, i, () => toX++), send(local, i, () => toLocal++)]);
    }
    x.close();
    local.close();
    await localDone.recv();
    const got = await remoteGot;
    assert.equal(got.length, toX, "a cross-thread case committed without being chosen, or the reverse");
    assert.equal(localGot.length, toLocal);
    assert.deepEqual([...got, ...localGot].sort((a, b) => a - b), range(2 * N));
    assert.ok(toX > 0, "the cross-thread case never won");
  });

  test("a mixed select parked on main is completed by either side, and only once", async () => {
    // Each round a parked select is offered a value by both sides at about the same time: a worker's
    // next send on x, and a trySend on the in-thread channel. Whatever wins, the other value must stay
    // with its sender: x's values all arrive in order, and every successful trySend was received.
    const R = 400;
    const x = new threads.Chan<[number, number]>();
    const local = new Chan<string>();
    const producer = onWorker("produce", x, 1, R);
    const fromX: number[] = [];
    let localSent = 0;
    let localGot = 0;
    while (fromX.length < R) {
      const picked = select([recv(x, (v) => fromX.push(v![1])), recv(local, () => localGot++)]);
      if (local.trySend("l")) localSent++;
      await picked;
    }
    assert.equal(await producer, R);
    assert.deepEqual(fromX, range(R));
    assert.equal(localGot, localSent, "a trySend succeeded but its value was not received");
    assert.equal(local.trySend("l"), false, "a losing select left an in-thread receiver behind");
  });

  test("select with default never waits, and reports a closed send case", () => {
    const x = new threads.Chan<number>(1);
    const local = new Chan<number>();
    assert.equal(select([recv(x), recv(local)], () => "default"), "default");
    assert.equal(select([send(x, 1, () => "sent")], () => "full"), "sent");
    assert.equal(select([send(x, 2, () => "sent")], () => "full"), "full");
    assert.equal(select([recv(x, (v, ok) => [v, ok])], () => "none")?.toString(), "1,true");
    x.close();
    assert.deepEqual(
      select([recv(x, (v, ok) => [v, ok])], () => "none"),
      [undefined, false],
    );
    assert.throws(
      () => select([send(x, 3)], () => "default"),
      (e) => e instanceof ChanClosedError && e.message === "send on closed channel",
    );
  });

  test("a parked select send case woken by close rejects; a value that cannot cross throws", async () => {
    const x = new threads.Chan<unknown>();
    const local = new Chan<number>();
    const p = select([send(x, 1), recv(local)]);
    await waitFor(() => queued(off(x), true) === 1, "the parked select");
    x.close();
    await assert.rejects(p, (e) => e instanceof ChanClosedError);
    const y = new threads.Chan<unknown>(1);
    assert.throws(() => select([send(y, () => 0)], () => 0), TypeError);
    assert.equal(y.len, 0);
  });

  test("a select may send and receive on one cross-thread channel without meeting itself", async () => {
    const x = new threads.Chan<number>();
    const p = select([send(x, 1, () => "sent"), recv(x, (v) => `got ${v}`)]);
    assert.deepEqual(await onWorker("recvOk", x), [1, true]);
    assert.equal(await p, "sent");
  });
});
