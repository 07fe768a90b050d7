/** The sync, x/sync primitives inside real synctest bubbles: durable waits let virtual time advance. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, synctest, time } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import { Cond, Mutex, Once, WaitGroup } from "../../src/sync/index.js";
import { Weighted } from "../../src/semaphore/index.js";
import * as errgroup from "../../src/errgroup/index.js";
import { Group } from "../../src/singleflight/index.js";
import { waitState } from "./helpers.js";

describe("sync primitives in a synctest bubble", () => {
  test("WaitGroup.wait with adds made in the bubble is durable: time jumps to the last done", async () => {
    await synctest.test(async () => {
      const t0 = time.now();
      const wg = new WaitGroup();
      for (let i = 1; i <= 3; i++) wg.go(() => time.sleep(i * time.Second));
      await wg.wait();
      assert.equal(time.since(t0), 3 * time.Second);
    });
  });

  test("Cond.wait is durable", async () => {
    await synctest.test(async () => {
      const t0 = time.now();
      const c = new Cond(new Mutex());
      let ready = false;
      const wg = new WaitGroup();
      wg.go(async () => {
        using _ = await c.l.lock();
        while (!ready) await c.wait();
      });
      wg.go(async () => {
        await time.sleep(time.Minute);
        using _ = await c.l.lock();
        ready = true;
        c.broadcast();
      });
      await wg.wait();
      assert.equal(time.since(t0), time.Minute);
    });
  });

  test("semaphore.acquire gives up at a virtual deadline", async () => {
    await synctest.test(async (t) => {
      const t0 = time.now();
      const s = new Weighted(1);
      await s.acquire(t.context());
      const [ctx, cancel] = context.withTimeout(t.context(), 5 * time.Second);
      await assert.rejects(s.acquire(ctx), (e) => e === context.DeadlineExceeded);
      cancel();
      assert.equal(time.since(t0), 5 * time.Second);
      assert.equal(s.held, 1);
    });
  });

  test("errgroup with a limit: queued go calls and wait are durable", async () => {
    await synctest.test(async () => {
      const t0 = time.now();
      const g = new errgroup.Group();
      g.setLimit(2);
      for (let i = 0; i < 6; i++) await g.go(() => time.sleep(time.Second));
      await g.wait();
      assert.equal(time.since(t0), 3 * time.Second);
    });
  });

  test("errgroup: fire-and-forget go calls under a limit, then wait", async () => {
    await synctest.test(async () => {
      const t0 = time.now();
      const g = new errgroup.Group();
      g.setLimit(2);
      for (let i = 0; i < 6; i++) void g.go(() => time.sleep(time.Second));
      await g.wait();
      assert.equal(time.since(t0), 3 * time.Second);
    });
  });

  test("errgroup: Promise.all over queued go calls", async () => {
    await synctest.test(async () => {
      const t0 = time.now();
      const g = new errgroup.Group();
      g.setLimit(1);
      await Promise.all([0, 1, 2].map(() => g.go(() => time.sleep(time.Second))));
      assert.equal(time.since(t0), 2 * time.Second, "the last one started after two seconds");
      await g.wait();
    });
  });

  test("singleflight joiners wait durably for a flight in the bubble", async () => {
    await synctest.test(async () => {
      const sf = new Group<number>();
      let calls = 0;
      const fn = async (): Promise<number> => {
        calls++;
        await time.sleep(time.Second);
        return 7;
      };
      const wg = new WaitGroup();
      const got: number[] = [];
      for (let i = 0; i < 5; i++) {
        wg.go(async () => {
          got.push((await sf.do("k", fn)).value);
        });
      }
      await wg.wait();
      assert.equal(calls, 1);
      assert.deepEqual(got, [7, 7, 7, 7, 7]);
    });
  });

  test("Once: concurrent callers wait for an async f that sleeps", async () => {
    await synctest.test(async () => {
      const once = new Once();
      let inited = 0;
      const wg = new WaitGroup();
      for (let i = 0; i < 3; i++) {
        wg.go(() =>
          once.do(async () => {
            await time.sleep(time.Second);
            inited++;
          }),
        );
      }
      await wg.wait();
      assert.equal(inited, 1);
    });
  });

  test("a goroutine blocked on a Mutex is not durable (the dump says so)", async () => {
    await synctest.test(async () => {
      const mu = new Mutex();
      await mu.lock();
      const g = go(async () => {
        using _ = await mu.lock();
      });
      for (let i = 0; i < 3; i++) await Promise.resolve();
      assert.deepEqual(waitState(g.id), { reason: "sync.Mutex.Lock", durable: false });
      mu.unlock();
    });
  });
});
