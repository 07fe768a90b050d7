/**
 * select (Go's runtime/select.go), in three passes:
 * pass 1 — poll the cases in a uniformly random order and commit the first that can proceed;
 * (default) — if none can and there is an `otherwise`, run it and return synchronously;
 * pass 2 — enqueue one sudog per non-nil case on its channel and park;
 * pass 3 — the party that completes one sudog marks the select done and removes all its other sudogs
 *          from their queues (see `fire` in internal/chan.ts), so exactly one case commits.
 *
 * Invariants:
 * - A case commits only through `pollRecv`/`pollSend` (pass 1) or `fire` (pass 3); both move the value
 *   and mark the select done in one synchronous step, so a losing send case never delivers its value and a
 *   losing receive case never consumes one.
 * - Cases on nil channels are skipped in every pass and never chosen.
 * - The handler of the chosen case runs in the selecting goroutine (after its await), never in the waker.
 * - A select with a case on a cross-thread channel (one with `remote` set: threads.Chan) is run whole by
 *   that channel's engine (`remote.select`), which locks the cross-thread channels as Go's selectgo does
 *   and parks on a shared claim cell that in-thread wakers win in `WaitQ.shift`.
 */
import {
  Chan,
  ChanClosedError,
  closedSendCase,
  commitCase,
  type RemoteChan,
  type SelectCaseData,
  parkForever,
  polledOk,
  polledValue,
} from "./internal/chan.js";
import { currentG, park } from "./internal/scheduler.js";
import { M_SELECT, type SelectState, Sudog, newSelectState } from "./internal/waitq.js";

declare const resultType: unique symbol;

/**
 * SelectCase is one communication of a {@link select}: built by {@link recv} or {@link send}. `R` is what
 * its handler returns.
 */
export interface SelectCase<R> {
  /** Phantom: the handler's result type. */
  readonly [resultType]?: R;
}

const RECV = 0;
const SEND = 1;

/** The runtime shape behind SelectCase. */
class Case implements SelectCaseData {
  constructor(
    readonly dir: number,
    readonly ch: Chan<unknown>,
    readonly value: unknown,
    readonly then: ((value: unknown, ok: boolean) => unknown) | undefined,
  ) {}
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

const order: number[] = [];

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
  const n = cases.length;
  const cs = cases as unknown as Case[];
  const g = currentG();
  let allBubble = n > 0;
  let remote: RemoteChan | null = null;
  for (let i = 0; i < n; i++) {
    const c = cs[i];
    if (!(c instanceof Case)) throw new TypeError(`select: case ${i} is not a recv(...) or send(...) case`);
    const b = c.ch.bubble;
    if (b !== undefined) c.ch.checkBubble(g, "select on");
    else if (!c.ch.isNil) allBubble = false;
    if (c.ch.remote !== null) remote = c.ch.remote;
  }
  if (remote !== null) return remote.select(cs, otherwise);

  // pass 1 — look for a case that can proceed, in random order (Fisher–Yates, inside out, as Go does).
  order.length = n;
  for (let i = 0; i < n; i++) {
    const j = Math.floor(Math.random() * (i + 1));
    order[i] = order[j]!;
    order[j] = i;
  }
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const c = cs[i];
    const ch = c.ch;
    if (ch.isNil) continue;
    if (c.dir === RECV) {
      if (ch.pollRecv()) return commitCase(c, polledValue, polledOk, otherwise !== undefined);
    } else {
      if (ch.closed) return closedSendCase(otherwise !== undefined);
      if (ch.pollSend(c.value)) return commitCase(c, undefined, true, otherwise !== undefined);
    }
  }

  if (otherwise !== undefined) return otherwise();
  if (n === 0) return parkForever("select (no cases)");
  return selectSlow(cs, allBubble);
}


// pass 2 — park on every case; pass 3 happens in the waker (fire).
async function selectSlow(cs: Case[], durable: boolean): Promise<unknown> {
  const g = currentG();
  const st: SelectState = newSelectState(durable, -1, null);
  const woken = new Promise<void>((r) => (st.resolve = r));
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (c.ch.isNil) continue;
    const sg = new Sudog(g, M_SELECT, st, i);
    sg.durable = durable;
    st.sudogs.push(sg);
    if (c.dir === RECV) c.ch.recvq.push(sg);
    else {
      sg.elem = c.value;
      c.ch.sendq.push(sg);
    }
  }
  park(g, "select", durable);
  await woken;
  if (st.closedSend) throw new ChanClosedError("send on closed channel");
  const c = cs[st.index];
  return c.then === undefined ? undefined : c.then(st.value, st.ok);
}

