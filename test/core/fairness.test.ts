/**
 * Fairness with the event loop: goroutines that keep each other busy entirely in microtasks must still let
 * timers (and I/O) run, because the scheduler preempts them (a time slice of about 10 ms).
 *
 * These need real time. The bound (a 5 ms timer fires within 50 ms) is generous next to the slice, and each
 * measurement is retried up to three times so one scheduling hiccup on a shared machine does not fail the
 * suite. A hard cap stops every busy loop after 3 s, so a starved timer is a failure, not a hang.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs";
import { fileURLToPath } from "node:url";
import { Chan } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select, send } from "../../src/select.js";

const HARD_CAP_MS = 3000;
const TIMER_MS = 5;
const BOUND_MS = 50;

/** Starts a busy workload; returns a function that stops it and resolves when it has stopped. */
type Workload = (running: () => boolean) => Promise<void>;

/**
 * Runs `load` and measures when a `TIMER_MS` timer fires after it has started. Returns the delay, or
 * Infinity if the timer had not fired by the time the hard cap stopped the workload.
 */
async function timerDelayUnder(load: Workload): Promise<{ delay: number; ops: number }> {
  const start = performance.now();
  let fired = -1;
  let ops = 0;
  const running = () => {
    ops++;
    return fired < 0 && performance.now() - start < HARD_CAP_MS;
  };
  const finished = load(running);
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      fired = performance.now() - start;
      resolve();
    }, TIMER_MS),
  );
  await finished;
  return { delay: fired < 0 ? Infinity : fired, ops };
}

async function assertFair(load: Workload): Promise<void> {
  const delays: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const { delay, ops } = await timerDelayUnder(load);
    assert.ok(ops > 10, "the workload really ran");
    delays.push(delay);
    if (delay <= BOUND_MS) return;
  }
  assert.fail(`a ${TIMER_MS} ms timer fired after ${delays.map((d) => d.toFixed(1)).join(", ")} ms`);
}

const pingPong: Workload = async (running) => {
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  const stopped = new Chan<void>();
  go(async () => {
    for (let i = 0; running(); i++) {
      await ping.send(i);
      await pong.recv();
    }
    ping.close();
  });
  go(async () => {
    for await (const v of ping) await pong.send(v);
    stopped.close();
  });
  await stopped.recv();
};

describe("timers are not starved", () => {
  test("two goroutines ping-ponging on unbuffered channels", async () => {
    await assertFair(pingPong);
  });

  test("one goroutine doing send then recv on a buffered channel in a tight loop", async () => {
    await assertFair(async (running) => {
      const ch = new Chan<number>(1);
      const stopped = new Chan<void>();
      go(async () => {
        for (let i = 0; running(); i++) {
          await ch.send(i);
          await ch.recv();
        }
        stopped.close();
      });
      await stopped.recv();
    });
  });

  test("two goroutines ping-ponging through select", async () => {
    await assertFair(async (running) => {
      const a = new Chan<number>();
      const b = new Chan<number>();
      const quit = new Chan<void>();
      const stopped = new Chan<void>(2);
      go(async () => {
        for (let i = 0; running(); i++) {
          await select([send(a, i), recv(quit)]);
          await select([recv(b), recv(quit)]);
        }
        quit.close();
        await stopped.send();
      });
      go(async () => {
        for (;;) {
          const v = await select([recv(a, (x, ok) => (ok ? x : undefined)), recv(quit, () => undefined)]);
          if (v === undefined) break;
          const more = await select([send(b, v, () => true), recv(quit, () => false)]);
          if (!more) break;
        }
        await stopped.send();
      });
      await stopped.recv();
      await stopped.recv();
    });
  });

  test("a producer and a for-await consumer on a buffered channel", async () => {
    await assertFair(async (running) => {
      const ch = new Chan<number>(16);
      const consumed = new Chan<number>(1);
      go(async () => {
        for (let i = 0; running(); i++) await ch.send(i);
        ch.close();
      });
      go(async () => {
        let n = 0;
        for await (const _ of ch) n++;
        await consumed.send(n);
      });
      assert.ok((await consumed.recv())! > 0, "the consumer received values");
    });
  });
});

describe("I/O is not starved", () => {
  test("a file read completes while two goroutines ping-pong", async () => {
    let readDone = false;
    const load: Workload = async (running) => pingPong(() => running() && !readDone);
    const file = fileURLToPath(import.meta.url);
    const start = performance.now();
    const finished = load(() => performance.now() - start < HARD_CAP_MS);
    const took = await new Promise<number>((resolve, reject) =>
      readFile(file, (err) => {
        readDone = true;
        if (err) reject(err);
        else resolve(performance.now() - start);
      }),
    );
    await finished;
    assert.ok(took < HARD_CAP_MS, `the read took ${took} ms`);
  });
});
