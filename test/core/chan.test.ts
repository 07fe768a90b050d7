/**
 * Channel edge tables: Chan's documented contract (TSDoc in src/internal/chan.ts). Every row is one behaviour users rely on.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { select, recv } from "../../src/select.js";
import { type Tracked, leak, stateAfterTurns, track, turns } from "./helpers.js";

const isClosedErr = (msg: string) => (e: unknown) => {
  assert.ok(e instanceof ChanClosedError, `expected ChanClosedError, got ${String(e)}`);
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ChanClosedError");
  assert.equal(e.message, msg);
  return true;
};

/** Starts `n` goroutines that each run `op(i)` in order of i and returns their tracked results. */
async function parkedOps<T>(n: number, op: (i: number) => Promise<T>): Promise<Tracked<T>[]> {
  const out: Tracked<T>[] = [];
  for (let i = 0; i < n; i++) {
    const result = new Promise<T>((resolve, reject) => {
      go(() => op(i).then(resolve, reject));
    });
    out.push(track(result));
    // Let goroutine i start and park before goroutine i + 1 exists, so queue order is i's order.
    await turns(1);
  }
  return out;
}

describe("new Chan(capacity)", () => {
  const ok: [string, number | undefined, number][] = [
    ["omitted -> unbuffered", undefined, 0],
    ["0", 0, 0],
    ["1", 1, 1],
    ["3", 3, 3],
    ["1e9 costs nothing until used", 1e9, 1e9],
    ["2**53 (a whole number past the safe range; issue 17 item 11)", 2 ** 53, 2 ** 53],
    ["1e300", 1e300, 1e300],
  ];
  for (const [name, arg, cap] of ok) {
    test(`capacity ${name}`, () => {
      const ch = new Chan<number>(arg);
      assert.equal(ch.cap, cap);
      assert.equal(ch.len, 0);
    });
  }

  // Regression: core-bugs #7.
  test("capacity -0 is 0 (not -0)", () => {
    assert.ok(Object.is(new Chan<number>(-0).cap, 0));
  });

  const bad: [string, unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor][] = [
    ["-1", -1, RangeError],
    ["1.5", 1.5, RangeError],
    ["NaN", NaN, RangeError],
    ["Infinity", Infinity, RangeError],
    ["-Infinity", -Infinity, RangeError],
    ['"3" (a string)', "3", TypeError],
    ["null", null, TypeError],
    ["{}", {}, TypeError],
    ["3n (a bigint)", 3n, TypeError],
  ];
  for (const [name, arg, ctor] of bad) {
    test(`capacity ${name} throws ${ctor.name}`, () => {
      assert.throws(() => new Chan<number>(arg as number), ctor);
    });
  }
});

