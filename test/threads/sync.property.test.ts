/**
 * Semaphore and WaitGroup against sequential models (fast-check), on one thread: the shared-heap
 * engines must make exactly the decisions of the obvious single-threaded implementations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as context from "../../src/context/index.js";
import { SHARED } from "../../src/internal/threads/codec.js";
import { semaState } from "../../src/internal/threads/sema.js";
import * as threads from "../../src/threads/index.js";
import { turn } from "./jobs.js";

type SemOp =
  | { op: "acquire"; n: number }
  | { op: "try"; n: number }
  | { op: "release"; n: number }
  | { op: "cancel"; k: number };

const semOps = (size: number): fc.Arbitrary<SemOp[]> =>
  fc.array(
    fc.oneof(
      fc.record({ op: fc.constant("acquire" as const), n: fc.integer({ min: 0, max: size }) }),
      fc.record({ op: fc.constant("try" as const), n: fc.integer({ min: 0, max: size }) }),
      fc.record({ op: fc.constant("release" as const), n: fc.integer({ min: 1, max: size }) }),
      fc.record({ op: fc.constant("cancel" as const), k: fc.nat() }),
    ),
    { maxLength: 30 },
  );

interface Req {
  n: number;
  p: Promise<void>;
  cancel: () => void;
}

test("Semaphore matches a sequential FIFO model (acquire, tryAcquire, release, cancel)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }).chain((size) => fc.tuple(fc.constant(size), semOps(size))),
      async ([size, ops]) => {
        const sem = new threads.Semaphore(size);
        const off = sem[SHARED].off;
        let cur = 0;
        const queue: Req[] = [];
        const granted: Req[] = [];
        const grant = (): void => {
          while (queue.length > 0 && size - cur >= queue[0].n) {
            const r = queue.shift()!;
            cur += r.n;
            granted.push(r);
          }
        };
        for (const o of ops) {
          if (o.op === "acquire") {
            const [ctx, cancel] = context.withCancel(context.background());
            const r: Req = { n: o.n, p: sem.acquire(ctx, o.n), cancel };
            r.p.catch(() => undefined);
            if (queue.length === 0 && size - cur >= o.n) {
              cur += o.n;
              granted.push(r);
            } else queue.push(r);
          } else if (o.op === "try") {
            const want = queue.length === 0 && size - cur >= o.n;
            assert.equal(sem.tryAcquire(o.n), want);
            if (want) cur += o.n;
          } else if (o.op === "release") {
            if (o.n > cur) {
              assert.throws(() => sem.release(o.n), { message: "semaphore: released more than held" });
            } else {
              sem.release(o.n);
              cur -= o.n;
              grant();
            }
          } else if (queue.length > 0) {
            const i = o.k % queue.length;
            const [r] = queue.splice(i, 1);
            r.cancel();
            await assert.rejects(r.p, (e) => e === context.Canceled);
            if (i === 0 && size > cur) grant();
          }
          assert.deepEqual(semaState(off), [cur, queue.length], JSON.stringify(o));
        }
        await Promise.all(granted.map((r) => r.p));
        // Cancel the rest from the back, so no cancellation lets a later one in.
        for (const r of queue.reverse()) {
          r.cancel();
          await assert.rejects(r.p, (e) => e === context.Canceled);
        }
        assert.deepEqual(semaState(off), [cur, 0]);
      },
    ),
    { numRuns: 150 },
  );
});

type WgOp = { op: "add"; d: number } | { op: "wait" };

test("WaitGroup matches a sequential counter model; waits end exactly when it reaches 0", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant("add" as const), d: fc.integer({ min: -3, max: 3 }) }),
          fc.record({ op: fc.constant("wait" as const) }),
        ),
        { maxLength: 25 },
      ),
      async (ops: WgOp[]) => {
        const wg = new threads.WaitGroup();
        let count = 0;
        let waits: { p: Promise<void>; done: boolean }[] = [];
        for (const o of ops) {
          if (o.op === "wait") {
            const w = { p: wg.wait(), done: false };
            void w.p.then(() => (w.done = true));
            waits.push(w);
          } else if (count + o.d < 0) {
            assert.throws(() => wg.add(o.d), { message: "sync: negative WaitGroup counter" });
          } else {
            wg.add(o.d);
            count += o.d;
          }
          if (count === 0) {
            await Promise.all(waits.map((w) => w.p));
            waits = [];
          } else if (waits.length > 0 && o.op === "add") {
            await turn();
            assert.ok(waits.every((w) => !w.done), "a wait ended while the counter was not 0");
          }
        }
        if (count > 0) wg.add(-count);
        await Promise.all(waits.map((w) => w.p));
      },
    ),
    { numRuns: 150 },
  );
});
