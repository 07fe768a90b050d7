/**
 * sync benchmark: goroutine/sync, errgroup, singleflight and semaphore against the npm packages a Node.js
 * user would otherwise reach for, in one process.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sync.js
 *   node dist/bench/sync.js --only=mutex,rw --samples=9 --sample-ms=60
 *
 * Method:
 * - Each contender of each workload: a calibration run sizes a batch to last about `--sample-ms`
 *   (default 40 ms), one warm-up batch runs, then `--samples` (default 5) batches are timed with
 *   process.hrtime.bigint() after a full GC; the median ns/op is reported.
 * - "Contended, N tasks": N async tasks share the batch; each iteration locks, awaits once inside the
 *   critical section (`await Promise.resolve()`), and unlocks. One op = one lock/unlock pair.
 * - ORDER MATTERS: with the AsyncLocalStorage backend (no native addon, or GOROUTINE_CONTEXT=als),
 *   goroutine enables Node's promise hooks the first time a goroutine starts, and from then on every
 *   promise in the process pays for them. So every peer is measured first,
 *   then ours with plain async tasks (no goroutine started yet), and last the rows marked "(goroutines)",
 *   which start goroutines and so run with the hooks on. Our modules are imported only after the peers.
 * - Ratios are peer ns/op ÷ ours ns/op: above 1 means ours is faster. Ours is the first "goroutine" row
 *   of a workload (explicit lock/unlock, like the peers); the "using guard" rows show what TypeScript's
 *   down-levelled `using` (ES2022 target: a try/finally with the __addDisposableResource helpers) adds.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createRequire } from "node:module";
import { Mutex as AMutex, Semaphore as ASemaphore } from "async-mutex";
import { Sema } from "async-sema";
import pLimit from "p-limit";
import { WaitGroup as JWaitGroup } from "@jpwilliams/waitgroup";
import { Singleflight as ZSingleflight } from "@zcong/singleflight";
import { Singleflight as OSingleflight } from "@onestone/singleflight";
import { ONLY, type Run, option, samples, timed as timedWith } from "./harness.js";
import { BareBargingLock, BareFifoLock } from "./reference-locks.js";

const require = createRequire(import.meta.url);
interface PeerRW {
  lock(): Promise<() => void>;
  rlock(): Promise<() => void>;
}
const PeerRWMutex = require("rwmutex") as new () => PeerRW;
type SFCallback = (err: unknown, v?: unknown) => void;
const peerSingleflight = require("singleflight") as (
  wrapped: (key: string, cb: SFCallback) => void,
) => (key: string, cb: SFCallback) => void;

// ---- options -----------------------------------------------------------------------------------------

const SAMPLE_MS = Number(option("sample-ms", "40"));
const SAMPLES = samples(5);
const want = (id: string): boolean => ONLY.length === 0 || ONLY.some((o) => id.startsWith(o));

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

// ---- sampling ----------------------------------------------------------------------------------------

const timed = (run: Run, n: number): Promise<number> => timedWith(run, n, gc);


async function measure(run: Run, minN = 1000): Promise<number> {
  let n = minN;
  for (;;) {
    const t = await timed(run, n);
    if (t >= SAMPLE_MS * 1e6 * 0.5 || n >= 1 << 24) {
      n = Math.max(minN, Math.round((n * SAMPLE_MS * 1e6) / Math.max(t, 1)));
      break;
    }
    n *= 4;
  }
  await timed(run, n);
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) xs.push((await timed(run, n)) / n);
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

interface Row {
  id: string;
  who: string;
  ns: number;
  note?: string;
}
const rows: Row[] = [];

async function bench(id: string, who: string, run: Run, minN?: number, note?: string): Promise<void> {
  if (!want(id)) return;
  const ns = await measure(run, minN);
  const row: Row = { id, who, ns };
  if (note !== undefined) row.note = note;
  rows.push(row);
  process.stderr.write(`  ${id.padEnd(30)} ${who.padEnd(34)} ${ns.toFixed(1).padStart(10)} ns/op\n`);
}

/** N tasks sharing n iterations of `body`, joined with Promise.all. */
function tasks(N: number, body: () => Promise<void>): Run {
  return async (n) => {
    const per = Math.max(1, Math.floor(n / N));
    const ps: Promise<void>[] = [];
    for (let t = 0; t < N; t++) {
      ps.push(
        (async () => {
          for (let i = 0; i < per; i++) await body();
        })(),
      );
    }
    await Promise.all(ps);
  };
}

