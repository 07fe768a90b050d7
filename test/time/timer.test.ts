/**
 * time.Timer, time.after and time.afterFunc in virtual time (synctest): firing times and values, Go
 * 1.23's no-stale-value rule for stop and reset and their return values, durations edge table, misuse.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, select, recv } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";

const EPOCH = Date.UTC(2000, 0, 1);
const elapsed = (): number => time.since(EPOCH);

describe("Timer (virtual time)", () => {
  test("fires once after d with the clock's time; behaves unbuffered (len = cap = 0)", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      assert.equal(t.c.cap, 0);
      await time.sleep(2 * time.Second);
      assert.equal(t.c.len, 0, "a fired, unreceived value does not show in len");
      const v = await t.c.recv();
      assert.ok(v instanceof Date);
      assert.equal(v.getTime(), EPOCH + 1000, "the value is the time at which it fired");
      assert.equal(t.c.tryRecv(), undefined, "only one value");
      assert.equal(t.stop(), false, "already fired and received");
    });
  });

  test("a goroutine blocked on c is durably blocked: time jumps to the expiry", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Hour);
      const got = new Chan<number>(1);
      go(async () => {
        await t.c.recv();
        got.trySend(elapsed());
      });
      assert.equal(await got.recv(), time.Hour);
    });
  });

  test("stop before firing: true, and nothing is ever received", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      await time.sleep(500);
      assert.equal(t.stop(), true);
      assert.equal(t.stop(), false, "second stop");
      await time.sleep(time.Hour);
      assert.equal(t.c.tryRecv(), undefined);
    });
  });

  test("Go 1.23: stop after firing but before the receive returns true and discards the value", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      await time.sleep(2 * time.Second);
      assert.equal(t.stop(), true, "the value was never delivered, so the timer counts as stopped");
      assert.equal(t.c.tryRecv(), undefined, "no stale value after stop");
      await time.sleep(time.Hour);
      assert.equal(t.c.tryRecv(), undefined);
    });
  });

  test("reset of a pending timer: true, fires at the new time only", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      await time.sleep(500);
      assert.equal(t.reset(2 * time.Second), true);
      const v = await t.c.recv();
      assert.equal(v!.getTime(), EPOCH + 2500);
      assert.equal(elapsed(), 2500);
      assert.equal(t.c.tryRecv(), undefined);
    });
  });

  test("Go 1.23: reset after firing, without draining, never yields the stale value", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      await time.sleep(3 * time.Second); // fired at 1s, value not received
      assert.equal(t.reset(time.Second), true, "an undelivered value counts as pending");
      assert.equal(t.c.tryRecv(), undefined, "the 1s value is gone");
      const v = await t.c.recv();
      assert.equal(v!.getTime(), EPOCH + 4000, "the value is from the new expiry");
    });
  });

  test("reset after the value was received: false, and it fires again", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      await t.c.recv();
      assert.equal(t.reset(time.Second), false);
      assert.equal((await t.c.recv())!.getTime(), EPOCH + 2000);
      assert.equal(t.stop(), false);
      assert.equal(t.reset(time.Second), false, "reset of a stopped timer");
      assert.equal((await t.c.recv())!.getTime(), EPOCH + 3000);
    });
  });

  test("a select that lost to the timer's stop is not woken with a stale value", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(time.Second);
      const other = new Chan<string>();
      const r = select([recv(t.c, () => "timer"), recv(other, (v) => v)]);
      t.stop();
      go(() => other.send("other"));
      assert.equal(await r, "other");
    });
  });

  // Durations edge table: negative and NaN act as 0; Infinity never fires.
  for (const [name, d, firesAt] of [
    ["zero", 0, 0],
    ["negative", -5 * time.Second, 0],
    ["NaN", NaN, 0],
    ["fractional", 1.5, 1.5],
    ["Infinity", Infinity, undefined],
  ] as const) {
    test(`duration ${name}`, async () => {
      await synctest.test(async () => {
        const t = new time.Timer(d);
        if (firesAt === undefined) {
          await time.sleep(24 * time.Hour);
          assert.equal(t.c.tryRecv(), undefined);
          assert.equal(t.stop(), true);
          return;
        }
        await t.c.recv();
        assert.equal(elapsed(), firesAt);
      });
    });
  }

  test("bad input and misuse", () => {
    assert.throws(() => new time.Timer("1s" as unknown as number), TypeError);
    const t = new time.Timer(time.Hour);
    assert.throws(() => t.reset("x" as unknown as number), TypeError);
    assert.equal(t.stop(), true, "a failed reset left the timer as it was");
    assert.throws(() => t.c.trySend(new Date()), { name: "TypeError", message: /receive-only/ });
    assert.throws(() => t.c.close(), { name: "TypeError", message: /receive-only/ });
    return assert.rejects(t.c.send(new Date()), TypeError);
  });
});

describe("after (virtual time)", () => {
  test("a timeout case in select", async () => {
    await synctest.test(async () => {
      const never = new Chan<string>();
      const r = await select([recv(never, (v) => v), recv(time.after(250), (at) => at!.getTime() - EPOCH)]);
      assert.equal(r, 250);
    });
  });

  test("bad input", () => {
    assert.throws(() => time.after(undefined as unknown as number), TypeError);
  });
});

describe("afterFunc (virtual time)", () => {
  test("runs fn in its own goroutine after d; c is a nil channel", async () => {
    await synctest.test(async () => {
      const ran = new Chan<number>(1);
      let sync = true;
      const t = time.afterFunc(time.Second, () => {
        assert.equal(sync, false);
        ran.trySend(elapsed());
      });
      sync = false;
      assert.equal(select([recv(t.c, () => "c")], () => "nil"), "nil");
      assert.equal(await ran.recv(), 1000);
      assert.equal(t.stop(), false, "fn already started");
    });
  });

  test("stop before: true and fn never runs; reset runs it (once) at the new time", async () => {
    await synctest.test(async () => {
      let runs = 0;
      const ran = new Chan<number>(5);
      const t = time.afterFunc(time.Second, () => {
        runs++;
        ran.trySend(elapsed());
      });
      assert.equal(t.stop(), true);
      await time.sleep(time.Hour);
      assert.equal(runs, 0);
      assert.equal(t.reset(time.Second), false, "it was stopped");
      assert.equal(await ran.recv(), time.Hour + time.Second);
      assert.equal(t.reset(10), false, "fn already ran");
      assert.equal(t.reset(20), true, "pending");
      assert.equal(await ran.recv(), time.Hour + time.Second + 20);
      await time.sleep(time.Second);
      assert.equal(runs, 2);
    });
  });

  test("bad input", () => {
    assert.throws(() => time.afterFunc(1, undefined as unknown as () => void), TypeError);
    assert.throws(() => time.afterFunc("1" as unknown as number, () => {}), TypeError);
  });
});

// Regression (issue 17 item 6): a zero or negative duration waited for Node's 1 ms timer tick (20,000
// selects with a 0 ms timeout case took 22 s). Go fires such timers at once: the channel is ready at the
// first receive attempt, in the same turn. Timing figures: `node dist/bench/timers.js`.
describe("zero and negative durations are ready at once", () => {
  /** Resolves after a macrotask turn; whatever settled before it did not wait for a timer. */
  const turn = (): Promise<string> => new Promise((r) => setImmediate(() => r("a macrotask turn")));

  test("a select with a default picks a time.after(0) case: it is ready in the select's first pass", () => {
    for (const d of [0, -1, -time.Hour, NaN]) {
      assert.equal(select([recv(time.after(d), () => "timer")], () => "default"), "timer", `d = ${d}`);
    }
  });

  test("a 0 ms timeout case wins a blocking select before any macrotask turn", async () => {
    const never = new Chan<number>();
    for (let i = 0; i < 100; i++) {
      const r = await Promise.race([select([recv(never, () => "value"), recv(time.after(0), () => "timeout")]), turn()]);
      assert.equal(r, "timeout");
    }
  });

  test("new Timer(0) and reset(-5): the value is there for tryRecv and recv at once; stop before it says pending", async () => {
    const t = new time.Timer(0);
    const v = t.c.tryRecv();
    assert.ok(v !== undefined && v[1] && v[0] instanceof Date);
    assert.equal(t.stop(), false, "fired and received");
    t.reset(-5);
    assert.equal(await Promise.race([t.c.recv().then(() => "fired"), turn()]), "fired");
    t.reset(0);
    assert.equal(t.stop(), true, "due but never received: stop prevented the delivery (Go 1.23)");
    assert.equal(t.c.tryRecv(), undefined, "no stale value after stop");
  });

  test("sleep(0) and sleep(-1) return without waiting for a macrotask turn", async () => {
    assert.equal(await Promise.race([time.sleep(0).then(() => "slept"), turn()]), "slept");
    assert.equal(await Promise.race([time.sleep(-1).then(() => "slept"), turn()]), "slept");
  });

  test("in a synctest bubble: ready at once, virtual time does not move", async () => {
    await synctest.test(async () => {
      const start = elapsed();
      const never = new Chan<number>();
      assert.equal(await select([recv(never, () => "value"), recv(time.after(0), () => "timeout")]), "timeout");
      const t = new time.Timer(-1);
      assert.ok((await t.c.recv()) instanceof Date);
      assert.equal(elapsed(), start);
    });
  });
});

// Regression (issue 17 item 7): durations past Node's setTimeout limit and Infinity.
describe("huge and infinite durations", () => {
  test("a Timer of 2^31 + 5 ms and of 50 years fires exactly then in virtual time", async () => {
    await synctest.test(async () => {
      for (const d of [2 ** 31 + 5, 50 * 365 * 24 * time.Hour]) {
        const start = time.now().getTime();
        const t = new time.Timer(d);
        await time.sleep(d - 1);
        assert.equal(t.c.tryRecv(), undefined, "not a moment early");
        const v = await t.c.recv();
        assert.equal(v!.getTime(), start + d);
      }
    });
  });

  test("a Timer of Infinity never fires; stop says it was pending", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(Infinity);
      await time.sleep(1000 * 365 * 24 * time.Hour);
      assert.equal(t.c.tryRecv(), undefined);
      assert.equal(t.stop(), true);
    });
  });
});
