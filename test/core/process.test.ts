/**
 * Whole-process behaviour, in subprocesses running test/fixtures/*: the deadlock report, panics in
 * goroutines, clean exits and pending timers (the TSDoc of src/go.ts and src/runtime/index.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mode as contextBackend } from "../../src/internal/gls.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture; a child still running after `killAfter` ms is killed (its `code` is then null). */
function run(fixture: string, ...args: string[]): Promise<Run> {
  return runWithin(5000, fixture, ...args);
}

function runWithin(killAfter: number, fixture: string, ...args: string[]): Promise<Run> {
  return runEnv({}, killAfter, fixture, ...args);
}

function runEnv(extra: Record<string, string>, killAfter: number, fixture: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env["GOROUTINE_STACKS"];
    Object.assign(env, extra);
    const child = spawn(process.execPath, [join(fixtures, fixture), ...args], { env, timeout: killAfter });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The dump block of goroutine `id` in a report. */
function block(report: string, id: number): string {
  const start = report.indexOf(`goroutine ${id} [`);
  assert.ok(start >= 0, `goroutine ${id} in:\n${report}`);
  const end = report.indexOf("\ngoroutine ", start + 1);
  return report.slice(start, end < 0 ? undefined : end);
}

describe("deadlock", () => {
  const modes: [string, string][] = [
    ["recv", "chan receive"],
    ["nil", "chan receive (nil chan)"],
    ["select-none", "select (no cases)"],
  ];
  for (const [mode, mainReason] of modes) {
    test(`main blocked in ${mainReason}, goroutines in send and select -> report and exit 2`, async () => {
      const r = await run("deadlock.js", mode);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "started\n");
      assert.ok(r.stderr.startsWith("fatal error: all goroutines are asleep - deadlock!\n"), r.stderr);
      assert.ok(block(r.stderr, 1).startsWith(`goroutine 1 [${mainReason},`), r.stderr);
      const sender = block(r.stderr, 2);
      assert.match(sender, /^goroutine 2 \[chan send, [^\]]+\]:\nsender\(\.\.\.\)\ncreated by \S+ in goroutine 1\n\t.*deadlock\.js:\d+/);
      const selector = block(r.stderr, 3);
      assert.match(selector, /^goroutine 3 \[select, [^\]]+\]:\nselector\(\.\.\.\)\ncreated by \S+ in goroutine 1\n\t.*deadlock\.js:\d+/);
    });
  }

  test("with GOROUTINE_STACKS=0 the report says only which goroutine created each one", async () => {
    const r = await runEnv({ GOROUTINE_STACKS: "0" }, 5000, "deadlock.js", "recv");
    assert.equal(r.code, 2, r.stderr);
    assert.match(block(r.stderr, 2), /^goroutine 2 \[chan send, [^\]]+\]:\nsender\(\.\.\.\)\ncreated in goroutine 1\n*$/);
    assert.doesNotMatch(r.stderr, /deadlock\.js:\d+/);
  });

  // Regression (issue 17 B): this was reported as a deadlock (exit 2) with goroutine 1 "[running]".
  test("main's code ended while goroutines stay blocked -> the program ends with exit 0, no report", async () => {
    const r = await run("deadlock.js", "main-returns");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "started\nmain returns\n");
    assert.equal(r.stderr, "");
  });

  test("main ended with its own exit code while goroutines stay blocked -> that code", async () => {
    const r = await run("deadlock.js", "main-exit-code");
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, "");
  });

  test("GOROUTINE_LEAKS=1 lists the goroutines left at exit on stderr, not main, and keeps the exit code", async () => {
    const r = await runEnv({ GOROUTINE_LEAKS: "1" }, 5000, "deadlock.js", "main-exit-code");
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.stderr.startsWith("goroutine leak: 2 goroutines still live at exit\n\n"), r.stderr);
    assert.match(block(r.stderr, 2), /^goroutine 2 \[chan send, [^\]]+\]:\nsender\(\.\.\.\)\ncreated by \S+ in goroutine 1/);
    assert.match(block(r.stderr, 3), /^goroutine 3 \[select, [^\]]+\]:\nselector\(\.\.\.\)/);
    assert.doesNotMatch(r.stderr, /goroutine 1 \[/);
    assert.doesNotMatch(r.stderr, /\[running\]/);
  });

  test("GOROUTINE_LEAKS=1 prints nothing when no goroutine is left", async () => {
    const r = await runEnv({ GOROUTINE_LEAKS: "1" }, 5000, "clean-exit.js");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  });

  test("main's top-level await pending on a plain promise while every goroutine is blocked -> deadlock, exit 2", async () => {
    const r = await run("deadlock.js", "main-awaits-promise");
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith("fatal error: all goroutines are asleep - deadlock!\n"), r.stderr);
    assert.ok(block(r.stderr, 1).startsWith("goroutine 1 [top-level await]:\nmain(...)"), r.stderr);
    assert.match(r.stderr, /goroutine 4 \[chan receive,/);
    assert.doesNotMatch(r.stderr, /\[running\]/);
  });

  test("a deadlock report with GOROUTINE_LEAKS=1 is not followed by a leak list", async () => {
    const r = await runEnv({ GOROUTINE_LEAKS: "1" }, 5000, "deadlock.js", "recv");
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /goroutine leak/);
  });
});

