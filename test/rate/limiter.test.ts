// goroutine/rate: golang.org/x/time/rate's rate_test.go and sometimes_test.go ported to the contract.
// Go's tests drive the private reserveN/wait with a fake time source; here the same tables go through the
// public allowN/reserveN/tokensAt with explicit times, and the wait tests run in a synctest bubble.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, runtime } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as context from "../../src/context/index.js";
import { Inf, InfDuration, Limiter, type Reservation, Sometimes, every } from "../../src/rate/index.js";

const bg = context.background();
const d = 100; // ms, Go's d
const t0 = Date.UTC(2000, 0, 1);
const at = (k: number): Date => new Date(t0 + k * d);
const [T0, T1, T2, T3, T4, T5, T9] = [0, 1, 2, 3, 4, 5, 9].map(at);

describe("rate.Every and Limit (TestLimit, TestEvery)", () => {
  test("Inf is distinct from finite limits", () => {
    assert.notEqual(10, Inf);
    assert.equal(Inf, Infinity);
  });
  const close = (a: number, b: number): boolean => Math.abs(a / b - 1) < 1e-9;
  const cases: [number, number][] = [
    [0, Inf],
    [-1, Inf],
    [time.Nanosecond, 1e9],
    [time.Microsecond, 1e6],
    [time.Millisecond, 1e3],
    [10 * time.Millisecond, 100],
    [100 * time.Millisecond, 10],
    [time.Second, 1],
    [2 * time.Second, 0.5],
    [2.5 * time.Second, 0.4],
    [4 * time.Second, 0.25],
    [10 * time.Second, 0.1],
    [2 ** 63 / 1e6, 1e9 / 2 ** 63], // time.Duration(math.MaxInt64)
  ];
  for (const [interval, lim] of cases) {
    test(`every(${interval}) = ${lim}`, () => {
      const got = every(interval);
      assert.ok(got === lim || close(got, lim), `every(${interval}) = ${got}`);
    });
  }
  test("NaN is a RangeError", () => assert.throws(() => every(NaN), RangeError));
});

type AllowRow = [t: Date, toks: number, n: number, ok: boolean];
function run(lim: Limiter, rows: AllowRow[]): void {
  rows.forEach(([t, toks, n, ok], i) => {
    assert.equal(lim.tokensAt(t), toks, `step ${i}: tokensAt`);
    assert.equal(lim.allowN(t, n), ok, `step ${i}: allowN(${n})`);
  });
}

