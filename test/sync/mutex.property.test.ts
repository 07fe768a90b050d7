// Mutex against a sequential model (fast-check): random programs of lock, tryLock, unlock and "let
// everything run", with and without a turn in between, so both a woken waiter's chance and barging
// inside its window are exercised, and up to 40 waiters make the waiter ring grow and wrap.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Mutex } from "../../src/sync/index.js";
import { settle } from "./helpers.js";

type Cmd =
  | { kind: "lock"; task: number }
  | { kind: "tryLock"; task: number }
  | { kind: "unlock" }
  | { kind: "settle" };

const TASKS = 40;
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: TASKS - 1 }).map((task): Cmd => ({ kind: "lock", task })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: TASKS - 1 }).map((task): Cmd => ({ kind: "tryLock", task })) },
  { weight: 3, arbitrary: fc.constant<Cmd>({ kind: "unlock" }) },
  { weight: 2, arbitrary: fc.constant<Cmd>({ kind: "settle" }) },
);

/**
 * The model: who owns the lock, the FIFO of waiters, and whether the head waiter's chance is pending.
 * Normal mode: unlock frees the lock and gives the head its chance at the next turn; a lock or tryLock
 * before then takes the free lock (barging) and the head keeps waiting. Starvation mode (entered only
 * when a waiter waited over 1 ms, i.e. depending on the machine's speed): unlock hands the lock to the
 * head at once. The model follows the mode the mutex reports, so the program stays deterministic.
 */
class Model {
  owner: number | null = null;
  readonly queue: number[] = [];
  chancePending = false;
  readonly grants: number[] = [];

  lock(t: number): void {
    if (this.owner === null) this.take(t);
    else this.queue.push(t);
  }
  tryLock(t: number): boolean {
    if (this.owner !== null) return false;
    this.owner = t;
    return true;
  }
  unlock(starving: boolean): void {
    if (this.queue.length === 0) {
      this.owner = null;
    } else if (starving) {
      this.take(this.queue.shift()!);
    } else {
      this.owner = null;
      this.chancePending = true;
    }
  }
  /**
   * The mutex entered starvation mode during a lock call. Either that locker found the lock free with the
   * head waiting over 1 ms (the lock goes to the head, the locker queues), or the locker parked, which
   * let the head's pending chance run: it found the lock taken after over 1 ms (nothing is granted).
   */
  starve(): void {
    if (this.owner === null) this.take(this.queue.shift()!);
    else this.chancePending = false;
  }
  settle(): void {
    if (!this.chancePending) return;
    this.chancePending = false;
    if (this.owner === null && this.queue.length > 0) this.take(this.queue.shift()!);
  }
  private take(t: number): void {
    this.owner = t;
    this.grants.push(t);
  }
}

let runs = 0;
test("Mutex matches a sequential model of normal mode, barging and hand-off", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 200, size: "max" }), async (cmds) => {
      runs++;
      const mu = new Mutex();
      const model = new Model();
      const grants: number[] = []; // in the order the lock calls resolved
      const busy = new Set<number>(); // holding or waiting
      let holder: number | null = null;
      /** The model's owner unlocks, once its lock call has resolved as a real holder's would have. */
      const unlockByOwner = async (): Promise<void> => {
        const owner = model.owner!;
        await settleIfGranted(() => holder === owner);
        busy.delete(owner);
        holder = null;
        const starving = mu.isStarving;
        mu.unlock();
        model.unlock(starving);
      };
      for (const c of cmds) {
        switch (c.kind) {
          case "lock":
            if (busy.has(c.task)) break;
            busy.add(c.task);
            {
              const wasStarving = mu.isStarving;
              void mu.lock().then(() => {
                grants.push(c.task);
                holder = c.task;
              });
              // Whether a waiter has waited over 1 ms is up to the machine's speed: follow the mutex.
              if (!wasStarving && mu.isStarving) model.starve();
            }
            model.lock(c.task);
            break;
          case "tryLock": {
            if (busy.has(c.task)) break;
            const got = mu.tryLock();
            assert.equal(got, model.tryLock(c.task), `tryLock by ${c.task}`);
            if (got) {
              busy.add(c.task);
              grants.push(c.task);
              model.grants.push(c.task);
              holder = c.task;
            }
            break;
          }
          case "unlock": {
            if (model.owner === null) {
              assert.throws(() => mu.unlock(), { message: "sync: unlock of unlocked mutex" });
              break;
            }
            await unlockByOwner();
            break;
          }
          case "settle":
            await settle();
            model.settle();
            assert.deepEqual(grants, model.grants, "grant order");
            assert.equal(mu.tryLock(), model.owner === null && model.queue.length === 0 ? true : false);
            if (model.owner === null && model.queue.length === 0) mu.unlock();
            break;
        }
      }
      // Drain: unlock until nobody holds or waits; every waiter must get the lock exactly once.
      await settle();
      model.settle();
      while (model.owner !== null) {
        await unlockByOwner();
        await settle();
        model.settle();
      }
      assert.deepEqual(grants, model.grants, "grant order after draining");
      assert.equal(model.queue.length, 0);
      assert.equal(mu.tryLock(), true, "free at the end");
    }),
    { numRuns: 150 },
  );
  assert.equal(runs, 150);
});

/** Waits (a turn at a time, at most a few) until `granted()` — the model's owner saw its lock resolve. */
async function settleIfGranted(granted: () => boolean): Promise<void> {
  for (let i = 0; i < 3 && !granted(); i++) await settle();
  assert.ok(granted(), "the model's owner was granted the lock");
}
