/**
 * The select engine (Go's runtime/select.go `selectgo`), beside the channel engine (chan.ts) whose queues
 * and polls it drives. The public `select`, `recv` and `send` (src/select.ts) check their arguments and
 * call `selectgo`.
 *
 * Phases, labelled in the code as Go labels selectgo's:
 * - setup — every case is one `recv`/`send`; a case on a cross-thread channel (`remote` set: threads.Chan)
 *   hands the whole select to that channel's engine (internal/threads/select.ts), which runs the same
 *   phases under the cross-thread channels' locks.
 * - permute — a uniformly random poll order (Fisher–Yates, inside out, as Go does).
 * - pass 1 — look for something already waiting: poll the cases in that order and commit the first that
 *   can proceed (`pollRecv`/`pollSend` on chan.ts move the value).
 * - default — none can and there is an `otherwise`: run it and return synchronously.
 * - pass 2 — enqueue on all channels: one sudog per non-nil case, all sharing one {@link SelectState},
 *   then park.
 * - wait — until a waker completes one of the sudogs (chan.ts's `fire`).
 * - pass 3 — dequeue from the unsuccessful channels. Go's selecting goroutine does this when it wakes;
 *   here the waker does it in the same synchronous step as the commit ({@link SelectState.decide}), so no
 *   other party can ever meet a stale sudog of a select that is already done.
 * - commit — the chosen case's handler runs in the selecting goroutine, never in the waker.
 *
 * Invariants:
 * - A case commits only through a poll in pass 1 or through `decide` (pass 3); both move the value and
 *   settle the select in one synchronous step, so a losing send case never delivers its value and a
 *   losing receive case never consumes one.
 * - `SelectState.done` goes false → true once, set by whoever commits a case first; after it the select's
 *   sudogs are in no queue (decide removes them), except a select that also waits on cross-thread
 *   channels, whose in-thread sudogs may linger until its goroutine runs again: `WaitQ.shift` drops
 *   those, since their shared claim cell is already taken (see waitq.ts).
 * - Cases on nil channels are skipped in every pass and never chosen; `select([])` parks forever.
 * - Poll results come back as values (chan.ts's `pollRecv` returns the value, `DRAINED` or
 *   `WOULD_BLOCK`); no result passes through module state.
 */
import { Chan, ChanClosedError, DRAINED, WOULD_BLOCK, parkForever } from "./chan.js";
import { currentG, doneWith, park } from "./scheduler.js";
import { M_SELECT, Sudog } from "./waitq.js";

/** Direction of a case. */
export const RECV = 0;
export const SEND = 1;

/** A case of a select as the engines see it. dir: {@link RECV} or {@link SEND}. */
export interface SelectCaseData {
  readonly dir: number;
  readonly ch: Chan<unknown>;
  readonly value: unknown;
  readonly then: ((value: unknown, ok: boolean) => unknown) | undefined;
}

/** The runtime shape behind the public SelectCase (made by `recv` and `send` in src/select.ts). */
export class Case implements SelectCaseData {
  constructor(
    readonly dir: number,
    readonly ch: Chan<unknown>,
    readonly value: unknown,
    readonly then: ((value: unknown, ok: boolean) => unknown) | undefined,
  ) {}
}

/**
 * The engine of channels whose state lives outside this thread (threads.Chan, in the shared heap). A
 * select with one of its channels among the cases is run whole by `select` (same contract as
 * {@link selectgo}), which may also hold in-thread cases: their sudogs carry the shared claim.
 */
export interface RemoteChan {
  select(cases: readonly SelectCaseData[], otherwise: (() => unknown) | undefined): unknown;
}

function noopResolve(): void {}

/**
 * A select that is parked: shared by the sudogs of all its cases.
 *
 * Owner: written by the party that commits one of its cases (`decide`, under the select's `done`
 * transition) and read only by the select's own goroutine after it wakes.
 */
export class SelectState {
  /** Set once, by whoever completes the select first. */
  done = false;
  /** Index of the case that fired. */
  index = -1;
  value: unknown = undefined;
  ok = false;
  /** The chosen case was a send on a channel that got closed. */
  closedSend = false;
  readonly sudogs: Sudog[] = [];
  resolve: () => void = noopResolve;

