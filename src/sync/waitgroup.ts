/**
 * sync.WaitGroup: waits for a collection of goroutines to finish.
 *
 * Invariants:
 * - `count >= 0` always: an `add` that would make it negative throws before changing anything.
 * - `waiters` is non-empty only while `count > 0`; when `count` reaches 0 every waiter is made ready
 *   and the list is emptied in the same synchronous step, so a later `add` starts a fresh round and can
 *   never strand or double-wake a waiter (Go panics on "WaitGroup is reused before previous Wait has
 *   returned"; here that race cannot happen).
 * - `addBubble` is the synctest bubble every `add` of the current round came from: UNSET before the
 *   first, MIXED once adds came from two places (a bubble and outside, or two bubbles). A `wait` is
 *   durable only when all adds came from the waiter's own bubble. It resets when `count` returns to 0.
 */
import { go } from "../go.js";
import { type BubbleHooks, type G, currentG, done, park, ready, wakeNow } from "../internal/scheduler.js";

const UNSET: unique symbol = Symbol("unset");
const MIXED: unique symbol = Symbol("mixed");

interface WGWaiter {
  g: G;
  resolve: () => void;
  /** What its park said: the adds' bubbles may change while it waits, its park's kind may not. */
  durable: boolean;
}

/** @internal */
export function checkInt(name: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new RangeError(`${name}: expected a whole number, got ${String(n)}`);
  }
  return n;
}

/**
 * WaitGroup waits for a collection of goroutines to finish (Go's `sync.WaitGroup`). A new WaitGroup
 * has a counter of 0.
 *
 * Call `add(n)` before starting the goroutines (not inside them), `done()` as each finishes, and
 * `wait()` to block until the counter is back to 0 — or use `go(fn)`, which does all of that.
 * Happens-before, in Go's words: a call to `done` synchronizes before the return of any `wait` call
 * that it unblocks.
 *
 * In a synctest bubble, `wait` is durably blocking when every `add` of the current round was made by a
 * goroutine of the same bubble (wait reason "sync.WaitGroup.Wait").
 *
 * @example
 * ```ts
 * import { WaitGroup } from "goroutine/sync";
 * const wg = new WaitGroup();
 * const results: number[] = [];
 * for (const n of [1, 2, 3]) {
 *   wg.go(async () => { results.push(n * n); });
 * }
 * await wg.wait();
 * console.log(results.sort()); // [1, 4, 9]
 * ```
 */
export class WaitGroup {
  private count = 0;
  private waiters: WGWaiter[] = [];
  private addBubble: BubbleHooks | undefined | typeof UNSET | typeof MIXED = UNSET;

  /**
   * add adds `delta` (which may be negative) to the counter. When it reaches 0 every goroutine blocked
   * in `wait` is released.
   * @throws Error "sync: negative WaitGroup counter" if the counter would go below 0 (it is left
   *   unchanged); RangeError if `delta` is not a whole number.
   */
  add(delta: number): void {
    checkInt("WaitGroup.add", delta);
    const c = this.count + delta;
    if (c < 0) throw new Error("sync: negative WaitGroup counter");
    if (delta > 0) {
      const b = currentG().bubble;
      if (this.addBubble === UNSET) this.addBubble = b;
      else if (this.addBubble !== b) this.addBubble = MIXED;
    }
    this.count = c;
    if (c === 0) this.release();
  }

  /**
   * done decrements the counter by one.
   * @throws Error "sync: negative WaitGroup counter" if it is already 0.
   */
  done(): void {
    if (this.count === 0) throw new Error("sync: negative WaitGroup counter");
    if (--this.count === 0) this.release();
  }

  /**
   * wait blocks until the counter is 0. It resolves at once (without parking) if it already is.
   * Never rejects. **Cancellation**: not cancellable; race it against a context in `select` by having a
   * goroutine close a channel after `wait` returns.
   */
  wait(): Promise<void> {
    if (this.count === 0) return done();
    const g = currentG();
    const durable =
      this.addBubble !== UNSET && this.addBubble !== MIXED && this.addBubble !== undefined && this.addBubble === g.bubble;
    return new Promise<void>((resolve) => {
      this.waiters.push({ g, resolve, durable });
      park(g, "sync.WaitGroup.Wait", durable);
    });
  }

  /**
   * go calls `fn` in a new goroutine and adds that task to the WaitGroup (Go 1.25's `WaitGroup.Go`):
   * `add(1)` now, `done()` when `fn` returns or its promise settles. If `fn` throws or rejects, the
   * counter is still decremented and the error then propagates as an uncaught goroutine error (a panic).
   */
  go(fn: () => unknown): void {
    this.add(1);
    go(runTask, this, fn);
  }

  private release(): void {
    this.addBubble = UNSET;
    const ws = this.waiters;
    if (ws.length === 0) return;
    this.waiters = [];
    for (let i = 0; i < ws.length; i++) ready(ws[i].g, ws[i].durable);
    for (let i = 0; i < ws.length; i++) wakeNow(ws[i].resolve);
  }
}

function runTask(wg: WaitGroup, fn: () => unknown): unknown {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    wg.done();
    throw e;
  }
  if (r !== null && typeof r === "object" && typeof (r as PromiseLike<unknown>).then === "function") {
    return Promise.resolve(r).then(
      () => wg.done(),
      (e: unknown) => {
        wg.done();
        throw e;
      },
    );
  }
  wg.done();
  return undefined;
}
