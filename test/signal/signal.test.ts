/**
 * goroutine/signal: notifyContext with real signals, in child processes (notify.fixture.ts), and its
 * argument checks in-process.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as context from "../../src/context/index.js";
import * as signal from "../../src/signal/index.js";

const fixture = fileURLToPath(new URL("./notify.fixture.js", import.meta.url));

interface Result {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Starts the fixture, sends `sig` once it prints "ready", and collects the outcome. */
function runWithSignal(mode: string, sig: NodeJS.Signals): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let sent = false;
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (!sent && /^ready$/m.test(stdout)) {
        sent = true;
        child.kill(sig);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ stdout, stderr, code, signal });
    });
  });
}

describe("notifyContext with real signals (child process)", () => {
  test("SIGTERM cancels the context; a goroutine waiting for it is not a deadlock; stop removes listeners", async () => {
    const r = await runWithSignal("wait", "SIGTERM");
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        "ready",
        "err=context canceled cause=signal: received SIGTERM",
        "before stop: SIGINT=1 SIGTERM=1",
        "after stop: SIGINT=0 SIGTERM=0",
        "",
      ].join("\n"),
    );
  });

  test("SIGINT is caught by default too", async () => {
    const r = await runWithSignal("wait", "SIGINT");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cause=signal: received SIGINT/);
  });

  test("only the listed signals are caught", async () => {
    const r = await runWithSignal("term", "SIGTERM");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /before stop: SIGINT=0 SIGTERM=1/);
  });

  test("after stop, the default action is back: SIGTERM kills the process", async () => {
    const r = await runWithSignal("stopped", "SIGTERM");
    assert.match(r.stdout, /^err=context canceled listeners=0$/m);
    assert.equal(r.signal, "SIGTERM");
  });
});

describe("notifyContext (in-process)", () => {
  test("parent cancellation cancels the context; listeners stay until stop (as Go)", () => {
    const [parent, cancel] = context.withCancel(context.background());
    const before = process.listenerCount("SIGUSR2");
    const [ctx, stop] = signal.notifyContext(parent, "SIGUSR2");
    assert.equal(String(ctx), "context.Background.WithCancel.WithCancel");
    assert.equal(process.listenerCount("SIGUSR2"), before + 1);
    cancel();
    assert.equal(ctx.err(), context.Canceled);
    assert.equal(process.listenerCount("SIGUSR2"), before + 1);
    stop();
    stop(); // idempotent
    assert.equal(process.listenerCount("SIGUSR2"), before);
  });

  test("duplicate signals get one listener", () => {
    const before = process.listenerCount("SIGUSR2");
    const [, stop] = signal.notifyContext(context.background(), "SIGUSR2", "SIGUSR2");
    assert.equal(process.listenerCount("SIGUSR2"), before + 1);
    stop();
  });

  test("bad input", () => {
    const bg = context.background();
    assert.throws(() => signal.notifyContext(bg, "SIGFOO" as NodeJS.Signals), { name: "TypeError", message: /unknown signal "SIGFOO"/ });
    assert.throws(() => signal.notifyContext(bg, "SIGKILL"), { name: "TypeError", message: /SIGKILL cannot be caught/ });
    assert.throws(() => signal.notifyContext(bg, "SIGSTOP"), TypeError);
    assert.throws(() => signal.notifyContext(undefined as unknown as context.Context), {
      name: "TypeError",
      message: "cannot create context from nil parent",
    });
    assert.equal(process.listenerCount("SIGFOO"), 0);
  });
});