describe("len and cap", () => {
  const rows: [string, () => Promise<{ len: number; cap: number }>, { len: number; cap: number }][] = [
    ["buffered, two queued", async () => {
      const ch = new Chan<number>(3);
      ch.trySend(1);
      ch.trySend(2);
      return ch;
    }, { len: 2, cap: 3 }],
    ["buffered, two queued, one received", async () => {
      const ch = new Chan<number>(3);
      ch.trySend(1);
      ch.trySend(2);
      ch.tryRecv();
      return ch;
    }, { len: 1, cap: 3 }],
    ["buffered, full, with a waiting sender (not counted)", async () => {
      const ch = new Chan<number>(1);
      ch.trySend(1);
      await parkedOps(1, () => ch.send(2));
      const seen = { len: ch.len, cap: ch.cap };
      ch.tryRecv(); // release the sender
      return seen;
    }, { len: 1, cap: 1 }],
    ["unbuffered with a waiting sender", async () => {
      const ch = new Chan<number>();
      await parkedOps(1, () => ch.send(2));
      const seen = { len: ch.len, cap: ch.cap };
      ch.tryRecv(); // release the sender
      return seen;
    }, { len: 0, cap: 0 }],
    ["closed with values still buffered", async () => {
      const ch = new Chan<number>(4);
      ch.trySend(1);
      ch.trySend(2);
      ch.close();
      return ch;
    }, { len: 2, cap: 4 }],
    ["nil channel", async () => Chan.nil<number>(), { len: 0, cap: 0 }],
  ];
  for (const [name, make, want] of rows) {
    test(name, async () => {
      const ch = await make();
      assert.deepEqual({ len: ch.len, cap: ch.cap }, want);
    });
  }

  test("element types are checked (type level)", () => {
    const check = async () => {
      const ch = new Chan<number>(1);
      // @ts-expect-error a string is not a number
      await ch.send("x");
      // @ts-expect-error recv may return undefined (closed and drained)
      const n: number = await ch.recv();
      const m: number | undefined = await ch.recv();
      const [v, ok]: [number | undefined, boolean] = await ch.recvOk();
      const t: [number | undefined, boolean] | undefined = ch.tryRecv();
      for await (const x of ch) {
        const y: number = x;
        void y;
      }
      void [n, m, v, ok, t];
    };
    void check;
  });

  test("cap is read-only and len has no setter (type level)", () => {
    const ch = new Chan<number>(2);
    const assign = () => {
      // @ts-expect-error cap is readonly
      ch.cap = 5;
      // @ts-expect-error len is a getter only
      ch.len = 5;
    };
    void assign;
  });
});

describe("unbuffered rendezvous", () => {
  test("a send completes only when a receiver takes the value", async () => {
    const ch = new Chan<string>();
    const [s] = await parkedOps(1, () => ch.send("x"));
    await turns();
    assert.equal(s.state, "pending");
    assert.equal(await ch.recv(), "x");
    await turns();
    assert.equal(s.state, "fulfilled");
  });

  test("a receive completes only when a sender arrives", async () => {
    const ch = new Chan<string>();
    const [r] = await parkedOps(1, () => ch.recv());
    await turns();
    assert.equal(r.state, "pending");
    const sent = track(ch.send("y"));
    await turns();
    assert.equal(r.value, "y");
    assert.equal(sent.state, "fulfilled");
  });

  test("trySend without a waiting receiver returns false and sends nothing", () => {
    const ch = new Chan<number>();
    assert.equal(ch.trySend(1), false);
    assert.equal(ch.tryRecv(), undefined);
  });

  test("tryRecv without a waiting sender returns undefined", () => {
    assert.equal(new Chan<number>().tryRecv(), undefined);
  });

  test("trySend hands the value to a waiting receiver", async () => {
    const ch = new Chan<number>();
    const [r] = await parkedOps(1, () => ch.recvOk());
    assert.equal(ch.trySend(7), true);
    await turns();
    assert.deepEqual(r.value, [7, true]);
  });

  test("tryRecv takes the value of a waiting sender and completes its send", async () => {
    const ch = new Chan<number>();
    const [s] = await parkedOps(1, () => ch.send(8));
    assert.deepEqual(ch.tryRecv(), [8, true]);
    await turns();
    assert.equal(s.state, "fulfilled");
  });

  test("undefined is a value: recvOk tells it from closed", async () => {
    const ch = new Chan<undefined>(1);
    await ch.send(undefined);
    assert.deepEqual(await ch.recvOk(), [undefined, true]);
    ch.close();
    assert.deepEqual(await ch.recvOk(), [undefined, false]);
  });
});

