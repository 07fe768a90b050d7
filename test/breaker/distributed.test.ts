// goroutine/breaker: sony/gobreaker v2's distributed_gobreaker_test.go ported to the contract, with the
// in-memory store and virtual time (dcbPseudoSleep becomes a time.sleep in a synctest bubble).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan } from "../../src/index.js";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";
import {
  type Counts,
  DistributedCircuitBreaker,
  ErrOpenState,
  MemoryStore,
  type SharedDataStore,
  type State,
} from "../../src/breaker/index.js";
import { formatTime, parseTime } from "../../src/breaker/distributed.js";

type DCB = DistributedCircuitBreaker<unknown>;
const success = (cb: DCB): Promise<unknown> =>
  cb.execute(() => Promise.resolve(undefined)).then(
    () => undefined,
    (e: unknown) => e,
  );
const failure = (cb: DCB): Promise<unknown> =>
  cb.execute(() => Promise.reject(new Error("fail"))).then(
    () => undefined,
    (e: unknown) => (e instanceof Error && e.message === "fail" ? undefined : e),
  );

const c5 = (p: Partial<Counts>): Counts => ({
  requests: p.requests ?? 0,
  totalSuccesses: p.totalSuccesses ?? 0,
  totalFailures: p.totalFailures ?? 0,
  consecutiveSuccesses: p.consecutiveSuccesses ?? 0,
  consecutiveFailures: p.consecutiveFailures ?? 0,
});

interface GoShared {
  state: number;
  generation: number;
  age: number;
  counts: Record<string, number>;
  buckets: Record<string, number>[];
  start: string;
  expiry: string;
}
async function shared(store: SharedDataStore, name: string): Promise<GoShared> {
  const d = await store.getData("gobreaker:state:" + name);
  assert.ok(d !== undefined);
  return JSON.parse(new TextDecoder().decode(d)) as GoShared;
}

function setUp(store: SharedDataStore = new MemoryStore()): DCB {
  return new DistributedCircuitBreaker(store, {
    name: "TestBreaker",
    maxRequests: 3,
    interval: time.Second,
    timeout: 2 * time.Second,
    readyToTrip: (c) => c.consecutiveFailures > 5,
  });
}