describe("rate.Limiter.allowN (TestLimiterBurst1/3, JumpBackwards)", () => {
  test("burst 1", () => {
    run(new Limiter(10, 1), [
      [T0, 1, 1, true],
      [T0, 0, 1, false],
      [T0, 0, 1, false],
      [T1, 1, 1, true],
      [T1, 0, 1, false],
      [T1, 0, 1, false],
      [T2, 1, 2, false], // n = 2 > burst always fails
      [T2, 1, 1, true],
      [T2, 0, 1, false],
    ]);
  });
  test("burst 3", () => {
    run(new Limiter(10, 3), [
      [T0, 3, 2, true],
      [T0, 1, 2, false],
      [T0, 1, 1, true],
      [T0, 0, 1, false],
      [T1, 1, 4, false],
      [T2, 2, 1, true],
      [T3, 2, 1, true],
      [T4, 2, 1, true],
      [T4, 1, 1, true],
      [T4, 0, 1, false],
      [T4, 0, 1, false],
      [T9, 3, 3, true],
      [T9, 0, 0, true],
    ]);
  });
  test("time jumping backwards", () => {
    run(new Limiter(10, 3), [
      [T1, 3, 1, true],
      [T0, 2, 1, true],
      [T0, 1, 1, true],
      [T0, 0, 1, false],
      [T0, 0, 1, false],
      [T1, 1, 1, true],
      [T1, 0, 1, false],
      [T1, 0, 1, false],
      [T2, 1, 1, true],
      [T2, 0, 1, false],
      [T2, 0, 1, false],
    ]);
  });
  test("TestLimiter_noTruncationErrors", () => {
    assert.equal(new Limiter(0.7692307692307693, 1).allow(), true);
  });
  test("TestSimultaneousRequests: 15 goroutines, burst 5, limit 1/s", async () => {
    const lim = new Limiter(1, 5);
    const out = new Chan<boolean>(15);
    for (let i = 0; i < 15; i++) go(() => out.trySend(lim.allow()));
    let ok = 0;
    for (let i = 0; i < 15; i++) if (await out.recv()) ok++;
    assert.equal(ok, 5);
  });
  test("TestLongRunningQPS: 5 s at 2 ms steps stays within [0.999·ideal, ideal + 1]", () => {
    const lim = new Limiter(100, 100);
    let ok = 0;
    let t = t0;
    const end = t0 + 5000;
    for (; t < end; t += 2) if (lim.allowN(new Date(t), 1)) ok++;
    const ideal = 100 + (100 * (t - t0)) / 1000;
    assert.ok(ok <= Math.trunc(ideal + 1), `ok = ${ok}, ideal ${ideal}`);
    assert.ok(ok >= Math.trunc(0.999 * ideal), `ok = ${ok}, ideal ${ideal}`);
  });
  test("TestZeroLimit, TestSetAfterZeroLimit, TestTinyLimit", async () => {
    const z = new Limiter(0, 1);
    assert.equal(z.allow(), true);
    assert.equal(z.allow(), false);
    const tiny = new Limiter(1e-10, 1);
    assert.equal(tiny.allow(), true);
    assert.equal(tiny.allow(), false);
    await synctest.test(async () => {
      const lim = new Limiter(0, 1);
      assert.equal(lim.allow(), true);
      assert.equal(lim.allow(), false);
      lim.setLimit(10);
      const start = time.now();
      await lim.wait(bg); // a token in 100 ms
      assert.equal(time.since(start), 100);
    });
  });
  test("the zero limiter (new Limiter()) allows nothing", () => {
    const z = new Limiter();
    assert.equal(z.limit(), 0);
    assert.equal(z.burst(), 0);
    assert.equal(z.allow(), false);
    assert.equal(z.reserve().ok(), false);
    assert.equal(z.reserve().delay(), InfDuration);
    assert.equal(z.allowN(T0, 0), true); // n = 0 is always allowed, as in Go
  });
  test("Inf allows everything, burst ignored; burst 0 with a finite limit refuses n >= 1", () => {
    const inf = new Limiter(Inf, 0);
    for (let i = 0; i < 100; i++) assert.equal(inf.allowN(T0, 1000), true);
    const b0 = new Limiter(10, 0);
    assert.equal(b0.allowN(T9, 1), false);
    assert.equal(b0.reserveN(T9, 1).ok(), false);
  });
});

type ReqRow = [t: Date, n: number, act: Date | undefined, ok: boolean];
function reserve(lim: Limiter, [t, n, act, ok]: ReqRow): Reservation {
  const r = lim.reserveN(t, n);
  assert.equal(r.ok(), ok, `reserveN(${(t.getTime() - t0) / d}, ${n}).ok`);
  if (ok && act !== undefined) {
    // Go compares in multiples of d, rounded.
    assert.equal(Math.round((t.getTime() + r.delayFrom(t) - t0) / d), (act.getTime() - t0) / d);
  }
  return r;
}

/** One step of a reservation table: reserve (optionally naming the result), cancel a named one, set, allow. */
type Step =
  | ["reserve", t: Date, n: number, act: Date | undefined, ok: boolean, as?: string]
  | ["cancel", name: string, t: Date]
  | ["setLimit", t: Date, r: number]
  | ["setBurst", t: Date, b: number]
  | ["allow", t: Date, toks: number, n: number, ok: boolean];

