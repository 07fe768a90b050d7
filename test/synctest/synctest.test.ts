// synctest: one test per bubble rule (Go's testing/synctest), run in virtual time.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { go, Chan, select, recv, send, runtime } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as context from "../../src/context/index.js";
import { Cond, Mutex, WaitGroup } from "../../src/sync/index.js";
import { liveBubbles } from "../../src/internal/livebubbles.js";
import { waitState } from "../sync/helpers.js";

const EPOCH = Date.UTC(2000, 0, 1);

/** Resolves after `ms` of real time, outside any bubble; used only to show that something does NOT finish. */
function realDelay(ms: number): Promise<"timeout"> {
  return new Promise((r) => setTimeout(() => r("timeout"), ms));
}

describe("synctest time", () => {
  test("the fake clock starts at 2000-01-01T00:00:00Z", async () => {
    await synctest.test(() => {
      assert.equal(time.now().getTime(), EPOCH);
      assert.equal(time.now().toISOString(), "2000-01-01T00:00:00.000Z");
    });
  });

  test("sleeps in two goroutines advance the clock by the smallest step each", async () => {
    await synctest.test(async () => {
      const woke: [string, number][] = [];
      const wg = new WaitGroup();
      wg.go(async () => {
        await time.sleep(3 * time.Second);
        woke.push(["a", time.since(new Date(EPOCH))]);
      });
      wg.go(async () => {
        await time.sleep(time.Second);
        woke.push(["b", time.since(new Date(EPOCH))]);
        await time.sleep(5 * time.Second);
        woke.push(["b2", time.since(new Date(EPOCH))]);
      });
      await wg.wait();
      assert.deepEqual(woke, [
        ["b", 1000],
        ["a", 3000],
        ["b2", 6000],
      ]);
    });
  });

  test("a timeout fires exactly at its deadline, not 1 ms before", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(context.background(), 5 * time.Second);
      await time.sleep(5 * time.Second - 1);
      assert.equal(ctx.err(), undefined, "1 ms before the deadline the context is live");
      await time.sleep(1);
      await synctest.wait();
      assert.equal(ctx.err(), context.DeadlineExceeded);
      cancel();
    });
  });

  test("a select timeout takes no real time", async () => {
    const started = performance.now();
    await synctest.test(async () => {
      const never = new Chan<number>();
      const out = await select([recv(never, () => "value"), recv(time.after(time.Hour), () => "timeout")]);
      assert.equal(out, "timeout");
      assert.equal(time.now().getTime(), EPOCH + time.Hour);
    });
    assert.ok(performance.now() - started < 1000, "an hour of virtual time took under a second");
  });

  test("a timer pending when the function returns never fires", async () => {
    let fired = false;
    await synctest.test(() => {
      time.afterFunc(time.Second, () => {
        fired = true;
      });
    });
    await realDelay(20);
    assert.equal(fired, false);
  });

  test("timer reset arithmetic: reset counts from now, stop prevents the fire", async () => {
    await synctest.test(async () => {
      const t = new time.Timer(10 * time.Second);
      await time.sleep(4 * time.Second);
      assert.equal(t.reset(10 * time.Second), true, "reset of an active timer reports true");
      const [fired] = (await t.c.recvOk()) as [Date, boolean];
      assert.equal(fired.getTime() - EPOCH, 14 * time.Second);
      assert.equal(t.stop(), false, "stop after the fire reports false");
      t.reset(time.Second);
      assert.equal(t.stop(), true);
      const got = await select([recv(t.c, () => "stale"), recv(time.after(time.Minute), () => "none")]);
      assert.equal(got, "none");
    });
  });

  test("time stops when the main function returns", async () => {
    let sawTime = -1;
    await synctest.test(() => {
      go(async () => {
        sawTime = time.now().getTime();
      });
    });
    assert.equal(sawTime, EPOCH);
  });

  test("two bubbles side by side keep their own clocks while a real-time test runs", async () => {
    const realStart = Date.now();
    const real = realDelay(30);
    const a = synctest.test(async () => {
      await time.sleep(time.Hour);
      assert.equal(time.now().getTime(), EPOCH + time.Hour);
    });
    const b = synctest.test(async () => {
      await time.sleep(time.Minute);
      assert.equal(time.now().getTime(), EPOCH + time.Minute);
      await time.sleep(time.Minute);
      assert.equal(time.now().getTime(), EPOCH + 2 * time.Minute);
    });
    assert.equal(time.now().getTime() >= realStart, true, "outside the bubbles the clock is real");
    await Promise.all([a, b, real]);
    assert.ok(Date.now() - realStart >= 25, "the real timer took real time");
  });
});

