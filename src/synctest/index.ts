/**
 * `goroutine/synctest`: Go's `testing/synctest` — deterministic tests of concurrent, time-dependent code
 * in virtual time that advances by itself. Works inside any test framework (node:test, vitest, jest,
 * mocha): `test` is an ordinary async function that resolves or rejects.
 *
 * The engine is src/internal/bubble.ts.
 */
import { Bubble, DeadlockError } from "../internal/bubble.js";
import { currentG, spawn } from "../internal/scheduler.js";
import type { Context, CancelFunc } from "../context/index.js";
import { background, withCancel } from "../context/index.js";

export { DeadlockError } from "../internal/bubble.js";

/** The handle a bubble's function receives (Go's `*testing.T` inside `synctest.Test`). */
export interface T {
  /**
   * context returns a context whose done channel belongs to the bubble. It is cancelled when the test
   * function returns, before the cleanups run.
   */
  context(): Context;
  /**
   * cleanup registers `fn` to run inside the bubble after the test function returns (and after the
   * context is cancelled), last registered first. A cleanup may be async; the next one waits for it.
   */
  cleanup(fn: () => unknown): void;
}

/**
 * test runs `fn` in a new bubble and resolves when `fn`, its cleanups and every goroutine started in the
 * bubble have finished.
 *
 * Inside the bubble, time is virtual: `time.now()` starts at 2000-01-01T00:00:00Z, and the clock moves only
 * when every goroutine of the bubble is durably blocked (on the bubble's channels, a select over only
 * them, `Cond.wait`, `WaitGroup.wait` whose adds were all inside, `time.sleep` and timers) — jumping by the
 * smallest step that wakes one. `Mutex` waits, I/O, real timers and other outside work are not durable:
 * while they are pending the clock stands still. Time stops when `fn` returns.
 *
 * **Errors:** rejects with what `fn` throws, with an error a bubble goroutine throws and does not catch,
 * or with {@link DeadlockError}: "deadlock: all goroutines in bubble are blocked" (nothing can ever wake
 * them, not even time) or "deadlock: main bubble goroutine has exited but blocked goroutines remain",
 * each followed by a dump of the bubble's goroutines (what each waits on, durable or not, and where it
 * was created). Throws at once if called from inside a bubble.
 *
 * @example
 * ```ts
 * import { synctest, time, Chan, go } from "goroutine";
 * await synctest.test(async () => {
 *   const start = time.now();
 *   const done = new Chan<void>();
 *   go(async () => { await time.sleep(time.Hour); done.close(); });
 *   await done.recv(); // an hour of virtual time: no real time passes
 *   console.log(time.since(start) === time.Hour); // true
 * });
 * ```
 */
export function test(fn: (t: T) => unknown): Promise<void> {
  if (typeof fn !== "function") throw new TypeError("synctest.test: fn must be a function");
  if (currentG().bubble !== undefined) throw new Error("synctest.test called from within a synctest bubble");
  return new Promise<void>((resolve, reject) => {
    const bubble = new Bubble((err) => {
      if (err === undefined) resolve();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- re-throws what the test threw
      else reject(err);
    });
    const cleanups: (() => unknown)[] = [];
    let ctx: [Context, CancelFunc] | undefined;
    const t: T = {
      context(): Context {
        ctx ??= withCancel(background());
        return ctx[0];
      },
      cleanup(f: () => unknown): void {
        if (typeof f !== "function") throw new TypeError("synctest: cleanup needs a function");
        cleanups.push(f);
      },
    };
    const root = async (): Promise<void> => {
      let err: unknown;
      let failed = false;
      try {
        await fn(t);
      } catch (e) {
        err = e;
        failed = true;
      }
      ctx?.[1]();
      while (cleanups.length > 0) {
        try {
          await cleanups.pop()!();
        } catch (e) {
          if (!failed) {
            err = e;
            failed = true;
          }
        }
      }
      bubble.rootExited(err, failed);
    };
    spawn(root, [], test, bubble);
  });
}

/**
 * wait blocks until every other goroutine of the current bubble is durably blocked or has finished, then
 * returns (time does not advance while a wait is pending: the bubble returns from wait first).
 *
 * **Errors:** throws "goroutine is not in a bubble" outside a bubble, and "wait already in progress" if
 * another goroutine of the bubble is already waiting.
 *
 * @example
 * ```ts
 * import { synctest, Chan, go } from "goroutine";
 * await synctest.test(async () => {
 *   const ch = new Chan<number>(1);
 *   go(async () => { await ch.send(42); });
 *   await synctest.wait(); // the goroutine has sent and finished
 *   console.log(ch.len); // 1
 * });
 * ```
 */
export function wait(): Promise<void> {
  const g = currentG();
  const b = g.bubble;
  if (!(b instanceof Bubble)) throw new Error("goroutine is not in a bubble");
  return b.wait(g);
}

/** isDeadlock reports whether `err` is a bubble's {@link DeadlockError}. */
export function isDeadlock(err: unknown): err is DeadlockError {
  return err instanceof DeadlockError;
}