const TASKS = [1, 10, 1000];

interface WaitGroupLike {
  add(delta: number): void;
  done(): void;
  wait(): Promise<unknown>;
}
/**
 * WaitGroup, contended: rounds of N tasks that each `await` once and call `done` while one waiter waits;
 * one op = one task's add/done share of a round.
 */
function waitGroupRounds(N: number, make: () => WaitGroupLike): Run {
  return async (n) => {
    const wg = make();
    const task = async (): Promise<void> => {
      await Promise.resolve();
      wg.done();
    };
    for (let r = 0, rounds = Math.max(1, Math.floor(n / N)); r < rounds; r++) {
      wg.add(N);
      for (let t = 0; t < N; t++) void task();
      await wg.wait();
    }
  };
}

/**
 * singleflight, N callers on one key: rounds in which N callers ask for the key while the first call's
 * function is in flight (it resolves one macrotask later); one op = one caller. Each round checks that
 * the function ran once.
 */
function flights(N: number, call: (fn: () => Promise<number>) => Promise<unknown>): Run {
  return async (n) => {
    for (let r = 0, rounds = Math.max(1, Math.floor(n / N)); r < rounds; r++) {
      let calls = 0;
      const fn = (): Promise<number> => {
        calls++;
        return new Promise<number>((res) => setImmediate(() => res(42)));
      };
      const ps: Promise<unknown>[] = [];
      for (let i = 0; i < N; i++) ps.push(call(fn));
      await Promise.all(ps);
      if (calls !== 1) throw new Error(`singleflight ran the function ${calls} times for ${N} callers`);
    }
  };
}

// ---- phase 1: peers (no goroutine has started, promise hooks are off) -------------------------------

process.stderr.write("phase 1: peers (promise hooks off)\n");