// Go's TestSimpleReserve … TestReserveSetLimitCancel, one row each: [name, limit, burst, steps].
const reserveTable: [string, number, number, Step[]][] = [
  ["simple", 10, 2, [["reserve", T0, 2, T0, true], ["reserve", T0, 2, T2, true], ["reserve", T3, 2, T4, true]]],
  [
    "mix: n > burst fails, debt refuses allow",
    10,
    2,
    [
      ["reserve", T0, 3, T1, false],
      ["reserve", T0, 2, T0, true],
      ["allow", T1, 1, 2, false],
      ["reserve", T1, 2, T2, true],
      ["allow", T1, -1, 1, false],
      ["allow", T3, 1, 1, true],
    ],
  ],
  [
    "cancel of a not-ok reservation has no effect",
    10,
    2,
    [["reserve", T0, 2, T0, true], ["reserve", T0, 3, T3, false, "r"], ["cancel", "r", T0], ["reserve", T0, 2, T2, true]],
  ],
  [
    "cancel the last reservation: all tokens back",
    10,
    2,
    [["reserve", T0, 2, T0, true], ["reserve", T0, 2, T2, true, "r"], ["cancel", "r", T1], ["reserve", T1, 2, T2, true]],
  ],
  [
    "cancel too late: no effect",
    10,
    2,
    [["reserve", T0, 2, T0, true], ["reserve", T0, 2, T2, true, "r"], ["cancel", "r", T3], ["reserve", T3, 2, T4, true]],
  ],
  [
    "cancel with later reservations: 0 tokens back",
    10,
    2,
    [
      ["reserve", T0, 2, T0, true],
      ["reserve", T0, 1, T1, true, "r"],
      ["reserve", T0, 1, T2, true],
      ["cancel", "r", T0],
      ["reserve", T0, 1, T3, true],
    ],
  ],
  [
    "cancel: 1 token back",
    10,
    2,
    [
      ["reserve", T0, 2, T0, true],
      ["reserve", T0, 2, T2, true, "r"],
      ["reserve", T0, 1, T3, true],
      ["cancel", "r", T2],
      ["reserve", T2, 2, T4, true],
    ],
  ],
  [
    "cancel several: 1, then 2 back as if C was never reserved",
    10,
    4,
    [
      ["reserve", T0, 4, T0, true],
      ["reserve", T0, 3, T3, true, "a"],
      ["reserve", T0, 1, T4, true],
      ["reserve", T0, 1, T5, true, "c"],
      ["cancel", "c", T1],
      ["cancel", "a", T1],
      ["reserve", T1, 3, T5, true],
    ],
  ],
  [
    "reserve jumping back; n > burst leaves the state alone",
    10,
    2,
    [
      ["reserve", T1, 2, T1, true],
      ["reserve", T0, 1, T1, true],
      ["reserve", T2, 2, T3, true],
      ["reserve", T0, 3, undefined, false],
      ["reserve", T2, 1, T4, true],
      ["reserve", T2, 1, T5, true],
    ],
  ],
  [
    "reserve jumping back, then cancel: 1 token back",
    10,
    2,
    [
      ["reserve", T1, 2, T1, true],
      ["reserve", T1, 2, T3, true, "r"],
      ["reserve", T1, 1, T4, true],
      ["cancel", "r", T0],
      ["reserve", T1, 2, T4, true],
    ],
  ],
  [
    "setLimitAt after reservations",
    5,
    2,
    [["reserve", T0, 2, T0, true], ["reserve", T0, 2, T4, true], ["setLimit", T2, 10], ["reserve", T2, 1, T4, true]],
  ],
  [
    "setBurstAt after reservations",
    5,
    2,
    [["reserve", T0, 2, T0, true], ["reserve", T0, 2, T4, true], ["setBurst", T3, 4], ["reserve", T0, 4, T9, true]],
  ],
  [
    "setLimitAt, then cancel: 2 tokens back",
    5,
    2,
    [
      ["reserve", T0, 2, T0, true],
      ["reserve", T0, 2, T4, true, "r"],
      ["setLimit", T2, 10],
      ["cancel", "r", T2],
      ["reserve", T2, 2, T3, true],
    ],
  ],
];

describe("rate.Limiter.reserveN and Reservation.cancelAt (TestSimpleReserve … TestReserveSetLimitCancel)", () => {
  for (const [name, r, b, steps] of reserveTable) {
    test(name, () => {
      const lim = new Limiter(r, b);
      const named = new Map<string, Reservation>();
      for (const st of steps) {
        switch (st[0]) {
          case "reserve": {
            const res = reserve(lim, [st[1], st[2], st[3], st[4]]);
            if (st[5] !== undefined) named.set(st[5], res);
            break;
          }
          case "cancel":
            named.get(st[1])!.cancelAt(st[2]);
            break;
          case "setLimit":
            lim.setLimitAt(st[1], st[2]);
            break;
          case "setBurst":
            lim.setBurstAt(st[1], st[2]);
            break;
          case "allow":
            run(lim, [[st[1], st[2], st[3], st[4]]]);
            break;
        }
      }
    });
  }
  test("a wait limit (TestReserveMax, through allowN and waitN's deadline)", () => {
    const lim = new Limiter(10, 2);
    assert.equal(lim.allowN(T0, 2), true);
    assert.equal(lim.allowN(T0, 1), false); // max wait 0
  });
  test("bad arguments are RangeErrors naming them", () => {
    assert.throws(() => new Limiter(NaN, 1), { name: "RangeError", message: /limit/ });
    assert.throws(() => new Limiter(1, -1), { name: "RangeError", message: /burst/ });
    assert.throws(() => new Limiter(1, 1.5), { name: "RangeError", message: /burst/ });
    const lim = new Limiter(1, 1);
    assert.throws(() => lim.allowN(T0, -1), { name: "RangeError", message: /\bn\b/ });
    assert.throws(() => lim.allowN(T0, 0.5), { name: "RangeError", message: /\bn\b/ });
    assert.throws(() => lim.reserveN(T0, NaN), { name: "RangeError", message: /\bn\b/ });
    assert.throws(() => lim.waitN(bg, -2), { name: "RangeError", message: /\bn\b/ });
    assert.throws(() => lim.setBurst(-1), { name: "RangeError", message: /burst/ });
    assert.throws(() => lim.setLimit(NaN), { name: "RangeError", message: /limit/ });
  });
});

