/**
 * A wait on the clock that a context can cut short: the one blocking step of rate's `wait`, backoff's
 * `retry` and the breaker's lock retries.
 *
 * Invariants:
 * - Exactly one of the two endings takes effect: the timer firing (resolve) or the context being done
 *   (`onCancel`, then reject). Whichever comes first clears the other, so no timer and no context
 *   listener outlives the wait.
 * - The goroutine is parked with `reason` from the call until that ending, durably inside a bubble
 *   (only the bubble's clock or its context can end it), and marked ready before the promise settles.
 * - An infinite `at` sets no timer: only the context can end the wait (never, for background()).
 * - The clock is the caller's (the bubble's fake clock inside synctest).
 */
import { type Context, afterFunc, background, todo } from "../context/index.js";
import { type TimerHandle, clockOf } from "./clock.js";
import { currentG, park, ready, wake } from "./scheduler.js";

const BACKGROUND = background();
const TODO = todo();

/** A context that can never be done: no watcher is needed. */
export function neverDone(ctx: Context): boolean {
  return ctx === BACKGROUND || ctx === TODO;
}

/**
 * Waits until the caller's clock reaches `at` (epoch ms) or `ctx` is done. Resolves on time; when the
 * context ends first, calls `onCancel` (synchronously, at that moment) and rejects with `error()`.
 */
export function waitUntil(
  ctx: Context,
  at: number,
  reason: string,
  error: () => unknown,
  onCancel?: () => void,
): Promise<void> {
  const g = currentG();
  const clock = clockOf(g);
  return new Promise<void>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    let stop: (() => boolean) | undefined;
    let over = false;
    park(g, reason, true);
    if (at !== Infinity) {
      timer = clock.setTimer(at, () => {
        if (over) return;
        over = true;
        stop?.();
        ready(g, true);
        wake(resolve);
      });
    }
    if (!neverDone(ctx)) {
      stop = afterFunc(ctx, () => {
        if (over) return;
        over = true;
        timer?.clear();
        onCancel?.();
        ready(g, true);
        const e = error();
        wake(() => reject(e));
      });
    }
  });
}
