/**
 * The execution tracer behind goroutine/trace: scheduler events in fixed-width records (a Float64Array
 * of times and an Int32Array of four words per event), kept in a ring (the flight recorder) or in a
 * growing list of chunks (trace.start), and rendered as Chrome Trace Event JSON.
 *
 * Record layout, per event i: t[i] = stamp() in ms; w[4i] = type, w[4i+1] = goroutine (or task id),
 * w[4i+2] = a, w[4i+3] = b:
 *   CREATE  g, a = parent, b = function name        START g            EXIT g
 *   BLOCK   g, a = reason string   UNBLOCK g, a = waker goroutine
 *   TASK_BEGIN task, a = type string, b = parent task     TASK_END task
 *   REGION_BEGIN g, a = type string, b = task   REGION_END g, a = type string, b = task
 *   LOG g, a = "category\0message" string, b = task
 * No stack is captured per event; strings are interned once in `strings`.
 *
 * Invariants:
 * - A log's `n` counts every event ever written; the live ones are the last min(n, cap) (a ring) or all
 *   of them (chunks). Writers only append; readers copy out the window they render.
 * - The tracer's consumer is attached while at least one log is recording.
 */
import { type G, currentG } from "./scheduler.js";

const hrtime = process.hrtime;
/**
 * The tracer's clock: monotonic ms, from process.hrtime (about 15% cheaper than performance.now, which
 * wraps the same read in a brand check). Only differences between stamps matter.
 */
export function stamp(): number {
  const h = hrtime();
  return h[0] * 1e3 + h[1] / 1e6;
}
import { attach, detach, type Consumer } from "./obs.js";

export const CREATE = 1, START = 2, EXIT = 3, BLOCK = 4, UNBLOCK = 5;
export const TASK_BEGIN = 6, TASK_END = 7, REGION_BEGIN = 8, REGION_END = 9, LOG = 10;
export const EVENT_BYTES = 8 + 16;

export const strings: string[] = [""];
const stringIds = new Map<string, number>();
let lastString = "";
let lastId = 0;
let prevString = "";
let prevId = 0;
/** The id of `s` in `strings`. Park reasons repeat, often alternating (a ping-pong parks in send, then
 * in receive): the last two are checked before the map. */
export function intern(s: string): number {
  if (s === lastString) return lastId;
  let id: number;
  if (s === prevString) id = prevId;
  else {
    const got = stringIds.get(s);
    if (got === undefined) {
      id = strings.length;
      strings.push(s);
      stringIds.set(s, id);
    } else id = got;
  }
  prevString = lastString;
  prevId = lastId;
  lastString = s;
  lastId = id;
  return id;
}

