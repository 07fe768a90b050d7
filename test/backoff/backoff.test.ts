// goroutine/backoff: cenkalti/backoff v5's tests (exponential_test.go, backoff_test.go, retry_test.go)
// ported to the contract; waits run in virtual time (Go's tests swap in a timer that fires at once).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runtime } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import * as context from "../../src/context/index.js";
import {
  ConstantBackOff,
  DefaultMaxElapsedTime,
  ExponentialBackOff,
  PermanentError,
  STOP,
  StopBackOff,
  ZeroBackOff,
  permanent,
  randomized,
  retry,
  retryAfter,
} from "../../src/backoff/index.js";

const bg = context.background();

describe("backoff.ExponentialBackOff (exponential_test.go)", () => {
  test("TestBackOff: intervals grow by the multiplier up to maxInterval, randomized within the factor", () => {
    const b = new ExponentialBackOff({ initialInterval: 500, randomizationFactor: 0.1, multiplier: 2, maxInterval: 5000 });
    for (const expected of [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000, 5000]) {
      assert.equal(b.currentInterval, expected);
      const lo = expected - 0.1 * expected;
      const hi = expected + 0.1 * expected;
      const got = b.nextBackOff();
      assert.ok(got >= lo && got <= hi, `${got} not in [${lo}, ${hi}]`);
    }
  });
  test("TestGetRandomizedInterval: Go's formula, in ns, with its +1", () => {
    assert.equal(randomized(0.5, 0, 2), 1);
    assert.equal(randomized(0.5, 0.33, 2), 1);
    assert.equal(randomized(0.5, 0.34, 2), 2);
    assert.equal(randomized(0.5, 0.66, 2), 2);
    assert.equal(randomized(0.5, 0.67, 2), 3);
    assert.equal(randomized(0.5, 0.99, 2), 3);
  });
  test("TestBackOffOverflow: past maxInterval/multiplier the interval is maxInterval", () => {
    const max = Number.MAX_SAFE_INTEGER / 1e6;
    const b = new ExponentialBackOff({ initialInterval: max / 2, multiplier: 2.1, maxInterval: max });
    b.nextBackOff();
    assert.equal(b.currentInterval, Math.trunc(max * 1e6) / 1e6);
  });
  test("Go's defaults: 500 ms, 0.5, 1.5, 60 s; the documented ranges", () => {
    const seq: number[] = [];
    for (const r of [0, 0.999999]) {
      const b = new ExponentialBackOff({ random: () => r });
      seq.push(b.nextBackOff(), b.nextBackOff(), b.nextBackOff());
    }
    assert.deepEqual(
      seq.map((x) => Math.round(x)),
      [250, 375, 563, 750, 1125, 1687],
    );
    const b = new ExponentialBackOff();
    assert.deepEqual([b.initialInterval, b.randomizationFactor, b.multiplier, b.maxInterval], [500, 0.5, 1.5, 60_000]);
    assert.equal(DefaultMaxElapsedTime, 15 * time.Minute);
  });
  test("reset starts again from initialInterval", () => {
    const b = new ExponentialBackOff({ randomizationFactor: 0 });
    b.nextBackOff();
    b.nextBackOff();
    b.reset();
    assert.equal(b.nextBackOff(), 500);
  });
  test("bad options are RangeErrors naming them", () => {
    assert.throws(() => new ExponentialBackOff({ multiplier: NaN }), { name: "RangeError", message: /multiplier/ });
    assert.throws(() => new ExponentialBackOff({ initialInterval: -1 }), { name: "RangeError", message: /initialInterval/ });
    assert.throws(() => new ConstantBackOff(-1), { name: "RangeError", message: /interval/ });
  });
});

describe("backoff policies (backoff_test.go)", () => {
  test("TestNextBackOffMillis / constant, zero, stop", () => {
    assert.equal(new ZeroBackOff().nextBackOff(), 0);
    assert.equal(new StopBackOff().nextBackOff(), STOP);
    assert.equal(STOP, -1);
    const c = new ConstantBackOff(time.Second);
    for (let i = 0; i < 3; i++) assert.equal(c.nextBackOff(), time.Second);
  });
});

