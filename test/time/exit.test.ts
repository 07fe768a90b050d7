/**
 * Timer and Ticker channels keep the process alive only while a goroutine waits on them (internal/weaktimer.ts):
 * abandoned or forgotten timers do not delay exit (Go exits when main returns), awaited ones fire.
 * Each case runs exit.fixture.ts in a child process; "at once" means well under the timers' hour.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("./exit.fixture.js", import.meta.url));

function run(mode: string): { stdout: string; stderr: string; code: number | null; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fixture, mode], { encoding: "utf8", timeout: 20_000 });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, ms: performance.now() - t0 };
}

describe("what timers keep alive (child process)", () => {
  for (const [mode, out] of [
    ["abandoned-after", "result\n"],
    ["forgotten-ticker", "0\n"],
    ["forgotten-timer", "0\n"],
    ["await-timer", "fired after >=25ms\n"],
    ["goroutine-timer", "30ms\n"],
  ] as const) {
    test(mode, () => {
      const r = run(mode);
      assert.equal(r.stderr, "");
      assert.equal(r.code, 0, "exited by itself (null: killed after 20 s)");
      assert.equal(r.stdout, out);
    });
  }
});
