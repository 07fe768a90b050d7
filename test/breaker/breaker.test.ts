// goroutine/breaker: sony/gobreaker v2's test suite (gobreaker_test.go, twostep_gobreaker_test.go) ported
// to the contract, in virtual time: gobreaker's pseudoSleep (moving the breaker's clock back) becomes a
// time.sleep in a synctest bubble. Virtual time is exact, so where Go relies on a few ns of real time
// having passed (open → half-open only strictly after the timeout) the sleep goes just past it, as Go does
// elsewhere (timeout + time.Nanosecond) — 1 µs here, the smallest step epoch milliseconds resolve.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import {
  CircuitBreaker,
  type Counts,
  ErrOpenState,
  ErrTooManyRequests,
  type Settings,
  type State,
  TwoStepCircuitBreaker,
} from "../../src/breaker/index.js";

const errFailed = new Error("failed");
const errExcluded = new Error("excluded");
// 1 ns is below the resolution of epoch milliseconds near 2000 (about 0.1 µs), so "just over" is 1 µs.
const NS = time.Microsecond;

type CB = CircuitBreaker<boolean>;
const succeed = (cb: CB): Promise<unknown> =>
  cb.execute(() => Promise.resolve(true)).then(
    () => undefined,
    (e: unknown) => e,
  );
const fail = (cb: CB): Promise<unknown> =>
  cb.execute(() => Promise.reject(errFailed)).then(
    () => undefined,
    (e: unknown) => (e === errFailed ? undefined : e),
  );
const exclude = (cb: CB): Promise<unknown> =>
  cb.execute(() => Promise.reject(errExcluded)).then(
    () => undefined,
    (e: unknown) => (e === errExcluded ? undefined : e),
  );
