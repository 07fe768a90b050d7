import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as errgroup from "../../src/errgroup/index.js";
import { settle } from "../sync/helpers.js";

const bg = context.background();

describe("errgroup", () => {
  test("a new Group is valid: wait with nothing to do resolves", async () => {
    await new errgroup.Group().wait();
  });

  test("wait resolves once every function has finished", async () => {
    const g = new errgroup.Group();
    const done: number[] = [];
    for (let i = 0; i < 5; i++) {
      void g.go(async () => {
        await Promise.resolve();
        done.push(i);
      });
    }
    await g.wait();
    assert.equal(done.length, 5);
  });

  test("wait rejects with the first error; a sync throw is an error, not a crash", async () => {
    const g = new errgroup.Group();
    const first = new Error("first");
    const gate = new Chan<void>();
    void g.go(() => {
      throw first;
    });
    void g.go(async () => {
      await gate.recv();
      throw new Error("second");
    });
    await settle();
    gate.close();
    await assert.rejects(g.wait(), (e) => e === first);
    await assert.rejects(g.wait(), (e) => e === first, "every wait reports it");
  });

  test("withContext: the derived context is cancelled by the first error, with it as cause", async () => {
    const [g, ctx] = errgroup.withContext(bg);
    const boom = new Error("boom");
    let sawCancel = false;
    void g.go(async () => {
      await ctx.done().recv();
      sawCancel = ctx.err() === context.Canceled;
    });
    void g.go(async () => {
      throw boom;
    });
    await assert.rejects(g.wait(), (e) => e === boom);
    assert.equal(sawCancel, true);
    assert.equal(context.cause(ctx), boom);
  });

  test("withContext: the derived context is cancelled when wait returns", async () => {
    const [g, ctx] = errgroup.withContext(bg);
    void g.go(() => {});
    assert.equal(ctx.err(), undefined);
    await g.wait();
    assert.equal(ctx.err(), context.Canceled);
  });

  test("a thrown non-Error is passed to wait as is", async () => {
    const [g, ctx] = errgroup.withContext(bg);
    void g.go(() => {
      throw "plain string"; // eslint-disable-line @typescript-eslint/only-throw-error
    });
    await assert.rejects(g.wait(), (e) => e === "plain string");
    assert.equal(context.cause(ctx)?.message, "plain string");
  });

  test("setLimit bounds the active functions; go resolves when fn has started (FIFO)", async () => {
    const g = new errgroup.Group();
    g.setLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => new Chan<void>());
    const goes: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      goes.push(
        g.go(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await gates[i].recv();
          running--;
        }),
      );
    }
    let thirdStarted = false;
    void goes[2].then(() => (thirdStarted = true));
    await settle();
    assert.deepEqual(started, [0, 1]);
    assert.equal(thirdStarted, false, "go(fn #2) has not resolved: no free slot");
    assert.equal(g.tryGo(() => {}), false, "tryGo never queues");
    gates[1].close();
    await goes[2];
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    for (const c of gates) if (!c.tryRecv()) c.close();
    await g.wait();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
  });

  test("setLimit while limited goroutines are active throws Go's message", async () => {
    const g = new errgroup.Group();
    g.setLimit(1);
    const gate = new Chan<void>();
    void g.go(() => gate.recv());
    assert.throws(() => g.setLimit(3), {
      message: "errgroup: modify limit while 1 goroutines in the group are still active",
    });
    gate.close();
    await g.wait();
    g.setLimit(3); // fine once idle
    // Without a previous limit Go's check sees no tokens in use.
    const h = new errgroup.Group();
    const gate2 = new Chan<void>();
    void h.go(() => gate2.recv());
    h.setLimit(2);
    gate2.close();
    await h.wait();
  });

  test("setLimit takes whole numbers; limit 0 queues everything until raised", async () => {
    const g = new errgroup.Group();
    assert.throws(() => g.setLimit(1.5), RangeError);
    assert.throws(() => g.setLimit(NaN), RangeError);
    g.setLimit(0);
    let ran = false;
    void g.go(() => {
      ran = true;
    });
    await settle();
    assert.equal(ran, false);
    g.setLimit(-1);
    await g.wait();
    assert.equal(ran, true);
  });

  test("tryGo runs under the limit and is waited for", async () => {
    const g = new errgroup.Group();
    g.setLimit(1);
    let n = 0;
    assert.equal(
      g.tryGo(async () => {
        await Promise.resolve();
        n++;
      }),
      true,
    );
    assert.equal(g.tryGo(() => n++), false);
    await g.wait();
    assert.equal(n, 1);
    assert.equal(g.tryGo(() => n++), true);
    await g.wait();
    assert.equal(n, 2);
  });
});

describe("errgroup: blocking", () => {
  test("a go call waiting for a slot is parked like Go's channel send", async () => {
    const { go } = await import("../../src/index.js");
    const { waitState } = await import("../sync/helpers.js");
    const g = new errgroup.Group();
    g.setLimit(1);
    const gate = new Chan<void>();
    void g.go(() => gate.recv());
    const caller = go(() => g.go(() => {}));
    await settle();
    assert.deepEqual(waitState(caller.id), { reason: "chan send", durable: false });
    gate.close();
    await g.wait();
    assert.equal(waitState(caller.id).reason, "");
  });

  test("awaiting a go whose function has already started does not leave the caller parked", async () => {
    // `await p` calls p.then, possibly after the queued function has started (here: after waiting for
    // it). Parking then would leave the caller WAITING while it runs, and at exit the process reported a
    // deadlock with the caller "waiting" in a group that had finished.
    const { go } = await import("../../src/index.js");
    const { waitState } = await import("../sync/helpers.js");
    const g = new errgroup.Group();
    g.setLimit(1);
    const gate = new Chan<void>();
    void g.go(() => gate.recv());
    const started = new Chan<void>();
    const out = new Chan<string>(1);
    const caller = go(async () => {
      const p = g.go(() => started.close()); // queued behind the gate
      gate.close();
      await started.recv();
      await p;
      out.trySend(waitState(caller.id).reason);
    });
    assert.equal(await out.recv(), "");
    await g.wait();
  });

  test("a caller that does not await a queued go is not marked blocked", async () => {
    const { go } = await import("../../src/index.js");
    const { waitState } = await import("../sync/helpers.js");
    const g = new errgroup.Group();
    g.setLimit(1);
    const gate = new Chan<void>();
    void g.go(() => gate.recv());
    const out = new Chan<string>(1);
    const caller = go(async () => {
      void g.go(() => {}); // queued, not awaited
      out.trySend(waitState(caller.id).reason);
      await gate.recv(); // parks for real
    });
    assert.equal(await out.recv(), "");
    await settle();
    assert.equal(waitState(caller.id).reason, "chan receive");
    gate.close();
    await g.wait();
  });
});
