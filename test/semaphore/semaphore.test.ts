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

  // The queue is a ring: these runs make it grow while wrapped, compact while wrapped (cancelled
  // requests are left in place until they outnumber the live ones), and shrink after a large burst.
  test("FIFO order survives the ring wrapping, growing, compacting and shrinking", async () => {
    const s = new Weighted(1);
    await s.acquire(bg);
    const order: string[] = [];
    const enqueue = (name: string, ctx: context.Context): Promise<void> =>
      s.acquire(ctx).then(
        () => void order.push(name),
        () => void order.push(`${name}!`),
      );
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) ps.push(enqueue(`b${i}`, bg));
    const handOn = async (k: number): Promise<void> => {
      for (let i = 0; i < k; i++) {
        s.release(); // the holder leaves; the next in line holds it now
        await settle();
      }
    };
    await handOn(30); // b0..b29 granted: the head is well into the ring
    const cancels: (() => void)[] = [];
    for (let i = 0; i < 50; i++) {
      const [ctx, cancel] = context.withCancel(bg);
      cancels.push(cancel);
      ps.push(enqueue(`c${i}`, ctx)); // the tail wraps around past the head's old place
    }
    assert.equal(s.waiting, 60);
    const kept = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45];
    for (let i = 0; i < 50; i++) if (!kept.includes(i)) cancels[i]();
    await settle();
    assert.equal(s.waiting, 20);
    await handOn(20);
    assert.equal(s.waiting, 0);
    const granted = order.filter((x) => !x.endsWith("!"));
    const want = [...Array.from({ length: 40 }, (_, i) => `b${i}`), ...kept.map((i) => `c${i}`)];
    assert.deepEqual(granted, want);
    assert.equal(order.length - granted.length, 40, "every cancelled request rejected");
    // A burst past the shrink size, drained, then the semaphore still queues in order.
    for (let i = 0; i < 1100; i++) ps.push(enqueue(`d${i}`, bg));
    await handOn(1100);
    for (let i = 0; i < 3; i++) ps.push(enqueue(`e${i}`, bg));
    await handOn(3);
    s.release();
    await Promise.all(ps);
    assert.deepEqual(order.slice(-1103), [...Array.from({ length: 1100 }, (_, i) => `d${i}`), "e0", "e1", "e2"]);
    assert.equal(s.held, 0);
  });

  test("property: matches a sequential FIFO model", async () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant("acq" as const), n: fc.integer({ min: 0, max: 4 }), cancellable: fc.boolean() }),
      fc.record({ k: fc.constant("rel" as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ k: fc.constant("try" as const), n: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ k: fc.constant("cancel" as const), picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 1 }) }),
    );
    await matchesModel(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 30 }), 80);
  });

  // The queue is a ring that grows, wraps, and leaves cancelled requests in place until they reach the
  // head or outnumber the live ones (then it is compacted): bursts of cancellable requests, most of them
  // then given up at once, with a few releases moving the head around the ring.
  test("property: long queues with mass cancellations match the model", async () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant("acq" as const), n: fc.integer({ min: 1, max: 2 }), cancellable: fc.boolean() }),
      fc.record({ k: fc.constant("burst" as const), m: fc.integer({ min: 10, max: 50 }) }),
      { arbitrary: fc.record({ k: fc.constant("rel" as const), n: fc.integer({ min: 1, max: 2 }) }), weight: 3 },
      fc.record({
        k: fc.constant("cancel" as const),
        picks: fc.array(fc.nat(100), { minLength: 1, maxLength: 100, size: "max" }),
      }),
    );
    await matchesModel(fc.integer({ min: 1, max: 2 }), fc.array(op, { minLength: 5, maxLength: 25, size: "max" }), 40);
  });
});

type Op =
  | { k: "acq"; n: number; cancellable: boolean }
  | { k: "rel"; n: number }
  | { k: "try"; n: number }
  | { k: "burst"; m: number }
  | { k: "cancel"; picks: number[] };

/** Runs op sequences against a Weighted and a sequential FIFO model, comparing after every step. */
async function matchesModel(sizes: fc.Arbitrary<number>, opss: fc.Arbitrary<Op[]>, numRuns: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(sizes, opss, async (size, ops) => {
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
            if (r.state === "err") {
              queue.shift(); // cancelled, its watcher not run yet: dropped when its turn comes
              continue;
            }
            if (size - cur < r.n) break;
            cur += r.n;
            r.state = "ok";
            queue.shift();
          }
        };
        const acquire = (n: number, cancellable: boolean): void => {
          // Every request gets a context so the run can end cleanly; only some may be cancelled mid-run.
          const [ctx, cancelAll] = context.withCancel(bg);
          const cancel = cancellable ? cancelAll : undefined;
          const r = { n, state: "pending" as "pending" | "ok" | "err", cancel, cancelAll, seen: track(s.acquire(ctx, n)) };
          reqs.push(r);
          if (queue.length === 0 && size - cur >= n) {
            cur += n;
            r.state = "ok";
          } else if (n <= size) {
            queue.push(reqs.length - 1);
          }
        };
        for (const o of ops) {
          if (o.k === "acq") {
            acquire(o.n, o.cancellable);
          } else if (o.k === "burst") {
            for (let i = 0; i < o.m; i++) acquire(1, true);
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
            // Each pick cancels the i-th (mod count) request still pending that may be cancelled. All
            // are cancelled before any of their watchers runs; the watchers then run in that order, and
            // each does what Go's does: leave the queue and, only if it was at the front and some weight
            // is free, grant the requests behind it (so a weight-0 request behind a cancelled head keeps
            // waiting while nothing is free, as in Go). A request whose context is done when its turn
            // comes is not granted: the model has already taken it out.
            const picked: number[] = [];
            for (const i of o.picks) {
              const open = reqs.filter((q) => q.cancel !== undefined && q.state === "pending");
              if (open.length === 0) break;
              const r = open[i % open.length];
              r.cancel!();
              r.state = "err";
              picked.push(reqs.indexOf(r));
            }
            for (const ri of picked) {
              const qi = queue.indexOf(ri);
              if (qi < 0) continue;
              queue.splice(qi, 1);
              if (qi === 0 && size > cur) grant();
            }
          }
          await settle();
          assert.equal(s.held, cur);
          assert.equal(s.waiting, queue.length);
          for (const r of reqs) assert.equal(r.seen.state, r.state);
        }
        for (const r of reqs) r.cancelAll();
        await settle();
        for (const r of reqs) assert.notEqual(r.seen.state, "pending");
      }),
      { numRuns },
    );
}
