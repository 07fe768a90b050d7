/**
 * The locker contract: every exclusive lock of the library (Mutex, RWMutex.lock, semaphore.Weighted(1))
 * passes these same tests. Not a test file by itself: the *.test.ts files call `lockerSuite`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { go } from "../../src/index.js";
import { WaitGroup } from "../../src/sync/index.js";
import { settle } from "./helpers.js";

export interface LockerUnderTest {
  lock(): Promise<unknown>;
  unlock(): void;
  tryLock(): boolean;
}

export function lockerSuite(name: string, make: () => LockerUnderTest): void {
  describe(`${name} — locker contract`, () => {
    test("mutual exclusion across goroutines with awaits inside the critical section", async () => {
      const mu = make();
      const wg = new WaitGroup();
      let inside = 0;
      let maxInside = 0;
      let count = 0;
      for (let i = 0; i < 40; i++) {
        wg.go(async () => {
          for (let j = 0; j < 5; j++) {
            await mu.lock();
            inside++;
            maxInside = Math.max(maxInside, inside);
            await Promise.resolve();
            await new Promise<void>((r) => queueMicrotask(r));
            inside--;
            count++;
            mu.unlock();
          }
        });
      }
      await wg.wait();
      assert.equal(maxInside, 1);
      assert.equal(count, 200);
      assert.equal(mu.tryLock(), true, "free at the end");
      mu.unlock();
    });

    test("tryLock fails while held and succeeds once free", async () => {
      const mu = make();
      assert.equal(mu.tryLock(), true);
      assert.equal(mu.tryLock(), false);
      mu.unlock();
      await mu.lock();
      assert.equal(mu.tryLock(), false);
      mu.unlock();
      assert.equal(mu.tryLock(), true);
      mu.unlock();
    });

    test("lock waits until the holder unlocks", async () => {
      const mu = make();
      await mu.lock();
      let got = false;
      const p = mu.lock().then(() => {
        got = true;
      });
      await settle();
      assert.equal(got, false);
      mu.unlock();
      await p;
      assert.equal(got, true);
      assert.equal(mu.tryLock(), false, "the waiter holds it now");
      mu.unlock();
    });

    test("unlock from another goroutine releases the lock", async () => {
      const mu = make();
      await mu.lock();
      go(() => mu.unlock());
      await mu.lock();
      mu.unlock();
    });

    test("every waiter acquires exactly once: no lost and no double wake-ups", async () => {
      const mu = make();
      await mu.lock();
      const got: number[] = [];
      const wg = new WaitGroup();
      for (let i = 0; i < 100; i++) {
        wg.go(async () => {
          await mu.lock();
          got.push(i);
          if (i % 3 === 0) await Promise.resolve();
          mu.unlock();
        });
      }
      await settle();
      assert.equal(got.length, 0);
      mu.unlock();
      await wg.wait();
      assert.deepEqual(
        [...got].sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i),
      );
    });
  });
}
