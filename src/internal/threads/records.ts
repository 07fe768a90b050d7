/**
 * Task records: the struct in the shared heap that carries one task run from its submitter to a worker
 * and back, and every state transition it goes through, each a named function. Nothing outside this
 * file reads or writes a record's fields.
 *
 * Fields: state, task index, arguments, result, the submitter's inbox and request id, the cancel word,
 * the inbox link, the running-list links, the runner and the requeue count; small argument lists and
 * results are stored inline after the fields.
 *
 * State machine (who makes each move):
 *
 *     QUEUED ──claim (worker, CAS)──▶ CLAIMED ──markStarted (worker)──▶ STARTED ──finish (worker)──▶ OK | ERR
 *       │                               │                                 │
 *       └─cancelQueued (submitter, CAS)─┼──▶ CANCELLED                    │
 *                                       └─orphan (main thread: its worker died before starting it)
 *                                           ──▶ QUEUED again (at most twice), else LOST
 *                                                                         └─orphan ──▶ LOST
 *
 * Invariants:
 * - Every move out of QUEUED is a compare-and-swap, so exactly one party owns what follows.
 * - A record is pushed onto its submitter's inbox exactly once (finished, cancelled-and-popped, or
 *   orphaned as LOST) and only the submitter frees or reuses it, after taking it from the inbox.
 * - The cancel word is 0, CANCEL_OVER (the worker finished a task that made its taskContext), or the
 *   offset of a block holding the submitter's cancellation (freed with the record).
 * - A worker links each record it runs into its P's running list (only it changes the list while it
 *   lives) until the record is on its submitter's inbox, so when it dies the main thread finds exactly
 *   the records it was running or had finished without delivering.
 */
import { heap, struct } from "./heap.js";
import {
  copyScratchTo,
  decodeValues,
  encodeValueToScratch,
  encodeValues,
  encodeValuesToScratch,
  readValueAt,
  readValuesAt,
  scratchToBlock,
} from "./codec.js";
import { notifyWord } from "./futex.js";

const F = struct(
  "state",
  "task",
  "args", // block byte offset, or 0: inline
  "result", // block byte offset, or 0: inline
  "inbox", // word index of the submitter's inbox
  "req", // the submitter's request id
  "cancel", // 0, CANCEL_OVER, or the block of a cancellation
  "next", // link on an inbox
  "rprev", // links on a P's running list
  "rnext",
  "runner", // P index + 1
  "requeues", // times requeued because the worker holding it died before starting it
);
const INLINE_AT = 48; // bytes into the record, after the fields
const RECORD_BYTES = 120; // with the block header, exactly a 128-byte block
const INLINE_BYTES = RECORD_BYTES - INLINE_AT;
if (F.bytes > INLINE_AT) throw new Error("threads: record fields overlap the inline area");

const QUEUED = 0;
const CLAIMED = 1;
const STARTED = 2;
const OK = 3;
const ERR = 4;
const CANCELLED = 5;
const LOST = 6;

/** The cancel word once the task has finished (see the invariants). */
const CANCEL_OVER = 2;
const KIND_CANCELED = 1;
const KIND_DEADLINE = 2;

// ---- making and reclaiming ---------------------------------------------------------------------------

const pool: number[] = [];

/**
 * A fresh QUEUED record (from this thread's pool of records it submitted before) with its arguments
 * encoded. Throws (before anything is allocated) for arguments that cannot cross threads.
 */
export function newRecord(taskIndex: number, args: readonly unknown[], inbox: number, req: number): number {
  const size = encodeValuesToScratch(args);
  const rec = pool.length > 0 ? pool.pop()! : heap().alloc(RECORD_BYTES);
  let argsBlock = 0;
  if (size <= INLINE_BYTES) copyScratchTo(rec + INLINE_AT);
  else argsBlock = scratchToBlock();
  // The views only now: the allocations above may have grown the heap, and the record may be new.
  const i32 = heap().i32;
  F.args.set(i32, rec, argsBlock);
  F.task.set(i32, rec, taskIndex);
  F.result.set(i32, rec, 0);
  F.inbox.set(i32, rec, inbox);
  F.req.set(i32, rec, req);
  F.cancel.set(i32, rec, 0);
  F.next.set(i32, rec, 0);
  F.runner.set(i32, rec, 0);
  F.requeues.set(i32, rec, 0);
  F.state.set(i32, rec, QUEUED); // published by the queue that takes it (an atomic store there)
  return rec;
}

