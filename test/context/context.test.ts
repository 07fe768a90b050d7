/**
 * goroutine/context: the tree (cancellation down, never up; born-done children; detaching), values,
 * causes, afterFunc, withoutCancel, fromSignal, foreign parents, String(ctx) and bad input.
 * Deadlines are in deadline.test.ts (virtual time); the leak check in leak.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { Chan, select, recv } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import { childCount } from "../../src/context/ctx.js";
import { turns } from "../core/helpers.js";

const bg = context.background();

describe("sentinels", () => {
  test("Canceled and DeadlineExceeded: messages, timeout(), classes", () => {
    assert.equal(context.Canceled.message, "context canceled");
    assert.equal(context.DeadlineExceeded.message, "context deadline exceeded");
    assert.equal(context.DeadlineExceeded.timeout(), true);
    assert.ok(context.Canceled instanceof context.CanceledError);
    assert.ok(context.DeadlineExceeded instanceof context.DeadlineExceededError);
    assert.notEqual(context.Canceled, context.DeadlineExceeded);
  });
});

describe("background and todo", () => {
  for (const [name, ctx] of [
    ["context.Background", context.background()],
    ["context.TODO", context.todo()],
  ] as const) {
    test(`${name}: never done, nil done channel, never-aborting signal`, () => {
      assert.equal(String(ctx), name);
      assert.equal(ctx.err(), undefined);
      assert.equal(ctx.deadline(), undefined);
      assert.equal(ctx.value("x"), undefined);
      assert.equal(context.cause(ctx), undefined);
      assert.equal(ctx.signal.aborted, false);
      // A nil channel: a select case on it is never chosen.
      assert.equal(
        select([recv(ctx.done(), () => "done")], () => "default"),
        "default",
      );
      assert.equal(ctx.done(), ctx.done());
    });
  }
});

describe("withCancel", () => {
  test("cancel closes done, sets err and aborts the signal with the cause", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    assert.equal(String(ctx), "context.Background.WithCancel");
    const done = ctx.done();
    const sig = ctx.signal;
    assert.equal(ctx.err(), undefined);
    assert.equal(sig.aborted, false);
    cancel();
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(context.cause(ctx), context.Canceled);
    assert.equal(sig.aborted, true);
    assert.equal(sig.reason, context.Canceled);
    assert.deepEqual(await done.recvOk(), [undefined, false]);
    assert.equal(ctx.done(), done, "done() returns the same channel every time");
    cancel(); // idempotent
    assert.equal(ctx.err(), context.Canceled);
  });

  test("done channel and signal made after cancellation are already closed / aborted", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    cancel();
    assert.deepEqual(ctx.done().tryRecv(), [undefined, false]);
    assert.equal(ctx.signal.aborted, true);
    assert.equal(ctx.signal.reason, context.Canceled);
    assert.equal(ctx.signal, ctx.signal, "signal is one object");
  });

  test("a goroutine blocked on done() wakes on cancel", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    const r = select([recv(ctx.done(), () => ctx.err())]);
    cancel();
    assert.equal(await r, context.Canceled);
  });

  test("cancellation goes down the tree, never up", () => {
    const [root, cancelRoot] = context.withCancel(bg);
    const [a, cancelA] = context.withCancel(root);
    const [a1] = context.withCancel(a);
    const [b] = context.withCancel(context.withValue(root, "k", 1));
    const [b1] = context.withCancel(b);
    cancelA();
    assert.equal(a.err(), context.Canceled);
    assert.equal(a1.err(), context.Canceled);
    assert.equal(root.err(), undefined, "never upward");
    assert.equal(b.err(), undefined, "siblings unaffected");
    cancelRoot();
    for (const c of [root, b, b1]) assert.equal(c.err(), context.Canceled);
  });

  test("a child of a done parent is born done with the same err and cause", () => {
    const [p, cancel] = context.withCancelCause(bg);
    const why = new Error("why");
    cancel(why);
    const [c] = context.withCancel(p);
    assert.equal(c.err(), context.Canceled);
    assert.equal(context.cause(c), why);
    assert.equal(c.signal.reason, why);
    assert.equal(childCount(p), 0, "nothing registered on a done parent");
    // also through a value context
    const [c2] = context.withTimeout(context.withValue(p, "k", "v"), 10_000);
    assert.equal(c2.err(), context.Canceled);
    assert.equal(context.cause(c2), why);
  });

  test("cancelling a child removes it from the parent", () => {
    const [p, cancelP] = context.withCancel(bg);
    const cancels = [];
    for (let i = 0; i < 10; i++) cancels.push(context.withCancel(p)[1]);
    assert.equal(childCount(p), 10);
    cancels[3]();
    cancels[0]();
    cancels[9]();
    assert.equal(childCount(p), 7);
    for (const c of cancels) c();
    assert.equal(childCount(p), 0);
    cancelP();
  });

  test("children through a value context register on the cancellable ancestor", () => {
    const [p, cancel] = context.withCancel(bg);
    const v = context.withValue(p, "k", 1);
    const [c, cancelC] = context.withCancel(v);
    assert.equal(childCount(p), 1);
    assert.equal(childCount(v), 1);
    cancelC();
    assert.equal(childCount(p), 0);
    assert.equal(c.value("k"), 1);
    cancel();
  });

  test("abort listeners that cancel siblings mid-walk do not break the walk", () => {
    const [p, cancel] = context.withCancel(bg);
    const kids = Array.from({ length: 5 }, () => context.withCancel(p));
    // The first child's abort listener cancels all others (reentrancy during the parent's cancel).
    kids[0][0].signal.addEventListener("abort", () => {
      for (const [, c] of kids) c();
    });
    // A listener on the parent creates a new child while cancelling: it is born done.
    let late: context.Context | undefined;
    p.signal.addEventListener("abort", () => {
      late = context.withCancel(p)[0];
    });
    cancel();
    for (const [k] of kids) assert.equal(k.err(), context.Canceled);
    assert.equal(late?.err(), context.Canceled);
    assert.equal(childCount(p), 0);
  });

  test("a chain 10^5 deep cancels, reports its deadline and looks up values without overflowing the stack", () => {
    const [root, cancel] = context.withTimeout(context.withValue(bg, "k", "v"), 60_000);
    let c: context.Context = root;
    for (let i = 0; i < 100_000; i++) c = i % 2 === 0 ? context.withCancel(c)[0] : context.withValue(c, i, i);
    assert.equal(c.deadline()?.getTime(), root.deadline()?.getTime());
    assert.equal(c.value("k"), "v");
    const done = c.done();
    cancel();
    assert.equal(c.err(), context.Canceled);
    assert.deepEqual(done.tryRecv(), [undefined, false]);
    assert.equal(childCount(root), 0);
  });

  test("bad parents", () => {
    for (const f of [
      (p: unknown) => context.withCancel(p as context.Context),
      (p: unknown) => context.withCancelCause(p as context.Context),
      (p: unknown) => context.withTimeout(p as context.Context, 1),
      (p: unknown) => context.withDeadline(p as context.Context, new Date()),
      (p: unknown) => context.withValue(p as context.Context, "k", 1),
      (p: unknown) => context.withoutCancel(p as context.Context),
      (p: unknown) => context.fromSignal(p as context.Context, new AbortController().signal),
    ]) {
      assert.throws(() => f(undefined), { name: "TypeError", message: "cannot create context from nil parent" });
      assert.throws(() => f(null), { name: "TypeError", message: "cannot create context from nil parent" });
      assert.throws(() => f({}), { name: "TypeError", message: /parent is not a Context/ });
      assert.throws(() => f(42), TypeError);
    }
  });
});

describe("withCancelCause and cause", () => {
  test("cause flows to descendants; err stays Canceled", () => {
    const [p, cancel] = context.withCancelCause(bg);
    const [c] = context.withCancel(context.withValue(p, "k", 1));
    const [gc] = context.withCancelCause(c);
    const why = new Error("disk full");
    cancel(why);
    for (const x of [p, c, gc]) {
      assert.equal(x.err(), context.Canceled);
      assert.equal(context.cause(x), why);
      assert.equal(x.signal.reason, why);
    }
    assert.equal(context.cause(context.withValue(gc, "a", "b")), why);
  });

  test("cancel() without a cause records Canceled; the first cancel wins", () => {
    const [a, cancelA] = context.withCancelCause(bg);
    cancelA();
    assert.equal(context.cause(a), context.Canceled);
    cancelA(new Error("later"));
    assert.equal(context.cause(a), context.Canceled);
  });

  test("a child cancelled with its own cause keeps it when the parent is cancelled later", () => {
    const [p, cancelP] = context.withCancelCause(bg);
    const [c, cancelC] = context.withCancelCause(p);
    const own = new Error("own");
    cancelC(own);
    cancelP(new Error("parent"));
    assert.equal(context.cause(c), own);
  });

  test("a non-Error cause is wrapped, never thrown", () => {
    const [a, cancel] = context.withCancelCause(bg);
    (cancel as (c: unknown) => void)("plain string");
    const c = context.cause(a);
    assert.ok(c instanceof Error);
    assert.equal(c.message, "plain string");
    assert.equal(c.cause, "plain string");
  });

  test("cause of an un-cancelled context is undefined; cause of a non-context throws", () => {
    assert.equal(context.cause(context.withCancel(bg)[0]), undefined);
    assert.throws(() => context.cause({} as context.Context), TypeError);
  });
});

describe("withValue", () => {
  test("lookup walks up; nearest wins; other keys pass through cancel contexts", () => {
    const k1 = Symbol("k1");
    const k2 = {};
    const a = context.withValue(bg, k1, "a");
    const [b] = context.withCancel(a);
    const c = context.withValue(b, k2, 2);
    const d = context.withValue(c, k1, "d");
    assert.equal(d.value(k1), "d");
    assert.equal(c.value(k1), "a");
    assert.equal(d.value(k2), 2);
    assert.equal(d.value({}), undefined, "keys compare by identity");
    assert.equal(d.value("k1"), undefined);
    assert.equal(context.withoutCancel(d).value(k2), 2);
  });

  test("a value context shares its parent's done, err, signal and deadline", () => {
    const [p, cancel] = context.withCancel(bg);
    const v = context.withValue(p, "k", 1);
    assert.equal(v.done(), p.done());
    assert.equal(v.signal, p.signal);
    cancel();
    assert.equal(v.err(), context.Canceled);
  });

  test("nil key is a TypeError", () => {
    assert.throws(() => context.withValue(bg, undefined, 1), { name: "TypeError", message: "context: nil key" });
    assert.throws(() => context.withValue(bg, null, 1), { name: "TypeError", message: "context: nil key" });
  });
});

describe("withoutCancel", () => {
  test("keeps values, drops cancellation and deadline", () => {
    const [p, cancel] = context.withTimeout(context.withValue(bg, "user", "ann"), 60_000);
    const w = context.withoutCancel(p);
    const [child, cancelChild] = context.withCancel(w);
    cancel();
    assert.equal(p.err(), context.Canceled);
    assert.equal(w.err(), undefined);
    assert.equal(w.deadline(), undefined);
    assert.equal(w.signal.aborted, false);
    assert.equal(context.cause(w), undefined);
    assert.equal(child.err(), undefined, "a child of withoutCancel is not cancelled by the original parent");
    assert.equal(w.value("user"), "ann");
    assert.equal(select([recv(w.done(), () => 1)], () => 0), 0);
    assert.equal(String(w).endsWith(".WithoutCancel"), true);
    cancelChild();
  });
});

describe("afterFunc", () => {
  test("runs fn once, in a goroutine, after cancel; stop afterwards returns false", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    const ran = new Chan<number>(10);
    let calls = 0;
    const stop = context.afterFunc(ctx, () => {
      calls++;
      ran.trySend(calls);
    });
    assert.equal(calls, 0);
    cancel();
    assert.equal(calls, 0, "fn runs in its own goroutine, not inside cancel");
    assert.equal(await ran.recv(), 1);
    cancel();
    await turns();
    assert.equal(calls, 1, "once");
    assert.equal(stop(), false, "fn already started");
  });

  test("stop before cancel: true, fn never runs, registration removed", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    let ran = false;
    const stop = context.afterFunc(ctx, () => (ran = true));
    assert.equal(childCount(ctx), 1);
    assert.equal(stop(), true);
    assert.equal(childCount(ctx), 0);
    assert.equal(stop(), false, "second stop");
    cancel();
    await turns();
    assert.equal(ran, false);
  });

  test("on a done context fn starts at once; on background it never runs", async () => {
    const [ctx, cancel] = context.withCancel(bg);
    cancel();
    const ran = new Chan<string>(1);
    const stop = context.afterFunc(ctx, () => ran.trySend("ran"));
    assert.equal(await ran.recv(), "ran");
    assert.equal(stop(), false);
    const stopBg = context.afterFunc(bg, () => assert.fail("never"));
    assert.equal(stopBg(), true);
    assert.equal(stopBg(), false);
  });

  test("bad arguments", () => {
    assert.throws(() => context.afterFunc(undefined as unknown as context.Context, () => {}), TypeError);
    assert.throws(() => context.afterFunc({} as context.Context, () => {}), TypeError);
    assert.throws(() => context.afterFunc(bg, 1 as unknown as () => void), TypeError);
  });
});

describe("fromSignal", () => {
  test("abort cancels with Canceled and the reason as cause; listener removed", () => {
    const ac = new AbortController();
    const [ctx, cancel] = context.fromSignal(bg, ac.signal);
    assert.equal(getEventListeners(ac.signal, "abort").length, 1);
    const why = new Error("user left");
    ac.abort(why);
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(context.cause(ctx), why);
    assert.equal(ctx.signal.reason, why);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
    assert.equal(String(ctx), "context.Background.FromSignal");
    cancel();
  });

  test("cancel removes the listener from the signal", () => {
    const ac = new AbortController();
    const cancels = Array.from({ length: 100 }, () => context.fromSignal(bg, ac.signal)[1]);
    assert.equal(getEventListeners(ac.signal, "abort").length, 1, "one listener however many contexts");
    for (const c of cancels) c();
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  test("parent cancellation also removes the listener", () => {
    const ac = new AbortController();
    const [p, cancelP] = context.withCancel(bg);
    const [ctx] = context.fromSignal(p, ac.signal);
    cancelP();
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  test("an already aborted signal gives a born-done context", () => {
    const [ctx] = context.fromSignal(bg, AbortSignal.abort(new Error("early")));
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(context.cause(ctx)?.message, "early");
  });

  test("a TimeoutError reason maps to DeadlineExceeded; a non-Error reason is wrapped", () => {
    const ac = new AbortController();
    const [t] = context.fromSignal(bg, ac.signal);
    ac.abort(new DOMException("timed out", "TimeoutError"));
    assert.equal(t.err(), context.DeadlineExceeded);
    assert.equal(context.cause(t)?.name, "TimeoutError");
    const ac2 = new AbortController();
    const [s] = context.fromSignal(bg, ac2.signal);
    ac2.abort("bye");
    assert.equal(s.err(), context.Canceled);
    assert.equal(context.cause(s)?.message, "context: signal aborted: bye");
    // abort() with no reason: an AbortError DOMException is the cause
    const ac3 = new AbortController();
    const [d] = context.fromSignal(bg, ac3.signal);
    ac3.abort();
    assert.equal(context.cause(d)?.name, "AbortError");
  });

  test("ctx.signal round-trips through fromSignal", () => {
    const [p, cancel] = context.withCancelCause(bg);
    const [q] = context.fromSignal(bg, p.signal);
    const why = new Error("x");
    cancel(why);
    assert.equal(context.cause(q), why);
  });

  test("not an AbortSignal", () => {
    assert.throws(() => context.fromSignal(bg, {} as AbortSignal), TypeError);
  });
});

describe("foreign Context implementations", () => {
  /** A minimal Context implemented outside the library, over an AbortController. */
  class Foreign implements context.Context {
    readonly ac = new AbortController();
    readonly ch = new Chan<void>();
    error: Error | undefined;
    deadline(): undefined {
      return undefined;
    }
    done(): Chan<void> {
      return this.ch;
    }
    err(): Error | undefined {
      return this.error;
    }
    value<T>(key: unknown): T | undefined {
      return (key === "foreign" ? "yes" : undefined) as T | undefined;
    }
    get signal(): AbortSignal {
      return this.ac.signal;
    }
    cancel(cause?: Error): void {
      this.error = context.Canceled;
      this.ch.close();
      this.ac.abort(cause ?? context.Canceled);
    }
  }

  test("children follow a foreign parent through its signal, and detach on cancel", async () => {
    const f = new Foreign();
    const [c, cancelC] = context.withCancel(f);
    const [d] = context.withCancel(context.withValue(f, "k", 1));
    assert.equal(c.value("foreign"), "yes");
    assert.equal(String(c), "Foreign.WithCancel");
    assert.equal(getEventListeners(f.signal, "abort").length, 1, "one listener for both children");
    cancelC();
    assert.equal(getEventListeners(f.signal, "abort").length, 1);
    const why = new Error("foreign why");
    f.cancel(why);
    assert.equal(d.err(), context.Canceled);
    assert.equal(context.cause(d), why);
    assert.equal(context.cause(f), why);
    // afterFunc on a foreign context
    const ran = new Chan<string>(1);
    context.afterFunc(f, () => ran.trySend("ran"));
    assert.equal(await ran.recv(), "ran");
  });

  test("a child of a done foreign parent is born done", () => {
    const f = new Foreign();
    f.cancel();
    assert.equal(context.withCancel(f)[0].err(), context.Canceled);
  });

  test("the foreign parent's listener goes away with its last child", () => {
    const f = new Foreign();
    const cancels = Array.from({ length: 50 }, () => context.withCancel(f)[1]);
    for (const c of cancels) c();
    assert.equal(getEventListeners(f.signal, "abort").length, 0);
  });
});