describe("synctest wait and durable blocking", () => {
  test("wait() returns once spawned goroutines are durably blocked", async () => {
    await synctest.test(async () => {
      let res = 0;
      const done = new Chan<void>();
      go(async () => {
        res = 42;
        await done.recv(); // (X) durable: done belongs to the bubble
        res = 0;
      });
      await synctest.wait();
      assert.equal(res, 42);
      done.close();
      await synctest.wait();
      assert.equal(res, 0);
    });
  });

  test("a select over bubble channels is durable", async () => {
    await synctest.test(async () => {
      let res = 0;
      const input = new Chan<number>();
      const done = new Chan<void>();
      go(async () => {
        res = 42;
        await select([recv(input), recv(done)]);
        res = 0;
      });
      await synctest.wait();
      assert.equal(res, 42);
      done.close();
    });
  });

  test("WaitGroup.wait is durable when the adds were in the bubble", async () => {
    await synctest.test(async () => {
      let res = 0;
      const wg = new WaitGroup();
      wg.add(1);
      go(async () => {
        res = 42;
        await wg.wait();
        res = 0;
      });
      await synctest.wait();
      assert.equal(res, 42);
      wg.done();
    });
  });

  test("WaitGroup.wait is not durable when an add was made before any bubble was live", async () => {
    // The add below takes WaitGroup's no-live-bubble shortcut; it must still count as made outside.
    assert.equal(liveBubbles, 0, "precondition: no bubble is live, so the shortcut is what runs");
    const wg = new WaitGroup();
    wg.add(1);
    await synctest.test(async () => {
      wg.add(1); // inside the bubble: the round is now mixed
      const g = go(() => wg.wait());
      for (let i = 0; i < 100 && waitState(g.id).reason === ""; i++) await Promise.resolve();
      assert.deepEqual(waitState(g.id), { reason: "sync.WaitGroup.Wait", durable: false });
      wg.add(-2);
    });
    assert.equal(liveBubbles, 0, "a finished bubble is no longer counted");
  });

  test("WaitGroup.wait is durable when the round's adds were all made in a later bubble", async () => {
    const wg = new WaitGroup();
    wg.add(1);
    wg.done(); // a round made outside any bubble ends: the next round starts fresh
    await synctest.test(async () => {
      wg.add(1);
      const g = go(() => wg.wait());
      await synctest.wait(); // returns only because the wait is durable
      assert.deepEqual(waitState(g.id), { reason: "sync.WaitGroup.Wait", durable: true });
      wg.done();
    });
  });

  test("Cond.wait is durable", async () => {
    await synctest.test(async () => {
      let res = 0;
      const mu = new Mutex();
      const cond = new Cond(mu);
      let stop = false;
      go(async () => {
        await mu.lock();
        res = 42;
        while (!stop) await cond.wait();
        res = 0;
        mu.unlock();
      });
      await synctest.wait();
      assert.equal(res, 42);
      await mu.lock();
      stop = true;
      cond.signal();
      mu.unlock();
    });
  });

  test("Mutex.lock is not durable: wait() does not return while a goroutine waits for a mutex", async () => {
    const mu = new Mutex();
    let res = 0;
    const run = synctest.test(async () => {
      await mu.lock();
      go(async () => {
        res = 42;
        await mu.lock(); // (X) not durable
        res = 0;
        mu.unlock();
      });
      await synctest.wait();
    });
    assert.equal(await Promise.race([run.then(() => "finished"), realDelay(100)]), "timeout");
    assert.equal(res, 42);
    mu.unlock(); // let the bubble finish
    await run;
  });

  test("real file I/O is not durable: the clock waits for it", async () => {
    const self = fileURLToPath(import.meta.url);
    await synctest.test(async () => {
      const read = new Chan<number>(1);
      go(async () => {
        const text = await readFile(self, "utf8");
        await read.send(text.length);
      });
      // If the pending read counted as blocked, the clock would jump an hour and "timeout" would win.
      const got = await select([recv(read, () => "read"), recv(time.after(time.Hour), () => "timeout")]);
      assert.equal(got, "read");
      assert.equal(time.now().getTime(), EPOCH, "no virtual time passed while the read was in flight");
    });
  });

  test("sockets count as in flight while open, and the clock moves again once they are closed", async () => {
    await synctest.test(async () => {
      const srv = net.createServer((s) => s.end("hi"));
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const { port } = srv.address() as net.AddressInfo;
      const got = new Chan<string>(1);
      const c = net.connect(port, "127.0.0.1");
      let data = "";
      c.on("data", (d: Buffer) => (data += d.toString()));
      c.on("close", () => got.trySend(data)); // runs as the goroutine that connected
      // While the socket is open the clock cannot jump, so the socket's reply wins over an hour's timeout.
      const first = await select([recv(got, (v) => v), recv(time.after(time.Hour), () => "timeout")]);
      assert.equal(first, "hi");
      assert.equal(time.now().getTime(), EPOCH);
      await new Promise<void>((r) => srv.close(() => r()));
      await time.sleep(time.Hour); // both closed: the bubble idles and time moves
      assert.equal(time.now().getTime(), EPOCH + time.Hour);
    });
  });

  test("a goroutine awaiting two bubble waits at once is durably blocked until both end", async () => {
    await synctest.test(async () => {
      const a = new Chan<number>();
      const b = new Chan<number>();
      let got: (number | undefined)[] = [];
      const g = go(async () => {
        got = await Promise.all([a.recv(), b.recv()]);
      });
      await synctest.wait(); // both receives are durable: wait returns
      assert.match(runtime.dump(), new RegExp(`goroutine ${g.id} \\[chan receive \\(durable\\)`));
      await a.send(1);
      await synctest.wait(); // still durably blocked on b
      assert.match(runtime.dump(), new RegExp(`goroutine ${g.id} \\[chan receive \\(durable\\)`));
      await b.send(2);
      await synctest.wait();
      assert.deepEqual(got, [1, 2]);
    });
  });

  test("one non-durable wait among several keeps the goroutine non-durable", async () => {
    const mu = new Mutex();
    await mu.lock();
    const ch = new Chan<void>(1);
    const run = synctest.test(async () => {
      const bubbleCh = new Chan<number>();
      go(async () => {
        await Promise.all([bubbleCh.recv(), mu.lock()]); // the mutex wait is not durable
        mu.unlock();
        await ch.send(undefined);
      });
      await synctest.wait();
      await bubbleCh.send(1);
    });
    assert.equal(await Promise.race([run.then(() => "finished"), realDelay(60)]), "timeout");
    mu.unlock();
    await run;
    assert.deepEqual(ch.tryRecv(), [undefined, true]);
  });

  test("a real timer started in the bubble counts as in flight", async () => {
    await synctest.test(async () => {
      const ch = new Chan<string>(1);
      setTimeout(() => ch.trySend("real"), 5);
      const got = await select([recv(ch, (v) => v), recv(time.after(time.Hour), () => "virtual")]);
      assert.equal(got, "real");
    });
  });
});

