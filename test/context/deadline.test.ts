/**
 * Deadlines and timeouts of goroutine/context, in virtual time (synctest): exact firing times, clamping
 * to the parent's deadline, causes, cancel-before-fire, born-done deadlines and String(ctx).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, select, recv } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";

const EPOCH = Date.UTC(2000, 0, 1);
const bg = context.background();
const at = (ms: number): Date => new Date(EPOCH + ms);

describe("withTimeout / withDeadline (virtual time)", () => {
  test("fires exactly at the deadline with DeadlineExceeded", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(bg, 3 * time.Second);
      assert.equal(ctx.deadline()?.getTime(), EPOCH + 3000);
      await ctx.done().recv();
      assert.equal(time.since(at(0)), 3000);
      assert.equal(ctx.err(), context.DeadlineExceeded);
      assert.equal(context.cause(ctx), context.DeadlineExceeded);
      assert.equal(ctx.signal.reason, context.DeadlineExceeded);
      cancel();
      assert.equal(ctx.err(), context.DeadlineExceeded, "cancel after expiry changes nothing");
    });
  });

  test("withDeadline at an absolute time; select against other work", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withDeadline(bg, at(1500));
      const r = await select([
        recv(time.after(time.Hour), () => "work"),
        recv(ctx.done(), () => `gave up at ${time.since(at(0))}`),
      ]);
      assert.equal(r, "gave up at 1500");
      cancel();
    });
  });

  test("children of an expired context get DeadlineExceeded too", async () => {
    await synctest.test(async () => {
      const [p, cancel] = context.withTimeout(bg, time.Second);
      const [c, cancelC] = context.withCancel(context.withValue(p, "k", 1));
      await c.done().recv();
      assert.equal(c.err(), context.DeadlineExceeded);
      assert.equal(context.cause(c), context.DeadlineExceeded);
      cancelC();
      cancel();
    });
  });

  test("a child's deadline is clamped to its parent's (a later one is just withCancel)", async () => {
    await synctest.test(async () => {
      const [p, cancelP] = context.withTimeout(bg, time.Second);
      const [later, cancelLater] = context.withTimeout(p, 5 * time.Second);
      assert.equal(later.deadline()?.getTime(), EPOCH + 1000);
      assert.equal(String(later), `${String(p)}.WithCancel`);
      const [sooner, cancelSooner] = context.withDeadline(p, at(400));
      assert.equal(sooner.deadline()?.getTime(), EPOCH + 400);
      await sooner.done().recv();
      assert.equal(time.since(at(0)), 400);
      assert.equal(later.err(), undefined);
      await later.done().recv();
      assert.equal(time.since(at(0)), 1000);
      assert.equal(later.err(), context.DeadlineExceeded);
      cancelLater();
      cancelSooner();
      cancelP();
    });
  });

  test("cancel before the deadline: Canceled, and the timer never fires afterwards", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(bg, time.Second);
      const [child] = context.withTimeout(ctx, time.Hour);
      await time.sleep(500);
      cancel();
      assert.equal(ctx.err(), context.Canceled);
      assert.equal(child.err(), context.Canceled);
      await time.sleep(time.Hour);
      assert.equal(ctx.err(), context.Canceled);
      assert.equal(context.cause(ctx), context.Canceled);
    });
  });

  test("a deadline already past, a zero, negative or NaN timeout: born done, no timer", async () => {
    await synctest.test(async () => {
      for (const [ctx, cancel] of [
        context.withDeadline(bg, at(-1)),
        context.withDeadline(bg, at(0)),
        context.withTimeout(bg, 0),
        context.withTimeout(bg, -5),
        context.withTimeout(bg, NaN),
      ]) {
        assert.equal(ctx.err(), context.DeadlineExceeded);
        assert.deepEqual(ctx.done().tryRecv(), [undefined, false]);
        cancel();
        assert.equal(ctx.err(), context.DeadlineExceeded);
      }
      assert.equal(time.since(at(0)), 0);
    });
  });

  test("withTimeoutCause / withDeadlineCause record the cause on expiry only", async () => {
    await synctest.test(async () => {
      const slow = new Error("backend too slow");
      const [a, cancelA] = context.withTimeoutCause(bg, time.Second, slow);
      const [b, cancelB] = context.withDeadlineCause(bg, at(2000), slow);
      const [kid] = context.withCancel(a);
      await a.done().recv();
      assert.equal(a.err(), context.DeadlineExceeded);
      assert.equal(context.cause(a), slow);
      assert.equal(a.signal.reason, slow);
      assert.equal(context.cause(kid), slow, "the cause reaches children");
      cancelB(); // cancelled before its deadline: the cause is Canceled, not `slow`
      assert.equal(b.err(), context.Canceled);
      assert.equal(context.cause(b), context.Canceled);
      cancelA();
      const [c] = context.withDeadlineCause(bg, at(-1), slow);
      assert.equal(context.cause(c), slow, "born expired: the cause too");
    });
  });

  test("String shows the deadline in UTC and the time left on the context's clock", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(bg, 3 * time.Second);
      await time.sleep(500);
      assert.equal(String(ctx), "context.Background.WithDeadline(2000-01-01 00:00:03 +0000 UTC [2.5s])");
      const [v, cancelV] = context.withTimeout(context.withValue(bg, "k", "v"), 734.5);
      assert.equal(
        String(v),
        "context.Background.WithValue(k, v).WithDeadline(2000-01-01 00:00:01.2345 +0000 UTC [734.5ms])",
      );
      cancelV();
      cancel();
    });
  });

  test("a goroutine waiting on done() is durably blocked: time advances to the deadline", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(bg, time.Minute);
      const out = new Chan<number>(1);
      go(async () => {
        await ctx.done().recv();
        out.trySend(time.since(at(0)));
      });
      assert.equal(await out.recv(), time.Minute);
      cancel();
    });
  });

  test("deadline() of non-deadline contexts follows the parent", async () => {
    await synctest.test(() => {
      const [p, cancel] = context.withDeadline(bg, at(5000));
      assert.equal(context.withCancel(p)[0].deadline()?.getTime(), EPOCH + 5000);
      assert.equal(context.withValue(p, "k", 1).deadline()?.getTime(), EPOCH + 5000);
      assert.equal(context.withoutCancel(p).deadline(), undefined);
      cancel();
    });
  });
});

describe("across the bubble boundary", () => {
  test("a context made in a bubble can be cancelled from outside it (its done channel closes)", async () => {
    let cancel: context.CancelFunc | undefined;
    let ctx: context.Context | undefined;
    await synctest.test(() => {
      [ctx, cancel] = context.withCancel(bg);
      const [child] = context.withTimeout(ctx, time.Hour);
      ctx.done(); // made inside: a bubble channel
      child.done();
    });
    cancel!(); // from outside any bubble
    assert.equal(ctx!.err(), context.Canceled);
  });
});

describe("bad deadline arguments", () => {
  test("invalid Date or non-number timeout is a TypeError; a non-Error cause too", () => {
    assert.throws(() => context.withDeadline(bg, new Date(NaN)), TypeError);
    assert.throws(() => context.withDeadline(bg, "2000-01-01" as unknown as Date), TypeError);
    assert.throws(() => context.withTimeout(bg, "1s" as unknown as number), TypeError);
    assert.throws(() => context.withTimeoutCause(bg, 1, "x" as unknown as Error), TypeError);
    assert.throws(() => context.withDeadlineCause(bg, new Date(), 5 as unknown as Error), TypeError);
  });
});

// Regression (issue 17 item 7): withTimeout(parent, Infinity) gave deadline() = Invalid Date, and
// durations past Node's setTimeout limit (2^31 - 1 ms) must neither fire early nor overflow.
describe("infinite and huge timeouts", () => {
  test("withTimeout(parent, Infinity) has no deadline: deadline() is undefined and it is never done by time", async () => {
    for (const d of [Infinity, 1e300, Number.MAX_VALUE]) {
      const [ctx, cancel] = context.withTimeout(bg, d);
      assert.equal(ctx.deadline(), undefined, `d = ${d}`);
      assert.equal(ctx.err(), undefined);
      cancel();
      assert.equal(ctx.err(), context.Canceled, "still cancelable");
    }
    const [c2, cancel2] = context.withTimeoutCause(bg, Infinity, new Error("never"));
    assert.equal(c2.deadline(), undefined);
    cancel2();
  });

  test("an infinite timeout under a parent with a deadline keeps the parent's deadline", async () => {
    await synctest.test(async () => {
      const [parent, cancelParent] = context.withTimeout(bg, 5 * time.Second);
      const [ctx, cancel] = context.withTimeout(parent, Infinity);
      assert.equal(ctx.deadline()?.getTime(), EPOCH + 5000);
      await ctx.done().recv();
      assert.equal(ctx.err(), context.DeadlineExceeded);
      cancel();
      cancelParent();
    });
  });

  test("in a bubble, an infinite timeout is never reached: waiting on it alone is a deadlock, not a jump to Infinity", async () => {
    await assert.rejects(
      synctest.test(async () => {
        const [ctx, cancel] = context.withTimeout(bg, Infinity);
        try {
          await ctx.done().recv();
        } finally {
          cancel();
        }
      }),
      (e: Error) => e.name === "DeadlockError",
    );
  });

  test("a timeout of 2^31 ms and of 100 years fires exactly then in virtual time, not a moment earlier", async () => {
    await synctest.test(async () => {
      for (const d of [2 ** 31, 2 ** 31 + 5, 100 * 365 * 24 * time.Hour]) {
        const start = time.now().getTime();
        const [ctx, cancel] = context.withTimeout(bg, d);
        assert.equal(ctx.deadline()?.getTime(), start + d);
        await time.sleep(d - 1);
        assert.equal(ctx.err(), undefined, `not done 1 ms before ${d} ms`);
        await ctx.done().recv();
        assert.equal(time.now().getTime(), start + d);
        assert.equal(ctx.err(), context.DeadlineExceeded);
        cancel();
      }
    });
  });
});