describe("rate.Limiter.waitN (TestWaitSimple, TestWaitCancel, TestWaitTimeout, TestWaitInf)", () => {
  test("already cancelled, over burst, act now, act later", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(10, 3);
      const [ctx, cancel] = context.withCancel(bg);
      cancel();
      await assert.rejects(lim.wait(ctx), (e) => e === context.Canceled);
      await assert.rejects(lim.waitN(bg, 4), { message: "rate: Wait(n=4) exceeds limiter's burst 3" });
      let start = time.now();
      await lim.waitN(bg, 2);
      assert.equal(time.since(start), 0);
      start = time.now();
      await lim.waitN(bg, 3);
      assert.equal(time.since(start), 2 * d);
    });
  });
  test("cancel mid-wait refunds the tokens", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(10, 3);
      const [ctx, cancel] = context.withCancel(bg);
      await lim.waitN(ctx, 2); // 1 token left
      go(async () => {
        await time.sleep(d);
        cancel();
      });
      const start = time.now();
      await assert.rejects(lim.waitN(ctx, 3), (e) => e === context.Canceled);
      assert.equal(time.since(start), d);
      // 3 tokens back: 2 now (1 left + 1 refilled during d), so an immediate wait for 2 passes.
      assert.equal(lim.tokens(), 2);
      const s2 = time.now();
      await lim.waitN(bg, 2);
      assert.equal(time.since(s2), 0);
    });
  });
  test("a wait that cannot finish before the deadline fails at once", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(10, 3);
      const [ctx, cancel] = context.withTimeout(bg, d);
      await lim.waitN(ctx, 2);
      const start = time.now();
      await assert.rejects(lim.waitN(ctx, 3), { message: "rate: Wait(n=3) would exceed context deadline" });
      assert.equal(time.since(start), 0);
      cancel();
    });
  });
  test("Inf ignores the burst", async () => {
    await lim0().waitN(bg, 3);
    function lim0(): Limiter {
      return new Limiter(Inf, 0);
    }
  });
  test("waiters are released in FIFO order at their reserved times", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(10, 1);
      const order: [number, number][] = [];
      const wg = new Chan<void>(5);
      const start = time.now().getTime();
      for (let i = 0; i < 5; i++) {
        go(async () => {
          await lim.wait(bg);
          order.push([i, time.now().getTime() - start]);
          await wg.send();
        });
      }
      for (let i = 0; i < 5; i++) await wg.recv();
      assert.deepEqual(order, [
        [0, 0],
        [1, 100],
        [2, 200],
        [3, 300],
        [4, 400],
      ]);
    });
  });
  test("cancelled waiters in the middle of the line are skipped; the others keep their times", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(10, 1);
      lim.allow();
      const start = time.now().getTime();
      const got: [number, unknown][] = [];
      const done = new Chan<void>(6);
      const cancels: (() => void)[] = [];
      for (let i = 0; i < 6; i++) {
        const [ctx, cancel] = context.withCancel(bg);
        cancels.push(cancel);
        go(async () => {
          const r = await lim.wait(ctx).then(
            () => time.now().getTime() - start,
            (e: unknown) => e,
          );
          got.push([i, r]);
          await done.send();
        });
      }
      await synctest.wait();
      cancels[1]();
      cancels[3]();
      for (let i = 0; i < 6; i++) await done.recv();
      got.sort((a, b) => a[0] - b[0]);
      // Not the last reservations, so no refund moves the others (Go's rule): 0, 2, 4, 5 keep 100/300/500/600 ms.
      assert.deepEqual(got, [
        [0, 100],
        [1, context.Canceled],
        [2, 300],
        [3, context.Canceled],
        [4, 500],
        [5, 600],
      ]);
    });
  });
  test("after setLimit, a later reservation due earlier is released first (the heap orders by time)", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(1, 1);
      lim.allow();
      const order: string[] = [];
      const done = new Chan<void>(2);
      go(async () => {
        await lim.wait(bg); // due in 1 s at the old rate
        order.push("slow");
        await done.send();
      });
      await synctest.wait();
      lim.setLimit(1000); // the debt of 1 token is now worth 1 ms
      go(async () => {
        await lim.wait(bg);
        order.push("fast");
        await done.send();
      });
      await done.recv();
      await done.recv();
      assert.deepEqual(order, ["fast", "slow"]);
    });
  });
  test("accuracy: r = 100/s, b = 10, 64 closed-loop callers for 10 s admit exactly 1,010", async () => {
    await synctest.test(async () => {
      const lim = new Limiter(100, 10);
      const start = time.now().getTime();
      const end = start + 10 * time.Second;
      let admitted = 0;
      const done = new Chan<void>(64);
      for (let i = 0; i < 64; i++) {
        go(async () => {
          for (;;) {
            await lim.wait(bg);
            if (time.now().getTime() > end) break;
            admitted++;
          }
          await done.send();
        });
      }
      for (let i = 0; i < 64; i++) await done.recv();
      assert.equal(admitted, 1010);
    });
  });
  test("a cancelled wait leaves no goroutine, timer or listener behind", async () => {
    const before = runtime.numGoroutine();
    const resources = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "TTYWrap" || r === "Immediate").length;
    const r0 = resources();
    const lim = new Limiter(1, 1);
    lim.allow();
    const waits: Promise<unknown>[] = [];
    const cancels: (() => void)[] = [];
    for (let i = 0; i < 100; i++) {
      const [ctx, cancel] = context.withCancel(bg);
      cancels.push(cancel);
      waits.push(lim.wait(ctx).catch((e: unknown) => e));
    }
    assert.ok(resources() > r0, "the waits hold timers");
    // Newest first: each is then the latest reservation, so each refund is whole (Go's rule: a cancel
    // gives back only tokens no later reservation counted on).
    for (const c of cancels.reverse()) c();
    const errs = await Promise.all(waits);
    assert.ok(errs.every((e) => e === context.Canceled));
    await new Promise((r) => setImmediate(r));
    assert.ok(resources() <= r0, `timers left: ${resources()} > ${r0}`);
    assert.ok(runtime.numGoroutine() <= before, `goroutines: ${runtime.numGoroutine()} > ${before}`);
    assert.ok(lim.tokens() > -0.5, `every reservation was refunded (tokens ${lim.tokens()})`);
  });
});