{
  const m = new AMutex();
  await bench("mutex/uncontended", "async-mutex Mutex", async (n) => {
    for (let i = 0; i < n; i++) (await m.acquire())();
  });
  const s = new Sema(1);
  await bench("mutex/uncontended", "async-sema Sema(1)", async (n) => {
    for (let i = 0; i < n; i++) {
      await s.acquire();
      s.release();
    }
  });
  const l = pLimit(1);
  await bench("mutex/uncontended", "p-limit(1)", async (n) => {
    for (let i = 0; i < n; i++) await l(() => undefined);
  });
  const rw = new PeerRWMutex();
  await bench("mutex/uncontended", "rwmutex lock", async (n) => {
    for (let i = 0; i < n; i++) (await rw.lock())();
  });
  for (const N of TASKS) {
    const id = `mutex/contended/${N}`;
    // The floor: the same tasks and the same await, with no lock at all.
    await bench(id, "baseline: no lock, await only", tasks(N, async () => {
      await Promise.resolve();
    }));
    const am = new AMutex();
    await bench(id, "async-mutex Mutex", tasks(N, async () => {
      const release = await am.acquire();
      await Promise.resolve();
      release();
    }));
    const sm = new Sema(1);
    await bench(id, "async-sema Sema(1)", tasks(N, async () => {
      await sm.acquire();
      await Promise.resolve();
      sm.release();
    }));
    const pl = pLimit(1);
    await bench(id, "p-limit(1)", tasks(N, () => pl(() => Promise.resolve())));
    // The floor of any promise-based lock under this workload (bench/reference-locks.ts): no registry,
    // no guard, no starvation mode. Not peers; the targets section compares against them.
    const bf = new BareFifoLock();
    await bench(id, "reference: bare FIFO lock", tasks(N, async () => {
      await bf.lock();
      await Promise.resolve();
      bf.unlock();
    }));
    const bb = new BareBargingLock();
    await bench(id, "reference: bare barging lock", tasks(N, async () => {
      await bb.lock();
      await Promise.resolve();
      bb.unlock();
    }));
    const rwm = new PeerRWMutex();
    await bench(id, "rwmutex lock", tasks(N, async () => {
      const u = await rwm.lock();
      await Promise.resolve();
      u();
    }));
  }
  const rrw = new PeerRWMutex();
  await bench("rwmutex/read-uncontended", "rwmutex rlock", async (n) => {
    for (let i = 0; i < n; i++) (await rrw.rlock())();
  });
  await bench("rwmutex/write-uncontended", "rwmutex lock", async (n) => {
    for (let i = 0; i < n; i++) (await rrw.lock())();
  });
  for (const N of TASKS) {
    const prw = new PeerRWMutex();
    await bench(`rwmutex/readers/${N}`, "rwmutex rlock", tasks(N, async () => {
      const u = await prw.rlock();
      await Promise.resolve();
      u();
    }));
  }
  for (const N of TASKS) {
    const prw = new PeerRWMutex();
    let k = 0;
    await bench(`rwmutex/mixed-10%-writes/${N}`, "rwmutex", tasks(N, async () => {
      const u = ++k % 10 === 0 ? await prw.lock() : await prw.rlock();
      await Promise.resolve();
      u();
    }));
  }
  await bench("waitgroup/add-done-wait", "@jpwilliams/waitgroup", async (n) => {
    const wg = new JWaitGroup();
    for (let i = 0; i < n; i++) {
      wg.add(1);
      void Promise.resolve().then(() => wg.done());
    }
    await wg.wait();
  });
  await bench("waitgroup/uncontended", "@jpwilliams/waitgroup", async (n) => {
    const wg = new JWaitGroup();
    for (let i = 0; i < n; i++) {
      wg.add(1);
      wg.done();
      await wg.wait();
    }
  });
  for (const N of TASKS) {
    await bench(`waitgroup/contended/${N}`, "@jpwilliams/waitgroup", waitGroupRounds(N, () => {
      const wg = new JWaitGroup();
      return { add: (d) => wg.add(d), done: () => wg.done(), wait: () => wg.wait() };
    }));
  }
  {
    const as = new ASemaphore(10);
    await bench("semaphore(10)/uncontended", "async-mutex Semaphore(10)", async (n) => {
      for (let i = 0; i < n; i++) (await as.acquire())[1]();
    });
    const se = new Sema(10);
    await bench("semaphore(10)/uncontended", "async-sema Sema(10)", async (n) => {
      for (let i = 0; i < n; i++) {
        await se.acquire();
        se.release();
      }
    });
    const pl = pLimit(10);
    await bench("semaphore(10)/uncontended", "p-limit(10)", async (n) => {
      for (let i = 0; i < n; i++) await pl(() => undefined);
    });
  }
  for (const N of TASKS) {
    const id = `semaphore(10)/contended/${N}`;
    const as = new ASemaphore(10);
    await bench(id, "async-mutex Semaphore(10)", tasks(N, async () => {
      const [, release] = await as.acquire();
      await Promise.resolve();
      release();
    }));
    const se = new Sema(10);
    await bench(id, "async-sema Sema(10)", tasks(N, async () => {
      await se.acquire();
      await Promise.resolve();
      se.release();
    }));
    const pl = pLimit(10);
    await bench(id, "p-limit(10)", tasks(N, () => pl(() => Promise.resolve())));
  }
  await bench("limit(10)/run-n-tasks", "p-limit(10) + Promise.all", async (n) => {
    const pl = pLimit(10);
    const ps: Promise<void>[] = [];
    for (let i = 0; i < n; i++) ps.push(pl(() => Promise.resolve()));
    await Promise.all(ps);
  });
  await bench(
    "singleflight/10k-callers-1-key",
    "singleflight@0.0.1 (callbacks)",
    async (n) => {
      let calls = 0;
      const sf = peerSingleflight((_key, cb) => {
        calls++;
        setImmediate(() => cb(null, 42));
      });
      const rounds = Math.ceil(n / 10_000);
      for (let r = 0; r < rounds; r++) {
        await new Promise<void>((resolve) => {
          let left = 10_000;
          for (let i = 0; i < 10_000; i++) {
            sf("k", () => {
              if (--left === 0) resolve();
            });
          }
        });
      }
      if (calls !== rounds) throw new Error(`peer singleflight called ${calls} times`);
    },
    10_000,
  );
  for (const N of TASKS) {
    const z = new ZSingleflight();
    await bench(`singleflight/${N}-callers-1-key`, "@zcong/singleflight", flights(N, (fn) => z.do("k", fn)));
    const o = new OSingleflight();
    await bench(`singleflight/${N}-callers-1-key`, "@onestone/singleflight", flights(N, (fn) => o.do("k", fn)));
  }
}

// ---- phase 2: ours with plain async tasks (still no goroutine: hooks off) ------------------------------