describe("backoff.retry (retry_test.go)", () => {
  test("TestRetry: succeeds on the 3rd call", async () => {
    await synctest.test(async () => {
      let i = 0;
      const v = await retry(bg, () => {
        i++;
        if (i === 3) return true;
        throw new Error("error");
      });
      assert.equal(v, true);
      assert.equal(i, 3);
    });
  });
  test("TestRetryWithData: the value comes back; attempts are numbered from 1", async () => {
    await synctest.test(async () => {
      const seen: number[] = [];
      const v = await retry(bg, async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error("error");
        return 1;
      });
      assert.equal(v, 1);
      assert.deepEqual(seen, [1, 2, 3]);
    });
  });
  test("TestRetryContext: a cancelled context stops with its cause", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withCancelCause(bg);
      const expected = new Error("custom error");
      let i = 0;
      const err = await retry(
        ctx,
        () => {
          i++;
          if (i === 3) cancel(expected);
          throw new Error(`error (${i})`);
        },
        { backOff: new ConstantBackOff(time.Millisecond) },
      ).catch((e: unknown) => e);
      assert.equal(err, expected);
      assert.equal(i, 3);
    });
  });
  test("a context that ends during the wait rejects with its cause, leaving no timer", async () => {
    await synctest.test(async () => {
      const [ctx, cancel] = context.withTimeout(bg, 1500);
      let i = 0;
      const start = time.now();
      const err = await retry(
        ctx,
        () => {
          i++;
          throw new Error("down");
        },
        { backOff: new ConstantBackOff(time.Second) },
      ).catch((e: unknown) => e);
      assert.equal(err, context.cause(ctx));
      assert.ok(err instanceof context.DeadlineExceededError);
      assert.equal(i, 2);
      assert.equal(time.since(start), 1500);
      cancel();
    });
    // On the real clock too: nothing left behind.
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const g = runtime.numGoroutine();
    const [ctx, cancel] = context.withCancel(bg);
    const p = retry(ctx, () => Promise.reject(new Error("x")), { backOff: new ConstantBackOff(time.Hour), maxElapsedTime: 0 }).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    cancel();
    assert.equal(await p, context.Canceled);
    await new Promise((r) => setImmediate(r));
    assert.ok(timers() <= before);
    assert.ok(runtime.numGoroutine() <= g);
  });
  test("TestRetryPermanent: permanent errors stop at once, plain ones are retried", async () => {
    await synctest.test(async () => {
      const eof = new Error("EOF");
      const cases: [string, () => number, boolean, number | Error][] = [
        ["nil", () => 1, false, 1],
        ["io.EOF", () => {
          throw eof;
        }, true, new Error("forced")],
        ["Permanent(io.EOF)", () => {
          throw permanent(eof);
        }, false, eof],
        ["wrapped Permanent(io.EOF)", () => {
          throw new Error("Wrapped error", { cause: permanent(eof) });
        }, false, eof],
      ];
      for (const [name, f, shouldRetry, want] of cases) {
        let retries = -1;
        const got = await retry(bg, () => {
          retries++;
          if (retries >= 1) throw permanent(new Error("forced"));
          return f();
        }).catch((e: unknown) => e);
        assert.equal(retries > 0, shouldRetry, name);
        if (want instanceof Error && want.message === "forced") assert.equal((got as Error).message, "forced", name);
        else assert.equal(got, want, name);
      }
    });
  });
  test("TestPermanent: the wrapper carries the error", () => {
    const want = new Error("foo");
    const p = permanent(want);
    assert.ok(p instanceof PermanentError);
    assert.equal(p.cause, want);
    assert.equal(p.message, "foo");
  });
  test("maxTries: rejects with the last error after that many tries, never waiting after the last", async () => {
    await synctest.test(async () => {
      let i = 0;
      const start = time.now();
      const err = await retry(
        bg,
        () => {
          throw new Error(`try ${++i}`);
        },
        { maxTries: 3, backOff: new ConstantBackOff(time.Second) },
      ).catch((e: unknown) => (e as Error).message);
      assert.equal(err, "try 3");
      assert.equal(time.since(start), 2 * time.Second);
    });
  });
  test("maxElapsedTime: stops when the next wait would pass it", async () => {
    await synctest.test(async () => {
      let i = 0;
      const err = await retry(
        bg,
        () => {
          throw new Error(`try ${++i}`);
        },
        { maxElapsedTime: 2500, backOff: new ConstantBackOff(time.Second) },
      ).catch((e: unknown) => (e as Error).message);
      assert.equal(err, "try 3"); // waits at 0→1 s, 1→2 s; the third wait would end at 3 s > 2.5 s
    });
  });
  test("the default maxElapsedTime is 15 minutes", async () => {
    await synctest.test(async () => {
      const start = time.now();
      await retry(bg, () => Promise.reject(new Error("down")), { backOff: new ConstantBackOff(time.Minute) }).catch(() => {});
      assert.equal(time.since(start), 15 * time.Minute);
    });
  });
  test("notify sees each error and the wait that follows; STOP ends without a notify", async () => {
    await synctest.test(async () => {
      const seen: [string, number][] = [];
      let n = 0;
      const b = { nextBackOff: () => (++n <= 2 ? 100 * n : STOP), reset: () => {} };
      const err = await retry(
        bg,
        (a) => {
          throw new Error(`e${a}`);
        },
        { backOff: b, notify: (e, next) => seen.push([(e as Error).message, next]) },
      ).catch((e: unknown) => (e as Error).message);
      assert.equal(err, "e3");
      assert.deepEqual(seen, [
        ["e1", 100],
        ["e2", 200],
      ]);
    });
  });
  test("retryIf: errors it refuses reject at once", async () => {
    let i = 0;
    const err = await retry(
      bg,
      () => {
        i++;
        throw new Error(i === 1 ? "503" : "404");
      },
      { backOff: new ZeroBackOff(), retryIf: (e) => (e as Error).message === "503" },
    ).catch((e: unknown) => (e as Error).message);
    assert.equal(err, "404");
    assert.equal(i, 2);
  });
  test("TestRetryTooManyRequests / retryAfter: the next wait is exactly that, and the backoff is reset", async () => {
    await synctest.test(async () => {
      const waits: number[] = [];
      let i = 0;
      const b = new ExponentialBackOff({ randomizationFactor: 0 });
      const v = await retry(
        bg,
        () => {
          i++;
          if (i === 1) throw new Error("503");
          if (i === 2) throw retryAfter(3 * time.Second);
          if (i === 3) throw new Error("503");
          return "ok";
        },
        { backOff: b, notify: (_e, next) => waits.push(next) },
      );
      assert.equal(v, "ok");
      assert.deepEqual(waits, [500, 3000, 500]); // after the Retry-After, the sequence starts again
      assert.equal(retryAfter(1500).message, "retry after 1.5s");
    });
  });
  test("bad options are RangeErrors naming them", () => {
    assert.throws(() => retry(bg, () => 1, { maxTries: -1 }), { name: "RangeError", message: /maxTries/ });
    assert.throws(() => retry(bg, () => 1, { maxElapsedTime: NaN }), { name: "RangeError", message: /maxElapsedTime/ });
    assert.throws(() => retryAfter(-1), { name: "RangeError", message: /ms/ });
  });
});