describe("buffered channels", () => {
  test("send does not block until the buffer is full", async () => {
    const ch = new Chan<number>(2);
    assert.equal(await stateAfterTurns(ch.send(1)), "fulfilled");
    assert.equal(await stateAfterTurns(ch.send(2)), "fulfilled");
    const third = track(ch.send(3));
    await turns();
    assert.equal(third.state, "pending");
    assert.equal(ch.len, 2);
    assert.equal(await ch.recv(), 1);
    await turns();
    assert.equal(third.state, "fulfilled");
    assert.equal(ch.len, 2);
    assert.deepEqual([ch.tryRecv(), ch.tryRecv(), ch.tryRecv()], [[2, true], [3, true], undefined]);
  });

  test("recv blocks while the buffer is empty", async () => {
    const ch = new Chan<number>(2);
    const [r] = await parkedOps(1, () => ch.recv());
    await turns();
    assert.equal(r.state, "pending");
    assert.equal(ch.trySend(5), true);
    await turns();
    assert.equal(r.value, 5);
  });

  test("trySend on a full buffer returns false and leaves it unchanged", () => {
    const ch = new Chan<number>(1);
    assert.equal(ch.trySend(1), true);
    assert.equal(ch.trySend(2), false);
    assert.equal(ch.len, 1);
    assert.deepEqual(ch.tryRecv(), [1, true]);
    assert.equal(ch.tryRecv(), undefined);
  });

  test("the buffer is FIFO across wrap-around and growth", () => {
    const ch = new Chan<number>(40);
    const got: number[] = [];
    let next = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 13; i++) assert.equal(ch.trySend(next++), true);
      for (let i = 0; i < 11; i++) got.push(ch.tryRecv()![0]!);
    }
    while (ch.len > 0) got.push(ch.tryRecv()![0]!);
    assert.deepEqual(got, Array.from({ length: next }, (_, i) => i));
  });

  test("a waiting receiver gets the value directly (nothing passes through the buffer)", async () => {
    const ch = new Chan<number>(2);
    const [r] = await parkedOps(1, () => ch.recv());
    assert.equal(ch.trySend(9), true);
    assert.equal(ch.len, 0, "the value went to the receiver, not into the buffer");
    await turns();
    assert.equal(r.value, 9);
  });
});

