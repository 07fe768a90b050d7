// Pool, ErrorPool, ContextPool and the result pools: conc's pool tests ported to our contract, plus
// conservation, bounds and the blocking point of a full pool.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, go, runtime } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import { Pool } from "../../src/pool/index.js";
import { settle, waitState } from "../sync/helpers.js";

const bg = context.background();

/** Runs `n` tasks on a pool limited to `max` and returns the highest concurrency observed. */
async function peak(max: number, n: number): Promise<number> {
  const p = new Pool().withMaxGoroutines(max);
  let active = 0;
  let top = 0;
  for (let i = 0; i < n; i++) {
    await p.go(async () => {
      active++;
      top = Math.max(top, active);
      await time.sleep(1);
      active--;
    });
  }
  await p.wait();
  return top;
}

describe("Pool", () => {
  test("basic: every task runs exactly once (conservation)", async () => {
    const p = new Pool();
    const seen = new Array<number>(100).fill(0);
    for (let i = 0; i < 100; i++) void p.go(() => void seen[i]++);
    await p.wait();
    assert.deepEqual(seen, new Array<number>(100).fill(1));
  });

  test("a new Pool is valid: wait with nothing to do resolves", async () => {
    await new Pool().wait();
  });

  for (const max of [1, 2, 5, 10]) {
    test(`limit ${max}: concurrency reaches the limit and never exceeds it`, async () => {
      await synctest.test(async () => {
        assert.equal(await peak(max, 30), max);
      });
    });
  }

  test("go blocks while the pool is full; the caller shows as parked on chan send", async () => {
    const p = new Pool().withMaxGoroutines(1);
    const gate = new Chan<void>();
    await p.go(() => gate.recv());
    let submitted = false;
    const g = go(async () => {
      await p.go(() => undefined);
      submitted = true;
    });
    await settle();
    assert.equal(submitted, false);
    assert.equal(waitState(g.id).reason, "chan send");
    assert.match(runtime.dump(), new RegExp(`goroutine ${g.id} \\[chan send`));
    gate.close();
    await p.wait();
    assert.equal(submitted, true);
  });

  test("a throwing task makes wait reject with that error; the others still run", async () => {
    const p = new Pool().withMaxGoroutines(2);
    const boom = new Error("boom");
    let ran = 0;
    void p.go(() => {
      throw boom;
    });
    for (let i = 0; i < 5; i++) void p.go(async () => void ran++);
    await assert.rejects(p.wait(), (e) => e === boom);
    assert.equal(ran, 5);
  });

  test("errors do not exhaust the pool's goroutines", async () => {
    const p = new Pool().withMaxGoroutines(1);
    for (let i = 0; i < 10; i++) await p.go(() => Promise.reject(new Error(`e${i}`)));
    let ok = false;
    await p.go(() => void (ok = true));
    await assert.rejects(p.wait(), /e0/);
    assert.equal(ok, true);
  });

  test("configuration after go throws, before and after wait", async () => {
    const p = new Pool();
    void p.go(() => undefined);
    assert.throws(() => p.withMaxGoroutines(10), /reconfigured/);
    await p.wait();
    assert.throws(() => p.withMaxGoroutines(10), /reconfigured/);
    assert.throws(() => p.withErrors(), /reconfigured/);
  });

  test("withMaxGoroutines refuses n < 1 and fractions", () => {
    for (const n of [0, -1, 1.5, NaN]) assert.throws(() => new Pool().withMaxGoroutines(n), RangeError);
    assert.throws(() => new Pool().go(1 as unknown as () => void), TypeError);
  });

  test("maxGoroutines reports the limit", () => {
    assert.equal(new Pool().withMaxGoroutines(7).maxGoroutines(), 7);
    assert.equal(new Pool().maxGoroutines(), Infinity);
  });

  test("is reusable, and leaves no goroutine behind after wait", async () => {
    const base = runtime.numGoroutine();
    const p = new Pool().withMaxGoroutines(3);
    for (let round = 0; round < 3; round++) {
      let n = 0;
      for (let i = 0; i < 10; i++) await p.go(async () => void n++);
      await p.wait();
      assert.equal(n, 10);
      assert.equal(runtime.numGoroutine(), base);
    }
  });

  test("a task may submit tasks; wait covers them", async () => {
    const p = new Pool().withMaxGoroutines(2);
    let n = 0;
    void p.go(async () => {
      n++;
      void p.go(async () => void n++);
    });
    await p.wait();
    assert.equal(n, 2);
  });
});

