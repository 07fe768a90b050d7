/**
 * `goroutine/pipeline`: Go's pipeline idioms as ready stages — generator, map with fan-out, filter,
 * fan-in, tee, batch, take and orDone.
 *
 * Every stage is goroutines connected by channels. It takes a Context, returns its output channel (it
 * owns it: nobody else sends on or closes it), and closes it when its input is closed and drained or
 * the context is done. Every send and receive of a stage also watches `ctx.done()`, so cancelling the
 * context ends every stage built on it: no goroutine is left blocked on a send after the consumer quit.
 *
 * Values are never dropped while the context is live: each value received is sent on (or, for `filter`,
 * deliberately left out; for `take`, not received at all). Once the context is done, values in flight
 * are abandoned and `ctx.err()` says so.
 *
 * **Errors**: a stage function (`map`'s `fn`, `filter`'s `pred`, `generate`'s iterator) that throws
 * cancels the pipeline. When the context comes from `errgroup.withContext`, the stage goroutines run in
 * that group: the error is the group's (`wait` rejects with it) and the group cancels the context.
 * Otherwise the stage cancels its context (any context made by `withCancel`, `withTimeout`… — or a value
 * context over one) with the error as its cause: `context.cause(ctx)` returns it. With a context that
 * cannot be cancelled (`background()`), the error is a panic of the stage's goroutine, as in Go.
 */
import { Chan } from "../internal/chan.js";
import { recv, select } from "../select.js";
import { type Context } from "../context/index.js";
import { Timer } from "../time/timer.js";
import { checkSize } from "../internal/size.js";
import { type Inlet, STOP, Watch, checkStage, isThenable, spawnStage } from "../internal/stage.js";

/** Options of {@link map}. */
export interface MapOptions {
  /** How many goroutines run `fn` at once (fan-out); default 1. */
  workers?: number;
  /** Emit results in input order (default false: in completion order). */
  ordered?: boolean;
}

/**
 * Capacity of a stage's output channel. Buffered, so that a stage and its consumer work in runs of
 * values instead of switching goroutines on every value (Go's runnext, see the README's "Who runs
 * next"); small, so that back-pressure still reaches the source quickly. Rejected: unbuffered outputs
 * (the textbook form) cost a goroutine switch per value per stage, about 3× slower end to end.
 */
const BUF = 16;

function checkFn(name: string, fn: unknown): void {
  if (typeof fn !== "function") throw new TypeError(`pipeline: ${name} expects a function, got ${typeof fn}`);
}

function checkCount(name: string, what: string, n: unknown, min: number): number {
  return checkSize(n, `pipeline.${name}`, what, { min }); // see src/internal/size.ts
}

/**
 * generate sends the values of `src` (an iterable or async iterable) on the returned channel, then
 * closes it. If the context is done first it stops (and returns the iterator, running its `finally`).
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const out: number[] = [];
 * for await (const v of pipeline.generate(context.background(), [1, 2, 3])) out.push(v);
 * console.log(out); // [1, 2, 3]
 * ```
 */
export function generate<T>(ctx: Context, src: Iterable<T> | AsyncIterable<T>): Chan<T> {
  checkStage("generate", ctx);
  if (src === null || typeof src !== "object" || !(Symbol.iterator in src || Symbol.asyncIterator in src)) {
    throw new TypeError("pipeline: generate expects an iterable or async iterable");
  }
  const out = new Chan<T>(BUF);
  const w = new Watch(ctx);
  spawnStage(ctx, async () => {
    try {
      if (Symbol.iterator in src) {
        for (const v of src) {
          const s = w.send(out, v);
          if (!(s === true || (s !== false && (await s)))) return;
        }
      } else {
        for await (const v of src) if (!(await w.send(out, v))) return;
      }
    } finally {
      out.close();
    }
  });
  return out;
}

/**
 * map sends `fn(v)` for every value `v` of `input`. With `workers: n`, n goroutines run `fn` at once
 * (fan-out); results come in completion order, or in input order with `ordered: true` (then at most
 * n values are in flight). `fn` may
 * be async. The output is closed once the input is drained and every result sent, or ctx is done.
 * Unordered, the workers are `n` goroutines reading the input (Go's fan-out). Ordered, the stage's
 * goroutine keeps a window of up to `n` calls in flight (see orderedMap), so a slow value holds back at
 * most `n - 1` finished ones behind it.
 *
 * **Cancellation**: when ctx is done every goroutine of the stage returns; results not yet sent are
 * abandoned. A throwing `fn` cancels the pipeline (see the module's Errors).
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const ctx = context.background();
 * const squares = pipeline.map(ctx, pipeline.generate(ctx, [1, 2, 3, 4]), async (n) => n * n, { workers: 3, ordered: true });
 * const got: number[] = [];
 * for await (const v of squares) got.push(v);
 * console.log(got); // [1, 4, 9, 16]
 * ```
 */