describe("FIFO order of waiters", () => {
  for (const cap of [0, 1, 2]) {
    test(`waiting senders are served in arrival order (cap ${cap})`, async () => {
      const ch = new Chan<number>(cap);
      for (let i = 0; i < cap; i++) ch.trySend(-1 - i);
      const senders = await parkedOps(4, (i) => ch.send(i));
      const got: number[] = [];
      for (let i = 0; i < cap + 4; i++) got.push((await ch.recv())!);
      const buffered = Array.from({ length: cap }, (_, i) => -1 - i);
      assert.deepEqual(got, [...buffered, 0, 1, 2, 3]);
      await turns();
      assert.deepEqual(senders.map((s) => s.state), ["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    });

    test(`waiting receivers are served in arrival order (cap ${cap})`, async () => {
      const ch = new Chan<string>(cap);
      const receivers = await parkedOps(4, () => ch.recv());
      for (const v of ["a", "b", "c", "d"]) await ch.send(v);
      await turns();
      assert.deepEqual(receivers.map((r) => r.value), ["a", "b", "c", "d"]);
    });
  }

  test("mixed recv, recvOk and for-await waiters share one FIFO", async () => {
    const ch = new Chan<number>();
    const ops: (() => Promise<unknown>)[] = [
      () => ch.recv(),
      () => ch.recvOk(),
      () => ch[Symbol.asyncIterator]().next(),
    ];
    const ws = await parkedOps(3, (i) => ops[i]());
    for (const v of [1, 2, 3]) await ch.send(v);
    await turns();
    assert.deepEqual(ws.map((w) => w.value), [1, [2, true], { value: 3, done: false }]);
  });
});

describe("close", () => {
  test("recv, recvOk and tryRecv on a closed, drained channel", async () => {
    for (const cap of [0, 3]) {
      const ch = new Chan<number>(cap);
      ch.close();
      assert.equal(await ch.recv(), undefined);
      assert.deepEqual(await ch.recvOk(), [undefined, false]);
      assert.deepEqual(ch.tryRecv(), [undefined, false]);
      assert.deepEqual(ch.tryRecv(), [undefined, false], "stays ready forever");
    }
  });

  test("buffered values are still received after close, then ok = false", async () => {
    const ch = new Chan<number>(3);
    await ch.send(1);
    await ch.send(2);
    ch.close();
    assert.equal(ch.len, 2);
    assert.deepEqual(await ch.recvOk(), [1, true]);
    assert.deepEqual(ch.tryRecv(), [2, true]);
    assert.deepEqual(await ch.recvOk(), [undefined, false]);
    assert.equal(ch.len, 0);
  });

  test("close wakes every blocked receiver with undefined / ok = false", async () => {
    const ch = new Chan<number>();
    const it = ch[Symbol.asyncIterator]();
    const ops: (() => Promise<unknown>)[] = [() => ch.recv(), () => ch.recvOk(), () => it.next()];
    const ws = await parkedOps(3, (i) => ops[i]());
    await turns();
    assert.deepEqual(ws.map((w) => w.state), ["pending", "pending", "pending"]);
    ch.close();
    await turns();
    assert.deepEqual(ws.map((w) => w.value), [undefined, [undefined, false], { value: undefined, done: true }]);
  });

  for (const cap of [0, 1]) {
    test(`close rejects every blocked sender with "send on closed channel" (cap ${cap})`, async () => {
      const ch = new Chan<number>(cap);
      if (cap === 1) ch.trySend(100);
      const ss = await parkedOps(2, (i) => ch.send(i));
      ch.close();
      await turns();
      for (const s of ss) {
        assert.equal(s.state, "rejected");
        isClosedErr("send on closed channel")(s.error);
      }
      // The rejected values were not delivered; what was buffered before close still is.
      if (cap === 1) assert.deepEqual(ch.tryRecv(), [100, true]);
      assert.deepEqual(ch.tryRecv(), [undefined, false]);
    });
  }

  test("send on a closed channel rejects (returns a rejected promise, does not throw)", async () => {
    const ch = new Chan<number>(1);
    ch.close();
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => (p = ch.send(1)));
    await assert.rejects(p!, isClosedErr("send on closed channel"));
    assert.equal(ch.len, 0);
  });

  test("trySend on a closed channel throws ChanClosedError (Go panics)", () => {
    const ch = new Chan<number>(1);
    ch.close();
    assert.throws(() => ch.trySend(1), isClosedErr("send on closed channel"));
  });

  test("closing twice throws close of closed channel", () => {
    const ch = new Chan<number>();
    ch.close();
    assert.throws(() => ch.close(), isClosedErr("close of closed channel"));
  });

  test("closing a nil channel throws close of nil channel", () => {
    assert.throws(() => Chan.nil<number>().close(), isClosedErr("close of nil channel"));
  });

  test("ChanClosedError is exported and each throw is a fresh instance", () => {
    const ch = new Chan<number>();
    ch.close();
    let a: unknown;
    let b: unknown;
    try {
      ch.trySend(1);
    } catch (e) {
      a = e;
    }
    try {
      ch.trySend(1);
    } catch (e) {
      b = e;
    }
    assert.ok(a instanceof ChanClosedError && b instanceof ChanClosedError);
    assert.notEqual(a, b);
  });
});

describe("nil channel", () => {
  const blockers: [string, (ch: Chan<number>) => Promise<unknown>][] = [
    ["send", (ch) => ch.send(1)],
    ["recv", (ch) => ch.recv()],
    ["recvOk", (ch) => ch.recvOk()],
    ["for-await next", (ch) => ch[Symbol.asyncIterator]().next()],
  ];
  for (const [name, op] of blockers) {
    test(`${name} blocks forever`, async () => {
      const ch = Chan.nil<number>();
      let settled = false;
      const g = go(async () => {
        await op(ch);
        settled = true;
      });
      leak(g.id);
      // A closed channel's events and another channel's traffic all complete around it.
      const other = new Chan<number>();
      go(async () => other.send(1));
      assert.equal(await other.recv(), 1);
      await turns(3);
      assert.equal(settled, false);
      assert.equal(select([recv(ch, () => "nil")], () => "default"), "default");
    });
  }

  test("trySend is false, tryRecv undefined", () => {
    const ch = Chan.nil<number>();
    assert.equal(ch.trySend(1), false);
    assert.equal(ch.tryRecv(), undefined);
  });

  test("each Chan.nil() is a distinct nil channel with cap 0", () => {
    const a = Chan.nil<number>();
    const b = Chan.nil<number>();
    assert.notEqual(a, b);
    assert.equal(a.cap, 0);
  });
});

describe("for await (range)", () => {
  test("drains an unbuffered channel until it is closed", async () => {
    const ch = new Chan<number>();
    go(async () => {
      for (let i = 0; i < 5; i++) await ch.send(i);
      ch.close();
    });
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });

  test("drains what is buffered at close, then ends", async () => {
    const ch = new Chan<number>(3);
    for (const v of [1, 2, 3]) ch.trySend(v);
    ch.close();
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    assert.deepEqual(got, [1, 2, 3]);
  });

  test("break leaves the remaining values in the channel", async () => {
    const ch = new Chan<number>(5);
    for (const v of [1, 2, 3, 4, 5]) ch.trySend(v);
    const got: number[] = [];
    for await (const v of ch) {
      got.push(v);
      if (v === 2) break;
    }
    assert.deepEqual(got, [1, 2]);
    assert.equal(ch.len, 3);
    assert.deepEqual([ch.tryRecv(), ch.tryRecv(), ch.tryRecv()], [[3, true], [4, true], [5, true]]);
  });

  test("break does not close the channel (senders can go on)", async () => {
    const ch = new Chan<number>(1);
    ch.trySend(1);
    for await (const _ of ch) break;
    assert.equal(ch.trySend(2), true);
  });

  test("two ranging consumers share the values, each delivered once", async () => {
    const ch = new Chan<number>(2);
    const seen: number[][] = [[], []];
    const finished = new Chan<void>(2);
    for (const k of [0, 1]) {
      go(async () => {
        for await (const v of ch) seen[k].push(v);
        await finished.send();
      });
    }
    for (let i = 0; i < 100; i++) await ch.send(i);
    ch.close();
    await finished.recv();
    await finished.recv();
    const all = [...seen[0], ...seen[1]].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
    for (const s of seen) assert.deepEqual(s, [...s].sort((a, b) => a - b), "each consumer sees increasing values");
  });
});

describe("many goroutines", () => {
  test("2000 senders and 3 receivers on one unbuffered channel: every value once, per-sender order kept", async () => {
    const ch = new Chan<[number, number]>();
    const got: [number, number][][] = [[], [], []];
    const done = new Chan<void>(3);
    for (const k of [0, 1, 2]) {
      go(async () => {
        for await (const v of ch) got[k].push(v);
        await done.send();
      });
    }
    const senders = new Chan<void>(2000);
    for (let s = 0; s < 2000; s++) {
      go(async () => {
        for (let i = 0; i < 5; i++) await ch.send([s, i]);
        await senders.send();
      });
    }
    for (let s = 0; s < 2000; s++) await senders.recv();
    ch.close();
    for (let k = 0; k < 3; k++) await done.recv();
    const all = got.flat();
    assert.equal(all.length, 10_000);
    assert.equal(new Set(all.map(([s, i]) => s * 10 + i)).size, 10_000);
    for (const list of got) {
      const last = new Map<number, number>();
      for (const [s, i] of list) {
        assert.ok((last.get(s) ?? -1) < i, `sender ${s} out of order`);
        last.set(s, i);
      }
    }
  });

  test("close wakes 5000 parked receivers", async () => {
    const ch = new Chan<number>();
    const woke = new Chan<boolean>(5000);
    for (let i = 0; i < 5000; i++) {
      go(async () => {
        const [, ok] = await ch.recvOk();
        await woke.send(ok);
      });
    }
    await turns();
    ch.close();
    for (let i = 0; i < 5000; i++) assert.equal(await woke.recv(), false);
  });
});