describe("ErrorPool", () => {
  test("wait resolves with no errors", async () => {
    const p = new Pool().withErrors();
    void p.go(() => undefined);
    await p.wait();
  });

  test("wait rejects with an AggregateError of every error", async () => {
    const p = new Pool().withErrors().withMaxGoroutines(3);
    for (let i = 0; i < 5; i++) void p.go(() => (i % 2 === 0 ? Promise.reject(new Error(`e${i}`)) : undefined));
    const err = (await p.wait().catch((e: unknown) => e)) as AggregateError;
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors.map((e: Error) => e.message).sort(), ["e0", "e2", "e4"]);
    assert.match(err.message, /e0/);
  });

  test("withFirstError rejects with the first error only", async () => {
    await synctest.test(async () => {
      const p = new Pool().withErrors().withFirstError();
      void p.go(async () => {
        await time.sleep(2);
        throw new Error("second");
      });
      void p.go(async () => {
        await time.sleep(1);
        throw new Error("first");
      });
      await assert.rejects(p.wait(), /^Error: first$/);
    });
  });

  test("limit", async () => {
    await synctest.test(async () => {
      const p = new Pool().withErrors().withMaxGoroutines(3);
      let active = 0;
      let top = 0;
      for (let i = 0; i < 20; i++) {
        await p.go(async () => {
          top = Math.max(top, ++active);
          await time.sleep(1);
          active--;
        });
      }
      await p.wait();
      assert.equal(top, 3);
    });
  });
});

describe("ContextPool", () => {
  test("tasks receive a context cancelled when wait returns", async () => {
    const p = new Pool().withContext(bg);
    let seen: context.Context | undefined;
    void p.go((ctx) => void (seen = ctx));
    await p.wait();
    assert.equal(seen?.err(), context.Canceled);
  });

  test("without withCancelOnError an error does not cancel the others", async () => {
    await synctest.test(async () => {
      const p = new Pool().withContext(bg);
      void p.go(() => Promise.reject(new Error("boom")));
      void p.go(async (ctx) => {
        await time.sleep(10);
        assert.equal(ctx.err(), undefined);
      });
      await assert.rejects(p.wait(), AggregateError);
    });
  });

  test("withCancelOnError cancels the context at the first error, with it as the cause", async () => {
    const p = new Pool().withContext(bg).withCancelOnError();
    const boom = new Error("boom");
    let cause: Error | undefined;
    void p.go(async (ctx) => {
      await ctx.done().recv();
      cause = context.cause(ctx);
      return Promise.reject(ctx.err()!);
    });
    void p.go(() => Promise.reject(boom));
    const err = (await p.wait().catch((e: unknown) => e)) as AggregateError;
    assert.equal(cause, boom);
    assert.deepEqual(err.errors, [boom, context.Canceled]); // conc keeps the canceled task's error too
  });

  test("withFailFast rejects with the first error and cancels", async () => {
    const p = new Pool().withContext(bg).withFailFast();
    void p.go((ctx) => ctx.done().recv().then(() => Promise.reject(ctx.err()!)));
    void p.go(() => Promise.reject(new Error("first")));
    await assert.rejects(p.wait(), /^Error: first$/);
  });

  test("the parent's cancellation reaches the tasks", async () => {
    const [parent, cancel] = context.withCancel(bg);
    const p = new Pool().withContext(parent).withMaxGoroutines(2);
    void p.go((ctx) => ctx.done().recv());
    cancel();
    await p.wait();
  });
});

describe("ResultPool", () => {
  test("results come in submission order whatever order tasks finish in", async () => {
    await synctest.test(async () => {
      const p = Pool.withResults<number>().withMaxGoroutines(4);
      const delays = [5, 1, 4, 2, 3, 0, 6];
      for (const d of delays) {
        await p.go(async () => {
          await time.sleep(d);
          return d;
        });
      }
      assert.deepEqual(await p.wait(), delays);
    });
  });

  test("is reusable: the second round starts empty", async () => {
    const p = Pool.withResults<number>();
    void p.go(() => 1);
    assert.deepEqual(await p.wait(), [1]);
    void p.go(() => 2);
    assert.deepEqual(await p.wait(), [2]);
  });

  test("withErrors: wait rejects with every error", async () => {
    const p = Pool.withResults<number>().withErrors();
    void p.go(() => 1);
    void p.go(() => Promise.reject(new Error("x")));
    await assert.rejects(p.wait(), AggregateError);
  });

  test("withContext and withFailFast", async () => {
    const p = Pool.withResults<string>().withContext(bg).withFailFast().withMaxGoroutines(2);
    void p.go(() => Promise.reject(new Error("stop")));
    void p.go(async (ctx) => {
      await ctx.done().recv();
      return "late";
    });
    await assert.rejects(p.wait(), /^Error: stop$/);
  });

  test("limit is respected", async () => {
    await synctest.test(async () => {
      const p = Pool.withResults<number>().withMaxGoroutines(2);
      let active = 0;
      let top = 0;
      for (let i = 0; i < 10; i++) {
        await p.go(async () => {
          top = Math.max(top, ++active);
          await time.sleep(1);
          active--;
          return i;
        });
      }
      assert.deepEqual(await p.wait(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(top, 2);
    });
  });
});
