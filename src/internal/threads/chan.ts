/**
 * The cross-thread channel engine: Go's hchan laid out in the shared heap, so every thread operates on
 * the same channel. All functions take the channel's heap offset; values travel as blocks made by the
 * codec (a buffer slot or a waiter record holds a block's offset).
 *
 * Layout (int32 words from the channel's offset):
 *   lock, closed, cap, len, head, recvq head, recvq tail, sendq head, sendq tail, (pad), slots[cap]
 * A waiter record (one per parked operation, one per cross-thread case of a parked select):
 *   claim cell index, case index, value block, flags, next, prev, queue (word index of its queue's head,
 *   0 when not queued), own claim cell (used as the claim of a lone send or receive)
 *
 * Invariants:
 * - Every field but `len` and `closed` is read and written only under the channel's spinlock; those two
 *   are also read without it (len, fast paths) and so are stored atomically.
 * - A waiter commits exactly when its claim cell goes 0 → caseIndex+1 by CAS. A peer does that under the
 *   channel's lock after unlinking the record, having first written the record's result (a receiver's
 *   value block and ok flag) or read its value block (a sender's); if the CAS fails the record belonged
 *   to a select already won elsewhere and is skipped — its owner ignores what was written there.
 * - So a block changes hands exactly once: a sender owns its block until a receiver's CAS (or its own
 *   buffer push) succeeds, and frees it itself on close or when its select case loses.
 * - A waiter record is freed only by its owner, after its claim cell is set and, for a select, after it
 *   has taken each record's channel lock to unlink it (so no peer can still be looking at it).
 * - Locks: several channels' locks are taken only in increasing offset order (select); the heap's
 *   allocator lock may be taken inside a channel lock, never the reverse.
 * - At least one queue holds no live waiter; stale records (of selects won elsewhere) may linger until
 *   their owner removes them, and every dequeue skips them.
 */
import { notifyWord } from "./futex.js";
import { acquire, heap, release } from "./heap.js";

const H_LOCK = 0;
const H_CLOSED = 1;
const H_CAP = 2;
const H_LEN = 3;
const H_HEAD = 4;
const H_RECVQ = 5; // head; tail is the next word
const H_SENDQ = 7;
const H_SLOTS = 10;
const HEADER_BYTES = H_SLOTS * 4;

const R_CELL = 0;
const R_CASE = 1;
const R_VAL = 2;
const R_FLAGS = 3;
const R_NEXT = 4;
const R_PREV = 5;
const R_QUEUE = 6;
const R_OWN = 7;
const RECORD_BYTES = 32;

/** Record flags: a receive that got a value; a send woken by close. */
const F_OK = 1;
const F_CLOSED = 2;

/** Outcomes of an operation attempt. */
export const BLOCKED = 0;
export const DONE = 1;
export const CLOSED = 2;

/** The largest capacity accepted (the ring's slots must fit the heap comfortably). */
export const MAX_CAP = 1 << 26;

/** The block and ok flag of the last receive that returned DONE (block 0: none, the channel is closed). */
export let gotBlock = 0;
export let gotOk = false;

/** A claim cell to notify once the lock is released (-1: none). */
let wakeCell = -1;

/**
 * Records this thread freed, reused before asking the heap (whose allocator lock every thread shares).
 * Safe because a record is allocated and freed only by the thread that parks on it. A peer's late
 * notify of a reused record's cell is a spurious wake-up, which waitWhile absorbs (it re-checks the word).
 */
const spare: number[] = [];

/**
 * The heap's int32 view, current as of now (see heap.ts). Take it again after allocating; a lock taken
 * with `acquire` returns views made after the lock (what the lock guards may have been allocated by a
 * thread that grew the heap before releasing it).
 */
export function view(): Int32Array {
  return heap().i32;
}

/** Makes a channel with room for `cap` values; returns its offset. The caller has checked `cap`. */
export function makeChan(cap: number): number {
  const off = heap().alloc(HEADER_BYTES + cap * 4);
  view()[(off >> 2) + H_CAP] = cap;
  return off;
}

export function capOf(off: number): number {
  return view()[(off >> 2) + H_CAP];
}

export function lenOf(off: number): number {
  return Atomics.load(view(), (off >> 2) + H_LEN);
}

/** Takes channel `off`'s lock (select takes several, in increasing offset order). */
export function lock(off: number): void {
  acquire((off >> 2) + H_LOCK);
}

export function unlock(off: number): void {
  release((off >> 2) + H_LOCK);
}

/** Notifies the claim cell won while the lock was held; call after unlocking. */
export function flushWake(): void {
  if (wakeCell >= 0) {
    notifyWord(wakeCell, 1);
    wakeCell = -1;
  }
}

// ---- queues and ring (lock held) ---------------------------------------------------------------------