export function map<T, R>(ctx: Context, input: Chan<T>, fn: (value: T) => R | PromiseLike<R>, opts?: MapOptions): Chan<R> {
  checkStage("map", ctx, input);
  checkFn("map", fn);
  const workers = checkCount("map", "workers", opts?.workers ?? 1, 1);
  const out = new Chan<R>(BUF);
  if (opts?.ordered === true && workers > 1) orderedMap(ctx, input, fn, workers, out);
  else unorderedMap(ctx, input, fn, workers, out, false);
  return out;
}

/**
 * The loop of most stages: receive from `inp`, apply `step` (if any; with `filter`, keep the value when
 * the step is truthy), send on `out`; at most `limit` values. Returns once the input is drained or the
 * context is done.
 */
async function pump<T, R>(
  w: Watch,
  inp: Inlet<T>,
  out: Chan<R>,
  step: ((v: T) => unknown) | undefined,
  filter: boolean,
  limit = Infinity,
): Promise<void> {
  for (let i = 0; i < limit; i++) {
    let v = inp.recv();
    if (isThenable(v)) v = await v;
    if (v === STOP) return;
    let r: unknown = v;
    if (step !== undefined) {
      r = step(v);
      if (isThenable(r)) r = await r;
      if (filter) {
        if (!r) continue;
        r = v;
      }
    }
    const s = w.send(out, r as R);
    if (!(s === true || (s !== false && (await s)))) return;
  }
}

/** n workers read `input` and send on `out`; the last one to return closes it. */
function unorderedMap<T, R>(ctx: Context, input: Chan<T>, fn: (value: T) => unknown, workers: number, out: Chan<R>, isFilter: boolean): void {
  let open = workers;
  const w = new Watch(ctx);
  const inp = w.inlet(input);
  const body = async (): Promise<void> => {
    try {
      await pump(w, inp, out, fn, isFilter);
    } finally {
      if (--open === 0) out.close();
    }
  };
  for (let i = 0; i < workers; i++) spawnStage(ctx, body);
}

/** One call of an ordered map's window. */
class Call<R> {
  done = false;
  value: R | undefined = undefined;
}

const READY: unique symbol = Symbol("pipeline.ready");

/**
 * Ordered fan-out as a window: the stage's goroutine keeps up to `workers` calls of `fn` in flight, in
 * input order (a circular array of `workers` slots), starts a new one whenever a slot is free and the
 * input has a value, and sends the finished calls at the head of the window. It waits, in one select,
 * for the input, for a call to finish (`ready`, a level-triggered signal of capacity 1 that every
 * finishing call tries to fill) and for ctx.done(). The output is in input order with no sequence
 * numbers and no per-value channel, and a slow call holds back at most `workers - 1` calls behind it.
 *
 * Rejected, measured on the bench: Go's textbook ordered fan-out — `workers` goroutines fed by a
 * dealer, their results collected in order (per-worker lanes: 0.53–0.85 µs per value; a channel per
 * value, the "channel of futures": 1.3–1.4 µs) — where every value crosses two more channels and a
 * producer parks on a full buffer for almost every value. The window runs the calls on the stage's own
 * goroutine (they are async functions interleaved at their awaits, as goroutines are), at 0.2 µs.
 */
function orderedMap<T, R>(ctx: Context, input: Chan<T>, fn: (value: T) => R | PromiseLike<R>, workers: number, out: Chan<R>): void {
  const w = new Watch(ctx);
  const inp = w.inlet(input);
  spawnStage(ctx, async () => {
    const win = new Array<Call<R> | undefined>(workers);
    let head = 0;
    let n = 0;
    let open = true;
    let failed = false;
    let err: unknown = undefined;
    const ready = new Chan<void>(1);
    const cases = [
      recv(input, (v, ok): T | typeof STOP => (ok ? (v as T) : STOP)),
      recv(ready, (): typeof READY => READY),
      w.doneStop,
    ];
    const readyOrDone = [cases[1], w.doneStop];
    const start = (v: T): void => {
      const c = new Call<R>();
      win[(head + n++) % workers] = c;
      const r = fn(v); // a synchronous throw ends the stage (and cancels the pipeline) at once
      if (!isThenable(r)) {
        c.value = r;
        c.done = true;
        return;
      }
      r.then(
        (x) => {
          c.value = x;
          c.done = true;
          ready.trySend();
        },
        (e: unknown) => {
          if (!failed) {
            failed = true;
            err = e;
          }
          ready.trySend();
        },
      );
    };
    try {
      for (;;) {
        // 1 — send the finished calls at the head of the window, in order (those before a failed call
        // too: they are results, not casualties)
        while (n > 0 && win[head]!.done) {
          const c = win[head]!;
          win[head] = undefined;
          head = (head + 1) % workers;
          n--;
          const s = w.send(out, c.value as R);
          if (!(s === true || (s !== false && (await s)))) return;
        }
        if (failed) throw err;
        if (ctx.err() !== undefined) return;
        if (!open && n === 0) return;
        // 2 — start a call if a slot is free and a value is there without waiting
        if (open && n < workers) {
          if (n === 0) {
            let v = inp.recv(); // nothing in flight: just wait for the input
            if (isThenable(v)) v = await v;
            if (v === STOP) open = false;
            else start(v);
            continue;
          }
          const r = input.tryRecv();
          if (r !== undefined) {
            if (r[1]) start(r[0] as T);
            else open = false;
            continue;
          }
          // 3 — wait for the input, a finished call, or ctx
          const got = await select(cases);
          if (got === STOP) open = ctx.err() !== undefined ? open : false;
          else if (got !== READY) start(got);
          continue;
        }
        // 3' — the window is full, or the input is drained: wait for a call to finish, or ctx
        await select(readyOrDone);
      }
    } finally {
      out.close();
    }
  });
}

