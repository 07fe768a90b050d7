// Shared by the preemption tests of the core and of sync.
import assert from "node:assert/strict";
import { Chan } from "../../src/internal/chan.js";
import * as sched from "../../src/internal/scheduler.js";

/**
 * Completes operations synchronously until the scheduler decides the current burst has run too long and
 * wakes must wait for the next macrotask (a time slice is about 10 ms). Fails after a second.
 */
export function forcePreemption(): void {
  const big = new Chan<number>(1 << 20);
  const start = performance.now();
  while (!sched.mustYield) {
    assert.ok(performance.now() - start < 1000, "preemption never became pending");
    void big.send(0); // a completed send counts one operation
    big.tryRecv();
  }
}

/**
 * Resolves once wakes deferred by a pending preemption have run: they run in the check phase of the next
 * loop turn, or of the turn after it when the burst that overran did not itself begin in the check phase
 * (the scheduler lets the timers phase come first; see `probe` in src/internal/scheduler.ts). Two
 * `setImmediate` turns cover both.
 */
export async function preemptionOver(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((r) => setImmediate(r));
  assert.equal(sched.mustYield, false, "the preemption is over");
}
