/**
 * Channel operations while a preemption is pending: wakes and completions are deferred to the next
 * macrotask turn, but the state change (value moved, waiter removed) has already happened. These tests
 * force a preemption deterministically (burn a time slice with completed operations) and check that
 * nothing is lost, duplicated or reordered on the deferred paths.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select, send } from "../../src/select.js";
import { type Tracked, track, turns } from "./helpers.js";
import { forcePreemption, preemptionOver } from "../support/preempt.js";

/** Starts `n` goroutines running `op(i)` in order; each is parked before the next starts. */
async function parked<T>(n: number, op: (i: number) => Promise<T>): Promise<Tracked<T>[]> {
  const out: Tracked<T>[] = [];
  for (let i = 0; i < n; i++) {
    out.push(track(new Promise<T>((res, rej) => go(() => op(i).then(res, rej)))));
    await turns(1);
  }
  return out;
}

describe("during a pending preemption", () => {
  test("a completed send resolves only at a later macrotask turn, and the value is already in the buffer", async () => {
    await turns();
    forcePreemption();
    const ch = new Chan<number>(1);
    const s = track(ch.send(1));
    assert.equal(ch.len, 1, "the state changed at once");
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(s.state, "pending", "completion waits for the macrotask turn");
    await preemptionOver();
    assert.equal(s.state, "fulfilled");
  });

  test("parked receivers woken by sends get their values in FIFO order", async () => {
    const ch = new Chan<number>();
    const rs = await parked(3, () => ch.recvOk());
    forcePreemption();
    for (const v of [10, 11, 12]) assert.equal(ch.trySend(v), true);
    assert.equal(ch.trySend(13), false, "all three receivers were taken at once");
    await turns();
    assert.deepEqual(rs.map((r) => r.value), [[10, true], [11, true], [12, true]]);
  });

  test("parked senders woken by receives complete, values in FIFO order", async () => {
    const ch = new Chan<number>(1);
    ch.trySend(0);
    const ss = await parked(3, (i) => ch.send(i + 1));
    forcePreemption();
    const got = [ch.tryRecv(), ch.tryRecv(), ch.tryRecv(), ch.tryRecv(), ch.tryRecv()];
    assert.deepEqual(got, [[0, true], [1, true], [2, true], [3, true], undefined]);
    await turns();
    assert.deepEqual(ss.map((s) => s.state), ["fulfilled", "fulfilled", "fulfilled"]);
  });

  test("a parked select commits exactly one case", async () => {
    const a = new Chan<number>();
    const b = new Chan<number>();
    const [sel] = await parked(1, () => select([recv(a, (v) => `a${v}`), send(b, 7, () => "b")]));
    forcePreemption();
    assert.equal(a.trySend(1), true);
    assert.equal(b.tryRecv(), undefined, "the other case was withdrawn at once");
    assert.equal(a.trySend(2), false);
    await turns();
    assert.equal(sel.value, "a1");
  });

  test("close wakes parked receivers with ok = false and rejects parked senders", async () => {
    const rc = new Chan<number>();
    const sc = new Chan<number>();
    const rs = await parked(2, () => rc.recvOk());
    const ss = await parked(2, (i) => sc.send(i));
    forcePreemption();
    rc.close();
    sc.close();
    await turns();
    assert.deepEqual(rs.map((r) => r.value), [[undefined, false], [undefined, false]]);
    for (const s of ss) {
      assert.equal(s.state, "rejected");
      assert.ok(s.error instanceof ChanClosedError);
    }
  });

  test("a ready select without default resolves at a later macrotask turn with its handler's result", async () => {
    await turns();
    forcePreemption();
    const ch = new Chan<number>(1);
    ch.trySend(4);
    const r = track(select([recv(ch, (v) => v! * 2)]));
    assert.equal(ch.len, 0);
    await preemptionOver();
    assert.equal(r.value, 8);
  });

  test("ping-pong across many forced preemptions loses nothing", async () => {
    const ping = new Chan<number>();
    const pong = new Chan<number>();
    go(async () => {
      for await (const v of ping) await pong.send(v);
      pong.close();
    });
    const got: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 0) forcePreemption();
      await ping.send(i);
      got.push((await pong.recv())!);
    }
    ping.close();
    assert.equal(await pong.recv(), undefined);
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
  });
});
