/**
 * Smoke test of bench/threads.ts: its quick mode runs our contender on the tiny-task and fan-out
 * workloads (tiny sizes) in child processes and prints their tables. Proves the bench code works; no
 * timing is asserted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bench = fileURLToPath(new URL("../../bench/threads.js", import.meta.url));

test("bench/threads.ts --quick runs our contender on tiny tasks and the fan-out", () => {
  const p = spawnSync(
    process.execPath,
    [bench, "--quick", "--contenders=goroutine", "--only=tiny,fanout", "--tiny-n=2000", "--fib-n=20", "--fib-tasks=8"],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(p.status, 0, p.stderr);
  const out = p.stdout;
  assert.match(out, /1\. 2,000 tiny tasks add\(i, 1\)/);
  assert.match(out, /^goroutine\s+[\d,]+\s+—\s+[\d.]+\s+[\d.]+\s+\d+\s+1$/m, out);
  assert.match(out, /2\. CPU-bound fan-out: fib\(20\) x 8/);
  assert.match(out, /^goroutine\s+\d+\s+\d+\s+[\d.]+x\s+—$/m, out);
  assert.match(out, /target speedup/);
  assert.doesNotMatch(out + p.stderr, /failed|FAILED/);
});
