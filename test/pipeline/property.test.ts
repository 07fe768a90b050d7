// Property tests against sequential models: map(ordered) is Array.map, merge is a shuffle that keeps
// each input's order, batch is chunking (exactly, without maxWait; a concatenation of bounded chunks
// with it, in virtual time).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Chan, go } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as pipeline from "../../src/pipeline/index.js";

const bg = context.background();

async function drain<T>(ch: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of ch) out.push(v);
  return out;
}

test("map(ordered) equals the sequential map, whatever the delays and workers", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer(), fc.nat(5)), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (xs, workers) => {
      await synctest.test(async () => {
        const fn = async ([x, d]: [number, number]): Promise<number> => {
          await time.sleep(d);
          return x * 2 + 1;
        };
        const got = await drain(pipeline.map(bg, pipeline.generate(bg, xs), fn, { workers, ordered: true }));
        assert.deepEqual(got, xs.map(([x]) => x * 2 + 1));
      });
    }),
    { numRuns: 60 },
  );
});

test("merge delivers every value once and keeps each input's order", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.nat(3), { maxLength: 15 }), { maxLength: 5 }), async (inputs) => {
      await synctest.test(async () => {
        // input i, value j is tagged [i, j]; each element of `inputs` is the delay before sending it
        const chans = inputs.map((delays, i) => {
          const c = new Chan<[number, number]>();
          go(async () => {
            for (let j = 0; j < delays.length; j++) {
              await time.sleep(delays[j]);
              await c.send([i, j]);
            }
            c.close();
          });
          return c;
        });
        const got = await drain(pipeline.merge(bg, ...chans));
        assert.equal(got.length, inputs.reduce((n, d) => n + d.length, 0));
        inputs.forEach((delays, i) => {
          assert.deepEqual(got.filter(([k]) => k === i).map(([, j]) => j), delays.map((_, j) => j));
        });
      });
    }),
    { numRuns: 80 },
  );
});

test("batch without maxWait is exact chunking", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer(), { maxLength: 80 }), fc.integer({ min: 1, max: 10 }), async (xs, size) => {
      const got = await drain(pipeline.batch(bg, pipeline.generate(bg, xs), size, Infinity));
      const model: number[][] = [];
      for (let i = 0; i < xs.length; i += size) model.push(xs.slice(i, i + size));
      assert.deepEqual(got, model);
    }),
    { numRuns: 150 },
  );
});

test("batch with maxWait: the batches concatenate to the input, none empty or over size, none waits past maxWait", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat(30), { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 40 }),
      async (gaps, size, maxWait) => {
        await synctest.test(async () => {
          const src = new Chan<[number, number]>(); // [index, time sent]
          go(async () => {
            for (let i = 0; i < gaps.length; i++) {
              await time.sleep(gaps[i]);
              await src.send([i, time.now().getTime()]);
            }
            src.close();
          });
          const batches: [number, number][][] = [];
          for await (const b of pipeline.batch(bg, src, size, maxWait)) {
            const now = time.now().getTime();
            assert.ok(b.length >= 1 && b.length <= size);
            assert.ok(now - b[0][1] <= maxWait, `batch held ${now - b[0][1]} ms`);
            batches.push(b);
          }
          assert.deepEqual(batches.flat().map(([i]) => i), gaps.map((_, i) => i));
        });
      },
    ),
    { numRuns: 100 },
  );
});