function enqueue(i32: Int32Array, q: number, r: number): void {
  const rb = r >> 2;
  const tail = i32[q + 1];
  i32[rb + R_NEXT] = 0;
  i32[rb + R_PREV] = tail;
  i32[rb + R_QUEUE] = q;
  if (tail === 0) i32[q] = r;
  else i32[(tail >> 2) + R_NEXT] = r;
  i32[q + 1] = r;
}

function unlink(i32: Int32Array, r: number): void {
  const rb = r >> 2;
  const q = i32[rb + R_QUEUE];
  if (q === 0) return;
  const p = i32[rb + R_PREV];
  const n = i32[rb + R_NEXT];
  if (p === 0) i32[q] = n;
  else i32[(p >> 2) + R_NEXT] = n;
  if (n === 0) i32[q + 1] = p;
  else i32[(n >> 2) + R_PREV] = p;
  i32[rb + R_QUEUE] = 0;
}

function ringPush(i32: Int32Array, b: number, v: number): void {
  const cap = i32[b + H_CAP];
  const len = i32[b + H_LEN];
  let t = i32[b + H_HEAD] + len;
  if (t >= cap) t -= cap;
  i32[b + H_SLOTS + t] = v;
  Atomics.store(i32, b + H_LEN, len + 1);
}

function ringShift(i32: Int32Array, b: number): number {
  const h = i32[b + H_HEAD];
  const v = i32[b + H_SLOTS + h];
  i32[b + H_HEAD] = h + 1 === i32[b + H_CAP] ? 0 : h + 1;
  Atomics.store(i32, b + H_LEN, i32[b + H_LEN] - 1);
  return v;
}

/** Hands block `v` to the oldest live receiver; true if one took it (its cell is in wakeCell). */
function giveToReceiver(i32: Int32Array, b: number, v: number): boolean {
  let r = i32[b + H_RECVQ];
  while (r !== 0) {
    const rb = r >> 2;
    const next = i32[rb + R_NEXT];
    unlink(i32, r);
    i32[rb + R_VAL] = v;
    i32[rb + R_FLAGS] = F_OK;
    const cell = i32[rb + R_CELL];
    if (Atomics.compareExchange(i32, cell, 0, i32[rb + R_CASE] + 1) === 0) {
      wakeCell = cell;
      return true;
    }
    r = next;
  }
  return false;
}

/** Takes the value block of the oldest live sender (0 if none; then no sender committed). */
function takeFromSender(i32: Int32Array, b: number): number {
  let r = i32[b + H_SENDQ];
  while (r !== 0) {
    const rb = r >> 2;
    const next = i32[rb + R_NEXT];
    unlink(i32, r);
    const v = i32[rb + R_VAL];
    const cell = i32[rb + R_CELL];
    if (Atomics.compareExchange(i32, cell, 0, i32[rb + R_CASE] + 1) === 0) {
      wakeCell = cell;
      return v;
    }
    r = next;
  }
  return 0;
}

// ---- operation attempts (lock held; b = offset >> 2) --------------------------------------------------

/** Tries to send block `v`: DONE (the block is given away), CLOSED or BLOCKED (the caller keeps it). */
export function sendLocked(i32: Int32Array, b: number, v: number): number {
  if (i32[b + H_CLOSED] !== 0) return CLOSED;
  if (giveToReceiver(i32, b, v)) return DONE;
  if (i32[b + H_LEN] < i32[b + H_CAP]) {
    ringPush(i32, b, v);
    return DONE;
  }
  return BLOCKED;
}

/** Tries to receive: DONE (result in gotBlock/gotOk) or BLOCKED. */
export function recvLocked(i32: Int32Array, b: number): number {
  if (i32[b + H_LEN] > 0) {
    gotBlock = ringShift(i32, b);
    gotOk = true;
    // The buffer was full with a sender waiting: its value takes the freed slot, keeping FIFO order.
    const v = takeFromSender(i32, b);
    if (v !== 0) ringPush(i32, b, v);
    return DONE;
  }
  const v = takeFromSender(i32, b);
  if (v !== 0) {
    gotBlock = v;
    gotOk = true;
    return DONE;
  }
  if (i32[b + H_CLOSED] !== 0) {
    gotBlock = 0;
    gotOk = false;
    return DONE;
  }
  return BLOCKED;
}

/**
 * Enqueues a waiter record for case `caseIndex` of the parker owning claim cell `cell` (-1: the record's
 * own cell), lock held. It allocates, so take {@link view} again after it.
 */
