/**
 * The goroutine registry (one array with holes, squeezed only when it would grow, reused from the start
 * when every goroutine has exited) against a sequential model: whatever order goroutines are created in
 * and exit in, the runtime lists exactly the live ones, oldest first, counts them, and starts each
 * goroutine once, in creation order.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { go, runtime } from "../../src/index.js";
import { allGoroutines, currentG } from "../../src/internal/scheduler.js";
import { deferred, turns } from "./helpers.js";

/** Starts `n` goroutines that each record their start and then wait for their own gate. */
function spawnGated(n: number, started: number[], gates: Map<number, () => void>): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const gate = deferred();
    const g = go(async () => {
      started.push(currentG().id);
      await gate.promise;
    });
    gates.set(g.id, gate.resolve);
    ids.push(g.id);
  }
  return ids;
}

function finish(ids: number[], gates: Map<number, () => void>): void {
  for (const id of ids) {
    gates.get(id)!();
    gates.delete(id);
  }
}

describe("registry", () => {
  // Squeezing happens when a spawn would grow the array; this builds the case where goroutines created
  // in the same turn are still waiting to start at that moment (the array is larger than any fan-out
  // before it in this process, so its length is known).
  test("squeezing out exited goroutines keeps order and the goroutines not yet started", async () => {
    const started: number[] = [];
    const gates = new Map<number, () => void>();
    const first = spawnGated(3000, started, gates);
    await turns();
    finish(first, gates); // all exit: the array is reused from the start
    await turns();
    const second = spawnGated(2990, started, gates);
    await turns();
    finish(second.slice(0, 2500), gates);
    await turns();
    const third = spawnGated(20, started, gates); // 10 fit, the 11th squeezes with 10 not yet started
    await turns();
    const expected = [...second.slice(2500), ...third];
    assert.deepEqual(
      allGoroutines()
        .map((g) => g.id)
        .filter((id) => gates.has(id)),
      expected,
    );
    assert.deepEqual(started, [...first, ...second, ...third]);
    const before = runtime.numGoroutine() - expected.length;
    finish(expected.slice(0, 7), gates); // these moved when squeezed: each must leave its own slot
    await turns();
    assert.deepEqual(
      allGoroutines()
        .map((g) => g.id)
        .filter((id) => first.includes(id) || second.includes(id) || third.includes(id)),
      expected.slice(7),
    );
    finish(expected.slice(7), gates);
    await turns();
    assert.equal(runtime.numGoroutine(), before);
  });

  test("property: lists the live goroutines oldest first and starts each once, in creation order", async () => {
    type Op = { kind: "spawn"; n: number } | { kind: "finish"; pick: number[] } | { kind: "finishAll" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("spawn" as const), n: fc.integer({ min: 1, max: 40 }) }) },
      {
        weight: 3,
        arbitrary: fc.record({ kind: fc.constant("finish" as const), pick: fc.array(fc.nat(), { maxLength: 30 }) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "finishAll" as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const live = new Map<number, () => void>(); // id -> lets it return
        const startOrder: number[] = [];
        const spawned: number[] = [];
        const before = runtime.numGoroutine();
        for (const o of ops) {
          if (o.kind === "spawn") {
            for (let i = 0; i < o.n; i++) {
              const gate = deferred();
              const g = go(async () => {
                startOrder.push(currentG().id);
                await gate.promise;
              });
              live.set(g.id, gate.resolve);
              spawned.push(g.id);
            }
          } else {
            const ids = [...live.keys()];
            const chosen = o.kind === "finishAll" ? ids : o.pick.map((p) => ids[p % ids.length]);
            for (const id of chosen) {
              if (id === undefined || !live.has(id)) continue;
              live.get(id)!();
              live.delete(id);
            }
          }
          await turns();
          const ours = allGoroutines()
            .map((g) => g.id)
            .filter((id) => live.has(id));
          assert.deepEqual(ours, [...live.keys()].sort((a, b) => a - b));
          assert.equal(runtime.numGoroutine(), before + live.size);
          assert.equal(startOrder.length, spawned.length, "every goroutine created has started");
        }
        assert.deepEqual(startOrder, spawned, "each started once, in creation order");
        for (const done of live.values()) done();
        await turns();
        assert.equal(runtime.numGoroutine(), before);
      }),
      { numRuns: 80 },
    );
  });

  test("a goroutine created while others start waits for the next start batch", async () => {
    const order: string[] = [];
    go(() => {
      order.push("a");
      go(() => order.push("c"));
    });
    go(() => order.push("b"));
    await turns();
    assert.deepEqual(order, ["a", "b", "c"]);
  });
});