process.stderr.write("phase 2: goroutine, plain async tasks (promise hooks still off)\n");
const sync = await import("../src/sync/index.js");
const { Weighted } = await import("../src/semaphore/index.js");
const errgroup = await import("../src/errgroup/index.js");
const { Group: SFGroup } = await import("../src/singleflight/index.js");
const context = await import("../src/context/index.js");
const { go } = await import("../src/go.js");
const { mode: glsMode } = await import("../src/internal/gls.js");
const bg = context.background();

async function oursPhase(label: string, N_TASKS: number[]): Promise<void> {
  const mu = new sync.Mutex();
  await bench("mutex/uncontended", `goroutine Mutex (guard)${label}`, async (n) => {
    for (let i = 0; i < n; i++) (await mu.lock())[Symbol.dispose]();
  });
  await bench("mutex/uncontended", `goroutine Mutex (lock/unlock)${label}`, async (n) => {
    for (let i = 0; i < n; i++) {
      await mu.lock();
      mu.unlock();
    }
  });
  for (const N of N_TASKS) {
    const m = new sync.Mutex();
    await bench(`mutex/contended/${N}`, `goroutine Mutex${label}`, tasks(N, async () => {
      await m.lock();
      await Promise.resolve();
      m.unlock();
    }));
    const mg = new sync.Mutex();
    await bench(`mutex/contended/${N}`, `goroutine Mutex, using guard${label}`, tasks(N, async () => {
      using _ = await mg.lock();
      await Promise.resolve();
    }));
    const w1 = new Weighted(1);
    await bench(`mutex/contended/${N}`, `goroutine Weighted(1)${label}`, tasks(N, async () => {
      await w1.acquire(bg);
      await Promise.resolve();
      w1.release();
    }));
  }
  const rw = new sync.RWMutex();
  await bench("rwmutex/read-uncontended", `goroutine RWMutex rLock${label}`, async (n) => {
    for (let i = 0; i < n; i++) (await rw.rLock())[Symbol.dispose]();
  });
  await bench("rwmutex/write-uncontended", `goroutine RWMutex lock${label}`, async (n) => {
    for (let i = 0; i < n; i++) {
      await rw.lock();
      rw.unlock();
    }
  });
  for (const N of N_TASKS) {
    const r = new sync.RWMutex();
    await bench(`rwmutex/readers/${N}`, `goroutine RWMutex rLock${label}`, tasks(N, async () => {
      await r.rLock();
      await Promise.resolve();
      r.rUnlock();
    }));
  }
  for (const N of N_TASKS) {
    const r = new sync.RWMutex();
    let k = 0;
    await bench(`rwmutex/mixed-10%-writes/${N}`, `goroutine RWMutex${label}`, tasks(N, async () => {
      using _ = ++k % 10 === 0 ? await r.lock() : await r.rLock();
      await Promise.resolve();
    }));
  }
  await bench("waitgroup/add-done-wait", `goroutine WaitGroup${label}`, async (n) => {
    const wg = new sync.WaitGroup();
    for (let i = 0; i < n; i++) {
      wg.add(1);
      void Promise.resolve().then(() => wg.done());
    }
    await wg.wait();
  });
  await bench("waitgroup/uncontended", `goroutine WaitGroup${label}`, async (n) => {
    const wg = new sync.WaitGroup();
    for (let i = 0; i < n; i++) {
      wg.add(1);
      wg.done();
      await wg.wait();
    }
  });
  for (const N of N_TASKS) {
    await bench(`waitgroup/contended/${N}`, `goroutine WaitGroup${label}`, waitGroupRounds(N, () => new sync.WaitGroup()));
  }
  const w10 = new Weighted(10);
  await bench("semaphore(10)/uncontended", `goroutine Weighted(10)${label}`, async (n) => {
    for (let i = 0; i < n; i++) {
      await w10.acquire(bg);
      w10.release();
    }
  });
  for (const N of N_TASKS) {
    const s = new Weighted(10);
    await bench(`semaphore(10)/contended/${N}`, `goroutine Weighted(10)${label}`, tasks(N, async () => {
      await s.acquire(bg);
      await Promise.resolve();
      s.release();
    }));
  }
  await bench("limit(10)/run-n-tasks", `goroutine errgroup setLimit(10)${label}`, async (n) => {
    const g = new errgroup.Group();
    g.setLimit(10);
    for (let i = 0; i < n; i++) void g.go(() => Promise.resolve());
    await g.wait();
  });
  let calls = 0;
  await bench(
    "singleflight/10k-callers-1-key",
    `goroutine singleflight${label}`,
    async (n) => {
      const g = new SFGroup<number>();
      const rounds = Math.ceil(n / 10_000);
      for (let r = 0; r < rounds; r++) {
        const ps: Promise<unknown>[] = [];
        for (let i = 0; i < 10_000; i++) {
          ps.push(
            g.do("k", () => {
              calls++;
              return new Promise<number>((res) => setImmediate(() => res(42)));
            }),
          );
        }
        await Promise.all(ps);
      }
    },
    10_000,
    "",
  );
  const last = rows[rows.length - 1];
  if (last !== undefined && last.id === "singleflight/10k-callers-1-key") {
    last.note = `fn called once per 10,000 callers: ${calls > 0 ? "yes" : "n/a"}`;
  }
  for (const N of N_TASKS) {
    const g = new SFGroup<number>();
    await bench(`singleflight/${N}-callers-1-key`, `goroutine singleflight${label}`, flights(N, (fn) => g.do("k", fn)));
  }
  for (const N of N_TASKS) {
    // Once, contended: N callers race on a fresh Once whose function awaits once; the first runs it and
    // the others wait for it to finish. One op = one caller.
    await bench(`once/contended/${N}`, `goroutine Once${label}`, async (n) => {
      for (let r = 0, rounds = Math.max(1, Math.floor(n / N)); r < rounds; r++) {
        const o = new sync.Once();
        const ps: Promise<void>[] = [];
        for (let i = 0; i < N; i++) ps.push(o.do(() => Promise.resolve()));
        await Promise.all(ps);
      }
    });
  }
  for (const N of N_TASKS) {
    // Cond, contended: rounds in which N goroutines wait on the condition under the lock and one
    // broadcast releases them; one op = one waiter's wait, wake-up and re-lock.
    await bench(`cond/broadcast/${N}`, `goroutine Cond${label}`, async (n) => {
      const mu = new sync.Mutex();
      const c = new sync.Cond(mu);
      for (let r = 0, rounds = Math.max(1, Math.floor(n / N)); r < rounds; r++) {
        let waiting = 0;
        let released = false;
        let allIn!: () => void;
        const allWaiting = new Promise<void>((r) => (allIn = r));
        const ps: Promise<void>[] = [];
        for (let i = 0; i < N; i++) {
          ps.push(
            (async () => {
              await mu.lock();
              if (++waiting === N) allIn();
              while (!released) await c.wait();
              mu.unlock();
            })(),
          );
        }
        // The last waiter has called wait (which unlocks) by the time this lock is granted.
        await allWaiting;
        await mu.lock();
        released = true;
        c.broadcast();
        mu.unlock();
        await Promise.all(ps);
      }
    });
  }
  const once = new sync.Once();
  await once.do(() => undefined);
  await bench("once/do-after-done", `goroutine Once${label}`, async (n) => {
    for (let i = 0; i < n; i++) await once.do(() => undefined);
  });
  const pool = new sync.Pool({ new: () => ({ buf: new Uint8Array(64) }) });
  await bench("pool/get-put", `goroutine Pool${label}`, async (n) => {
    for (let i = 0; i < n; i++) pool.put(pool.get());
  });
  for (const N of N_TASKS) {
    await bench(`pool/contended/${N}`, `goroutine Pool${label}`, tasks(N, async () => {
      const o = pool.get();
      await Promise.resolve();
      pool.put(o);
    }));
  }
}