/**
 * filter sends on the values of `input` for which `pred` (possibly async) is truthy, in order.
 * **Cancellation** and errors as {@link map}.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const ctx = context.background();
 * const even = pipeline.filter(ctx, pipeline.generate(ctx, [1, 2, 3, 4]), (n) => n % 2 === 0);
 * const got: number[] = [];
 * for await (const v of even) got.push(v);
 * console.log(got); // [2, 4]
 * ```
 */
export function filter<T>(ctx: Context, input: Chan<T>, pred: (value: T) => unknown): Chan<T> {
  checkStage("filter", ctx, input);
  checkFn("filter", pred);
  const out = new Chan<T>();
  unorderedMap(ctx, input, pred, 1, out, true);
  return out;
}

/**
 * merge (fan-in) forwards every value of every input to one output, closed once all inputs are closed
 * and drained (or ctx is done). Each input's values keep their order; across inputs, they interleave.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const ctx = context.background();
 * const all = pipeline.merge(ctx, pipeline.generate(ctx, [1, 2]), pipeline.generate(ctx, [3]));
 * let sum = 0;
 * for await (const v of all) sum += v;
 * console.log(sum); // 6
 * ```
 */
export function merge<T>(ctx: Context, ...inputs: Chan<T>[]): Chan<T> {
  checkStage("merge", ctx);
  for (const i of inputs) checkStage("merge", ctx, i);
  const out = new Chan<T>();
  if (inputs.length === 0) {
    out.close();
    return out;
  }
  let open = inputs.length;
  const w = new Watch(ctx);
  for (const input of inputs) {
    const inp = w.inlet(input);
    spawnStage(ctx, async () => {
      try {
        await pump(w, inp, out, undefined, false);
      } finally {
        if (--open === 0) out.close();
      }
    });
  }
  return out;
}

/**
 * tee sends every value of `input` on each of `n` outputs (default 2), in order. A value goes to the
 * next output only once the previous one took it, so the slowest consumer sets the pace (Go's tee).
 *
 * @example
 * ```ts
 * import { go } from "goroutine";
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const ctx = context.background();
 * const [a, b] = pipeline.tee(ctx, pipeline.generate(ctx, [1, 2]));
 * const left: number[] = [];
 * go(async () => { for await (const v of a) left.push(v); });
 * const right: number[] = [];
 * for await (const v of b) right.push(v);
 * console.log(right); // [1, 2]
 * ```
 */
export function tee<T>(ctx: Context, input: Chan<T>, n = 2): Chan<T>[] {
  checkStage("tee", ctx, input);
  checkCount("tee", "n", n, 1);
  const outs: Chan<T>[] = [];
  for (let i = 0; i < n; i++) outs.push(new Chan<T>());
  const w = new Watch(ctx);
  const inp = w.inlet(input);
  spawnStage(ctx, async () => {
    try {
      for (;;) {
        let v = inp.recv();
        if (isThenable(v)) v = await v;
        if (v === STOP) return;
        for (const o of outs) if (!(await w.send(o, v))) return;
      }
    } finally {
      for (const o of outs) o.close();
    }
  });
  return outs;
}

const FLUSH: unique symbol = Symbol("pipeline.flush");

