/**
 * `select`, `recv` and `send`: the public face of Go's select statement. This file checks arguments and
 * documents the contract; the engine (Go's selectgo: random poll order, pass 1 poll, default, pass 2
 * enqueue and park, pass 3 dequeue) is src/internal/select.ts, beside the channel engine
 * (src/internal/chan.ts), and a select with a cross-thread case runs in src/internal/threads/select.ts.
 */
import { Chan } from "./internal/chan.js";
import { Case, RECV, SEND, selectgo } from "./internal/select.js";

declare const resultType: unique symbol;

/**
 * SelectCase is one communication of a {@link select}: built by {@link recv} or {@link send}. `R` is what
 * its handler returns.
 */
export interface SelectCase<R> {
  /** Phantom: the handler's result type. */
  readonly [resultType]?: R;
}

function checkChan(ch: unknown, fn: string): void {
  if (!(ch instanceof Chan)) throw new TypeError(`${fn}: expected a Chan, got ${ch === null ? "null" : typeof ch}`);
}

function checkThen(then: unknown, fn: string): void {
  if (then !== undefined && typeof then !== "function") {
    throw new TypeError(`${fn}: handler must be a function or omitted`);
  }
}

/**
 * recv makes a receive case for {@link select}: when chosen, `then(value, ok)` runs with the value received
 * (`ok` false and `value` undefined if the channel is closed and drained), and its result is the select's.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "goroutine";
 * const ch = new Chan<string>(1);
 * ch.trySend("hi");
 * console.log(await select([recv(ch, (v, ok) => `${v} ${ok}`)])); // "hi true"
 * ```
 */
export function recv<T>(ch: Chan<T>): SelectCase<undefined>;
export function recv<T, R>(ch: Chan<T>, then: (value: T | undefined, ok: boolean) => R): SelectCase<R>;
export function recv<T, R>(ch: Chan<T>, then?: (value: T | undefined, ok: boolean) => R): SelectCase<R> {
  checkChan(ch, "recv");
  checkThen(then, "recv");
  return new Case(RECV, ch, undefined, then as Case["then"]) as SelectCase<R>;
}

/**
 * send makes a send case for {@link select}: when chosen, `value` has been sent and `then()` runs. If the
 * channel is closed when this case is chosen, the select throws {@link ChanClosedError}.
 *
 * @example
 * ```ts
 * import { Chan, select, send } from "goroutine";
 * const ch = new Chan<number>(1);
 * console.log(select([send(ch, 7, () => "sent")], () => "full")); // "sent"
 * console.log(select([send(ch, 8, () => "sent")], () => "full")); // "full"
 * ```
 */
export function send<T>(ch: Chan<T>, value: T): SelectCase<undefined>;
export function send<T, R>(ch: Chan<T>, value: T, then: () => R): SelectCase<R>;
export function send<T, R>(ch: Chan<T>, value: T, then?: () => R): SelectCase<R> {
  checkChan(ch, "send");
  checkThen(then, "send");
  return new Case(SEND, ch, value, then) as SelectCase<R>;
}

/** The select's result: what the handlers return, promises unwrapped. */
type Result<R> = Awaited<R>;
/** The union of the results of a list of cases. */
export type CasesResult<C extends readonly SelectCase<unknown>[]> =
  C[number] extends infer K ? (K extends SelectCase<infer R> ? R : never) : never;

/**
 * select waits until one of `cases` can proceed and commits exactly that one, like Go's `select`.
 *
 * - If several cases can proceed, one is chosen uniformly at random.
 * - With `otherwise` (Go's `default`), select never blocks: if no case is ready it runs `otherwise` and
 *   returns its result synchronously; a ready case's handler result is also returned synchronously.
 * - Without it, select returns a promise of the chosen handler's result (awaited if it is a promise).
 * - Cases on nil channels are never chosen; `select([])` blocks forever.
 *
 * **Errors:** a chosen send case on a closed channel throws (or rejects with) {@link ChanClosedError}.
 * A handler's exception propagates to the caller.
 *
 * **Cancellation:** add `recv(ctx.done())` as a case; a losing case never sends or consumes a value.
 *
 * @example
 * ```ts
 * import { Chan, select, recv } from "goroutine";
 * import * as time from "goroutine/time";
 * const results = new Chan<string>();
 * const out = await select([
 *   recv(results, (v) => `got ${v}`),
 *   recv(time.after(10 * time.Millisecond), () => "timeout"),
 * ]);
 * console.log(out); // "timeout"
 * ```
 */
export function select<const C extends readonly SelectCase<unknown>[]>(cases: C): Promise<Result<CasesResult<C>>>;
export function select<const C extends readonly SelectCase<unknown>[], D>(
  cases: C,
  otherwise: () => D,
): CasesResult<C> | D;
export function select<R>(cases: readonly SelectCase<R>[]): Promise<Result<R>>;
export function select<R, D>(cases: readonly SelectCase<R>[], otherwise: () => D): R | D;
export function select(cases: readonly SelectCase<unknown>[], otherwise?: () => unknown): unknown {
  if (!Array.isArray(cases)) throw new TypeError("select: cases must be an array of recv(...) / send(...) cases");
  if (otherwise !== undefined && typeof otherwise !== "function") {
    throw new TypeError("select: otherwise must be a function");
  }
  return selectgo(cases, otherwise);
}
