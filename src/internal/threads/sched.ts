/**
 * The threads runtime's shared state and the parts of it every thread runs: submitting a task, finishing
 * one, and a thread's completion inbox. Worker-only parts (the scheduling loop) are in worker.ts; the
 * main-thread handle (starting workers, replacing crashed ones, close) in src/threads/runtime.ts.
 *
 * Shared layout (int32 words of the shared heap):
 * - Runtime control block (RCB): the global run queue, a work sequence word that idle workers wait on, the
 *   idle count, the worker count, the closed flag, the task-name table, and one P block per worker.
 * - P block: the worker's local run queue (runq.ts) and the head of its running list.
 * - Task record: state, task index, arguments, result, the submitter's inbox and request id, a cancel
 *   word, links. Small argument lists and results are stored inline in the record.
 * - Inbox (one per thread): a lock-free stack of finished records; the owner takes all at once.
 *
 * Invariants:
 * - A record's state goes QUEUED → CLAIMED (a worker took it) → STARTED (its function was called) →
 *   OK | ERR; or QUEUED → CANCELLED (by its submitter, before any worker took it); or, when the worker
 *   holding it died (decided by the main thread): CLAIMED → QUEUED (requeued: it never ran) and
 *   STARTED → LOST.
 *   Every transition out of QUEUED is a compare-and-swap, so exactly one party owns what follows.
 * - A record is pushed onto its submitter's inbox exactly once (when finished, cancelled-and-popped or
 *   lost) and only the submitter frees or reuses it, after taking it from the inbox.
 * - A worker links each record it runs into its P's running list (only it changes the list while it
 *   lives) until the record is on its submitter's inbox, so when it dies the main thread finds exactly
 *   the records it was running or had finished without delivering.
 */
import { type Heap, heap, lockWord, markProgress, unlockWord } from "./heap.js";
import { GQ_WORDS, LOCAL_WORDS, globalInit, globalPutMany, localPut } from "./runq.js";
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
import { notifyWord, waitWord } from "./futex.js";

// ---- the runtime control block -----------------------------------------------------------------------

export const MAX_WORKERS = 256;
export const R_GQ = 0; // GQ_WORDS words
export const R_WORK_SEQ = GQ_WORDS; // bumped after every submission
export const R_IDLE = R_WORK_SEQ + 1; // workers waiting for work
export const R_NP = R_IDLE + 1; // number of Ps
export const R_CLOSED = R_NP + 1; // 1: no new submissions from outside; 2: workers exit
export const R_SLEEPING = R_CLOSED + 1; // idle workers past their spin, in Atomics.waitAsync
const R_TASKS = R_SLEEPING + 1; // task-name table: lock, count, capacity, byte offset of the table
export const R_P = R_TASKS + 4; // MAX_WORKERS words: byte offsets of the P blocks
const RCB_WORDS = R_P + MAX_WORKERS;

/** P block words. */
export const P_RUNQ = 0; // LOCAL_WORDS words
export const P_RUNNING = LOCAL_WORDS; // head of the running list (record byte offset)
export const P_THREAD = P_RUNNING + 1; // the worker's thread number
const P_WORDS = P_THREAD + 2;

/** Record words (relative to the record's word index). */
export const T_STATE = 0;
export const T_TASK = 1;
export const T_ARGS = 2; // block byte offset, or 0: inline
export const T_RESULT = 3; // block byte offset, or 0: inline
export const T_INBOX = 4; // word index of the submitter's inbox
export const T_REQ = 5;
export const T_CANCEL = 6; // 0, CANCEL_OVER, or the block of a cancellation (see requestCancel)
export const T_NEXT = 7;
export const T_RPREV = 8;
export const T_RNEXT = 9;
export const T_RUNNER = 10; // P index + 1
export const T_REQUEUES = 11; // times requeued because the worker holding it died before starting it
const INLINE_AT = 48; // bytes into the record
const RECORD_BYTES = 120;
const INLINE_BYTES = RECORD_BYTES - INLINE_AT;

export const QUEUED = 0;
export const CLAIMED = 1;
export const STARTED = 6;
export const OK = 2;
export const ERR = 3;
export const CANCELLED = 4;
export const LOST = 5;

