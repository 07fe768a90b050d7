/**
 * The threads runtime's shared state and the parts of it every thread runs: submitting a task, waking
 * workers, delivering finished records, and a thread's completion inbox. Task records and their state
 * transitions are in records.ts; the worker's scheduling loop in src/threads/worker.ts; the main-thread
 * handle (starting workers, replacing crashed ones, close) in src/threads/runtime.ts.
 *
 * Shared layout (int32 words of the shared heap):
 * - Runtime control block (RCB): the global run queue, a work sequence word that idle workers wait on, the
 *   idle count, the worker count, the closed flag, the task-name table, and one P block per worker.
 * - P block: the worker's local run queue (runq.ts) and the head of its running list.
 * - Inbox (one per thread): a lock-free stack of finished records; the owner takes all at once.
 *
 * Invariants:
 * - A record is queued once per submission (and again only when requeued after its worker died before
 *   starting it); it comes back to its submitter's inbox exactly once (see records.ts).
 * - An idle worker counts itself (R_IDLE), looks for work once more, then waits on R_WORK_SEQ as read
 *   before counting; a submitter publishes the record, then bumps R_WORK_SEQ; so a record is never left
 *   queued while every worker sleeps.
 */
import { type Heap, heap, locked, markProgress } from "./heap.js";
import { GQ_WORDS, LOCAL_WORDS, globalInit, globalPut, globalPutMany, localGet, localPut } from "./runq.js";
import { encodeValueToScratch, readValueAt, scratchToBlock } from "./codec.js";
import { waitWord } from "./futex.js";
import { inboxOf, nextOf, orphan, reqOf, setNext, takeRunning, unlinkRunning } from "./records.js";

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
  return locked(t, (h) => {
    const n = h.i32[t + 1];
    for (let i = 0; i < n; i++) {
      // h.i32 read again each time: decoding does not allocate, but keep no view across a call.
      if (readValueAt(h.i32[(h.i32[t + 3] >> 2) + i]) === key) {
        indexOf.set(key, i);
        return i;
      }
    }
    if (n === h.i32[t + 2]) growTable(h, t);
    encodeValueToScratch(key);
    const blk = scratchToBlock(); // may grow the heap: h's views are remade, read them after
    h.i32[(h.i32[t + 3] >> 2) + n] = blk;
    Atomics.store(h.i32, t + 1, n + 1);
    indexOf.set(key, n);
    return n;
  });
}

function growTable(h: Heap, t: number): void {
  const cap = h.i32[t + 2];
  const next = h.alloc(cap * 8); // may grow the heap: views read after
  h.u8.copyWithin(next, h.i32[t + 3], h.i32[t + 3] + cap * 4);
  Atomics.store(h.i32, t + 3, next);
  h.i32[t + 2] = cap * 2;
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

// ---- the runtime's life (main thread) -------------------------------------------------------------------

/** Closes runtime `rcb` to new submissions from outside (1), or tells its workers to exit (2). */
export function setClosed(rcb: number, level: 1 | 2): void {
  Atomics.store(heap().i32, rcb + R_CLOSED, level);
  if (level === 2) wakeAllWorkers(rcb);
}

/** Whether runtime `rcb`'s workers have been told to exit. */
export function isShutDown(rcb: number): boolean {
  return Atomics.load(heap().i32, rcb + R_CLOSED) === 2;
}

/**
 * Worker `i` of runtime `rcb` died: the records it had claimed but not started go back to the global
 * queue (see records.ts `orphan`), the others it held fail as LOST with `lost()` and are delivered, and
 * the records of its local queue move to the global queue.
 */
export function reclaimDeadWorker(rcb: number, i: number, lost: () => Error): void {
  const p = pBlock(rcb, i);
  const requeue: number[] = [];
  for (const rec of takeRunning(p + P_RUNNING)) {
    if (orphan(rec, lost) === "requeue") requeue.push(rec);
    else deliver(rec);
  }
  for (const rec of requeue) globalPut(rcb + R_GQ, rec);
  for (let rec = localGet(p + P_RUNQ); rec !== 0; rec = localGet(p + P_RUNQ)) globalPut(rcb + R_GQ, rec);
}

// ---- inboxes -----------------------------------------------------------------------------------------

/** Pushes a finished record onto its submitter's inbox and wakes the submitter if it waits. */
export function deliver(rec: number): void {
  pushChain(inboxOf(rec), rec, rec);
}

/**
 * Pushes the chain `head` … `tail` (linked by T_NEXT) onto `inbox` with one compare-and-swap, and wakes
 * the inbox's owner if it sleeps (past its spin; see waitWord's `sleepers`).
 */
function pushChain(inbox: number, head: number, tail: number): void {
  const i32 = heap().i32;
  for (;;) {
    const old = Atomics.load(i32, inbox);
    setNext(i32, tail, old);
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
  const inbox = inboxOf(rec);
  const chain = chains.get(inbox);
  if (chain === undefined) {
    chains.set(inbox, { head: rec, tail: rec });
    setNext(i32, rec, 0);
  } else {
    setNext(i32, rec, chain.head); // newest first, as on the inbox itself
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
    for (let rec = c.head; ; rec = nextOf(i32, rec)) {
      unlinkRunning(flushP + P_RUNNING, rec);
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
        const next = nextOf(i32, rec);
        setNext(i32, rec, prev);
        prev = rec;
        rec = next;
      }
      for (rec = prev; rec !== 0; ) {
        const next = nextOf(i32, rec);
        if (this.onFinished(rec, reqOf(i32, rec))) this.outstanding--;
        rec = next;
      }
    }
    this.pumping = false;
  }
}