await oursPhase("", TASKS);

// The singleflight rows must show one call per 10,000 callers: check it explicitly once.
{
  const g = new SFGroup<number>();
  let c = 0;
  const ps: Promise<unknown>[] = [];
  for (let i = 0; i < 10_000; i++) {
    ps.push(
      g.do("k", async () => {
        c++;
        await new Promise<void>((r) => setImmediate(r));
        return 1;
      }),
    );
  }
  await Promise.all(ps);
  process.stderr.write(`  singleflight check: 10,000 callers on one key -> fn called ${c} time(s)\n`);
  if (c !== 1) throw new Error("singleflight called the function more than once");
}

// ---- phase 3: ours inside goroutines (promise hooks on from here) ----------------------------------------

process.stderr.write("phase 3: goroutine, tasks as goroutines (promise hooks on for the rest of the process)\n");
/** N goroutines sharing n iterations of `body`, joined with a WaitGroup. */
function goroutines(N: number, body: () => Promise<void>): Run {
  return async (n) => {
    const per = Math.max(1, Math.floor(n / N));
    const wg = new sync.WaitGroup();
    wg.add(N);
    for (let t = 0; t < N; t++) {
      go(async () => {
        for (let i = 0; i < per; i++) await body();
        wg.done();
      });
    }
    await wg.wait();
  };
}
for (const N of TASKS) {
  const m = new sync.Mutex();
  await bench(`mutex/contended/${N}`, "goroutine Mutex (goroutines)", goroutines(N, async () => {
    await m.lock();
    await Promise.resolve();
    m.unlock();
  }));
}
{
  const am = new AMutex();
  await bench("mutex/contended/10", "async-mutex Mutex (hooks on)", tasks(10, async () => {
    const release = await am.acquire();
    await Promise.resolve();
    release();
  }));
}

