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
