/**
 * The run queues against a sequential model: local queues (owner put/get, overflow of half to the
 * global queue, stealing half), the global queue (fair-share get), driven by fast-check on one thread;
 * then the real thing across threads: random spawn trees where every task must run exactly once.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { heap } from "../../src/internal/threads/heap.js";
import {
  GQ_WORDS,
  LOCAL_SIZE,
  LOCAL_WORDS,
  globalGet,
  globalInit,
  globalLen,
  globalPut,
  localGet,
  localLen,
  localPut,
  steal,
} from "../../src/internal/threads/runq.js";
import * as threads from "../../src/threads/index.js";
import { tree } from "./fixtures/tasks.js";

type Op =
  | { k: "put"; q: number }
  | { k: "get"; q: number }
  | { k: "gput" }
  | { k: "gget"; q: number; shares: number }
  | { k: "steal"; q: number; from: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant("put" as const), q: fc.integer({ min: 0, max: 1 }) }), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant("get" as const), q: fc.integer({ min: 0, max: 1 }) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant("gput" as const) }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant("gget" as const),
      q: fc.integer({ min: 0, max: 1 }),
      shares: fc.integer({ min: 1, max: 4 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("steal" as const),
      q: fc.integer({ min: 0, max: 1 }),
      from: fc.integer({ min: 0, max: 1 }),
    }),
    weight: 2,
  },
);

test("run queues behave like the sequential model: nothing lost, duplicated or reordered", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const h = heap();
      const qs = [h.alloc(LOCAL_WORDS * 4) >> 2, h.alloc(LOCAL_WORDS * 4) >> 2];
      const gq = h.alloc(GQ_WORDS * 4) >> 2;
      globalInit(h, gq, 4); // small, so it grows
      const model: number[][] = [[], []];
      const gmodel: number[] = [];
      let next = 8; // record "offsets": any non-zero number
      for (const o of ops) {
        switch (o.k) {
          case "put": {
            const rec = next++;
            localPut(qs[o.q], gq, rec);
            if (model[o.q].length < LOCAL_SIZE) model[o.q].push(rec);
            else {
              // overflow: the older half, then the new record, go to the global queue
              gmodel.push(...model[o.q].splice(0, LOCAL_SIZE / 2), rec);
            }
            break;
          }
          case "get":
            assert.equal(localGet(qs[o.q]), model[o.q].shift() ?? 0);
            break;
          case "gput": {
            const rec = next++;
            globalPut(gq, rec);
            gmodel.push(rec);
            break;
          }
          case "gget": {
            if (model[o.q].length > 0) break; // only done on an empty local queue
            const n = Math.min(gmodel.length, Math.floor(gmodel.length / o.shares) + 1, LOCAL_SIZE / 2);
            const got = globalGet(gq, qs[o.q], o.shares);
            const taken = gmodel.splice(0, n);
            assert.equal(got, taken.shift() ?? 0);
            model[o.q].push(...taken);
            break;
          }
          case "steal": {
            if (o.q === o.from || model[o.q].length > 0) break; // thieves steal into an empty queue
            const victim = model[o.from];
            const n = victim.length - (victim.length >> 1);
            const stolen = victim.splice(0, n);
            assert.equal(steal(qs[o.q], qs[o.from]), stolen.shift() ?? 0);
            model[o.q].push(...stolen);
            break;
          }
        }
        assert.equal(localLen(qs[0]), model[0].length);
        assert.equal(localLen(qs[1]), model[1].length);
        assert.equal(globalLen(gq), gmodel.length);
      }
    }),
    { numRuns: 150 },
  );
});

const rt = threads.start({ workers: 2 });
after(() => rt.close());

test("random spawn trees across workers: every task runs exactly once", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }), async (depth, width) => {
      let expected = 0;
      for (let d = 0; d <= depth; d++) expected += width ** d;
      assert.equal(await rt.run(tree, depth, width), expected);
    }),
    { numRuns: 25 },
  );
});
