/**
 * select with cross-thread cases (Go's selectgo over shared memory). The core select hands a select to
 * this engine when one of its cases is a threads.Chan; in-thread cases ride along.
 *
 * pass 0 — encode the values of cross-thread send cases (a value that cannot cross throws here, before
 *          anything happened), then lock every cross-thread channel of the select in offset order;
 * pass 1 — poll the cases in random order and commit the first that can proceed;
 * (default) — unlock and run `otherwise` if none can;
 * pass 2 — still locked: allocate one claim cell, put a waiter record on each cross-thread channel and a
 *          sudog (carrying the claim) on each in-thread one, unlock, and wait until the cell is non-zero;
 * pass 3 — the cell names the winning case; take every record out of its queue (under its lock), read
 *          the winner's result, free the records, values not sent, and the cell.
 *
 * Invariants:
 * - Exactly one case commits: in pass 1 under all the locks and by this goroutine alone; after pass 2
 *   only through the claim cell's 0 → caseIndex+1 CAS (by a peer under a cross-thread channel's lock, or
 *   by `WaitQ.shift` on this thread for an in-thread channel).
 * - Holding every lock from pass 1 to the end of pass 2 means no peer sees a half-enqueued select, and a
 *   select never meets its own waiters (a send and a receive case on one channel cannot pair).
 * - No user code runs while a lock is held: handlers run after unlocking.
 */
import { type Chan, ChanClosedError, DRAINED, WOULD_BLOCK } from "../chan.js";
import { currentG } from "../scheduler.js";
import {
  SelectState,
  closedSendCase,
  commitCase,
  setClaimNotifier,
  type RemoteChan,
  type SelectCaseData,
} from "../select.js";
import { M_SELECT, Sudog } from "../waitq.js";
import { type SharedObject, SHARED, decodeValue, discard, encodeValue } from "./codec.js";
import { notifyWord, waitWhile } from "./futex.js";
import { heap } from "./heap.js";
import * as eng from "./chan.js";

const SEND = 1;
const order: number[] = [];

function offOf(ch: Chan<unknown>): number {
  return (ch as unknown as SharedObject)[SHARED].off;
}

function discardAll(blocks: number[]): void {
  for (const b of blocks) if (b !== 0) discard(b);
}

function select(cs: readonly SelectCaseData[], otherwise: (() => unknown) | undefined): unknown {
  const n = cs.length;
  const h = heap();
  // pass 0 — encode, and find the channels to lock.
  const chOff = new Array<number>(n).fill(0);
  const blocks = new Array<number>(n).fill(0);
  const locks: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const c = cs[i];
      if (c.ch.remote === null) continue;
      const off = offOf(c.ch);
      chOff[i] = off;
      if (!locks.includes(off)) locks.push(off);
      if (c.dir === SEND) blocks[i] = encodeValue(c.value, "the value sent");
    }
  } catch (e) {
    discardAll(blocks);
    throw e;
  }
  locks.sort((a, b) => a - b);
  order.length = n;
  for (let i = 0; i < n; i++) {
    const j = Math.floor(Math.random() * (i + 1));
    order[i] = order[j];
    order[j] = i;
  }

  let chosen = -1;
  let closed = false;
  let block = 0;
  let value: unknown = undefined;
  let ok = true;
  let st: SelectState | null = null;
  let claim = 0;
  let records: number[] | null = null;
  for (const off of locks) eng.lock(off);
  const i32 = eng.view();
  try {
    // pass 1 — commit a case that can proceed now.
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const c = cs[i];
      const ch = c.ch;
      if (ch.isNil) continue;
      const off = chOff[i];
      if (off !== 0) {
        if (c.dir === SEND) {
          const s = eng.sendLocked(i32, off >> 2, blocks[i]);
          if (s === eng.BLOCKED) continue;
          if (s === eng.DONE) blocks[i] = 0;
          else closed = true;
        } else {
          if (eng.recvLocked(i32, off >> 2) === eng.BLOCKED) continue;
          block = eng.gotBlock;
          ok = eng.gotOk;
        }
      } else if (c.dir === SEND) {
        if (ch.closed) closed = true;
        else if (!ch.pollSend(c.value)) continue;
      } else {
        const v = ch.pollRecv();
        if (v === WOULD_BLOCK) continue;
        ok = v !== DRAINED;
        value = ok ? v : undefined;
      }
      chosen = i;
      break;
    }
    // pass 2 — enqueue everywhere, still under the locks.
    if (chosen < 0 && otherwise === undefined) {
      claim = h.alloc(4);
      const cell = claim >> 2;
      records = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        if (chOff[i] !== 0) records[i] = eng.parkLocked(chOff[i] >> 2, cs[i].dir === SEND, blocks[i], cell, i);
      }
      const g = currentG();
      st = new SelectState(false, cell, eng.view());
      for (let i = 0; i < n; i++) {
        const c = cs[i];
        if (chOff[i] !== 0 || c.ch.isNil) continue;
        const sg = new Sudog(g, M_SELECT, st, i);
        st.sudogs.push(sg);
        if (c.dir === SEND) {
          sg.elem = c.value;
          c.ch.sendq.push(sg);
        } else c.ch.recvq.push(sg);
      }
    }
  } finally {
    for (const off of locks) eng.unlock(off);
    eng.flushWake();
  }

  const sync = otherwise !== undefined;
  if (chosen >= 0) {
    if (closed) {
      discardAll(blocks);
      return closedSendCase(sync);
    }
    discardAll(blocks);
    if (chOff[chosen] !== 0 && cs[chosen].dir !== SEND) value = block !== 0 ? decodeValue(block) : undefined;
    return commitCase(cs[chosen], value, ok, sync);
  }
  if (otherwise !== undefined) {
    discardAll(blocks);
    return otherwise();
  }
  return finish(cs, st!, claim, records!, chOff, blocks);
}

// pass 3 — wait for the claim, then leave every queue.
async function finish(
  cs: readonly SelectCaseData[],
  st: SelectState,
  claim: number,
  records: number[],
  chOff: number[],
  blocks: number[],
): Promise<unknown> {
  const i32 = heap().i32;
  const cell = claim >> 2;
  await waitWhile(cell, 0, "select");
  const won = Atomics.load(i32, cell) - 1;
  for (const sg of st.sudogs) sg.list?.remove(sg);
  let value = st.value;
  let ok = st.ok;
  let closed = st.closedSend;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === 0) continue;
    eng.unpark(chOff[i], r);
    const isSend = cs[i].dir === SEND;
    if (i === won) {
      const wokenByClose = eng.recordResult(r);
      if (isSend) {
        closed = wokenByClose;
        if (wokenByClose) discard(blocks[i]);
      } else {
        ok = eng.gotOk;
        value = ok ? decodeValue(eng.gotBlock) : undefined;
      }
    } else if (isSend) discard(blocks[i]);
    eng.freeRecord(r);
  }
  heap().free(claim);
  if (closed) throw new ChanClosedError("send on closed channel");
  const c = cs[won];
  return c.then === undefined ? undefined : c.then(value, ok);
}


// An in-thread waker that wins a mixed select's claim wakes its owner through the futex too (which also
// tells the cross-thread deadlock detector that something happened).
setClaimNotifier((idx) => notifyWord(idx, 1));

/** The engine the core select calls for a select with a threads.Chan case. */
export const remoteSelect: RemoteChan = { select };
