/**
 * Stream (sourcegraph/conc's `stream.Stream`): tasks run concurrently in a pool, and the callbacks they
 * return run one at a time, in the order the tasks were submitted.
 *
 * Invariants:
 * - `queue` carries one slot (a channel of capacity 1) per submitted task, in submission order; it is
 *   buffered to `max + 1` (conc's size), so `go` blocks once that many callbacks are waiting to run.
 * - Every slot receives exactly one value: the task's callback, or `undefined` if the task threw, so
 *   the callbacker never waits forever on a failed task.
 * - The callbacker is the only goroutine that runs callbacks; it keeps going after a callback throws
 *   (a failing callback does not block producers) and `wait` rejects with the first such error.
 */
import { go } from "../go.js";
import { Chan } from "../internal/chan.js";
import { Engine } from "../internal/pool.js";

/** What a stream task returns: a function run after every earlier task's callback (or nothing). */
export type Callback = (() => unknown) | undefined | void;

class Round {
  readonly queue: Chan<Chan<Callback>>;
  readonly finished = new Chan<void>();
  failed = false;
  err: unknown = undefined;
  constructor(cap: number) {
    this.queue = new Chan<Chan<Callback>>(cap);
  }
}

/**
 * Stream runs tasks concurrently and their callbacks serially, in submission order: a bounded
 * concurrent map whose side effects stay ordered. A new Stream is valid and unlimited.
 *
 * @example
 * ```ts
 * import { Stream } from "goroutine/pool";
 * import * as time from "goroutine/time";
 * const s = new Stream().withMaxGoroutines(3);
 * const seen: number[] = [];
 * for (const n of [30, 10, 20]) {
 *   await s.go(async () => {
 *     await time.sleep(n); // finishes in the order 10, 20, 30
 *     return () => { seen.push(n); };
 *   });
 * }
 * await s.wait();
 * console.log(seen); // [30, 10, 20]
 * ```
 */
export class Stream {
  private readonly e = new Engine();
  private round: Round | undefined = undefined;

  /**
   * go submits a task. It blocks while the pool is full or `max + 1` callbacks are waiting to run.
   * The task's callback (if it returns one) runs after the callbacks of every earlier task; an async
   * callback is awaited before the next one starts. A task or callback that throws makes `wait` reject.
   *
   * **Cancellation**: a submission cannot be withdrawn.
   */
  go(task: () => Callback | PromiseLike<Callback>): Promise<void> {
    if (typeof task !== "function") throw new TypeError(`stream: go expects a function, got ${typeof task}`);
    let r = this.round;
    if (r === undefined) {
      r = this.round = new Round((Number.isFinite(this.e.max) ? this.e.max : 0) + 1);
      go(callbacker, r);
    }
    const slot = new Chan<Callback>(1);
    if (r.queue.trySend(slot)) return this.submit(slot, task);
    return r.queue.send(slot).then(() => this.submit(slot, task));
  }

  private submit(slot: Chan<Callback>, task: () => Callback | PromiseLike<Callback>): Promise<void> {
    return this.e.go(async () => {
      let cb: Callback;
      try {
        cb = await task();
      } catch (e) {
        slot.trySend(undefined);
        throw e;
      }
      slot.trySend(cb);
    });
  }

  /**
   * wait blocks until every task and every callback has run, then resolves, or rejects with the first
   * error a task threw (else the first a callback threw). The stream can be used again afterwards.
   * **Cancellation**: not cancellable.
   */
  async wait(): Promise<void> {
    const errs = await this.e.drain();
    const r = this.round;
    if (r !== undefined) {
      this.round = undefined;
      r.queue.close();
      await r.finished.recv();
    }
    if (errs.length > 0) throw errs[0];
    if (r?.failed === true) throw r.err;
  }

  /** See {@link Pool.withMaxGoroutines}. */
  withMaxGoroutines(n: number): this {
    this.e.setMax(n);
    return this;
  }
}

async function callbacker(r: Round): Promise<void> {
  for await (const slot of r.queue) {
    const cb = await slot.recv();
    if (typeof cb !== "function") continue;
    try {
      await cb();
    } catch (e) {
      if (!r.failed) {
        r.failed = true;
        r.err = e;
      }
    }
  }
  r.finished.close();
}