export function parkLocked(b: number, send: boolean, v: number, cell: number, caseIndex: number): number {
  const r = spare.length > 0 ? spare.pop()! : heap().alloc(RECORD_BYTES);
  const i32 = view();
  const rb = r >> 2;
  i32[rb + R_CELL] = cell < 0 ? rb + R_OWN : cell;
  i32[rb + R_CASE] = caseIndex;
  i32[rb + R_VAL] = v;
  i32[rb + R_FLAGS] = 0;
  i32[rb + R_OWN] = 0;
  enqueue(i32, b + (send ? H_SENDQ : H_RECVQ), r);
  return r;
}

// ---- whole operations --------------------------------------------------------------------------------

/** Sends block `v` or parks it: DONE, CLOSED (the caller keeps `v`), or a waiter record (> CLOSED). */
export function sendOrPark(off: number, v: number): number {
  const b = off >> 2;
  const i32 = acquire(b + H_LOCK).i32;
  let s: number;
  try {
    s = sendLocked(i32, b, v);
    if (s === BLOCKED) s = parkLocked(b, true, v, -1, 0);
  } finally {
    release(b + H_LOCK);
  }
  flushWake();
  return s;
}

/** Receives (DONE, result in gotBlock/gotOk) or parks: returns a waiter record (> CLOSED). */
export function recvOrPark(off: number): number {
  const b = off >> 2;
  const i32 = acquire(b + H_LOCK).i32;
  let s: number;
  try {
    s = recvLocked(i32, b);
    if (s === BLOCKED) s = parkLocked(b, false, 0, -1, 0);
  } finally {
    release(b + H_LOCK);
  }
  flushWake();
  return s;
}

/** Tries to send without parking: DONE, CLOSED or BLOCKED. */
export function trySend(off: number, v: number): number {
  const b = off >> 2;
  const i32 = acquire(b + H_LOCK).i32;
  const s = sendLocked(i32, b, v);
  release(b + H_LOCK);
  flushWake();
  return s;
}

/** Tries to receive without parking: DONE (result in gotBlock/gotOk) or BLOCKED. */
export function tryRecv(off: number): number {
  const b = off >> 2;
  const i32 = acquire(b + H_LOCK).i32;
  const s = recvLocked(i32, b);
  release(b + H_LOCK);
  flushWake();
  return s;
}

/**
 * Closes the channel: every live waiter is claimed (receivers get ok = false, senders F_CLOSED) and
 * notified. Returns false if it was already closed.
 */
export function closeChan(off: number): boolean {
  const b = off >> 2;
  const woken: number[] = [];
  const i32 = acquire(b + H_LOCK).i32;
  if (i32[b + H_CLOSED] !== 0) {
    release(b + H_LOCK);
    return false;
  }
  Atomics.store(i32, b + H_CLOSED, 1);
  // Receivers get (no value, ok = false); senders are told the channel closed and keep their value.
  for (const q of [b + H_RECVQ, b + H_SENDQ]) {
    for (let r = i32[q]; r !== 0; r = i32[q]) {
      const rb = r >> 2;
      unlink(i32, r);
      i32[rb + R_VAL] = q === b + H_RECVQ ? 0 : i32[rb + R_VAL];
      i32[rb + R_FLAGS] = q === b + H_RECVQ ? 0 : F_CLOSED;
      const cell = i32[rb + R_CELL];
      if (Atomics.compareExchange(i32, cell, 0, i32[rb + R_CASE] + 1) === 0) woken.push(cell);
    }
  }
  release(b + H_LOCK);
  for (const cell of woken) notifyWord(cell, 1);
  return true;
}

// ---- waiter records ----------------------------------------------------------------------------------

/** The claim cell of a lone operation's record (wait on it until it is non-zero). */
export function ownCell(r: number): number {
  return (r >> 2) + R_OWN;
}

/** A committed receive record's result: sets gotBlock/gotOk. A send record: whether close woke it. */
export function recordResult(r: number): boolean {
  const i32 = view();
  const rb = r >> 2;
  const flags = i32[rb + R_FLAGS];
  gotBlock = i32[rb + R_VAL];
  gotOk = (flags & F_OK) !== 0;
  return (flags & F_CLOSED) !== 0;
}

/** Takes record `r` out of channel `off`'s queues if it is still there (takes the lock). */
export function unpark(off: number, r: number): void {
  const b = off >> 2;
  const i32 = acquire(b + H_LOCK).i32;
  unlink(i32, r);
  release(b + H_LOCK);
}

export function freeRecord(r: number): void {
  if (spare.length < 64) spare.push(r);
  else heap().free(r);
}

/** How many records (live or stale) wait in channel `off`'s send or receive queue; for tests and dumps. */
export function queued(off: number, send: boolean): number {
  const b = off >> 2;
  let n = 0;
  const i32 = acquire(b + H_LOCK).i32;
  for (let r = i32[b + (send ? H_SENDQ : H_RECVQ)]; r !== 0; r = i32[(r >> 2) + R_NEXT]) n++;
  release(b + H_LOCK);
  return n;
}