describe("panics", () => {
  const modes: [string, string][] = [
    ["sync", "panic: boom"],
    ["async", "panic: boom"],
    ["string", "panic: boom"],
    ["typeerror", "panic: TypeError: boom"],
  ];
  for (const [mode, first] of modes) {
    test(`a goroutine that fails (${mode}) crashes the process: "${first}", its id, exit 2`, async () => {
      const r = await run("panic.js", mode);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.startsWith(`${first}\n`), r.stderr);
      assert.match(r.stderr, /\ngoroutine 3 \[running\]:\n/);
      assert.match(r.stderr, /created by \S+ in goroutine 1/);
      if (mode !== "string") assert.match(r.stderr, /panic\.js:\d+/, "the error's stack is printed");
      assert.doesNotMatch(r.stderr, /deadlock/);
    });
  }

  test("with setPanicHandler installed the error is handled and the process exits 0", async () => {
    const r = await run("panic.js", "handled");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "handled: boom in goroutine 3\n");
    assert.equal(r.stderr, "");
  });

  // Regression: core-bugs #3.
  test(
    "a panic handler that throws does not stop goroutines created alongside from starting",
    async () => {
      const r = await run("panic.js", "handler-throws");
      assert.match(r.stdout, /^uncaught: handler rethrew first$/m);
      assert.match(r.stdout, /^second started$/m);
      assert.match(r.stdout, /^live 1$/m, "no goroutine is left counted but never run");
    },
  );
});

describe("clean exit", () => {
  test("goroutines that all finish: exit 0, only the program's own output", async () => {
    const r = await run("clean-exit.js");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "sum 14\n");
    assert.equal(r.stderr, "");
  });
});

describe("pending timers", () => {
  test("a goroutine blocked while a timer is pending is woken by it: exit 0", async () => {
    const r = await run("timer-pending.js", "wakes");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^timer fired after \d+ms\nreceived from timer\n$/);
    assert.equal(r.stderr, "");
  });

  // Regression: core-bugs #4.
  test(
    "a 'beforeExit' listener that schedules the wake-up keeps it from being a deadlock",
    async () => {
      const r = await run("timer-pending.js", "before-exit");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "received from beforeExit\n");
    },
  );

  // Regression: core-bugs #5.
  test(
    "an async 'beforeExit' listener that wakes it after an await keeps it from being a deadlock",
    async () => {
      const r = await run("timer-pending.js", "before-exit-async");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "received from async beforeExit\n");
    },
  );

  test("it is not a deadlock until the timer has fired", async () => {
    const r = await run("timer-pending.js", "then-deadlock");
    assert.equal(r.code, 2, r.stderr);
    const m = /^timer fired after (\d+)ms\n$/.exec(r.stdout);
    assert.ok(m, `the timer ran before the report: ${r.stdout}`);
    assert.ok(Number(m[1]) >= 140, "the timer was not cut short");
    assert.ok(r.stderr.startsWith("fatal error: all goroutines are asleep - deadlock!\n"), r.stderr);
    assert.match(r.stderr, /goroutine 2 \[chan receive, [^\]]+\]:\nblockedOnTimer/);
  });
});

describe("abandoned timeouts", () => {
  // Regression: core-bugs #6.
  test(
    "a losing time.after case does not keep the process alive until it fires",
    async () => {
      const r = await runWithin(2000, "abandoned-timeout.js", "abandoned");
      assert.equal(r.stdout, "result\n");
      assert.equal(r.code, 0, "exited by itself (null = killed after 2 s)");
    },
  );

  // The other side of that fix: a timer somebody waits on must keep the process alive.
  const waited: [string, string][] = [
    ["only-timer", "timeout\n"],
    ["goroutine-timer", "fired\n"],
    ["ticker", "ticks 3\n"],
  ];
  for (const [mode, out] of waited) {
    test(`a time.after that is waited on keeps the process alive until it fires (${mode})`, async () => {
      const r = await run("abandoned-timeout.js", mode);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, out);
      assert.equal(r.stderr, "");
    });
  }
});

describe("goroutine identity backends", () => {
  // The native backend is used when its addon is built (Node 20-23); everyone else gets AsyncLocalStorage.
  // Run the in-process core suites once more under the other backend.
  test("the channel, select, go and preemption suites pass under the AsyncLocalStorage backend", async (t) => {
    if (contextBackend !== "native") return t.skip("this process already uses AsyncLocalStorage");
    const here = dirname(fileURLToPath(import.meta.url));
    const files = ["chan", "select", "go", "preempt"].map((f) => join(here, `${f}.test.js`));
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, ["--test", "--test-reporter=dot", ...files], {
        env: { ...process.env, GOROUTINE_CONTEXT: "als" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
