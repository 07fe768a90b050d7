// Pipeline stages: each stage's contract, cancellation mid-stream (no goroutine left behind), errors
// (cancel the pipeline; the errgroup's error), and batch's maxWait in virtual time.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, go, runtime } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as errgroup from "../../src/errgroup/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as pipeline from "../../src/pipeline/index.js";

const bg = context.background();
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function drain<T>(ch: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of ch) out.push(v);
  return out;
}

function* naturals(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}

describe("stages", () => {
  test("generate: sync and async iterables, then closes", async () => {
    assert.deepEqual(await drain(pipeline.generate(bg, [1, 2, 3])), [1, 2, 3]);
    async function* gen(): AsyncGenerator<string> {
      yield "a";
      yield "b";
    }
    assert.deepEqual(await drain(pipeline.generate(bg, gen())), ["a", "b"]);
  });

  test("map: unordered fan-out conserves every value once", async () => {
    const got = await drain(pipeline.map(bg, pipeline.generate(bg, range(500)), async (x) => x + 1, { workers: 7 }));
    assert.deepEqual(got.sort((a, b) => a - b), range(500).map((x) => x + 1));
  });

  test("map: ordered keeps input order under uneven work, and bounds the workers", async () => {
    await synctest.test(async () => {
      let active = 0;
      let top = 0;
      const fn = async (x: number): Promise<number> => {
        top = Math.max(top, ++active);
        await time.sleep((x * 7919) % 11);
        active--;
        return x * x;
      };
      const got = await drain(pipeline.map(bg, pipeline.generate(bg, range(200)), fn, { workers: 4, ordered: true }));
      assert.deepEqual(got, range(200).map((x) => x * x));
      assert.equal(top, 4);
    });
  });

  test("filter keeps order and drops only what pred rejects", async () => {
    const got = await drain(pipeline.filter(bg, pipeline.generate(bg, range(20)), async (x) => x % 3 === 0));
    assert.deepEqual(got, [0, 3, 6, 9, 12, 15, 18]);
  });

  test("merge: every value of every input once; each input's order kept; no inputs = closed", async () => {
    const got = await drain(pipeline.merge(bg, pipeline.generate(bg, [1, 2, 3]), pipeline.generate(bg, [10, 20])));
    assert.deepEqual([...got].sort((a, b) => a - b), [1, 2, 3, 10, 20]);
    assert.deepEqual(got.filter((x) => x < 10), [1, 2, 3]);
    assert.deepEqual(await drain(pipeline.merge<number>(bg)), []);
  });

  test("tee: every output gets every value in order", async () => {
    const outs = pipeline.tee(bg, pipeline.generate(bg, range(50)), 3);
    const got = await Promise.all(outs.map((o) => drain(o)));
    for (const g of got) assert.deepEqual(g, range(50));
  });

  test("take forwards n values and closes; cancel releases the source", async () => {
    const base = runtime.numGoroutine();
    const [ctx, cancel] = context.withCancel(bg);
    assert.deepEqual(await drain(pipeline.take(ctx, pipeline.generate(ctx, naturals()), 5)), [0, 1, 2, 3, 4]);
    cancel();
    await synctestFree();
    assert.equal(runtime.numGoroutine(), base);
  });

  test("orDone ends at close, and at cancellation of a channel nobody closes", async () => {
    const c = new Chan<number>(2);
    c.trySend(1);
    c.close();
    assert.deepEqual(await drain(pipeline.orDone(bg, c)), [1]);
    const [ctx, cancel] = context.withCancel(bg);
    const never = new Chan<number>();
    go(() => cancel());
    assert.deepEqual(await drain(pipeline.orDone(ctx, never)), []);
  });

  test("bad arguments are TypeError / RangeError naming the stage", () => {
    const c = new Chan<number>();
    assert.throws(() => pipeline.map(undefined as unknown as context.Context, c, (x) => x), /map expects a Context/);
    assert.throws(() => pipeline.map(bg, [] as unknown as Chan<number>, (x) => x), /map expects an input Chan/);
    assert.throws(() => pipeline.map(bg, c, (x) => x, { workers: 0 }), RangeError);
    assert.throws(() => pipeline.batch(bg, c, 0, 1), RangeError);
    assert.throws(() => pipeline.batch(bg, c, 1, NaN), RangeError);
    assert.throws(() => pipeline.take(bg, c, -1), RangeError);
    assert.throws(() => pipeline.generate(bg, 5 as unknown as number[]), TypeError);
  });
});

