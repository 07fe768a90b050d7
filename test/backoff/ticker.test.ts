// backoff.Ticker: cenkalti/backoff v5's NewTicker (ticker_test.go's TestTicker, ported), in virtual time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runtime } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import { ConstantBackOff, ExponentialBackOff, StopBackOff, Ticker } from "../../src/backoff/index.js";

test("TestTicker: ticks at once, then after each nextBackOff, until the operation succeeds", async () => {
  await synctest.test(async () => {
    const b = new ExponentialBackOff({ initialInterval: 100, randomizationFactor: 0, multiplier: 2 });
    const ticker = new Ticker(b);
    const t0 = time.now().getTime();
    const at: number[] = [];
    let calls = 0;
    for await (const tick of ticker.c) {
      at.push(tick.getTime() - t0);
      if (++calls < 4) continue; // fails three times
      ticker.stop();
      break;
    }
    assert.equal(calls, 4);
    assert.deepEqual(at, [0, 100, 300, 700]);
  });
});

test("Ticker.stop closes c and leaves no goroutine or timer behind", async () => {
  await synctest.test(async () => {
    const before = runtime.numGoroutine();
    const ticker = new Ticker(new ConstantBackOff(1000));
    const [first, ok] = await ticker.c.recvOk();
    assert.ok(ok && first instanceof Date);
    ticker.stop(); // during the 1 s wait
    ticker.stop(); // idempotent
    const [, more] = await ticker.c.recvOk();
    assert.equal(more, false, "c is closed");
    await synctest.wait();
    assert.equal(runtime.numGoroutine(), before);
  });
});

test("Ticker closes c when the policy says STOP, after the guaranteed first tick", async () => {
  await synctest.test(async () => {
    const ticker = new Ticker(new StopBackOff());
    const got: Date[] = [];
    for await (const t of ticker.c) got.push(t);
    assert.equal(got.length, 1);
  });
});

test("a slow receiver is not handed two ticks in a row: the wait starts after a tick is taken", async () => {
  await synctest.test(async () => {
    const ticker = new Ticker(new ConstantBackOff(10));
    const t0 = time.now().getTime();
    await ticker.c.recv();
    await time.sleep(1000); // busy for 1 s
    const second = (await ticker.c.recv())!;
    assert.equal(second.getTime() - t0, 10, "the tick taken late carries the time it was due");
    const third = (await ticker.c.recv())!;
    assert.equal(third.getTime() - t0, 1010, "the next wait started when the late tick was taken");
    ticker.stop();
  });
});

test("new Ticker(not a BackOff) is a TypeError", () => {
  assert.throws(() => new Ticker({} as never), TypeError);
});
