/**
 * Regression (issue 17 A): a chain of goroutines that keep waking each other through any primitive — not
 * only channels — must let a 10 ms timer fire within 15 ms of its due time. Before the fix, wakes from
 * `semaphore.Weighted`, `RWMutex`, `WaitGroup.wait` and `Chan.close` never counted towards the time
 * slice, and such a chain kept the timer from ever firing (100% CPU, for ever).
 *
 * How lateness is measured on a shared machine: the chain calls `beat()` on every round, which records
 * the gaps (over 1 ms) in which it did not run at all — the OS had descheduled the process, a GC pause,
 * or the chain had yielded and the loop ran something else. What the scheduler is answerable for is how
 * long the chain kept the loop after the timer fell due: the lateness minus those gaps. Seven timers are
 * measured per chain: the first set as the chain starts, the others from inside the chain at varied
 * points of a time slice (the worst case is a timer set just after a slice began: it waits about one
 * slice). The median must be ≤ 15 ms. A hard cap of 3 s stops every chain, so a starved timer fails the
 * test instead of hanging it. Raw figures: `node dist/bench/starvation.js`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan } from "../../src/internal/chan.js";
import { recv, select, send } from "../../src/select.js";
import { Cond, Mutex, RWMutex, WaitGroup } from "../../src/sync/index.js";
import { Weighted } from "../../src/semaphore/index.js";
import { Group } from "../../src/errgroup/index.js";
import * as context from "../../src/context/index.js";

const HARD_CAP_MS = 3000;
const TIMER_MS = 10;
const BOUND_MS = 15;
const SAMPLES = 7;
const STALL_MS = 1;

/** A chain of goroutines: runs while `running()`, calls `beat()` every round, resolves once stopped. */
type Chain = (running: () => boolean, beat: () => void) => Promise<void>;

interface Sample {
  /** Fired minus due, ms. */
  late: number;
  /** The part of it in which the chain did not run (gaps over STALL_MS between beats). */
  stalled: number;
}

/** Runs `chain` and measures SAMPLES timers of TIMER_MS set while it runs. */
async function measure(chain: Chain): Promise<{ samples: Sample[]; rounds: number }> {
  const start = performance.now();
  let stop = false;
  let rounds = 0;
  let last = start;
  const gaps: [from: number, to: number][] = [];
  /** Set when the chain should start the next timer at its `startAt`-th round from now. */
  let startIn = -1;
  let startTimer: () => void = () => {};
  const beat = (): void => {
    rounds++;
    const t = performance.now();
    if (t - last > STALL_MS) gaps.push([last, t]);
    last = t;
    if (startIn >= 0 && startIn-- === 0) startTimer();
  };
  const running = (): boolean => !stop && performance.now() - start < HARD_CAP_MS;
  const finished = chain(running, beat);

  const samples: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const fired = new Promise<Sample>((resolve) => {
      startTimer = () => {
        const due = performance.now() + TIMER_MS;
        setTimeout(() => {
          const at = performance.now();
          let stalled = 0;
          for (const [from, to] of gaps) stalled += Math.max(0, Math.min(to, at) - Math.max(from, due));
          // The gap the chain is in now (it yielded for this timer) counts as well.
          stalled += Math.max(0, at - Math.max(last, due));
          resolve({ late: at - due, stalled });
        }, TIMER_MS);
      };
    });
    if (i === 0) startTimer(); // as the chain starts
    else startIn = 97 * i; // from inside the chain, at varied points of a slice
    const sample = await fired;
    samples.push(sample);
    if (sample.late >= HARD_CAP_MS / 2) break; // starved: the chain has hit the hard cap
  }
  stop = true;
  await finished;
  return { samples, rounds };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function assertNotStarved(chain: Chain, diag: (msg: string) => void): Promise<void> {
  const { samples, rounds } = await measure(chain);
  assert.ok(rounds > 100, `the chain really ran (${rounds} rounds)`);
  const held = samples.map((s) => s.late - s.stalled);
  const show = samples.map((s) => `${s.late.toFixed(1)} (chain ${(s.late - s.stalled).toFixed(1)})`).join(", ");
  diag(`lateness, ms (median ${median(held).toFixed(1)}): ${show}`);
  assert.ok(held.every((h) => h < HARD_CAP_MS / 2), `a timer was starved: ${show}`);
  assert.ok(median(held) <= BOUND_MS, `timer lateness, ms: ${show}`);
}

/** Runs `a` and `b` as goroutines; resolves when both have returned. */
function both(a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  const wg = new WaitGroup();
  wg.go(a);
  wg.go(b);
  return wg.wait();
}

const bg = context.background();

