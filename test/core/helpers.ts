/**
 * Shared helpers for the core suites.
 *
 * "Has it settled?" is answered by racing the promise against a few macrotask turns: every wake in the
 * library is either synchronous or deferred to the next macrotask (preemption), so once two `setImmediate`
 * turns have passed, anything that was going to complete because of what already happened has completed.
 * That is a known event, not a sleep: no test waits on wall-clock time to "let things settle".
 */
import { after } from "node:test";
import assert from "node:assert/strict";
import { WAITING, allGoroutines, mainG, ready, waitOf } from "../../src/internal/scheduler.js";

/** Lets `n` macrotask turns pass (each drains the microtask queue completely). */
export async function turns(n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A promise's observable state, recorded synchronously as it settles. */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  state: "pending" | "fulfilled" | "rejected";
  value: T | undefined;
  error: unknown;
}

/** Observes `p` without awaiting it (and marks its rejection handled). */
export function track<T>(p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { promise: p, state: "pending", value: undefined, error: undefined };
  p.then(
    (v) => {
      t.state = "fulfilled";
      t.value = v;
    },
    (e: unknown) => {
      t.state = "rejected";
      t.error = e;
    },
  );
  return t;
}

/** Resolves "pending" if `p` has not settled after a few macrotask turns, else its outcome. */
export async function stateAfterTurns<T>(p: Promise<T>, n = 2): Promise<Tracked<T>["state"]> {
  const t = track(p);
  await turns(n);
  return t.state;
}

/** A promise that can be settled from outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---- intentional leaks ---------------------------------------------------------------------------------
//
// A test process that ends with goroutines parked on this library's primitives is a deadlock, and the
// runtime (rightly) kills it with exit code 2. Tests of "blocks forever" park goroutines on purpose; they
// register them here, and an `after` hook checks that the parked goroutines are exactly those (no
// unintended leak) and then marks them runnable so the process may exit.

const intended = new Set<number>();

// Installed when this module is first imported, i.e. at the top level of the importing test file, so it
// runs once after all of that file's tests.
after(() => {
  const parked = allGoroutines().filter((g) => g.state === WAITING);
  const unexpected = parked.filter((g) => !intended.has(g.id)).map((g) => `${g.id} [${waitOf(g)?.reason}]`);
  for (const g of parked) if (intended.has(g.id)) for (let w = waitOf(g); w !== undefined && w.parks > 0; ) ready(g, w.nonDurable === 0);
  assert.deepEqual(unexpected, [], "goroutines left parked that no test meant to leak");
});

/** Declares that goroutine `id` (never the main goroutine) stays parked forever on purpose. */
export function leak(id: number): void {
  assert.notEqual(id, mainG.id, "park forever inside a goroutine, not on the main goroutine");
  intended.add(id);
}

/** Waits until `pred()` holds, checking once per macrotask turn; fails after `maxTurns`. */
export async function until(pred: () => boolean, maxTurns = 1000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (pred()) return;
    await turns(1);
  }
  assert.fail("condition never became true");
}