/** Returns a record taken from this thread's inbox to the pool, freeing the blocks it still holds. */
export function recycle(rec: number): void {
  const h = heap();
  const i32 = h.i32;
  const res = F.result.get(i32, rec);
  if (res !== 0) h.free(res);
  const cancel = F.cancel.get(i32, rec);
  if (cancel > CANCEL_OVER) h.free(cancel);
  const args = F.args.get(i32, rec);
  if (args !== 0 && F.state.get(i32, rec) === CANCELLED) h.free(args);
  F.result.set(i32, rec, 0);
  F.args.set(i32, rec, 0);
  if (pool.length < 4096) pool.push(rec);
  else h.free(rec);
}

// ---- what a record carries -----------------------------------------------------------------------------

export function taskIndexOf(rec: number): number {
  return F.task.get(heap().i32, rec);
}

/** Word index of the submitter's inbox. */
export function inboxOf(rec: number): number {
  return F.inbox.get(heap().i32, rec);
}

/** The submitter's request id. `i32`: current views. */
export function reqOf(i32: Int32Array, rec: number): number {
  return F.req.get(i32, rec);
}

/** The record after `rec` on an inbox (or a chain being built for one); 0 at the end. `i32`: current views. */
export function nextOf(i32: Int32Array, rec: number): number {
  return F.next.get(i32, rec);
}

export function setNext(i32: Int32Array, rec: number, next: number): void {
  F.next.set(i32, rec, next);
}

/**
 * Decodes a record's arguments: done by the worker that starts it. The encoding stays in place until the
 * result is stored (a record requeued because its worker died before starting it is decoded again).
 */
export function readArgs(rec: number): unknown[] {
  const blk = F.args.get(heap().i32, rec);
  return readValuesAt(blk === 0 ? rec + INLINE_AT : blk);
}

/** Whether the record's task is running (for goroutine/metrics). */
export function isStarted(rec: number): boolean {
  return F.state.load(heap().i32, rec) === STARTED;
}

// ---- transitions ---------------------------------------------------------------------------------------

/** QUEUED → CLAIMED by a worker that took the record from a queue; false if it was cancelled meanwhile. */
export function claim(rec: number): boolean {
  return F.state.cas(heap().i32, rec, QUEUED, CLAIMED);
}

/** CLAIMED → STARTED: the worker is about to call the task's function. */
export function markStarted(rec: number): void {
  F.state.store(heap().i32, rec, STARTED);
}

/** QUEUED → CANCELLED by the submitter; false if a worker has claimed it. */
export function cancelQueued(rec: number): boolean {
  return F.state.cas(heap().i32, rec, QUEUED, CANCELLED);
}

/**
 * STARTED (or CLAIMED) → OK or ERR with `value` as the result (freeing the arguments' block); if the
 * value cannot be encoded, the record fails (ERR) with the encoding error instead.
 */
export function finishRecord(rec: number, ok: boolean, value: unknown): void {
  storeResult(rec, ok ? OK : ERR, value);
}

/**
 * The main thread found `rec` on the running list of a worker that died: a record it had claimed but
 * not started goes back to QUEUED (returns "requeue"; at most twice, as when loading its module is what
 * kills workers), one it had started becomes LOST with `err` (returns "deliver"), and one it had
 * finished without delivering is left as it is ("deliver").
 */
export function orphan(rec: number, err: () => Error): "requeue" | "deliver" {
  const i32 = heap().i32;
  const st = F.state.load(i32, rec);
  if (st === CLAIMED && F.requeues.add(i32, rec, 1) < 2) {
    F.state.store(i32, rec, QUEUED);
    return "requeue";
  }
  if (st === STARTED || st === CLAIMED) storeResult(rec, LOST, err());
  return "deliver";
}