/** Lets the goroutines woken by a cancellation run to their end (no timer involved). */
function synctestFree(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe("cancellation", () => {
  test("cancelling mid-stream returns numGoroutine to its baseline (every stage)", async () => {
    const base = runtime.numGoroutine();
    const [ctx, cancel] = context.withCancel(bg);
    const src = pipeline.generate(ctx, naturals());
    const [a, b] = pipeline.tee(ctx, src);
    const m1 = pipeline.map(ctx, a, async (x) => x * 2, { workers: 4, ordered: true });
    const m2 = pipeline.map(ctx, b, (x) => x + 1, { workers: 3 });
    const f = pipeline.filter(ctx, m2, (x) => x % 2 === 1);
    const merged = pipeline.merge(ctx, m1, f);
    const batches = pipeline.batch(ctx, merged, 10, 50);
    const first = pipeline.take(ctx, batches, 3);
    let n = 0;
    for await (const v of pipeline.orDone(ctx, batches)) {
      assert.equal(v.length, 10);
      if (++n === 5) break;
    }
    const during = runtime.numGoroutine();
    cancel();
    await synctestFree();
    const after = runtime.numGoroutine();
    console.log(`# leak test: goroutines before ${base}, during ${during}, after cancellation ${after}`);
    assert.ok(during > base + 10, `during ${during}`);
    assert.equal(after, base);
    assert.deepEqual(await drain(first), []); // take's output was closed by the cancellation
  });

  test("a consumer that stops reading and cancels leaves nothing blocked on a send", async () => {
    const base = runtime.numGoroutine();
    const [ctx, cancel] = context.withCancel(bg);
    const out = pipeline.map(ctx, pipeline.generate(ctx, range(10_000)), (x) => x, { workers: 2, ordered: true });
    assert.equal(await out.recv(), 0);
    cancel();
    await synctestFree();
    assert.equal(runtime.numGoroutine(), base);
  });

  test("a cancelled pipeline never delivers a value received after the cancellation", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    const src = new Chan<number>(4);
    const out = pipeline.map(ctx, src, (x) => x);
    cancel();
    src.trySend(1);
    assert.deepEqual(await drain(out), []);
    assert.equal(src.len, 1); // left where it was, not taken and dropped
  });
});

describe("errors", () => {
  test("under errgroup.withContext a throwing stage function is the group's error and cancels the rest", async () => {
    const base = runtime.numGoroutine();
    const [g, ctx] = errgroup.withContext(bg);
    const boom = new Error("boom at 50");
    const squares = pipeline.map(ctx, pipeline.generate(ctx, naturals()), (x) => {
      if (x === 50) throw boom;
      return x * x;
    }, { workers: 4, ordered: true });
    const total = pipeline.batch(ctx, squares, 8, time.Second);
    let seen = 0;
    void g.go(async () => {
      for await (const b of total) seen += b.length;
    });
    await assert.rejects(g.wait(), (e) => e === boom);
    assert.equal(context.cause(ctx), boom);
    assert.ok(seen <= 50);
    assert.equal(runtime.numGoroutine(), base); // wait waited for the stage goroutines too
  });

  test("without a group, a throwing stage cancels its context with the error as the cause", async () => {
    const base = runtime.numGoroutine();
    const [ctx, cancel] = context.withCancel(bg);
    const vctx = context.withValue(ctx, "k", 1);
    const bad = new Error("bad value");
    const out = pipeline.filter(vctx, pipeline.generate(vctx, range(100)), (x) => {
      if (x === 10) throw bad;
      return true;
    });
    const got = await drain(out);
    assert.ok(got.length <= 10);
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(context.cause(ctx), bad);
    cancel();
    await synctestFree(); // the generator wakes from its send and returns
    assert.equal(runtime.numGoroutine(), base);
  });

  test("an ordered map whose async fn rejects cancels the pipeline; calls in flight are not waited for", async () => {
    const base = runtime.numGoroutine();
    const [g, ctx] = errgroup.withContext(bg);
    const out = pipeline.map(ctx, pipeline.generate(ctx, naturals()), async (x) => {
      await Promise.resolve();
      if (x === 7) throw new Error("seven");
      if (x > 7) await ctx.done().recv(); // later calls wait for the cancellation
      return x;
    }, { workers: 3, ordered: true });
    const got: number[] = [];
    void g.go(async () => {
      for await (const v of out) got.push(v);
    });
    await assert.rejects(g.wait(), /seven/);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(runtime.numGoroutine(), base);
  });

  test("a throwing generator cancels the pipeline too", async () => {
    const [g, ctx] = errgroup.withContext(bg);
    function* broken(): Generator<number> {
      yield 1;
      throw new Error("source failed");
    }
    const out = pipeline.map(ctx, pipeline.generate(ctx, broken()), (x) => x);
    void g.go(() => drain(out));
    await assert.rejects(g.wait(), /source failed/);
  });
});

describe("batch", () => {
  test("size batches, a partial last batch on close", async () => {
    assert.deepEqual(await drain(pipeline.batch(bg, pipeline.generate(bg, range(7)), 3, Infinity)), [[0, 1, 2], [3, 4, 5], [6]]);
  });

  test("maxWait flushes a partial batch (virtual time)", async () => {
    await synctest.test(async () => {
      const src = new Chan<number>();
      const out = pipeline.batch(bg, src, 3, 100);
      const start = time.now();
      go(async () => {
        await src.send(1);
        await src.send(2);
        await time.sleep(250); // the batch of two waits for maxWait
        await src.send(3);
        await src.send(4);
        await src.send(5);
        await src.send(6);
        await time.sleep(50);
        await src.send(7);
        src.close(); // the last, partial batch goes out at once
      });
      const got: [number[], number][] = [];
      for await (const b of out) got.push([b, time.since(start)]);
      assert.deepEqual(got.map(([b]) => b), [[1, 2], [3, 4, 5], [6, 7]]);
      assert.deepEqual(got.map(([, t]) => t), [100, 250, 300]);
    });
  });
});