describe("breaker.DistributedCircuitBreaker (distributed_gobreaker_test.go)", () => {
  test("TestDistributedCircuitBreakerInitialization", async () => {
    const cb = setUp();
    assert.equal(cb.name, "TestBreaker");
    assert.equal(await cb.state(), "closed");
  });

  test("TestDistributedCircuitBreakerStateTransitions", async () => {
    await synctest.test(async () => {
      const cb = setUp();
      assert.equal(await cb.state(), "closed");
      for (let i = 0; i < 6; i++) assert.equal(await failure(cb), undefined);
      assert.equal(await cb.state(), "open");
      assert.equal(await failure(cb), ErrOpenState);
      await time.sleep(2 * time.Second + time.Microsecond);
      assert.equal(await cb.state(), "half-open");
      for (let i = 0; i < 3; i++) assert.equal(await success(cb), undefined);
      assert.equal(await cb.state(), "closed");
      for (let i = 0; i < 6; i++) assert.equal(await failure(cb), undefined);
      assert.equal(await cb.state(), "open");
    });
  });

  test("TestDistributedCircuitBreakerExecution", async () => {
    const cb = setUp();
    assert.equal(await cb.execute(() => "success"), "success");
    await assert.rejects(cb.execute(() => Promise.reject(new Error("test error"))), /test error/);
  });

  test("TestDistributedCircuitBreakerCounts: the store holds gobreaker's JSON", async () => {
    const store = new MemoryStore();
    const cb = setUp(store);
    for (let i = 0; i < 5; i++) assert.equal(await success(cb), undefined);
    let st = await shared(store, "TestBreaker");
    assert.deepEqual(st.counts, {
      Requests: 5,
      TotalSuccesses: 5,
      TotalFailures: 0,
      TotalExclusions: 0,
      ConsecutiveSuccesses: 5,
      ConsecutiveFailures: 0,
    });
    assert.equal(await failure(cb), undefined);
    st = await shared(store, "TestBreaker");
    assert.equal(st.counts.Requests, 6);
    assert.equal(st.counts.ConsecutiveFailures, 1);
    assert.deepEqual(await cb.counts(), c5({ requests: 6, totalSuccesses: 5, totalFailures: 1, consecutiveFailures: 1 }));
  });

  test("TestCustomDistributedCircuitBreaker", async () => {
    await synctest.test(async () => {
      const store = new MemoryStore();
      const cb = new DistributedCircuitBreaker(store, {
        name: "CustomBreaker",
        maxRequests: 3,
        interval: 30 * time.Second,
        timeout: 90 * time.Second,
        readyToTrip: (c) => c.requests >= 3 && c.totalFailures / c.requests >= 0.6,
      });
      assert.equal(await cb.state(), "closed");
      for (let i = 0; i < 5; i++) {
        assert.equal(await success(cb), undefined);
        assert.equal(await failure(cb), undefined);
      }
      assert.deepEqual(await cb.counts(), c5({ requests: 10, totalSuccesses: 5, totalFailures: 5, consecutiveFailures: 1 }));
      assert.equal(await success(cb), undefined);
      assert.deepEqual(await cb.counts(), c5({ requests: 11, totalSuccesses: 6, totalFailures: 5, consecutiveSuccesses: 1 }));
      await time.sleep(30 * time.Second + time.Microsecond);
      assert.equal(await success(cb), undefined);
      assert.equal(await failure(cb), undefined);
      assert.equal(await failure(cb), undefined);
      assert.equal(await cb.state(), "open");
      assert.deepEqual(await cb.counts(), c5({}));
      await time.sleep(90 * time.Second + time.Microsecond);
      assert.equal(await cb.state(), "half-open");
      for (let i = 0; i < 3; i++) assert.equal(await success(cb), undefined);
      assert.equal(await cb.state(), "closed");
    });
  });

  test("TestCustomDistributedCircuitBreakerStateTransitions: onStateChange", async () => {
    await synctest.test(async () => {
      let change: [string, State, State] | undefined;
      const cb = new DistributedCircuitBreaker(new MemoryStore(), {
        name: "cb",
        maxRequests: 3,
        interval: 5 * time.Second,
        timeout: 5 * time.Second,
        readyToTrip: (c) => c.consecutiveFailures >= 2,
        onStateChange: (n, f, t) => (change = [n, f, t]),
      });
      assert.equal(await cb.state(), "closed");
      for (let i = 0; i < 2; i++) assert.equal(await failure(cb), undefined);
      assert.equal(await cb.state(), "open");
      assert.deepEqual(change, ["cb", "closed", "open"]);
      assert.equal(await success(cb), ErrOpenState);
      await time.sleep(5 * time.Second + time.Microsecond);
      assert.equal(await cb.state(), "half-open");
      assert.deepEqual(change, ["cb", "open", "half-open"]);
      for (let i = 0; i < 3; i++) assert.equal(await success(cb), undefined);
      assert.equal(await cb.state(), "closed");
      assert.deepEqual(change, ["cb", "half-open", "closed"]);
    });
  });

  test("TestDistributedCircuitBreakerTimeSynchronization / BucketIndexingConsistency", async () => {
    await synctest.test(async () => {
      const store = new MemoryStore();
      const settings = {
        name: "TimeSyncTest",
        maxRequests: 3,
        interval: 10 * time.Second,
        bucketPeriod: 2 * time.Second,
        timeout: 5 * time.Second,
      };
      const a = new DistributedCircuitBreaker(store, settings);
      await a.execute(() => "success");
      const start = (await shared(store, "TimeSyncTest")).start;
      assert.equal(start, "2000-01-01T00:00:00Z");
      await time.sleep(2 * time.Second + 100 * time.Millisecond);
      const b = new DistributedCircuitBreaker(store, settings); // a later process: the shared start wins
      await b.execute(() => "success");
      await a.execute(() => "success");
      const st = await shared(store, "TimeSyncTest");
      assert.equal(st.start, start);
      assert.equal(st.age, 1);
      assert.equal(st.counts.Requests, 3);
      assert.equal(st.buckets.length, 5);
    });
  });

  test("one half-open probe across every process sharing the store", async () => {
    await synctest.test(async () => {
      const store = new MemoryStore();
      const s = { name: "probe", timeout: time.Second, readyToTrip: (c: Counts) => c.consecutiveFailures >= 1 };
      const procs = [0, 1, 2, 3].map(() => new DistributedCircuitBreaker(store, s));
      await failure(procs[0]);
      assert.equal(await procs[3].state(), "open");
      await time.sleep(time.Second + time.Microsecond);
      const results = new Chan<unknown>(4);
      let calls = 0;
      for (const p of procs) {
        go(async () => {
          const r = await p
            .execute(async () => {
              calls++;
              await time.sleep(100 * time.Millisecond);
              return "ok";
            })
            .catch((e: unknown) => e);
          await results.send(r);
        });
      }
      const got: unknown[] = [];
      for (let i = 0; i < 4; i++) got.push(await results.recv());
      assert.equal(calls, 1);
      assert.equal(got.filter((r) => r === "ok").length, 1);
      assert.equal(got.filter((r) => r instanceof Error && r.message === "too many requests").length, 3);
      assert.equal(await procs[1].state(), "closed");
    });
  });

  test("a store whose lock fails is retried every 500 ms for 5 s, then its error is thrown", async () => {
    await synctest.test(async () => {
      const inner = new MemoryStore();
      let tries = 0;
      const store: SharedDataStore = {
        lock: () => (tries++, Promise.reject(new Error("lock busy"))),
        unlock: (n) => inner.unlock(n),
        getData: (n) => inner.getData(n),
        setData: (n, d) => inner.setData(n, d),
      };
      const cb = new DistributedCircuitBreaker(store, { name: "x" });
      const t0 = time.now().getTime();
      await assert.rejects(cb.state(), /lock busy/);
      assert.equal(tries, 10);
      assert.equal(time.now().getTime() - t0, 5000);
    });
  });

  test("times use Go's RFC 3339 with nanoseconds and Go's zero time", () => {
    assert.equal(formatTime(0), "0001-01-01T00:00:00Z");
    assert.equal(parseTime("0001-01-01T00:00:00Z"), 0);
    const t = Date.UTC(2000, 0, 1, 0, 0, 1) + 0.5;
    assert.equal(formatTime(t), "2000-01-01T00:00:01.0005Z");
    assert.equal(parseTime("2000-01-01T00:00:01.0005Z"), t);
    assert.equal(parseTime("2000-01-01T09:00:01.0005+09:00"), t);
    assert.equal(formatTime(Date.UTC(2000, 0, 1)), "2000-01-01T00:00:00Z");
  });

  test("no store is a TypeError", () => {
    assert.throws(() => new DistributedCircuitBreaker(undefined as unknown as SharedDataStore), TypeError);
  });
});