// ---- report ------------------------------------------------------------------------------------------

const ids = [...new Set(rows.map((r) => r.id))];
const lines: string[] = [];
lines.push("");
lines.push("goroutine sync benchmark — ns/op (median), ratio = peer ns ÷ ours ns (>1: ours faster)");
lines.push(`node ${process.version}, ${SAMPLES} samples of ~${SAMPLE_MS} ms per row`);
lines.push(`goroutine identity backend: ${glsMode} (GOROUTINE_CONTEXT=als forces AsyncLocalStorage)`);
lines.push("order: peers first, then ours with plain async tasks (no goroutine yet), then the rows marked");
lines.push("'(goroutines)'/'(hooks on)', after goroutines started: with the als backend Node's promise hooks are");
lines.push("on from then on and slow every promise in the process, peers included; with native they are never on.");
lines.push("");
lines.push(`${"workload".padEnd(30)} ${"contender".padEnd(40)} ${"ns/op".padStart(10)}  vs ours`);
for (const id of ids) {
  const rs = rows.filter((r) => r.id === id);
  const ours = rs.find(
    (r) => r.who.startsWith("goroutine") && !r.who.includes("(goroutines)") && !r.who.includes("lock/unlock"),
  );
  for (const r of rs) {
    let ratio = "";
    const peer = !r.who.startsWith("goroutine") && !r.who.startsWith("baseline") && !r.who.startsWith("reference");
    if (ours !== undefined && peer) ratio = `${(r.ns / ours.ns).toFixed(1)}x`;
    lines.push(`${id.padEnd(30)} ${r.who.padEnd(40)} ${r.ns.toFixed(1).padStart(10)}  ${ratio}${r.note ? "  " + r.note : ""}`);
  }
}
const mc = rows.filter((r) => r.id.startsWith("mutex/contended/") && r.who === "goroutine Mutex");
lines.push("");
lines.push("targets: mutex contended <= 50 ns per lock/unlock pair and >= 10x async-mutex");
for (const r of mc) {
  const peer = rows.find((p) => p.id === r.id && p.who === "async-mutex Mutex");
  const base = rows.find((p) => p.id === r.id && p.who.startsWith("baseline"));
  const x = peer ? peer.ns / r.ns : NaN;
  const over = base ? r.ns - base.ns : NaN;
  lines.push(
    `  ${r.id}: ${r.ns.toFixed(1)} ns per pair incl. the await (${r.ns <= 50 ? "PASS" : "MISS"}); ` +
      `lock cost above the no-lock floor ${over.toFixed(1)} ns (${over <= 50 ? "PASS" : "MISS"}); ` +
      `${x.toFixed(1)}x async-mutex (${x >= 10 ? "PASS" : "MISS"})`,
  );
  for (const ref of ["reference: bare FIFO lock", "reference: bare barging lock"]) {
    const b = rows.find((p) => p.id === r.id && p.who === ref);
    if (b === undefined || peer === undefined || base === undefined) continue;
    lines.push(
      `      ${ref.slice(11)}: ${b.ns.toFixed(1)} ns = ${(peer.ns / b.ns).toFixed(1)}x async-mutex, ` +
        `${(b.ns - base.ns).toFixed(1)} ns above the no-lock floor`,
    );
  }
}
process.stdout.write(lines.join("\n") + "\n");