describe("synctest context and cleanup", () => {
  test("t.context() is cancelled when fn returns, before the cleanups, which run LIFO", async () => {
    const order: string[] = [];
    let ctx: context.Context | undefined;
    await synctest.test((t) => {
      ctx = t.context();
      t.cleanup(() => {
        order.push(`cleanup 1 (ctx ${ctx!.err() === context.Canceled ? "cancelled" : "live"})`);
      });
      t.cleanup(() => {
        order.push("cleanup 2");
      });
      order.push(`body (ctx ${ctx.err() === undefined ? "live" : "cancelled"})`);
    });
    assert.deepEqual(order, ["body (ctx live)", "cleanup 2", "cleanup 1 (ctx cancelled)"]);
  });

  // The seed chapter's IncServer, stopped three ways.
  class IncServer {
    current = 0;
    readonly done = new Chan<void>();
    start(out: Chan<number>, ctx?: context.Context): void {
      go(async () => {
        for (;;) {
          const stop = await select([
            send(out, this.current, () => {
              this.current++;
              return false;
            }),
            recv(ctx?.done() ?? this.done, () => true),
          ]);
          if (stop) {
            out.close();
            return;
          }
        }
      });
    }
    stop(): void {
      this.done.close();
    }
  }

  test("IncServer stopped by a deferred stop passes", async () => {
    await synctest.test(async () => {
      const nums = new Chan<number>();
      const srv = new IncServer();
      srv.start(nums);
      try {
        assert.deepEqual([await nums.recv(), await nums.recv(), await nums.recv()], [0, 1, 2]);
      } finally {
        srv.stop();
      }
    });
  });

  test("IncServer that is never stopped fails: main bubble goroutine has exited but blocked goroutines remain", async () => {
    const err = await synctest
      .test(async () => {
        const nums = new Chan<number>();
        go(async () => {
          for (let i = 0; ; i++) await nums.send(i); // the buggy server ignores stop
        });
        assert.deepEqual([await nums.recv(), await nums.recv(), await nums.recv()], [0, 1, 2]);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(synctest.isDeadlock(err));
    assert.match(err.message, /^deadlock: main bubble goroutine has exited but blocked goroutines remain\n/);
    assert.match(err.message, /\[chan send \(durable\)/);
    assert.match(err.message, /created by \S+ in goroutine \d+\n\t\S+/);
  });

  test("IncServer stopped by t.cleanup passes (a helper registers the stop)", async () => {
    await synctest.test(async (t) => {
      const newServer = (): Chan<number> => {
        const nums = new Chan<number>();
        const srv = new IncServer();
        srv.start(nums);
        t.cleanup(() => srv.stop());
        return nums;
      };
      const nums = newServer();
      assert.deepEqual([await nums.recv(), await nums.recv(), await nums.recv()], [0, 1, 2]);
    });
  });

  test("IncServer stopped by t.context() passes", async () => {
    await synctest.test(async (t) => {
      const nums = new Chan<number>();
      new IncServer().start(nums, t.context());
      assert.deepEqual([await nums.recv(), await nums.recv(), await nums.recv()], [0, 1, 2]);
    });
  });
});

describe("synctest deadlocks and errors", () => {
  test("all goroutines blocked with no timer: deadlock with a dump", async () => {
    const err = await synctest
      .test(async () => {
        const a = new Chan<number>();
        go(async function stuckSender() {
          await a.send(1);
          await a.send(2);
        });
        await a.recv();
        await new Chan<void>().recv();
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(synctest.isDeadlock(err), String(err));
    assert.match(err.message, /^deadlock: all goroutines in bubble are blocked\n/);
    assert.match(err.message, /goroutine \d+ \[chan receive \(durable\), [^\]]*\] \(synctest bubble \d+\):/);
    assert.match(err.message, /goroutine \d+ \[chan send \(durable\), [^\]]*\] \(synctest bubble \d+\):\nstuckSender\(\.\.\.\)/);
  });

  test("Calc with a 3-second timeout, run in another goroutine, needs the root to block too", async () => {
    const ErrTimeout = new Error("timeout");
    const calc = async (input: Chan<number>): Promise<number> =>
      select([recv(input, (v) => v! * 2), recv(time.after(3 * time.Second), () => Promise.reject(ErrTimeout))]);

    // Root returns while Calc is still blocked on its select: time stopped, so it is a deadlock.
    const err = await synctest
      .test(() => {
        go(async () => {
          await calc(new Chan<number>()).catch(() => 0);
        });
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(synctest.isDeadlock(err));
    assert.match(err.message, /main bubble goroutine has exited but blocked goroutines remain/);
    assert.match(err.message, /\[select \(durable\)/);

    // Fixed: the root sleeps, so the clock moves 3 s, Calc times out, then 2 s more.
    await synctest.test(async () => {
      let got: unknown;
      go(async () => {
        got = await calc(new Chan<number>()).catch((e: unknown) => e);
      });
      await time.sleep(5 * time.Second);
      assert.equal(got, ErrTimeout);
    });

    // Directly in the root: the root's own select is durably blocked, the clock jumps 3 s.
    await synctest.test(async () => {
      await assert.rejects(calc(new Chan<number>()), ErrTimeout);
      assert.equal(time.now().getTime(), EPOCH + 3 * time.Second);
    });
  });

  test("a panic in a bubble goroutine fails the test with that error", async () => {
    const boom = new Error("boom");
    await assert.rejects(
      synctest.test(async () => {
        go(() => {
          throw boom;
        });
        await time.sleep(time.Second);
      }),
      boom,
    );
  });

  test("the test function's own error rejects the test", async () => {
    await assert.rejects(
      synctest.test(() => {
        throw new TypeError("bad");
      }),
      TypeError,
    );
  });

  test("misuse: wait outside a bubble", () => {
    assert.throws(() => synctest.wait(), { message: "goroutine is not in a bubble" });
  });

  test("misuse: two concurrent waits", async () => {
    await synctest.test(async () => {
      let second: unknown;
      go(async () => {
        await synctest.wait();
      });
      go(() => {
        try {
          void synctest.wait();
        } catch (e) {
          second = e;
        }
      });
      await time.sleep(time.Second);
      assert.ok(second instanceof Error);
      assert.equal(second.message, "wait already in progress");
    });
  });

  test("misuse: nested test", async () => {
    await synctest.test(() => {
      assert.throws(() => synctest.test(() => {}), { message: "synctest.test called from within a synctest bubble" });
    });
  });

  test("misuse: a bubble channel used from outside", async () => {
    let ch: Chan<number> | undefined;
    await synctest.test(() => {
      ch = new Chan<number>(1);
    });
    const c = ch!;
    assert.throws(() => c.close(), { message: "close of synctest channel from outside bubble" });
    assert.throws(() => c.trySend(1), { message: "send on synctest channel from outside bubble" });
    assert.throws(() => c.tryRecv(), { message: "receive on synctest channel from outside bubble" });
    assert.throws(() => select([recv(c)], () => 0), { message: "select on synctest channel from outside bubble" });
  });

  test("misuse: a bubble timer or ticker stopped or reset from outside", async () => {
    let t: time.Timer | undefined;
    let tk: time.Ticker | undefined;
    await synctest.test(() => {
      t = new time.Timer(time.Hour);
      tk = new time.Ticker(time.Second);
      t.stop();
      tk.stop();
    });
    assert.throws(() => t!.stop(), { message: "stop of synctest timer from outside bubble" });
    assert.throws(() => t!.reset(1), { message: "reset of synctest timer from outside bubble" });
    assert.throws(() => tk!.stop(), { message: "stop of synctest timer from outside bubble" });
    assert.throws(() => tk!.reset(5), { message: "reset of synctest timer from outside bubble" });
    assert.throws(() => t!.c.tryRecv(), { message: "receive on synctest channel from outside bubble" });
  });

  test("bad input: test needs a function", () => {
    assert.throws(() => synctest.test(42 as never), TypeError);
  });
});

describe("synctest at scale", () => {
  test("100 bubbles that each sleep an hour of virtual time finish in well under 5 s", async () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      await synctest.test(async () => {
        await time.sleep(time.Hour);
        assert.equal(time.now().getTime(), EPOCH + time.Hour);
      });
    }
    const took = performance.now() - started;
    assert.ok(took < 5000, `took ${took.toFixed(0)} ms`);
  });
});