describe("rate.Sometimes (sometimes_test.go examples)", () => {
  const out = (s: Sometimes, calls: number, sleepAfter: Record<number, number> = {}): Promise<number[]> =>
    synctest.test(async () => {}).then(async () => {
      const ran: number[] = [];
      await synctest.test(async () => {
        for (let i = 1; i <= calls; i++) {
          s.do(() => ran.push(i));
          const ms = sleepAfter[i];
          if (ms !== undefined) await time.sleep(ms);
        }
      });
      return ran;
    });
  test("zero value: once", async () => assert.deepEqual(await out(new Sometimes(), 3), [1]));
  test("first: 2", async () => assert.deepEqual(await out(new Sometimes({ first: 2 }), 3), [1, 2]));
  test("every: 2", async () => assert.deepEqual(await out(new Sometimes({ every: 2 }), 3), [1, 3]));
  test("interval: 1 s", async () =>
    assert.deepEqual(await out(new Sometimes({ interval: time.Second }), 3, { 2: time.Second }), [1, 3]));
  test("mix", async () =>
    assert.deepEqual(await out(new Sometimes({ first: 2, every: 2, interval: 2 * time.Second }), 6, { 3: 2 * time.Second }), [
      1, 2, 3, 4, 5,
    ]));
  test("interval 0, max and negative run without trouble", () => {
    for (const interval of [0, Number.MAX_SAFE_INTEGER, -1]) {
      const s = new Sometimes({ interval });
      s.do(() => {});
      s.do(() => {});
    }
  });
  test("a do from inside its own function throws instead of deadlocking", () => {
    const s = new Sometimes({ every: 1 });
    assert.throws(() => s.do(() => s.do(() => {})), /own function/);
  });
});
