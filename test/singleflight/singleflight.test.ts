import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan, go } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import { Group, type Result } from "../../src/singleflight/index.js";
import { goroutine, settle, waitState } from "../sync/helpers.js";
import { WAITING, runAs, waitOf } from "../../src/internal/scheduler.js";

const bg = context.background();

/** A function whose completion the test controls. */
function gated<T>(value: T): { fn: (ctx: context.Context) => Promise<T>; open: () => void; calls: () => number; ctxs: context.Context[] } {
  const gate = new Chan<void>();
  let calls = 0;
  const ctxs: context.Context[] = [];
  return {
    fn: async (ctx) => {
      calls++;
      ctxs.push(ctx);
      await gate.recv();
      return value;
    },
    open: () => gate.close(),
    calls: () => calls,
    ctxs,
  };
}

describe("singleflight", () => {
  test("a single caller: value, not shared", async () => {
    const g = new Group<number>();
    assert.deepEqual(await g.do("k", () => 7), { value: 7, shared: false });
    assert.deepEqual(await g.do("k", async () => 8), { value: 8, shared: false }, "a finished flight is not reused");
  });

  test("duplicates share one execution; shared is true for everyone, the leader included", async () => {
    const g = new Group<string>();
    const f = gated("v");
    const ps = [g.do("k", f.fn), g.do("k", f.fn), g.do("k", f.fn)];
    await settle();
    f.open();
    const rs = await Promise.all(ps);
    assert.equal(f.calls(), 1);
    assert.deepEqual(rs, [
      { value: "v", shared: true },
      { value: "v", shared: true },
      { value: "v", shared: true },
    ]);
  });

  test("different keys run independently", async () => {
    const g = new Group<string>();
    const [a, b] = await Promise.all([g.do("a", () => "A"), g.do("b", async () => "B")]);
    assert.equal(a.value, "A");
    assert.equal(b.value, "B");
  });

  test("the flight's error reaches every caller (the same error object)", async () => {
    const g = new Group<number>();
    const boom = new Error("db down");
    const gate = new Chan<void>();
    const fn = async (): Promise<number> => {
      await gate.recv();
      throw boom;
    };
    const ps = [g.do("k", fn), g.do("k", fn)];
    const ch = g.doChan("k", fn);
    await settle();
    gate.close();
    for (const p of ps) await assert.rejects(p, (e) => e === boom);
    const r = (await ch.recv())!;
    assert.equal(r.error, boom);
    assert.equal(r.shared, true);
    // A sync throw too.
    await assert.rejects(
      g.do("s", () => {
        throw boom;
      }),
      (e) => e === boom,
    );
  });

  test("doChan delivers { value, shared } on a buffered channel", async () => {
    const g = new Group<number>();
    const f = gated(5);
    const c1 = g.doChan("k", f.fn);
    const c2 = g.doChan("k", f.fn);
    assert.equal(c1.cap, 1);
    f.open();
    const r1: Result<number> | undefined = await c1.recv();
    const r2 = await c2.recv();
    assert.deepEqual(r1, { value: 5, shared: true });
    assert.deepEqual(r2, { value: 5, shared: true });
    assert.equal(f.calls(), 1);
    const lone = await g.doChan("x", () => 1).recv();
    assert.deepEqual(lone, { value: 1, shared: false });
  });

  test("forget: the next call starts a new execution; earlier callers keep theirs", async () => {
    const g = new Group<number>();
    const f1 = gated(1);
    const f2 = gated(2);
    const p1 = g.do("k", f1.fn);
    const p2 = g.do("k", f1.fn);
    g.forget("k");
    const p3 = g.do("k", f2.fn);
    f2.open();
    assert.deepEqual(await p3, { value: 2, shared: false });
    f1.open();
    assert.deepEqual(await p1, { value: 1, shared: true });
    assert.deepEqual(await p2, { value: 1, shared: true });
    assert.equal(f1.calls() + f2.calls(), 2);
    // The old flight finishing must not delete the newer flight's entry.
    const f3 = gated(3);
    const f4 = gated(4);
    const q1 = g.do("j", f3.fn);
    g.forget("j");
    const q2 = g.do("j", f4.fn);
    f3.open();
    await q1;
    const q3 = g.do("j", f4.fn); // joins the newer flight
    f4.open();
    assert.deepEqual(await q2, { value: 4, shared: true });
    assert.deepEqual(await q3, { value: 4, shared: true });
    assert.equal(f4.calls(), 1);
  });

  test("fn receives a context; one caller leaving (signal) does not disturb the others", async () => {
    const g = new Group<string>();
    const f = gated("ok");
    const ac = new AbortController();
    const leaver = g.do("k", f.fn, { signal: ac.signal });
    const stayer = g.do("k", f.fn);
    await settle();
    const reason = new Error("client went away");
    ac.abort(reason);
    await assert.rejects(leaver, (e) => e === reason);
    assert.equal(f.ctxs[0].err(), undefined, "the function's context is not cancelled while someone waits");
    f.open();
    assert.deepEqual(await stayer, { value: "ok", shared: true });
  });

  test("opts.ctx: a caller leaves with ctx.err(); the function's context carries the leader's values", async () => {
    const g = new Group<string>();
    const f = gated("v");
    const key = Symbol("request id");
    const [ctx, cancel] = context.withCancel(context.withValue(bg, key, "req-1"));
    const leader = g.do("k", f.fn, { ctx });
    const other = g.do("k", f.fn);
    await settle();
    assert.equal(f.ctxs[0].value(key), "req-1");
    cancel();
    await assert.rejects(leader, (e) => e === context.Canceled);
    assert.equal(f.ctxs[0].err(), undefined, "the leader's cancellation does not reach the function");
    f.open();
    assert.equal((await other).value, "v");
  });

  test("when every caller has left, the function's context is cancelled and the key is freed", async () => {
    const g = new Group<string>();
    const f = gated("late");
    const a = new AbortController();
    const b = new AbortController();
    const pa = g.do("k", f.fn, { signal: a.signal });
    const pb = g.do("k", f.fn, { signal: b.signal });
    await settle();
    a.abort();
    await assert.rejects(pa);
    assert.equal(f.ctxs[0].err(), undefined);
    b.abort();
    await assert.rejects(pb);
    assert.equal(f.ctxs[0].err(), context.Canceled);
    const fresh = await g.do("k", () => "fresh");
    assert.deepEqual(fresh, { value: "fresh", shared: false });
    f.open();
  });

  test("an aborted signal or done context on entry rejects without starting anything", async () => {
    const g = new Group<number>();
    let calls = 0;
    const ac = new AbortController();
    ac.abort(new Error("already"));
    await assert.rejects(g.do("k", () => ++calls, { signal: ac.signal }), /already/);
    const [ctx, cancel] = context.withCancel(bg);
    cancel();
    await assert.rejects(g.do("k", () => ++calls, { ctx }), (e) => e === context.Canceled);
    assert.equal(calls, 0);
  });

  test("joining callers park with the WaitGroup wait reason", async () => {
    const g = new Group<number>();
    const f = gated(1);
    void g.do("k", f.fn);
    const j = go(() => g.do("k", f.fn));
    await settle();
    assert.equal(waitState(j.id).reason, "sync.WaitGroup.Wait");
    f.open();
    await settle();
  });

  // Consecutive joins by one goroutine share one park (they end together); joins interleaved with
  // another goroutine's park again. Either way every park is matched by a ready at completion.
  test("a goroutine joining one flight many times waits once and is ready after", async () => {
    const g = new Group<number>();
    const f = gated(5);
    const hold = new Chan<void>();
    const a = go(() => hold.recv());
    const b = go(() => hold.recv());
    await settle();
    const ga = goroutine(a.id)!;
    const gb = goroutine(b.id)!;
    const parksBefore = waitOf(ga)!.parks; // the hold
    const ps = [g.do("k", f.fn)];
    for (const gr of [ga, ga, gb, ga, gb, gb]) ps.push(runAs(gr, () => g.do("k", f.fn)));
    assert.ok(waitOf(ga)!.parks > parksBefore && waitOf(gb)!.parks > parksBefore);
    assert.equal(waitState(a.id).reason, "sync.WaitGroup.Wait");
    f.open();
    const rs = await Promise.all(ps);
    assert.ok(rs.every((r) => r.value === 5 && r.shared));
    assert.equal(waitOf(ga)!.parks, parksBefore, "every join's wait ended");
    assert.equal(waitOf(gb)!.parks, parksBefore);
    hold.close();
    await settle();
    assert.notEqual(ga.state, WAITING);
  });

  test("10,000 callers on one key call the function once", async () => {
    const g = new Group<number>();
    const f = gated(42);
    const ps: Promise<{ value: number; shared: boolean }>[] = [];
    for (let i = 0; i < 10_000; i++) ps.push(g.do("hot", f.fn));
    f.open();
    const rs = await Promise.all(ps);
    assert.equal(f.calls(), 1);
    assert.ok(rs.every((r) => r.value === 42 && r.shared));
  });

  test("bad arguments throw TypeError", () => {
    const g = new Group<number>();
    assert.throws(() => void g.do(1 as unknown as string, () => 1), TypeError);
    assert.throws(() => void g.do("k", 1 as unknown as () => number), TypeError);
    assert.throws(() => g.doChan("k", undefined as unknown as () => number), TypeError);
  });
});