/**
 * batch groups the values of `input` into arrays of `size`, sending a shorter one when `maxWait`
 * milliseconds have passed since the first value of the batch arrived (`Infinity`: never), and the
 * last, partial batch when the input is closed — no value is dropped while ctx is live. The timer is
 * the library's (virtual inside `synctest.test`).
 *
 * **Cancellation**: once ctx is done the partial batch is abandoned and the output closed.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const ctx = context.background();
 * const got: number[][] = [];
 * for await (const b of pipeline.batch(ctx, pipeline.generate(ctx, [1, 2, 3, 4, 5]), 2, 100)) got.push(b);
 * console.log(got); // [[1, 2], [3, 4], [5]]
 * ```
 */
export function batch<T>(ctx: Context, input: Chan<T>, size: number, maxWait: number): Chan<T[]> {
  checkStage("batch", ctx, input);
  checkCount("batch", "size", size, 1);
  if (typeof maxWait !== "number" || Number.isNaN(maxWait) || maxWait < 0) {
    throw new RangeError(`pipeline: batch maxWait must be a duration ≥ 0, got ${String(maxWait)}`);
  }
  const out = new Chan<T[]>();
  const timed = Number.isFinite(maxWait);
  const w = new Watch(ctx);
  const inp = w.inlet(input);
  spawnStage(ctx, async () => {
    let buf: T[] = [];
    let timer: Timer | undefined;
    const flush = async (): Promise<boolean> => {
      timer?.stop();
      const b = buf;
      buf = [];
      return w.send(out, b);
    };
    try {
      for (;;) {
        let v: T | typeof STOP | typeof FLUSH;
        if (buf.length === 0 || !timed) {
          const r = inp.recv();
          v = isThenable(r) ? await r : r;
        } else {
          if (ctx.err() !== undefined) return;
          const r = input.tryRecv();
          if (r !== undefined) v = r[1] ? (r[0] as T) : STOP;
          else {
            v = await select<T | typeof STOP | typeof FLUSH>([
              recv(input, (x, ok): T | typeof STOP => (ok ? (x as T) : STOP)),
              recv(timer!.c, (): typeof FLUSH => FLUSH),
              recv(ctx.done(), (): typeof STOP => STOP),
            ]);
          }
        }
        if (v === FLUSH) {
          if (!(await flush())) return;
          continue;
        }
        if (v === STOP) {
          if (ctx.err() === undefined && buf.length > 0) await flush(); // input closed: send the rest
          return;
        }
        buf.push(v);
        if (buf.length >= size) {
          if (!(await flush())) return;
        } else if (buf.length === 1 && timed) {
          if (timer === undefined) timer = new Timer(maxWait);
          else timer.reset(maxWait);
        }
      }
    } finally {
      timer?.stop();
      out.close();
    }
  });
  return out;
}

/**
 * take forwards the first `n` values of `input`, then closes its output and stops receiving. The stages
 * upstream then stay blocked on their sends until ctx is cancelled, as in Go: cancel the context when
 * you are done (`try { … } finally { cancel(); }`).
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const [ctx, cancel] = context.withCancel(context.background());
 * const got: number[] = [];
 * for await (const v of pipeline.take(ctx, pipeline.generate(ctx, [1, 2, 3, 4]), 2)) got.push(v);
 * cancel(); // releases the generator, blocked on its third send
 * console.log(got); // [1, 2]
 * ```
 */
export function take<T>(ctx: Context, input: Chan<T>, n: number): Chan<T> {
  checkStage("take", ctx, input);
  checkCount("take", "n", n, 0);
  const out = new Chan<T>();
  const w = new Watch(ctx);
  const inp = w.inlet(input);
  spawnStage(ctx, async () => {
    try {
      await pump(w, inp, out, undefined, false, n);
    } finally {
      out.close();
    }
  });
  return out;
}

/**
 * orDone is `input` as an async iterable that also ends when ctx is done (Go's or-done channel), so a
 * `for await` over a channel someone else owns cannot hang after cancellation. It starts no goroutine;
 * breaking out of the loop leaves the channel as it was (no value consumed beyond those iterated).
 *
 * @example
 * ```ts
 * import { Chan } from "goroutine";
 * import * as context from "goroutine/context";
 * import * as pipeline from "goroutine/pipeline";
 * const [ctx, cancel] = context.withCancel(context.background());
 * const never = new Chan<number>(); // nobody sends or closes
 * setTimeout(cancel, 1);
 * for await (const v of pipeline.orDone(ctx, never)) console.log(v);
 * console.log(ctx.err()?.message); // "context canceled"
 * ```
 */
export function orDone<T>(ctx: Context, input: Chan<T>): AsyncIterable<T> {
  checkStage("orDone", ctx, input);
  const inp = new Watch(ctx).inlet(input);
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      return {
        async next(): Promise<IteratorResult<T>> {
          const v = await inp.recv();
          return v === STOP ? { done: true, value: undefined } : { done: false, value: v };
        },
      };
    },
  };
}
