/**
 * The threads runtime: tasks in both directions with every kind of argument, tasks spawning tasks,
 * stealing, cancellation, crashes, load failures, bad input, close, the dump, and whole-process exits.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as threads from "../../src/threads/index.js";
import * as context from "../../src/context/index.js";
import { threadNumber } from "../../src/internal/threads/heap.js";
import {
  add,
  bigArray,
  cancelSeen,
  crash,
  echo,
  explode,
  exportedDouble,
  fail,
  fanOut,
  fib,
  heapInfo,
  meet,
  notATask,
  spin,
  waitCancel,
  whoami,
} from "./fixtures/tasks.js";

/** Polls the runtime's dump (each poll is a message round trip to every worker) until it matches. */
async function dumpShowing(r: threads.Runtime, re: RegExp): Promise<string> {
  for (;;) {
    const text = await r.dump();
    if (re.test(text)) return text;
    await new Promise((res) => setImmediate(res));
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const tasksUrl = new URL("./fixtures/tasks.js", import.meta.url);
const rt = threads.start({ workers: 2 });
after(() => rt.close());

describe("tasks and values", () => {
  test("a task runs on a worker thread and its result comes back", async () => {
    assert.equal(await rt.run(add, 2, 3), 5);
    assert.notEqual(await rt.run(whoami), threadNumber());
    assert.equal(await rt.run(fib, 20), 6765);
  });

  const values: [string, unknown][] = [
    ["small int", 42],
    ["negative zero", -0],
    ["float", 3.25],
    ["NaN", NaN],
    ["large int", 2 ** 40],
    ["string", "hello"],
    ["unicode string", "héllo wörld ✓ 𝄞"],
    ["empty string", ""],
    ["long string", "x".repeat(10_000)],
    ["true", true],
    ["false", false],
    ["null", null],
    ["undefined", undefined],
    ["bigint", 12345678901234567890n],
    ["Uint8Array", new Uint8Array([1, 2, 3])],
    ["Float64Array", new Float64Array([1.5, -2])],
    ["BigInt64Array", new BigInt64Array([1n, -1n])],
    ["ArrayBuffer", new Uint8Array([9, 8]).buffer],
    ["plain object", { a: 1, b: ["x", { c: null }] }],
    ["Map and Set", new Map<string, unknown>([["k", new Set([1, 2])]])],
    ["Date", new Date(0)],
    ["large typed array", new Int32Array(100_000).fill(7)],
    // Regressions: lone surrogates came back as U+FFFD, holes as undefined.
    ["string with a lone surrogate (half an emoji)", `${"😀".slice(0, 1)}x`],
    ["long string of lone surrogates", "\ud83d\ude00\ud83d".repeat(100)],
    ["object holding a lone surrogate", { s: "😀".slice(1), k: ["\ud800"] }],
    ["sparse array", [1, , 3]], // eslint-disable-line no-sparse-arrays
  ];
  for (const [name, v] of values) {
    test(`${name} crosses to a worker and back unchanged`, async () => {
      assert.deepEqual(await rt.run(echo, v), v);
    });
  }

  test("the shared heap grows on workers and on the main thread while tasks come and go", async () => {
    const sizes = [1 << 20, 1 << 21, 1 << 22]; // 8, 16, 32 MB of doubles
    const ps: Promise<unknown>[] = [];
    for (const n of sizes) {
      ps.push(rt.run(bigArray, n, n).then((a) => assert.ok(a.length === n && a[n - 1] === n)));
      for (let i = 0; i < 50; i++) ps.push(rt.run(add, i, 1).then((v) => assert.equal(v, i + 1)));
      const mine = new Float64Array(n / 2).fill(7);
      ps.push(rt.run(echo, mine).then((v) => assert.deepEqual(v, mine)));
    }
    await Promise.all(ps);
  });

  test("a DataView keeps its bytes", async () => {
    const dv = new DataView(new Uint8Array([1, 2, 3, 4]).buffer);
    const back = (await rt.run(echo, dv)) as DataView;
    assert.ok(back instanceof DataView);
    assert.equal(back.getUint32(0), 0x01020304);
  });

  test("a thrown error keeps its class, message, fields and stack", async () => {
    await assert.rejects(rt.run(fail, "bad input"), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.equal(e.message, "bad input");
      assert.equal((e as RangeError & { code: string }).code, "E_TEST");
      assert.match(e.stack ?? "", /fail/);
      return true;
    });
  });

  test("an exported function runs as a task", async () => {
    const double = threads.exported<typeof exportedDouble>(tasksUrl, "exportedDouble");
    assert.equal(await rt.run(double, 21), 42);
  });

  test("a task spawns tasks from inside a worker; they run without the main thread", async () => {
    const runners = await rt.run(fanOut, 8, 1);
    assert.equal(runners.length, 8);
    for (const t of runners) assert.notEqual(t, threadNumber());
  });

  test("stealing: work spawned on one worker ends up spread over both", async () => {
    // fanOut queues 40 × 5 ms tasks on its own worker's local queue; the other worker starts idle.
    const runners = await rt.run(fanOut, 40, 5);
    assert.equal(new Set(runners).size, 2, `ran on ${[...new Set(runners)].join(", ")}`);
  });

  test("two long tasks submitted together run on both workers, not one after the other", async () => {
    await Promise.all([rt.run(add, 0, 0), rt.run(add, 0, 0)]); // both workers have loaded the module
    const [a, b] = await Promise.all([rt.run(spin, 50), rt.run(spin, 50)]);
    assert.notEqual(a, b);
  });

  test("two CPU-bound tasks submitted together to a fresh 2-worker runtime run on two threads at once, 20 of 20", async () => {
    // Fresh runtimes: the first worker awake used to take both records (its fair share of the global
    // queue) and run them one after the other while the task module loaded. Half the runs submit at
    // once after start(), half once both workers have started and gone idle.
    for (let i = 0; i < 20; i++) {
      const fresh = threads.start({ workers: 2 });
      try {
        if (i % 2 === 1) await fresh.dump(); // both workers answer: started
        const arrived = new threads.Int32(0);
        const [a, b] = await Promise.all([fresh.run(meet, arrived, 2, 10_000), fresh.run(meet, arrived, 2, 10_000)]);
        assert.ok(a.met && b.met, `run ${i}: the tasks ran one after the other`);
        assert.notEqual(a.thread, b.thread, `run ${i}`);
      } finally {
        await fresh.close();
      }
    }
  });

  test("the package-level run uses the default runtime", async () => {
    assert.equal(await threads.run(add, 1, 1), 2);
  });
});

describe("bad input", () => {
  test("a plain function is refused: it may need a closure", () => {
    assert.throws(
      () => (rt.run as (...a: unknown[]) => unknown)(notATask),
      (e: unknown) => e instanceof TypeError && /plain function cannot cross threads/.test(e.message),
    );
  });

  test("an argument that cannot cross threads is a TypeError and nothing is queued", () => {
    assert.throws(() => rt.run(echo, () => 1), /argument 1 is a function/);
    assert.throws(() => rt.run(echo, Symbol("s")), /argument 1 is a symbol/);
    assert.throws(() => rt.run(echo, new Int32Array(new SharedArrayBuffer(8))), /SharedArrayBuffer/);
    assert.throws(() => rt.run(echo, { f: () => 1 }), /argument 1 cannot be sent to another thread/);
  });

  test("task() checks its arguments", () => {
    assert.throws(() => threads.task("not a url", function f() {}), TypeError);
    assert.throws(() => threads.task(import.meta.url, () => 1), /has no name/);
    assert.throws(() => threads.task(import.meta.url, "x", 5 as never), /must be a function/);
    threads.task(import.meta.url, function twice() {});
    assert.throws(() => threads.task(import.meta.url, function twice() {}), /already registered/);
  });

  test("start({ execArgv }) with flags Node refuses in workers leaves exactly those out", async () => {
    const r = threads.start({ workers: 1, execArgv: ["--expose-gc", "--max-old-space-size", "512", "--no-warnings"] });
    try {
      assert.equal(await r.run(add, 1, 2), 3);
    } finally {
      await r.close();
    }
  });

  test("start({ resourceLimits }) sets each worker's heap limit", async () => {
    const r = threads.start({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
    try {
      const small = await r.run(heapInfo);
      assert.ok(small.limitMb < 100, `limit ${small.limitMb} MB`);
    } finally {
      await r.close();
    }
    assert.throws(() => threads.start({ resourceLimits: { maxOldGenerationSizeMb: -1 } }), RangeError);
    assert.throws(() => threads.start({ resourceLimits: { heap: 1 } as never }), TypeError);
    assert.throws(() => threads.start({ execArgv: [1] as never }), TypeError);
  });

  test("start() checks the worker count", () => {
    for (const n of [0, -1, 1.5, 257, NaN]) assert.throws(() => threads.start({ workers: n }), RangeError);
  });

  test("a task missing from its module is reported with the module's name", async () => {
    const missing = threads.exported<() => void>(tasksUrl, "noSuchTask");
    await assert.rejects(rt.run(missing), /has no task "noSuchTask"/);
  });

  test("a module that fails to load is reported once, then its tasks reject at once", async () => {
    const broken = threads.exported<() => number>(new URL("./fixtures/broken.js", import.meta.url), "never");
    await assert.rejects(rt.run(broken), /cannot load task module .*broken\.js: broken module/);
    await assert.rejects(rt.run(broken), /cannot load task module/);
  });
});

describe("cancellation", () => {
  test("a task cancelled while queued never runs and rejects with the context's cause", async () => {
    const small = threads.start({ workers: 1 });
    try {
      const busy = small.run(spin, 50); // occupies the only worker
      const [ctx, cancel] = context.withCancelCause(context.background());
      const queued = small.run({ context: ctx }, whoami);
      const why = new Error("not needed any more");
      cancel(why);
      await assert.rejects(queued, (e: unknown) => e === why);
      await busy;
    } finally {
      await small.close();
    }
  });

  test("cancelling a running task cancels its taskContext", async () => {
    const [ctx, cancel] = context.withCancel(context.background());
    const p = rt.run({ context: ctx }, waitCancel);
    // Cancel once it runs: its goroutine shows in the worker's dump.
    await dumpShowing(rt, /\[chan receive, \d+m?s\]:\nwaitCancel/);
    cancel();
    assert.equal(await p, "cancelled: context canceled");
  });

  test("cancel(new Error(\"stop now\")) reaches a running task's taskContext as its cause, not just context canceled", async () => {
    const [ctx, cancel] = context.withCancelCause(context.background());
    const p = rt.run({ context: ctx }, cancelSeen);
    await dumpShowing(rt, /\[chan receive, \d+m?s\]:\ncancelSeen/);
    const why = new RangeError("stop now");
    cancel(why);
    assert.deepEqual(await p, { err: "context canceled", cause: "stop now", causeName: "RangeError", deadline: false, canceled: true });
  });

  test("a plain cancel reaches a running task as context canceled, cause included", async () => {
    const [ctx, cancel] = context.withCancel(context.background());
    const p = rt.run({ context: ctx }, cancelSeen);
    await dumpShowing(rt, /\[chan receive, \d+m?s\]:\ncancelSeen/);
    cancel();
    assert.deepEqual(await p, { err: "context canceled", cause: "context canceled", causeName: "CanceledError", deadline: false, canceled: true });
  });

  test("a submitter deadline reaches a running task as context deadline exceeded, not context canceled", async () => {
    const [ctx, cancel] = context.withTimeout(context.background(), 1000);
    try {
      const p = rt.run({ context: ctx }, cancelSeen);
      // The worker is idle: the task starts long before the deadline (if not, run rejects and this fails).
      await dumpShowing(rt, /\[chan receive, \d+m?s\]:\ncancelSeen/);
      const seen = await p;
      assert.equal(ctx.err(), context.DeadlineExceeded);
      assert.deepEqual(seen, {
        err: "context deadline exceeded",
        cause: "context deadline exceeded",
        causeName: "DeadlineExceededError",
        deadline: true,
        canceled: false,
      });
    } finally {
      cancel();
    }
  });

  test("a deadline with its own cause reaches a running task with that cause", async () => {
    const [ctx, cancel] = context.withTimeoutCause(context.background(), 1000, new Error("too slow"));
    try {
      const p = rt.run({ context: ctx }, cancelSeen);
      await dumpShowing(rt, /\[chan receive, \d+m?s\]:\ncancelSeen/);
      const seen = await p;
      assert.equal(seen.err, "context deadline exceeded");
      assert.equal(seen.cause, "too slow");
    } finally {
      cancel();
    }
  });

  test("an already-cancelled context rejects without queueing", async () => {
    const [ctx, cancel] = context.withCancel(context.background());
    cancel();
    await assert.rejects(rt.run({ context: ctx }, add, 1, 2), context.Canceled);
  });

  test("taskContext outside a task is an error", () => {
    assert.throws(() => threads.taskContext(), /not running a task/);
  });
});

describe("failures", () => {
  test("a worker that exits mid-run is replaced; its task rejects, no queued task is lost", async () => {
    const small = threads.start({ workers: 2 });
    try {
      const crashed = small.run(crash, 3);
      const rest = Array.from({ length: 60 }, (_, i) => small.run(add, i, 1));
      await assert.rejects(crashed, (e: unknown) => e instanceof threads.WorkerExitError && /code 3/.test(e.message));
      assert.deepEqual(await Promise.all(rest), Array.from({ length: 60 }, (_, i) => i + 1));
      assert.equal(await small.run(add, 1, 1), 2); // replaced
    } finally {
      await small.close();
    }
  });

  test("a task module whose loading kills the worker fails its task instead of killing workers forever", async () => {
    const small = threads.start({ workers: 1 });
    try {
      const doomed = threads.exported<() => number>(new URL("./fixtures/killer.js", import.meta.url), "doomed");
      await assert.rejects(small.run(doomed), threads.WorkerExitError);
      assert.equal(await small.run(add, 2, 3), 5);
    } finally {
      await small.close();
    }
  });

  test("an uncaught exception on a worker fails its running task with that error", async () => {
    const small = threads.start({ workers: 1 });
    try {
      await assert.rejects(small.run(explode), /boom from a worker/);
      assert.equal(await small.run(add, 2, 2), 4);
    } finally {
      await small.close();
    }
  });
});

describe("close", () => {
  test("close drains submitted tasks, then run rejects", async () => {
    const small = threads.start({ workers: 2 });
    const ps = Array.from({ length: 20 }, (_, i) => small.run(add, i, i));
    const closing = small.close();
    assert.equal(small.closed, true);
    assert.equal((await Promise.all(ps)).length, 20);
    await closing;
    assert.equal(small.close(), closing);
    await assert.rejects(small.run(add, 1, 1), threads.RuntimeClosedError);
  });

  test("close({ cancel: true }) rejects queued tasks and cancels running ones", async () => {
    const small = threads.start({ workers: 1 });
    const running = small.run(cancelSeen);
    await dumpShowing(small, /\[chan receive, \d+m?s\]:\ncancelSeen/);
    const queued = assert.rejects(small.run(add, 1, 2), threads.RuntimeClosedError);
    await small.close({ cancel: true });
    const seen = await running;
    assert.equal(seen.err, "context canceled");
    assert.equal(seen.causeName, "RuntimeClosedError");
    await queued;
  });
});

describe("the dump", () => {
  test("covers the goroutines running on workers, by worker", async () => {
    const [ctx, cancel] = context.withCancel(context.background());
    const p = rt.run({ context: ctx }, waitCancel);
    const text = await dumpShowing(rt, /\[chan receive, \d+m?s\]:\nwaitCancel/);
    assert.match(text, /^worker 0:/m);
    assert.match(text, /^worker 1:/m);
    assert.match(text, /goroutine \d+ \[chan receive, \d+m?s\]:\nwaitCancel/);
    cancel();
    await p;
  });
});

function node(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { timeout: 20_000, cwd: join(here, "..", "..", "..") });
    let out = "";
    let err = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    c.on("error", reject);
    c.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("processes", () => {
  test("a program that closes its runtime, and one that leaves the default runtime open, exit 0", async () => {
    const r = await node([join(here, "fixtures", "exit-clean.js")]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.equal(r.out, "42\n6765\ndone\n");
  });

  test("a deadlock across threads is reported with every thread's goroutines, exit code 2", async () => {
    for (const [which, wait] of [
      ["chan", /goroutine \d+ \[chan receive, [\d.]+m?s\]:\nblockForever/],
      ["mutex", /goroutine \d+ \[threads\.Mutex\.Lock, [\d.]+m?s\]:\nlockIt/],
    ] as const) {
      const r = await node([join(here, "fixtures", "deadlock.js"), which]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /^fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 \[threads\.run /);
      assert.match(r.err, /^worker 0:$/m);
      assert.match(r.err, wait);
    }
  });

  test("when workers keep dying at start, run rejects and the process still exits", async () => {
    const r = await node([join(here, "fixtures", "fail-exit.js")]);
    assert.equal(r.out, "rejected: workers keep exiting\n");
    assert.equal(r.code, 0);
  });

  test("a long wait on a worker's timer is not a deadlock", async () => {
    const r = await node([join(here, "fixtures", "deadlock.js"), "nap"]);
    assert.equal(r.err, "");
    assert.equal(r.out, "rested\n");
    assert.equal(r.code, 0);
  });

  test("node --max-old-space-size=512 / --expose-gc: the first run does not throw ERR_WORKER_INVALID_EXEC_ARGV", async () => {
    for (const flags of [["--max-old-space-size=512"], ["--expose-gc"], ["--expose-gc", "--max-old-space-size=512"]]) {
      const r = await node([...flags, join(here, "fixtures", "exit-clean.js")]);
      assert.equal(r.err, "", flags.join(" "));
      assert.equal(r.out, "42\n6765\ndone\n", flags.join(" "));
      assert.equal(r.code, 0);
    }
  });

  test("a TypeScript loader still reaches the workers when the process also has worker-refused flags", async () => {
    const src = join(here, "..", "..", "..", "test", "threads", "fixtures", "ts-app", "tasks.ts");
    const r = await node(["--max-old-space-size=512", "--import", "tsx", "--expose-gc", src]);
    assert.equal(r.err, "");
    assert.equal(r.out, "norm 5\n");
    assert.equal(r.code, 0);
  });

  test("TypeScript task modules run through a loader passed on to the workers", async () => {
    const src = join(here, "..", "..", "..", "test", "threads", "fixtures", "ts-app", "tasks.ts");
    const r = await node(["--import", "tsx", src]);
    assert.equal(r.err, "");
    assert.equal(r.out, "norm 5\n");
    assert.equal(r.code, 0);
  });
});