/** T_CANCEL once the task has finished (set by its worker, if the task made its taskContext). */
export const CANCEL_OVER = 2;
const KIND_CANCELED = 1;
const KIND_DEADLINE = 2;

/** Makes a runtime control block with `n` P blocks; returns its word index. */
export function makeRuntime(n: number): number {
  const h = heap();
  const rcb = h.alloc(RCB_WORDS * 4) >> 2;
  globalInit(h, rcb + R_GQ);
  h.i32[rcb + R_NP] = n;
  h.i32[rcb + R_TASKS + 2] = 64;
  h.i32[rcb + R_TASKS + 3] = h.alloc(64 * 4);
  for (let i = 0; i < n; i++) h.i32[rcb + R_P + i] = h.alloc(P_WORDS * 4);
  return rcb;
}

/** Word index of P `i`'s block. */
export function pBlock(rcb: number, i: number): number {
  return heap().i32[rcb + R_P + i] >> 2;
}

// ---- task names --------------------------------------------------------------------------------------
//
// Records carry a task index, not its name: the table maps the index to "url#name" (an encoded string
// block). It only grows; a replaced table array is never freed, because a worker may be reading it.

/** Per runtime (by RCB): this thread's caches of the table. */
const indexCache = new Map<number, Map<string, number>>();
const nameCache = new Map<number, string[]>();

/** The index of task `key` ("url#name") in runtime `rcb`'s table, adding it if new. */
export function internTask(rcb: number, key: string): number {
  let indexOf = indexCache.get(rcb);
  if (indexOf === undefined) indexCache.set(rcb, (indexOf = new Map<string, number>()));
  const cached = indexOf.get(key);
  if (cached !== undefined) return cached;
  const t = rcb + R_TASKS;
  lockWord(heap().i32, t);
  try {
    // Views taken after the lock, and again after anything that allocates: the table and its strings
    // may lie past older views.
    const h = heap();
    const n = h.i32[t + 1];
    const table = h.i32[t + 3] >> 2;
    for (let i = 0; i < n; i++) {
      if (readValueAt(heap().i32[table + i]) === key) {
        indexOf.set(key, i);
        return i;
      }
    }
    if (n === h.i32[t + 2]) growTable(h, t);
    encodeValueToScratch(key);
    const blk = scratchToBlock();
    const i32 = heap().i32;
    i32[(i32[t + 3] >> 2) + n] = blk;
    Atomics.store(i32, t + 1, n + 1);
    indexOf.set(key, n);
    return n;
  } finally {
    unlockWord(heap().i32, t);
  }
}

function growTable(h: Heap, t: number): void {
  const i32 = h.i32;
  const cap = i32[t + 2];
  const next = h.alloc(cap * 8);
  h.u8.copyWithin(next, i32[t + 3], i32[t + 3] + cap * 4);
  Atomics.store(i32, t + 3, next);
  i32[t + 2] = cap * 2;
}

/** The "url#name" key of task index `i` in runtime `rcb`. */
export function taskKey(rcb: number, i: number): string {
  let nameOf = nameCache.get(rcb);
  if (nameOf === undefined) nameCache.set(rcb, (nameOf = []));
  const k = nameOf[i];
  if (k !== undefined) return k;
  // The table's offset first, then views that cover it (it may have moved since our last look).
  const table = Atomics.load(heap().i32, rcb + R_TASKS + 3) >> 2;
  const key = readValueAt(heap().i32[table + i]) as string;
  nameOf[i] = key;
  return key;
}

// ---- records -----------------------------------------------------------------------------------------

const pool: number[] = [];

