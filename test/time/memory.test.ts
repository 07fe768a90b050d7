/**
 * Regression (issue 17 item 5): a timer or `after` channel nobody references is garbage, stopped or not
 * (Go 1.23). Before the fix, 100,000 selects whose `time.after(time.Hour)` case lost kept about 88 MB
 * alive until the hour passed (a Node timer, its closure, the Timer and its channel each), and a Timer
 * reset 100,000 times then stopped kept about 10 MB. Each case runs memory.fixture.ts in a child process
 * with --expose-gc and reads the heap growth after a full collection.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("./memory.fixture.js", import.meta.url));
const LIMIT_MB = 5;

function grownMB(mode: string): number {
  const r = spawnSync(process.execPath, ["--expose-gc", fixture, mode], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0, "exited by itself");
  return Number(r.stdout.trim());
}

describe("unreferenced timers are garbage (child process, --expose-gc)", () => {
  for (const [mode, what] of [
    ["after-loses", "100,000 selects where a ready case beats time.after(1h)"],
    ["after-loses-parked", "100,000 parked selects where a send beats time.after(1h)"],
    ["timer-reset", "a Timer(1h) reset 100,000 times, then stopped"],
  ] as const) {
    test(`${what}: heap growth ≤ ${LIMIT_MB} MB`, (t) => {
      const mb = grownMB(mode);
      t.diagnostic(`heap growth ${mb.toFixed(2)} MB`);
      assert.ok(mb <= LIMIT_MB, `heap grew by ${mb.toFixed(2)} MB`);
    });
  }
});