  /**
   * @param durable what the select's park said.
   * @param claim index in `cells` of the shared claim cell (0 open, else the index+1 of the case that
   *   committed), or -1 for a select on in-thread channels only, which needs no claim: it runs on one
   *   thread.
   * @param cells the shared heap's int32 view holding the claim cell; null when `claim` is -1.
   */
  constructor(
    readonly durable: boolean,
    readonly claim: number,
    readonly cells: Int32Array | null,
  ) {}

  /**
   * pass 3: records `sg`'s case as the select's outcome and takes the select's other sudogs out of their
   * queues. Called by chan.ts's `fire`, in the same synchronous step that moved the value.
   */
  decide(sg: Sudog, elem: unknown, ok: boolean, closedSend: boolean): void {
    this.done = true;
    this.index = sg.caseIndex;
    this.value = elem;
    this.ok = ok;
    this.closedSend = closedSend;
    const all = this.sudogs;
    for (let i = 0; i < all.length; i++) {
      const other = all[i];
      if (other !== sg) other.list?.remove(other);
    }
  }

  /**
   * Completes a select that also waits on cross-thread channels: `shift` has already won its claim cell
   * for `sg`. Its goroutine waits on that cell (which parks and readies it), so only the result is
   * recorded, the other in-thread sudogs are dropped and the cell's waiter is notified.
   */
  decideShared(sg: Sudog, elem: unknown, ok: boolean, closedSend: boolean): void {
    this.decide(sg, elem, ok, closedSend);
    notifyClaim(this.claim);
  }
}

let notifyClaim: (idx: number) => void = () => {};
/** @internal Installed by the threads engine: how a won claim cell's waiter is woken (its futex). */
export function setClaimNotifier(f: (idx: number) => void): void {
  notifyClaim = f;
}

/**
 * commit: runs the chosen case's handler. `sync`: a select with a default returns the handler's result
 * itself; otherwise a promise of it (a handler that throws rejects it).
 */
export function commitCase(c: SelectCaseData, v: unknown, ok: boolean, sync: boolean): unknown {
  if (sync) return c.then === undefined ? undefined : c.then(v, ok);
  if (c.then === undefined) return doneWith(undefined);
  try {
    return doneWith(c.then(v, ok));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** A chosen send case on a closed channel: throws (sync) or rejects with Go's message. */
export function closedSendCase(sync: boolean): Promise<never> {
  const err = new ChanClosedError("send on closed channel");
  if (sync) throw err;
  return Promise.reject(err);
}

const order: number[] = [];

/**
 * Go's selectgo for in-thread channels: commits exactly one of `cs` (see the phases above). With
 * `otherwise` it never blocks and returns the result itself; without, a promise of the handler's result.
 * The caller (src/select.ts) has checked that `cs` is an array and `otherwise` a function or undefined.
 */
export function selectgo(cs: readonly Case[], otherwise: (() => unknown) | undefined): unknown {
  // setup — check the cases; a cross-thread channel's engine runs the whole select.
  const n = cs.length;
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

  // permute — a uniformly random poll order (Fisher–Yates, inside out, as Go does).
  order.length = n;
  for (let i = 0; i < n; i++) {
    const j = Math.floor(Math.random() * (i + 1));
    order[i] = order[j]!;
    order[j] = i;
  }

  // pass 1 — look for something already waiting.
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const c = cs[i];
    const ch = c.ch;
    if (ch.isNil) continue;
    if (c.dir === RECV) {
      const v = ch.pollRecv();
      if (v !== WOULD_BLOCK) {
        return v === DRAINED
          ? commitCase(c, undefined, false, otherwise !== undefined)
          : commitCase(c, v, true, otherwise !== undefined);
      }
    } else {
      if (ch.closed) return closedSendCase(otherwise !== undefined);
      if (ch.pollSend(c.value)) return commitCase(c, undefined, true, otherwise !== undefined);
    }
  }

  // default — nothing is ready.
  if (otherwise !== undefined) return otherwise();
  if (n === 0) return parkForever("select (no cases)");
  return selectSlow(cs, allBubble);
}

async function selectSlow(cs: readonly Case[], durable: boolean): Promise<unknown> {
  // pass 2 — enqueue on all channels, then park.
  const g = currentG();
  const st = new SelectState(durable, -1, null);
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
  // wait — pass 3 has already happened when this resumes: the waker ran `decide`.
  await woken;
  // commit — in the selecting goroutine.
  if (st.closedSend) throw new ChanClosedError("send on closed channel");
  const c = cs[st.index];
  return c.then === undefined ? undefined : c.then(st.value, st.ok);
}