function storeResult(rec: number, state: number, value: unknown): void {
  const h = heap();
  const args = F.args.get(h.i32, rec);
  if (args !== 0) {
    h.free(args);
    F.args.set(h.i32, rec, 0);
  }
  let size: number;
  try {
    size = encodeValueToScratch(value, state === OK ? "the task's result" : "the task's error");
  } catch (e) {
    state = ERR;
    size = encodeValueToScratch(e);
  }
  let blk = 0;
  if (size <= INLINE_BYTES) copyScratchTo(rec + INLINE_AT);
  else blk = scratchToBlock();
  const i32 = heap().i32; // after the allocation
  F.result.set(i32, rec, blk);
  F.state.store(i32, rec, state); // publishes the result to the submitter

}

/** How a record that came back ended. */
export type Outcome = "ok" | "err" | "lost" | "cancelled";

export function outcomeOf(rec: number): Outcome {
  switch (F.state.load(heap().i32, rec)) {
    case OK:
      return "ok";
    case LOST:
      return "lost";
    case CANCELLED:
      return "cancelled";
    default:
      return "err";
  }
}

/** Decodes a finished record's result (a value for "ok", an error for "err" and "lost"). */
export function readResult(rec: number): unknown {
  const blk = F.result.get(heap().i32, rec);
  return readValueAt(blk === 0 ? rec + INLINE_AT : blk);
}

// ---- cancelling a running task ------------------------------------------------------------------------

/**
 * The submitter cancels a record a worker has taken: its cancellation — whether the submitter's context
 * ended by its deadline, and its cause when that is not just the err — goes into a block whose offset
 * becomes the record's cancel word, and the worker's taskContext watcher wakes. Does nothing if the task
 * already finished or was cancelled.
 */
export function requestCancel(rec: number, deadline: boolean, cause: Error | undefined): void {
  const kind = deadline ? KIND_DEADLINE : KIND_CANCELED;
  let blk: number;
  try {
    blk = encodeValues([kind, cause]);
  } catch {
    blk = encodeValues([kind, undefined]); // a cause that cannot cross: the task sees the err alone
  }
  if (!F.cancel.cas(heap().i32, rec, 0, blk)) {
    heap().free(blk);
    return;
  }
  notifyWord(F.cancel.word(rec));
}

/** The word a running task's taskContext watcher waits on while it holds 0. */
export function cancelWord(rec: number): number {
  return F.cancel.word(rec);
}

/**
 * The cancellation the submitter asked for (the worker side, while the task runs): whether it was a
 * deadline, and the cause (undefined: the cause is the err itself); undefined if none was asked for.
 */
export function readCancel(rec: number): { deadline: boolean; cause: Error | undefined } | undefined {
  const blk = F.cancel.load(heap().i32, rec);
  if (blk <= CANCEL_OVER) return undefined;
  const [kind, cause] = decodeValues(blk, true);
  return { deadline: kind === KIND_DEADLINE, cause: cause instanceof Error ? cause : undefined };
}

/** The worker marks a finished task's cancel word (waking its taskContext watcher), unless a cancellation is there. */
export function cancelOver(rec: number): void {
  if (F.cancel.cas(heap().i32, rec, 0, CANCEL_OVER)) notifyWord(F.cancel.word(rec));
}

// ---- running lists (worker side; read by the main thread when the worker died) -------------------------

/** Links `rec` at the head of the running list whose head word is `head` (P index `pIndex`). */
export function linkRunning(head: number, rec: number, pIndex: number): void {
  const i32 = heap().i32;
  const first = i32[head];
  F.rprev.set(i32, rec, 0);
  F.rnext.set(i32, rec, first);
  F.runner.set(i32, rec, pIndex + 1);
  if (first !== 0) F.rprev.set(i32, first, rec);
  Atomics.store(i32, head, rec);
}

export function unlinkRunning(head: number, rec: number): void {
  const i32 = heap().i32;
  const prev = F.rprev.get(i32, rec);
  const next = F.rnext.get(i32, rec);
  if (prev !== 0) F.rnext.set(i32, prev, next);
  else Atomics.store(i32, head, next);
  if (next !== 0) F.rprev.set(i32, next, prev);
}

/** Empties the running list at `head` (its worker died) and returns its records. */
export function takeRunning(head: number): number[] {
  const i32 = heap().i32;
  const out: number[] = [];
  for (let rec = Atomics.load(i32, head); rec !== 0; rec = F.rnext.load(i32, rec)) out.push(rec);
  Atomics.store(i32, head, 0);
  return out;
}