const chains: [name: string, chain: Chain][] = [
  [
    "a semaphore.Weighted(1) handed back and forth",
    (running, beat) => {
      const s = new Weighted(1);
      const loop = async (): Promise<void> => {
        while (running()) {
          await s.acquire(bg, 1);
          beat();
          await Promise.resolve(); // the issue's `await null`
          s.release(1);
        }
      };
      return both(loop, loop);
    },
  ],
  [
    "an RWMutex write lock handed back and forth",
    (running, beat) => {
      const rw = new RWMutex();
      const loop = async (): Promise<void> => {
        while (running()) {
          await rw.lock();
          beat();
          await Promise.resolve(); // the issue's `await null`
          rw.unlock();
        }
      };
      return both(loop, loop);
    },
  ],
  [
    "an RWMutex alternating between a reader and a writer",
    (running, beat) => {
      const rw = new RWMutex();
      return both(
        async () => {
          while (running()) {
            await rw.lock();
            beat();
            await Promise.resolve(); // the issue's `await null`
            rw.unlock();
          }
        },
        async () => {
          while (running()) {
            await rw.rLock();
            await Promise.resolve(); // the issue's `await null`
            rw.rUnlock();
          }
        },
      );
    },
  ],
  [
    "two goroutines ping-ponging through WaitGroup.wait",
    (running, beat) => {
      const wgs = [new WaitGroup(), new WaitGroup()];
      wgs[1].add(1);
      // Each waits for its group, re-arms it and releases the other's: the hand-off precedes the check,
      // so whichever stops first has already woken the other.
      const side = (me: number) => async (): Promise<void> => {
        while (running()) {
          await wgs[me].wait();
          beat();
          wgs[me].add(1);
          wgs[1 - me].done();
        }
      };
      return both(side(0), side(1));
    },
  ],
  [
    "two goroutines waking each other by closing channels",
    (running, beat) => {
      const chans = [new Chan<void>(), new Chan<void>()];
      chans[0].close();
      const side = (me: number) => async (): Promise<void> => {
        while (running()) {
          await chans[me].recv();
          beat();
          chans[me] = new Chan<void>();
          chans[1 - me].close();
        }
      };
      return both(side(0), side(1));
    },
  ],
  [
    "a sync.Mutex handed back and forth",
    (running, beat) => {
      const mu = new Mutex();
      const loop = async (): Promise<void> => {
        while (running()) {
          await mu.lock();
          beat();
          await Promise.resolve(); // the issue's `await null`
          mu.unlock();
        }
      };
      return both(loop, loop);
    },
  ],
  [
    "two goroutines taking turns through a Cond",
    (running, beat) => {
      const mu = new Mutex();
      const cond = new Cond(mu);
      let turn = 0;
      const side = (me: number) => async (): Promise<void> => {
        while (running()) {
          await mu.lock();
          while (turn !== me) await cond.wait();
          beat();
          turn = 1 - me;
          cond.signal();
          mu.unlock();
        }
      };
      return both(side(0), side(1));
    },
  ],
  [
    "errgroup.Group with setLimit(1): each go waits for the previous function",
    async (running, beat) => {
      const g = new Group();
      g.setLimit(1);
      while (running()) {
        await g.go(async () => {
          beat();
          await Promise.resolve(); // the issue's `await null`
        });
      }
      await g.wait();
    },
  ],
  [
    "two goroutines ping-ponging on unbuffered channels",
    (running, beat) => {
      const ping = new Chan<number>();
      const pong = new Chan<number>();
      return both(
        async () => {
          for (let i = 0; running(); i++) {
            await ping.send(i);
            await pong.recv();
            beat();
          }
          ping.close();
        },
        async () => {
          for await (const v of ping) await pong.send(v);
        },
      );
    },
  ],
  [
    "two goroutines ping-ponging through select",
    (running, beat) => {
      const a = new Chan<number>();
      const b = new Chan<number>();
      const quit = new Chan<void>();
      return both(
        async () => {
          for (let i = 0; running(); i++) {
            await select([send(a, i), recv(quit)]);
            await select([recv(b), recv(quit)]);
            beat();
          }
          quit.close();
        },
        async () => {
          for (;;) {
            const v = await select([recv(a, (x, ok) => (ok ? x : undefined)), recv(quit, () => undefined)]);
            if (v === undefined) break;
            if (!(await select([send(b, v, () => true), recv(quit, () => false)]))) break;
          }
        },
      );
    },
  ],
];

describe("a wake chain does not starve a 10 ms timer (lateness ≤ 15 ms)", () => {
  for (const [name, chain] of chains) test(name, (t) => assertNotStarved(chain, (m) => t.diagnostic(m)));
});