function succeedLater(cb: CB, delay: number): Chan<unknown> {
  const ch = new Chan<unknown>(1);
  go(async () => {
    const err = await cb
      .execute(async () => {
        await time.sleep(delay);
        return true;
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await ch.send(err);
  });
  return ch;
}

/** A Counts literal with gobreaker's zero defaults. */
function counts(c: Partial<Counts>, withExclusions = false): Counts {
  const out: Counts = {
    requests: c.requests ?? 0,
    totalSuccesses: c.totalSuccesses ?? 0,
    totalFailures: c.totalFailures ?? 0,
    consecutiveSuccesses: c.consecutiveSuccesses ?? 0,
    consecutiveFailures: c.consecutiveFailures ?? 0,
  };
  if (withExclusions) out.totalExclusions = c.totalExclusions ?? 0;
  return out;
}

interface Change {
  name: string;
  from: State;
  to: State;
}

function custom(change: { last?: Change } | undefined, extra: Partial<Settings> = {}): CB {
  return new CircuitBreaker<boolean>({
    name: "cb",
    maxRequests: 3,
    interval: 30 * time.Second,
    timeout: 90 * time.Second,
    readyToTrip: (c) => {
      const valid = c.requests - (c.totalExclusions ?? 0);
      return valid >= 3 && c.totalFailures / valid >= 0.6;
    },
    onStateChange: change === undefined ? undefined : (name, from, to) => (change.last = { name, from, to }),
    ...extra,
  });
}

describe("breaker.CircuitBreaker (gobreaker_test.go)", () => {
  test("TestStateConstants: states print as gobreaker's String()", () => {
    const cb = new CircuitBreaker();
    const s: State = cb.state();
    assert.equal(s, "closed");
  });

  test("TestNewCircuitBreaker: defaults", () => {
    const cb = new CircuitBreaker();
    assert.equal(cb.name, "");
    assert.equal(cb.state(), "closed");
    assert.deepEqual(cb.counts(), counts({}));
    const neg = new CircuitBreaker({ name: "ncb", interval: -30 * time.Second, timeout: -90 * time.Second });
    assert.equal(neg.name, "ncb");
    assert.deepEqual(neg.counts(), counts({}));
  });

  test("TestDefaultCircuitBreaker", async () => {
    await synctest.test(async () => {
      const cb = new CircuitBreaker<boolean>();
      for (let i = 0; i < 5; i++) assert.equal(await fail(cb), undefined);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), counts({ requests: 5, totalFailures: 5, consecutiveFailures: 5 }));

      assert.equal(await succeed(cb), undefined);
      assert.deepEqual(cb.counts(), counts({ requests: 6, totalSuccesses: 1, totalFailures: 5, consecutiveSuccesses: 1 }));

      assert.equal(await fail(cb), undefined);
      assert.deepEqual(cb.counts(), counts({ requests: 7, totalSuccesses: 1, totalFailures: 6, consecutiveFailures: 1 }));

      for (let i = 0; i < 5; i++) assert.equal(await fail(cb), undefined); // 6 consecutive failures
      assert.equal(cb.state(), "open");
      assert.deepEqual(cb.counts(), counts({}));

      assert.equal(await succeed(cb), ErrOpenState);
      assert.equal(await fail(cb), ErrOpenState);
      assert.deepEqual(cb.counts(), counts({}));

      await time.sleep(60 * time.Second - time.Millisecond);
      assert.equal(cb.state(), "open");
      await time.sleep(time.Second); // over the timeout
      assert.equal(cb.state(), "half-open");

      assert.equal(await fail(cb), undefined); // half-open → open
      assert.equal(cb.state(), "open");
      assert.deepEqual(cb.counts(), counts({}));

      await time.sleep(60 * time.Second + NS);
      assert.equal(cb.state(), "half-open");
      assert.equal(await succeed(cb), undefined); // half-open → closed
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), counts({}));
    });
  });

  test("TestCustomCircuitBreaker (gobreaker v2.3: no exclusions)", async () => {
    await synctest.test(async () => {
      const change: { last?: Change } = {};
      const cb = custom(change);
      assert.equal(cb.name, "cb");
      for (let i = 0; i < 5; i++) {
        assert.equal(await succeed(cb), undefined);
        assert.equal(await fail(cb), undefined);
      }
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), counts({ requests: 10, totalSuccesses: 5, totalFailures: 5, consecutiveFailures: 1 }));

      await time.sleep(30 * time.Second - time.Millisecond);
      assert.equal(await succeed(cb), undefined);
      assert.deepEqual(cb.counts(), counts({ requests: 11, totalSuccesses: 6, totalFailures: 5, consecutiveSuccesses: 1 }));

      await time.sleep(time.Second); // over the interval: a new generation
      assert.equal(await fail(cb), undefined);
      assert.deepEqual(cb.counts(), counts({ requests: 1, totalFailures: 1, consecutiveFailures: 1 }));

      assert.equal(await succeed(cb), undefined);
      assert.equal(await fail(cb), undefined); // failure ratio 2/3 >= 0.6
      assert.equal(cb.state(), "open");
      assert.deepEqual(cb.counts(), counts({}));
      assert.deepEqual(change.last, { name: "cb", from: "closed", to: "open" });

      await time.sleep(90 * time.Second + NS);
      assert.equal(cb.state(), "half-open");
      assert.deepEqual(change.last, { name: "cb", from: "open", to: "half-open" });

      assert.equal(await succeed(cb), undefined);
      assert.equal(await succeed(cb), undefined);
      assert.equal(cb.state(), "half-open");
      assert.deepEqual(cb.counts(), counts({ requests: 2, totalSuccesses: 2, consecutiveSuccesses: 2 }));

      const ch = succeedLater(cb, 100 * time.Millisecond); // the third consecutive success
      await time.sleep(50 * time.Millisecond);
      assert.deepEqual(cb.counts(), counts({ requests: 3, totalSuccesses: 2, consecutiveSuccesses: 2 }));
      assert.equal(await succeed(cb), ErrTooManyRequests); // over maxRequests
      assert.equal(await ch.recv(), undefined);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), counts({}));
      assert.deepEqual(change.last, { name: "cb", from: "half-open", to: "closed" });
    });
  });

  test("TestCustomCircuitBreaker (gobreaker v2.4: excluded requests are neutral)", async () => {
    await synctest.test(async () => {
      const change: { last?: Change } = {};
      const cb = custom(change, { isExcluded: (e) => e === errExcluded });
      for (let i = 0; i < 5; i++) {
        await succeed(cb);
        await fail(cb);
        await exclude(cb);
      }
      const x = true;
      assert.deepEqual(
        cb.counts(),
        counts({ requests: 15, totalSuccesses: 5, totalFailures: 5, totalExclusions: 5, consecutiveFailures: 1 }, x),
      );
      await time.sleep(31 * time.Second);
      await fail(cb);
      await succeed(cb);
      await fail(cb);
      assert.equal(cb.state(), "open");
      await time.sleep(90 * time.Second + NS);
      assert.equal(cb.state(), "half-open");
      // Exclusions do not use up half-open slots (requests - exclusions < maxRequests).
      for (let i = 0; i < 4; i++) assert.equal(await exclude(cb), undefined);
      assert.equal(cb.state(), "half-open");
      assert.equal(await fail(cb), undefined); // the first real failure re-opens
      assert.equal(cb.state(), "open");
      assert.deepEqual(change.last, { name: "cb", from: "half-open", to: "open" });
    });
  });

  test("TestRollingWindowCircuitBreaker (bucketPeriod)", async () => {
    await synctest.test(async () => {
      const change: { last?: Change } = {};
      const cb = custom(change, {
        name: "rw",
        bucketPeriod: 3 * time.Second,
        isExcluded: (e) => e === errExcluded,
      });
      const c = (p: Partial<Counts>): Counts => counts(p, true);
      for (let i = 0; i < 5; i++) {
        await succeed(cb);
        await fail(cb);
        await exclude(cb);
      }
      assert.deepEqual(cb.counts(), c({ requests: 15, totalSuccesses: 5, totalFailures: 5, totalExclusions: 5, consecutiveFailures: 1 }));

      await time.sleep(3 * time.Second);
      await succeed(cb);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), c({ requests: 16, totalSuccesses: 6, totalFailures: 5, totalExclusions: 5, consecutiveSuccesses: 1 }));

      await time.sleep(2 * time.Second);
      await succeed(cb);
      await exclude(cb);
      assert.deepEqual(cb.counts(), c({ requests: 18, totalSuccesses: 7, totalFailures: 5, totalExclusions: 6, consecutiveSuccesses: 2 }));

      await time.sleep(2 * time.Second);
      await exclude(cb);
      await succeed(cb);
      assert.deepEqual(cb.counts(), c({ requests: 20, totalSuccesses: 8, totalFailures: 5, totalExclusions: 7, consecutiveSuccesses: 3 }));

      await time.sleep(2 * time.Second);
      await fail(cb);
      assert.deepEqual(cb.counts(), c({ requests: 21, totalSuccesses: 8, totalFailures: 6, totalExclusions: 7, consecutiveFailures: 1 }));

      for (let i = 0; i < 6; i++) {
        await time.sleep(3 * time.Second);
        await succeed(cb);
        await fail(cb);
        assert.deepEqual(
          cb.counts(),
          c({ requests: 23 + 2 * i, totalSuccesses: 9 + i, totalFailures: 7 + i, totalExclusions: 7, consecutiveFailures: 1 }),
        );
      }

      await time.sleep(3 * time.Second); // the first bucket falls out of the window
      await fail(cb);
      assert.deepEqual(cb.counts(), c({ requests: 19, totalSuccesses: 9, totalFailures: 8, totalExclusions: 2, consecutiveFailures: 2 }));

      for (let i = 0; i < 5; i++) {
        await fail(cb);
        assert.deepEqual(
          cb.counts(),
          c({ requests: 20 + i, totalSuccesses: 9, totalFailures: 9 + i, totalExclusions: 2, consecutiveFailures: 3 + i }),
        );
      }
      assert.equal(cb.state(), "closed");
      await fail(cb); // failure rate 14/23 > 0.6
      assert.equal(cb.state(), "open");
      assert.deepEqual(change.last, { name: "rw", from: "closed", to: "open" });

      await time.sleep(90 * time.Second + NS);
      assert.equal(cb.state(), "half-open");
      await succeed(cb);
      await succeed(cb);
      assert.deepEqual(cb.counts(), c({ requests: 2, totalSuccesses: 2, consecutiveSuccesses: 2 }));
      const ch = succeedLater(cb, 100 * time.Millisecond);
      await time.sleep(50 * time.Millisecond);
      assert.deepEqual(cb.counts(), c({ requests: 3, totalSuccesses: 2, consecutiveSuccesses: 2 }));
      assert.equal(await succeed(cb), ErrTooManyRequests);
      assert.equal(await ch.recv(), undefined);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), c({}));
      assert.deepEqual(change.last, { name: "rw", from: "half-open", to: "closed" });
    });
  });

  test("TestPanicInRequest: a synchronous throw counts as a failure and is rethrown", async () => {
    const cb = new CircuitBreaker<boolean>();
    await assert.rejects(
      cb.execute(() => {
        throw new Error("oops");
      }),
      /oops/,
    );
    assert.deepEqual(cb.counts(), counts({ requests: 1, totalFailures: 1, consecutiveFailures: 1 }));
  });

  test("TestGeneration: a request from an earlier generation does not count", async () => {
    await synctest.test(async () => {
      const cb = custom(undefined);
      await time.sleep(29 * time.Second);
      assert.equal(await succeed(cb), undefined);
      const ch = succeedLater(cb, 1500 * time.Millisecond);
      await time.sleep(500 * time.Millisecond);
      assert.deepEqual(cb.counts(), counts({ requests: 2, totalSuccesses: 1, consecutiveSuccesses: 1 }));
      await time.sleep(500 * time.Millisecond + NS); // over the interval (exactly 30 s is not over it)
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), counts({}));
      assert.equal(await ch.recv(), undefined);
      assert.deepEqual(cb.counts(), counts({}));
    });
  });

  test("TestCustomIsSuccessful: isSuccessful sees every outcome", async () => {
    const cb = new CircuitBreaker<boolean>({ isSuccessful: () => true });
    for (let i = 0; i < 5; i++) assert.equal(await fail(cb), undefined);
    assert.equal(cb.state(), "closed");
    assert.deepEqual(cb.counts(), counts({ requests: 5, totalSuccesses: 5, consecutiveSuccesses: 5 }));
    const seen: unknown[] = [];
    const cb2 = new CircuitBreaker<boolean>({ isSuccessful: (e) => (seen.push(e), e === undefined) });
    await succeed(cb2);
    await fail(cb2);
    assert.deepEqual(seen, [undefined, errFailed]);
    for (let i = 0; i < 5; i++) await fail(cb2);
    assert.equal(cb2.state(), "open");
  });

  test("TestIsExcludedAndIsSuccessfulCombination", async () => {
    const cb = new CircuitBreaker<boolean>({ isExcluded: (e) => e === errExcluded, isSuccessful: (e) => e === undefined });
    for (let i = 0; i < 3; i++) await exclude(cb);
    assert.deepEqual(cb.counts(), counts({ requests: 3, totalExclusions: 3 }, true));
    for (let i = 0; i < 3; i++) await succeed(cb);
    assert.deepEqual(cb.counts(), counts({ requests: 6, totalSuccesses: 3, consecutiveSuccesses: 3, totalExclusions: 3 }, true));
    for (let i = 0; i < 2; i++) await fail(cb);
    assert.deepEqual(
      cb.counts(),
      counts({ requests: 8, totalSuccesses: 3, totalFailures: 2, totalExclusions: 3, consecutiveFailures: 2 }, true),
    );
  });

  test("TestCircuitBreakerInParallel: 10 goroutines × 10,000 requests", async () => {
    const cb = custom(undefined, { isExcluded: (e) => e === errExcluded });
    const ch = new Chan<unknown>(128);
    const N = 10_000;
    const R = 10;
    for (let r = 0; r < R; r++) {
      go(async () => {
        for (let i = 0; i < N; i++) await ch.send(i % 2 === 0 ? await succeed(cb) : await exclude(cb));
      });
    }
    for (let i = 0; i < N * R; i++) assert.equal(await ch.recv(), undefined);
    const half = (N * R) / 2;
    assert.deepEqual(
      cb.counts(),
      counts({ requests: N * R, totalSuccesses: half, consecutiveSuccesses: half, totalExclusions: half }, true),
    );
  });

  test("a synchronous fn's value is returned, and the breaker reads no clock while closed with no interval", async () => {
    const cb = new CircuitBreaker<number>();
    assert.equal(await cb.execute(() => 42), 42);
  });

  test("bad settings are RangeErrors naming the setting", () => {
    assert.throws(() => new CircuitBreaker({ maxRequests: -1 }), { name: "RangeError", message: /maxRequests/ });
    assert.throws(() => new CircuitBreaker({ maxRequests: 1.5 }), { name: "RangeError", message: /maxRequests/ });
    assert.throws(() => new CircuitBreaker({ timeout: NaN }), { name: "RangeError", message: /timeout/ });
    assert.throws(() => new CircuitBreaker({ interval: NaN }), { name: "RangeError", message: /interval/ });
  });
});

