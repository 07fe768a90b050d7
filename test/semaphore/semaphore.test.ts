import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { go } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import { Weighted } from "../../src/semaphore/index.js";
import { lockerSuite } from "../sync/locker-suite.js";
import { settle, waitState } from "../sync/helpers.js";

const bg = context.background();

lockerSuite("semaphore.Weighted(1)", () => {
  const s = new Weighted(1);
  return { lock: () => s.acquire(bg), unlock: () => s.release(), tryLock: () => s.tryAcquire() };
});

/** Tracks a promise's outcome without awaiting it. */
function track(p: Promise<void>): { state: "pending" | "ok" | "err"; err?: unknown } {
  const t: { state: "pending" | "ok" | "err"; err?: unknown } = { state: "pending" };
  p.then(
    () => (t.state = "ok"),
    (e: unknown) => {
      t.state = "err";
      t.err = e;
    },
  );
  return t;
}

describe("semaphore.Weighted", () => {
  test("acquire and release weights up to the size", async () => {
    const s = new Weighted(5);
    await s.acquire(bg, 3);
    assert.equal(s.tryAcquire(3), false);
    assert.equal(s.tryAcquire(2), true);
    assert.equal(s.held, 5);
    s.release(5);
    assert.equal(s.held, 0);
    await s.acquire(bg, 0);
  });

  test("release of more than held throws Go's error and changes nothing", () => {
    const s = new Weighted(3);
    assert.throws(() => s.release(), { message: "semaphore: released more than held" });
    assert.equal(s.tryAcquire(2), true);
    assert.throws(() => s.release(3), { message: "semaphore: released more than held" });
    assert.equal(s.held, 2);
  });

  test("weights must be whole numbers", () => {
    assert.throws(() => new Weighted(1.5), RangeError);
    assert.throws(() => new Weighted(-1), RangeError);
    const s = new Weighted(2);
    for (const bad of [1.5, -1, NaN, Infinity]) {
      assert.throws(() => s.tryAcquire(bad), RangeError);
      assert.throws(() => s.release(bad), RangeError);
      assert.throws(() => void s.acquire(bg, bad), RangeError);
    }
  });

  test("acquire without a context is a TypeError", () => {
    const s = new Weighted(1);
    assert.throws(() => void s.acquire(undefined as unknown as context.Context), TypeError);
  });

  test("a context that is done on entry fails even when the weight is free (Go)", async () => {
    const s = new Weighted(1);
    const [ctx, cancel] = context.withCancel(bg);
    cancel();
    await assert.rejects(s.acquire(ctx), (e) => e === context.Canceled);
    assert.equal(s.held, 0);
  });

  test("cancellation mid-wait rejects with ctx.err() and leaves the semaphore unchanged", async () => {
    const s = new Weighted(2);
    await s.acquire(bg, 2);
    const [ctx, cancel] = context.withCancel(bg);
    let g = 0;
    const t = track(
      new Promise<void>((resolve, reject) => {
        g = go(() => s.acquire(ctx, 1).then(resolve, reject)).id;
      }),
    );
    await settle();
    assert.deepEqual(waitState(g), { reason: "semaphore.Acquire", durable: false });
    assert.equal(s.waiting, 1);
    cancel();
    await settle();
    assert.equal(t.state, "err");
    assert.equal(t.err, context.Canceled);
    assert.equal(s.held, 2);
    assert.equal(s.waiting, 0);
    s.release(2);
    assert.equal(s.tryAcquire(2), true);
  });

  // Deadlines: see test/sync/synctest.test.ts ("semaphore.acquire gives up at a virtual deadline").
  // A real-clock deadline cannot be awaited alone under node:test: context deadlines are weak timers
  // (they keep the loop alive only through the runtime's beforeExit check, which runs after the test
  // runner's own), so the runner cancels the test first.

  test("FIFO: a large waiter at the head is not starved by smaller ones behind it", async () => {
    const s = new Weighted(4);
    await s.acquire(bg, 3);
    const order: string[] = [];
    const big = s.acquire(bg, 4).then(() => order.push("big"));
    const small = s.acquire(bg, 1).then(() => order.push("small"));
    await settle();
    assert.deepEqual(order, [], "small fits but waits behind big");
    assert.equal(s.tryAcquire(1), false, "tryAcquire does not jump the queue");
    s.release(3);
    await big;
    assert.deepEqual(order, ["big"]);
    s.release(4);
    await small;
    assert.deepEqual(order, ["big", "small"]);
  });

  test("cancelling the head waiter lets the waiters behind it through at once", async () => {
    const s = new Weighted(4);
    await s.acquire(bg, 2);
    const [ctx, cancel] = context.withCancel(bg);
    const big = track(s.acquire(ctx, 4));
    const small = track(s.acquire(bg, 2));
    await settle();
    assert.equal(small.state, "pending");
    cancel();
    await settle();
    assert.equal(big.state, "err");
    assert.equal(small.state, "ok");
    assert.equal(s.held, 4);
  });

  test("a request larger than the size waits for ctx without blocking others", async () => {
    const s = new Weighted(2);
    const [ctx, cancel] = context.withCancel(bg);
    const huge = track(s.acquire(ctx, 3));
    await s.acquire(bg, 2); // not blocked behind the doomed request
    await settle();
    assert.equal(huge.state, "pending");
    cancel();
    await settle();
    assert.equal(huge.state, "err");
    assert.equal(huge.err, context.Canceled);
  });

  test("a waiter whose context is done when its turn comes is not granted", async () => {
    const s = new Weighted(1);
    await s.acquire(bg);
    const [ctx, cancel] = context.withCancel(bg);
    const a = track(s.acquire(ctx));
    const b = track(s.acquire(bg));
    await settle();
    cancel(); // afterFunc runs in its own goroutine a moment later...
    s.release(); // ...but the release sees the done context first
    await settle();
    assert.equal(a.state, "err");
    assert.equal(b.state, "ok");
    assert.equal(s.held, 1);
  });

  test("property: matches a sequential FIFO model", async () => {
    type Op =
      | { k: "acq"; n: number; cancellable: boolean }
      | { k: "rel"; n: number }
      | { k: "try"; n: number }
      | { k: "cancel"; i: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant("acq" as const), n: fc.integer({ min: 0, max: 4 }), cancellable: fc.boolean() }),
      fc.record({ k: fc.constant("rel" as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ k: fc.constant("try" as const), n: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ k: fc.constant("cancel" as const), i: fc.nat(20) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 30 }), async (size, ops) => {
        const s = new Weighted(size);
        // The model: held weight and a FIFO of pending requests.
        let cur = 0;
        const reqs: {
          n: number;
          state: "pending" | "ok" | "err";
          cancel: (() => void) | undefined;
          cancelAll: () => void;
          seen: ReturnType<typeof track>;
        }[] = [];
        const queue: number[] = [];
        const grant = (): void => {
          while (queue.length > 0) {
            const r = reqs[queue[0]];
            if (size - cur < r.n) break;
            cur += r.n;
            r.state = "ok";
            queue.shift();
          }
        };
        for (const o of ops) {
          if (o.k === "acq") {
            // Every request gets a context so the run can end cleanly; only some may be cancelled mid-run.
            const [ctx, cancelAll] = context.withCancel(bg);
            const cancel = o.cancellable ? cancelAll : undefined;
            const r = { n: o.n, state: "pending" as "pending" | "ok" | "err", cancel, cancelAll, seen: track(s.acquire(ctx, o.n)) };
            reqs.push(r);
            if (queue.length === 0 && size - cur >= o.n) {
              cur += o.n;
              r.state = "ok";
            } else if (o.n <= size) {
              queue.push(reqs.length - 1);
            }
          } else if (o.k === "rel") {
            if (o.n > cur) {
              assert.throws(() => s.release(o.n), { message: "semaphore: released more than held" });
            } else {
              s.release(o.n);
              cur -= o.n;
              grant();
            }
          } else if (o.k === "try") {
            const ok = queue.length === 0 && size - cur >= o.n;
            assert.equal(s.tryAcquire(o.n), ok);
            if (ok) cur += o.n;
          } else {
            const r = reqs[o.i];
            if (r?.cancel !== undefined && r.state === "pending") {
              r.cancel();
              r.state = "err";
              const qi = queue.indexOf(o.i);
              if (qi >= 0) {
                queue.splice(qi, 1);
                if (qi === 0) grant();
              }
            }
          }
          await settle();
          assert.equal(s.held, cur);
          for (const r of reqs) assert.equal(r.seen.state, r.state);
        }
        for (const r of reqs) r.cancelAll();
        await settle();
        for (const r of reqs) assert.notEqual(r.seen.state, "pending");
      }),
      { numRuns: 80 },
    );
  });
});