/** One recording: a ring of `cap` events, or (ring false) chunks of `cap` events that grow. */
export class EventLog {
  n = 0;
  /** Index of the next write in the current array (n % cap, kept instead of computed). */
  private pos = 0;
  private t: Float64Array;
  private w: Int32Array;
  private readonly chunks: [Float64Array, Int32Array][] = [];
  constructor(
    readonly cap: number,
    readonly ring: boolean,
  ) {
    this.t = new Float64Array(cap);
    this.w = new Int32Array(cap * 4);
  }
  add(time: number, type: number, g: number, a: number, b: number): void {
    const i = this.pos;
    this.n++;
    this.t[i] = time;
    const w = this.w;
    const k = i << 2;
    w[k] = type;
    w[k + 1] = g;
    w[k + 2] = a;
    w[k + 3] = b;
    if (i + 1 === this.cap) this.wrap();
    else this.pos = i + 1;
  }
  /** The current array is full: a ring starts over, chunks get a new array. */
  private wrap(): void {
    this.pos = 0;
    if (this.ring) return;
    this.chunks.push([this.t, this.w]);
    this.t = new Float64Array(this.cap);
    this.w = new Int32Array(this.cap * 4);
  }
  /** Copies the live events out, oldest first, keeping those at or after `since`. */
  snapshot(since = -Infinity): { t: Float64Array; w: Int32Array } {
    let t: Float64Array;
    let w: Int32Array;
    if (this.ring) {
      const len = Math.min(this.n, this.cap);
      const start = this.n > this.cap ? this.n % this.cap : 0;
      t = new Float64Array(len);
      w = new Int32Array(len * 4);
      const first = this.cap - start;
      if (this.n > this.cap) {
        t.set(this.t.subarray(start), 0);
        t.set(this.t.subarray(0, start), first);
        w.set(this.w.subarray(start * 4), 0);
        w.set(this.w.subarray(0, start * 4), first * 4);
      } else {
        t.set(this.t.subarray(0, len));
        w.set(this.w.subarray(0, len * 4));
      }
    } else {
      const len = this.n;
      t = new Float64Array(len);
      w = new Int32Array(len * 4);
      let o = 0;
      for (const [ct, cw] of [...this.chunks, [this.t, this.w] as [Float64Array, Int32Array]]) {
        const m = Math.min(this.cap, len - o);
        t.set(ct.subarray(0, m), o);
        w.set(cw.subarray(0, m * 4), o * 4);
        o += m;
      }
    }
    // An UNBLOCK is stamped NaN (see `emit`): it takes the time of the next stamped event, or, at the
    // end of the window, of the last one.
    let next = NaN;
    for (let i = t.length - 1; i >= 0; i--) {
      if (Number.isNaN(t[i])) t[i] = next;
      else next = t[i];
    }
    let last = NaN;
    for (let i = 0; i < t.length; i++) {
      if (Number.isNaN(t[i])) t[i] = last;
      else last = t[i];
    }
    let from = 0;
    while (from < t.length && !(t[from] >= since)) from++;
    return { t: t.subarray(from), w: w.subarray(from * 4) };
  }
}

const logs: EventLog[] = [];
/**
 * Why an UNBLOCK reads no clock: a clock read (~35 ns) is most of an event's cost, and a ready is almost
 * always followed, in the same synchronous run, by the waker's next park or exit, which is stamped; the
 * snapshot gives the UNBLOCK that time (and the renderer starts the waker's run at the stamped event
 * before it, when the goroutine ahead of it parked). Rejected: one stamp per microtask burst (needs a reaction queued
 * per burst, which costs as much as the read it saves).
 */
function emit(type: number, g: number, a: number, b: number): void {
  const now = type === UNBLOCK ? NaN : stamp();
  if (only !== undefined) only.add(now, type, g, a, b);
  else for (let i = 0; i < logs.length; i++) logs[i].add(now, type, g, a, b);
}
/** The one recording log, when there is exactly one (the usual case): no loop. */
let only: EventLog | undefined;

const tracer: Consumer = {
  spawn(g: G, parent: G) {
    emit(CREATE, g.id, parent.id, intern(g.fn?.name ?? ""));
  },
  start(g: G) {
    emit(START, g.id, 0, 0);
  },
  park(g, w) {
    const now = stamp();
    const r = intern(w.reason);
    if (only !== undefined) only.add(now, BLOCK, g.id, r, 0);
    else for (let i = 0; i < logs.length; i++) logs[i].add(now, BLOCK, g.id, r, 0);
  },
  ready(g) {
    const waker = currentG().id;
    if (only !== undefined) only.add(NaN, UNBLOCK, g.id, waker, 0);
    else for (let i = 0; i < logs.length; i++) logs[i].add(NaN, UNBLOCK, g.id, waker, 0);
  },
  exit(g) {
    emit(EXIT, g.id, 0, 0);
  },
};

export function record(log: EventLog): void {
  if (!logs.includes(log)) logs.push(log);
  only = logs.length === 1 ? logs[0] : undefined;
  attach(tracer);
}
export function unrecord(log: EventLog): void {
  const i = logs.indexOf(log);
  if (i >= 0) logs.splice(i, 1);
  only = logs.length === 1 ? logs[0] : undefined;
  if (logs.length === 0) detach(tracer);
}
export function recording(): boolean {
  return logs.length > 0;
}
/** A user event (task, region, log) from goroutine/trace. */
export function userEvent(type: number, g: number, a: number, b: number): void {
  if (logs.length > 0) emit(type, g, a, b);
}