/** A fresh record (from this thread's pool of records it submitted before) with its arguments encoded. */
export function newRecord(taskIndex: number, args: readonly unknown[], inbox: number, req: number): number {
  const size = encodeValuesToScratch(args); // throws before anything is allocated
  const rec = pool.length > 0 ? pool.pop()! : heap().alloc(RECORD_BYTES);
  let argsBlock = 0;
  if (size <= INLINE_BYTES) copyScratchTo(rec + INLINE_AT);
  else argsBlock = scratchToBlock();
  // The views only now: the allocations above may have grown the heap, and the record may be new.
  const i32 = heap().i32;
  const w = rec >> 2;
  i32[w + T_ARGS] = argsBlock;
  i32[w + T_STATE] = QUEUED;
  i32[w + T_TASK] = taskIndex;
  i32[w + T_RESULT] = 0;
  i32[w + T_INBOX] = inbox;
  i32[w + T_REQ] = req;
  i32[w + T_CANCEL] = 0;
  i32[w + T_NEXT] = 0;
  i32[w + T_RUNNER] = 0;
  i32[w + T_REQUEUES] = 0;
  return rec;
}

/** Returns a record taken from this thread's inbox to the pool, freeing its result block if any. */
export function recycle(rec: number): void {
  const h = heap();
  const w = rec >> 2;
  const res = h.i32[w + T_RESULT];
  if (res !== 0) h.free(res);
  const cancel = h.i32[w + T_CANCEL];
  if (cancel > CANCEL_OVER) h.free(cancel);
  const args = h.i32[w + T_ARGS];
  if (args !== 0 && h.i32[w + T_STATE] === CANCELLED) h.free(args);
  h.i32[w + T_RESULT] = 0;
  h.i32[w + T_ARGS] = 0;
  if (pool.length < 4096) pool.push(rec);
  else h.free(rec);
}

/**
 * Decodes a record's arguments: done by the worker that starts it. The encoding stays in place until the
 * result is stored (a record requeued because its worker died before starting it is decoded again).
 */
export function readArgs(rec: number): unknown[] {
  const blk = heap().i32[(rec >> 2) + T_ARGS];
  return readValuesAt(blk === 0 ? rec + INLINE_AT : blk);
}

/** Decodes a finished record's result (a value for OK, an error for ERR and LOST). */
export function readResult(rec: number): unknown {
  const blk = heap().i32[(rec >> 2) + T_RESULT];
  return readValueAt(blk === 0 ? rec + INLINE_AT : blk);
}

/**
 * Stores `value` as the record's result and its final `state` (freeing the arguments' block); if the
 * value cannot be encoded, the record fails with the encoding error instead.
 */
export function storeResult(rec: number, state: number, value: unknown): void {
  const h = heap();
  const w = rec >> 2;
  const args = h.i32[w + T_ARGS];
  if (args !== 0) {
    h.free(args);
    h.i32[w + T_ARGS] = 0;
  }
  let size: number;
  try {
    size = encodeValueToScratch(value, state === OK ? "the task's result" : "the task's error");
  } catch (e) {
    state = ERR;
    size = encodeValueToScratch(e);
  }
  if (size <= INLINE_BYTES) {
    copyScratchTo(rec + INLINE_AT);
    h.i32[w + T_RESULT] = 0;
  } else {
    h.i32[w + T_RESULT] = scratchToBlock();
  }
  Atomics.store(h.i32, w + T_STATE, state);
}

// ---- cancelling a running task ------------------------------------------------------------------------

/**
 * The submitter cancels a record a worker has taken: its cancellation — whether the submitter's context
 * ended by its deadline, and its cause when that is not just the err — goes into a block whose offset
 * becomes the record's cancel word (offsets are never 0 or CANCEL_OVER), and the worker's taskContext
 * watcher wakes. Does nothing if the task already finished or was cancelled. The block is freed with the
 * record ({@link recycle}).
 */
export function requestCancel(rec: number, deadline: boolean, cause: Error | undefined): void {
  const kind = deadline ? KIND_DEADLINE : KIND_CANCELED;
  let blk: number;
  try {
    blk = encodeValues([kind, cause]);
  } catch {
    blk = encodeValues([kind, undefined]); // a cause that cannot cross: the task sees the err alone
  }
  const i32 = heap().i32;
  const word = (rec >> 2) + T_CANCEL;
  if (Atomics.compareExchange(i32, word, 0, blk) !== 0) {
    heap().free(blk);
    return;
  }
  notifyWord(word);
}

