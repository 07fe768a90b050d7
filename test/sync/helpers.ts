/** Test helpers for the sync suites (not a test file). */
import { type BubbleHooks, type G, WAITING, allGoroutines, spawn, waitOf } from "../../src/internal/scheduler.js";
import { realClock } from "../../src/internal/clock.js";
import { bubbleOpened } from "../../src/internal/livebubbles.js";

/** Lets every queued microtask and the next macrotask turn run (deterministic: no timer involved). */
export function settle(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}

/** The goroutine with id `id`, if live. */
export function goroutine(id: number): G | undefined {
  return allGoroutines().find((g) => g.id === id);
}

/** What goroutine `id` is parked on ("" if it is not parked), and whether durably. */
export function waitState(id: number): { reason: string; durable: boolean } {
  const g = goroutine(id);
  if (g === undefined || g.state !== WAITING) return { reason: "", durable: false };
  const w = waitOf(g)!;
  return { reason: w.reason, durable: w.durable };
}

/** Spins the CPU for `ms` real milliseconds (to age a waiter past the mutex's 1 ms threshold). */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

/**
 * A fake synctest bubble that only records parks, so tests can check which waits are durable
 * without depending on the synctest module.
 */
export function fakeBubble(id = 9000): BubbleHooks & { parks: { g: G; durable: boolean }[] } {
  const parks: { g: G; durable: boolean }[] = [];
  // Counted as live for good, as a real bubble is while it runs (primitives skip bubble checks when
  // none is live); never counted down, which only costs the rest of the file those fast paths.
  bubbleOpened();
  return {
    id,
    clock: realClock,
    parks,
    onDurable(g: G, on: boolean) {
      if (on) parks.push({ g, durable: true });
    },
    onStart() {},
    onExit() {},
  };
}

/** Starts `fn` as a goroutine inside `bubble`. */
export function goIn(bubble: BubbleHooks, fn: () => unknown): G {
  return spawn(fn, [], goIn, bubble);
}