describe("String(ctx)", () => {
  test("Go-style names for each kind", () => {
    const [c] = context.withCancel(bg);
    assert.equal(String(c), "context.Background.WithCancel");
    assert.equal(String(context.withCancelCause(context.todo())[0]), "context.TODO.WithCancel");
    const v = context.withValue(c, "user", "ann");
    assert.equal(String(v), "context.Background.WithCancel.WithValue(user, ann)");
    assert.equal(String(context.withValue(bg, Symbol("k"), 42)), "context.Background.WithValue(Symbol(k), 42)");
    assert.equal(String(context.withValue(bg, "k", null)), "context.Background.WithValue(k, <nil>)");
    class Key {}
    assert.equal(String(context.withValue(bg, new Key(), { a: 1 })), "context.Background.WithValue(Key, Object)");
    assert.equal(
      String(context.withValue(bg, "k", { toString: () => "custom" })),
      "context.Background.WithValue(k, custom)",
    );
    assert.equal(String(context.withoutCancel(v)), "context.Background.WithCancel.WithValue(user, ann).WithoutCancel");
    assert.equal(c.toString(), "context.Background.WithCancel");
  });

  test("deadline contexts print the deadline in UTC and the time left", () => {
    const at = new Date(Date.UTC(2999, 0, 2, 3, 4, 5, 500));
    const [d, cancel] = context.withDeadline(bg, at);
    assert.match(String(d), /^context\.Background\.WithDeadline\(2999-01-02 03:04:05\.5 \+0000 UTC \[\d+h\d+m[\d.]+s\]\)$/);
    cancel();
  });
});