/**
 * The cancellation the submitter asked for (the worker side, while the task runs): whether it was a
 * deadline, and the cause (undefined: the cause is the err itself); undefined if none was asked for.
 */
export function readCancel(rec: number): { deadline: boolean; cause: Error | undefined } | undefined {
  const blk = Atomics.load(heap().i32, (rec >> 2) + T_CANCEL);
  if (blk <= CANCEL_OVER) return undefined;
  const [kind, cause] = decodeValues(blk, true);
  return { deadline: kind === KIND_DEADLINE, cause: cause instanceof Error ? cause : undefined };
}

/** The worker marks a finished task's cancel word (waking its taskContext watcher), unless a cancellation is there. */
export function cancelOver(rec: number): void {
  const word = (rec >> 2) + T_CANCEL;
  if (Atomics.compareExchange(heap().i32, word, 0, CANCEL_OVER) === 0) notifyWord(word);
}

// ---- submitting ----------------------------------------------------------------------------------------

/**
 * Queues record `rec` on runtime `rcb`: on the caller's own local queue `myQ` when called on one of its
 * workers (no round trip through anyone), else on the global queue; then wakes an idle worker if any.
 */
export function enqueue(rcb: number, rec: number, myQ: number): void {
  if (myQ >= 0) {
    localPut(myQ, rcb + R_GQ, rec);
    wakeWorker(rcb);
    return;
  }
  // From outside the runtime: records submitted in one synchronous burst go to the global queue in
  // batches (one lock and one wake-up per batch instead of per record), flushed when a batch is full or
  // when the burst ends (a microtask).
  if (batchRcb !== rcb) flushBatch();
  batchRcb = rcb;
  outBatch.push(rec);
  if (outBatch.length >= OUT_BATCH) flushBatch();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushBatch);
  }
}

const OUT_BATCH = 32;
const outBatch: number[] = [];
let batchRcb = -1;
let flushQueued = false;

function flushBatch(): void {
  flushQueued = false;
  if (outBatch.length === 0) return;
  globalPutMany(batchRcb + R_GQ, outBatch);
  outBatch.length = 0;
  wakeWorker(batchRcb);
}

/** Wakes every worker of runtime `rcb`, sleeping or not (to exit, or to look at the queues again). */
export function wakeAllWorkers(rcb: number): void {
  const i32 = heap().i32;
  Atomics.add(i32, rcb + R_WORK_SEQ, 1);
  Atomics.notify(i32, rcb + R_WORK_SEQ);
}

/** Tells runtime `rcb`'s workers that work was queued, waking a sleeping one if any. */
export function wakeWorker(rcb: number): void {
  const i32 = heap().i32;
  Atomics.add(i32, rcb + R_WORK_SEQ, 1);
  // Spinning idle workers see the new sequence number by themselves.
  if (Atomics.load(i32, rcb + R_SLEEPING) > 0) Atomics.notify(i32, rcb + R_WORK_SEQ, 1);
}

// ---- running lists (worker side) -----------------------------------------------------------------------

export function linkRunning(p: number, rec: number, pIndex: number): void {
  const i32 = heap().i32;
  const w = rec >> 2;
  const head = i32[p + P_RUNNING];
  i32[w + T_RPREV] = 0;
  i32[w + T_RNEXT] = head;
  i32[w + T_RUNNER] = pIndex + 1;
  if (head !== 0) i32[(head >> 2) + T_RPREV] = rec;
  Atomics.store(i32, p + P_RUNNING, rec);
}

export function unlinkRunning(p: number, rec: number): void {
  const i32 = heap().i32;
  const w = rec >> 2;
  const prev = i32[w + T_RPREV];
  const next = i32[w + T_RNEXT];
  if (prev !== 0) i32[(prev >> 2) + T_RNEXT] = next;
  else Atomics.store(i32, p + P_RUNNING, next);
  if (next !== 0) i32[(next >> 2) + T_RPREV] = prev;
}

// ---- inboxes -----------------------------------------------------------------------------------------

/** Pushes a finished record onto its submitter's inbox and wakes the submitter if it waits. */
export function deliver(rec: number): void {
  pushChain(heap().i32[(rec >> 2) + T_INBOX], rec, rec);
}

