/**
 * sync.WaitGroup: waits for a collection of goroutines to finish.
 *
 * Invariants:
 * - `count >= 0` always: an `add` that would make it negative throws before changing anything.
 * - Waiters exist only while `count > 0`: the first in `g0`/`resolve0`/`durable0` (`g0 === null`: none),
 *   any others in `more`. When `count` reaches 0 every waiter is made ready and all of them are cleared
 *   in the same synchronous step, so a later `add` starts a fresh round and can never strand or
 *   double-wake a waiter (Go panics on "WaitGroup is reused before previous Wait has returned"; here
 *   that race cannot happen). Why fields for the first: a round almost always has one waiter, and a
 *   waiter object plus an array per round was a fifth of a one-task round.
 * - `addBubble` is the synctest bubble every `add` of the current round came from: UNSET before the
 *   first, MIXED once adds came from two places (a bubble and outside, or two bubbles). A `wait` is
 *   durable only when all adds came from the waiter's own bubble. It resets when `count` returns to 0.
 *   An add made while no bubble is live counts as made outside every bubble (see livebubbles.ts).
 */
import { go } from "../go.js";
import { liveBubbles } from "../internal/livebubbles.js";
import { type BubbleHooks, type G, currentG, done, park, ready, wakeNow } from "../internal/scheduler.js";
import { checkSize } from "../internal/size.js";

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
  return checkSize(n, name, "delta", { min: -Infinity }); // any integer; see src/internal/size.ts
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
  /** The first waiter of the round (null: none), kept in fields. */
  private g0: G | null = null;
  private resolve0: (() => void) | null = null;
  private durable0 = false;
  /** Waiters after the first, in arrival order; null while there are none. */
  private more: WGWaiter[] | null = null;
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
      // No live bubble: the caller is outside every bubble (skips a native call; see livebubbles.ts).
      const b = liveBubbles === 0 ? undefined : currentG().bubble;
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
    const b = this.addBubble;
    const durable = b !== UNSET && b !== MIXED && b !== undefined && b === g.bubble;
    let p: Promise<void>;
    if (this.g0 === null) {
      // The usual case, one waiter: it lives in the fields (no waiter object, no array).
      this.g0 = g;
      this.durable0 = durable;
      p = new Promise<void>((resolve) => {
        this.resolve0 = resolve;
      });
    } else {
      p = new Promise<void>((resolve) => {
        (this.more ??= []).push({ g, resolve, durable });
      });
    }
    park(g, "sync.WaitGroup.Wait", durable, this);
    return p;
  }

  /**
   * go calls `fn` in a new goroutine and adds that task to the WaitGroup (Go 1.25's `WaitGroup.Go`):
   * `add(1)` now, `done()` when `fn` returns or its promise settles. If `fn` throws or rejects, the
   * counter is still decremented and the error then propagates as an uncaught goroutine error (a panic).
   */
  go(fn: () => unknown): void {
    // Checked before add(1): a bad fn must fail at the call, not panic later inside the new goroutine.
    if (typeof fn !== "function") throw new TypeError(`sync.WaitGroup.Go: fn must be a function, got ${typeof fn}`);
    this.add(1);
    go(runTask, this, fn);
  }

  private release(): void {
    this.addBubble = UNSET;
    const g = this.g0;
    if (g === null) return;
    const resolve = this.resolve0!;
    const ws = this.more;
    this.g0 = null;
    this.resolve0 = null;
    this.more = null;
    ready(g, this.durable0);
    if (ws !== null) for (let i = 0; i < ws.length; i++) ready(ws[i].g, ws[i].durable);
    wakeNow(resolve);
    if (ws !== null) for (let i = 0; i < ws.length; i++) wakeNow(ws[i].resolve);
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