describe("breaker.TwoStepCircuitBreaker (twostep_gobreaker_test.go)", () => {
  const ok = (cb: TwoStepCircuitBreaker): unknown => {
    try {
      cb.allow()(true);
      return undefined;
    } catch (e) {
      return e;
    }
  };
  const ko = (cb: TwoStepCircuitBreaker): unknown => {
    try {
      cb.allow()(false);
      return undefined;
    } catch (e) {
      return e;
    }
  };
  const c5 = (r: number, s: number, f: number, cs: number, cf: number): Counts => ({
    requests: r,
    totalSuccesses: s,
    totalFailures: f,
    consecutiveSuccesses: cs,
    consecutiveFailures: cf,
  });

  test("TestTwoStepCircuitBreaker", async () => {
    await synctest.test(async () => {
      const cb = new TwoStepCircuitBreaker({ name: "tscb" });
      assert.equal(cb.name, "tscb");
      for (let i = 0; i < 5; i++) assert.equal(ko(cb), undefined);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), c5(5, 0, 5, 0, 5));
      assert.equal(ok(cb), undefined);
      assert.deepEqual(cb.counts(), c5(6, 1, 5, 1, 0));
      assert.equal(ko(cb), undefined);
      assert.deepEqual(cb.counts(), c5(7, 1, 6, 0, 1));
      for (let i = 0; i < 5; i++) assert.equal(ko(cb), undefined);
      assert.equal(cb.state(), "open");
      assert.deepEqual(cb.counts(), c5(0, 0, 0, 0, 0));
      assert.equal(ok(cb), ErrOpenState);
      assert.equal(ko(cb), ErrOpenState);
      await time.sleep(59 * time.Second);
      assert.equal(cb.state(), "open");
      await time.sleep(time.Second + NS);
      assert.equal(cb.state(), "half-open");
      assert.equal(ko(cb), undefined);
      assert.equal(cb.state(), "open");
      await time.sleep(60 * time.Second + NS);
      assert.equal(cb.state(), "half-open");
      assert.equal(ok(cb), undefined);
      assert.equal(cb.state(), "closed");
      assert.deepEqual(cb.counts(), c5(0, 0, 0, 0, 0));
    });
  });

  test("done(err) in gobreaker v2.4's style goes through isSuccessful; booleans do not", () => {
    const cb = new TwoStepCircuitBreaker({ isSuccessful: () => false });
    cb.allow()(true); // a boolean is recorded as is (v2.3)
    cb.allow()(undefined as unknown as boolean); // v2.4: nil error, judged by isSuccessful
    assert.deepEqual(cb.counts(), c5(2, 1, 1, 0, 1));
  });
});