/**
 * Pushes the chain `head` … `tail` (linked by T_NEXT) onto `inbox` with one compare-and-swap, and wakes
 * the inbox's owner if it sleeps (past its spin; see waitWord's `sleepers`).
 */
function pushChain(inbox: number, head: number, tail: number): void {
  const i32 = heap().i32;
  const tailNext = (tail >> 2) + T_NEXT;
  for (;;) {
    const old = Atomics.load(i32, inbox);
    i32[tailNext] = old;
    if (Atomics.compareExchange(i32, inbox, old, head) === old) break;
  }
  markProgress(i32);
  if (Atomics.load(i32, inbox + 1) > 0) Atomics.notify(i32, inbox, 1);
}

/**
 * Like {@link deliver}, for worker P `p` finishing many records: they are chained per inbox and pushed
 * with one compare-and-swap and one notification when the current burst of microtasks ends. Each stays in
 * P's running list until then, so that if the worker dies first the main thread still delivers it.
 */
export function deliverSoon(p: number, rec: number): void {
  flushP = p;
  const i32 = heap().i32;
  const w = rec >> 2;
  const inbox = i32[w + T_INBOX];
  const chain = chains.get(inbox);
  if (chain === undefined) {
    chains.set(inbox, { head: rec, tail: rec });
    i32[w + T_NEXT] = 0;
  } else {
    i32[w + T_NEXT] = chain.head; // newest first, as on the inbox itself
    chain.head = rec;
  }
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(flushChains);
  }
}

const chains = new Map<number, { head: number; tail: number }>();
let flushScheduled = false;
let flushP = 0;

function flushChains(): void {
  flushScheduled = false;
  const i32 = heap().i32;
  for (const [inbox, c] of chains) {
    for (let rec = c.head; ; rec = i32[(rec >> 2) + T_NEXT]) {
      unlinkRunning(flushP, rec);
      if (rec === c.tail) break;
    }
    pushChain(inbox, c.head, c.tail);
  }
  chains.clear();
}

/**
 * What a thread does with a record that came back to its inbox; false if the record was no longer
 * counted (see {@link Inbox.abandon}).
 */
export type OnFinished = (rec: number, req: number) => boolean;

/**
 * A thread's inbox and the loop that drains it. The loop runs only while this thread has submitted
 * records that have not come back, so an idle thread keeps nothing alive.
 */
export class Inbox {
  /** Word index of the inbox head; the next word counts the owner's sleeping waits (see waitWord). */
  readonly word: number;
  private outstanding = 0;
  private pumping = false;

  constructor(private readonly onFinished: OnFinished) {
    this.word = heap().alloc(8) >> 2;
  }

  /** Counts a submitted record; starts the drain loop if it is not running. */
  expect(): void {
    this.outstanding++;
    if (!this.pumping) {
      this.pumping = true;
      void this.pump();
    }
  }

  get pending(): number {
    return this.outstanding;
  }

  /**
   * Stops counting one record (its runtime failed; it may never come back, and if it does the owner's
   * OnFinished returns false for it); wakes the drain loop so that it can end.
   */
  abandon(): void {
    this.outstanding--;
    Atomics.notify(heap().i32, this.word);
  }

  private async pump(): Promise<void> {
    while (this.outstanding > 0) {
      const i32 = heap().i32; // again after every await: the records may be new since
      let rec = Atomics.exchange(i32, this.word, 0);
      if (rec === 0) {
        await waitWord(this.word, 0, () => this.outstanding <= 0, this.word + 1);
        continue;
      }
      // The stack holds the newest first; reverse so submitters see completions in finishing order.
      let prev = 0;
      while (rec !== 0) {
        const next = i32[(rec >> 2) + T_NEXT];
        i32[(rec >> 2) + T_NEXT] = prev;
        prev = rec;
        rec = next;
      }
      for (rec = prev; rec !== 0; ) {
        const next = i32[(rec >> 2) + T_NEXT];
        if (this.onFinished(rec, i32[(rec >> 2) + T_REQ])) this.outstanding--;
        rec = next;
      }
    }
    this.pumping = false;
  }
}
