/**
 * Renders an event window (src/internal/trace.ts) as Chrome Trace Event JSON: process 1 "threads" with a
 * lane per thread (run slices: which goroutine ran), process 2 "goroutines" with a lane per goroutine
 * (runnable / running / waiting slices), flow arrows from the waker's slice to the wakee's, async slices
 * for tasks, instant events for logs, and counters of running/runnable/waiting goroutines.
 *
 * Invariants:
 * - Output is ASCII/UTF-8 bytes written straight into large Buffers (no per-event strings or objects):
 *   a full 10 MiB ring is ~440k events, and building a string per event cost ~2 µs each.
 * - Events carry only the keys Chrome's trace viewer and Perfetto need (ph, pid, tid, ts, dur, name, and
 *   cat where it means something); timestamps are microseconds relative to the window's first event,
 *   with at most three decimals (ns precision) and no trailing zeros.
 * - Per-goroutine state lives in typed arrays indexed by a dense slot, not in per-goroutine objects.
 */
import {
  BLOCK, CREATE, EXIT, LOG, REGION_BEGIN, REGION_END, START, TASK_BEGIN, TASK_END, UNBLOCK, strings,
} from "./trace.js";

/** Goroutine states, as stored in the renderer's Uint8Array. */
type S = 0 | 1 | 2 | 3;
const S = { None: 0, Runnable: 1, Running: 2, Waiting: 3 } as const;

const CHUNK = 1 << 20;
/** "00" … "99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}
/** The longest fixed piece plus numbers written between two `room` checks. */
const SLACK = 512;

/** A writer of bytes into a list of Buffers of CHUNK bytes. */
class Out {
  readonly chunks: Buffer[] = [];
  buf = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  /** Makes sure `n` more bytes fit (n ≤ CHUNK). */
  room(n: number): void {
    if (this.pos + n <= CHUNK) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }
  /** Bytes from a pre-encoded piece (caller made room). */
  raw(b: Uint8Array): void {
    const n = b.length;
    if (n >= 16) {
      // TypedArray#set (a memcpy) wins from about 16 bytes; a byte loop below that (measured).
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i];
    this.pos = p;
  }
  /** A long piece of any length (a JSON-quoted name), making room itself. */
  long(b: Uint8Array): void {
    if (b.length > CHUNK - SLACK) {
      this.room(CHUNK);
      this.chunks.push(this.buf.subarray(0, this.pos), Buffer.from(b));
      this.buf = Buffer.allocUnsafe(CHUNK);
      this.pos = 0;
      return;
    }
    this.room(b.length + SLACK);
    this.raw(b);
  }
  /** A non-negative integer (caller made room). */
  int(v: number): void {
    if (v < 2147483648) {
      this.int32(v | 0);
      return;
    }
    const hi = Math.floor(v / 1e9);
    this.int32(hi | 0);
    let lo = (v - hi * 1e9) | 0;
    const buf = this.buf;
    let p = this.pos + 9;
    this.pos = p;
    for (let i = 0; i < 9; i++) {
      const q = (lo / 10) | 0;
      buf[--p] = 48 + (lo - q * 10);
      lo = q;
    }
  }
  /** 0 ≤ v < 2^31, in int32 arithmetic (a division by a constant becomes a multiply), two digits a step. */
  private int32(v: number): void {
    const buf = this.buf;
    let p = this.pos;
    if (v < 10) {
      buf[p] = 48 + v;
      this.pos = p + 1;
      return;
    }
    const n = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    p += n;
    this.pos = p;
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      buf[--p] = PAIRS[r + 1];
      buf[--p] = PAIRS[r];
      v = q;
    }
    if (v >= 10) {
      const r = v << 1;
      buf[p - 1] = PAIRS[r + 1];
      buf[p - 2] = PAIRS[r];
    } else buf[p - 1] = 48 + v;
  }
  /** A duration or time in integer ns, written as µs with up to three decimals (caller made room). */
  us(ns: number): void {
    const buf = this.buf;
    if (!(ns > 0)) {
      buf[this.pos++] = 48;
      return;
    }
    const whole = Math.floor(ns / 1000);
    let frac = (ns - whole * 1000) | 0;
    if (whole < 2147483648) this.int32(whole | 0);
    else this.int(whole);
    if (frac === 0) return;
    let p = this.pos;
    buf[p++] = 46; // "."
    const d0 = (frac / 100) | 0;
    frac -= d0 * 100;
    buf[p++] = 48 + d0;
    if (frac !== 0) {
      const d1 = (frac / 10) | 0;
      const d2 = frac - d1 * 10;
      buf[p++] = 48 + d1;
      if (d2 !== 0) buf[p++] = 48 + d2;
    }
    this.pos = p;
  }
  done(): Buffer[] {
    this.chunks.push(this.buf.subarray(0, this.pos));
    return this.chunks;
  }
}

const enc = (s: string): Buffer => Buffer.from(s, "utf8");
const quoted = (s: string): Buffer => enc(JSON.stringify(s));
// Pre-encoded pieces.
const P_THREAD_X = enc(',\n{"ph":"X","pid":1,"tid":0,"ts":');
const P_G_X = enc(',\n{"ph":"X","pid":2,"tid":');
const P_TS = enc(',"ts":');
const P_DUR = enc(',"dur":');
const P_NAME_G = enc(',"name":"G');
const P_QEND = enc('"}');
const P_RUNNING = enc(',"name":"running"}');
const P_RUNNABLE = enc(',"name":"runnable"}');
const P_WAITING_CAT = enc(',"cat":"waiting","name":');
const P_END = enc("}");
const P_FLOW_S = enc(',\n{"ph":"s","cat":"flow","name":"unblock","pid":2,"tid":');
const P_FLOW_F = enc(',\n{"ph":"f","bp":"e","cat":"flow","name":"unblock","pid":2,"tid":');
const P_ID = enc(',"id":');
const P_COUNTER = enc(',\n{"ph":"C","pid":2,"name":"goroutines","ts":');
const P_C_RUNNING = enc(',"args":{"running":');
const P_C_RUNNABLE = enc(',"runnable":');
const P_C_WAITING = enc(',"waiting":');
const P_END2 = enc("}}");
const P_LANE = enc(',\n{"ph":"M","pid":2,"name":"thread_name","tid":');
const P_ARGS_NAME = enc(',"args":{"name":');
const P_TASK_B = enc(',\n{"ph":"b","pid":2,"tid":0,"cat":"task","ts":');
const P_TASK_E = enc(',\n{"ph":"e","pid":2,"tid":0,"cat":"task","name":"task","ts":');
const P_NAME = enc(',"name":');
const P_ARGS_PARENT = enc(',"args":{"parent":');
const P_REGION_B = enc(',\n{"ph":"B","pid":2,"cat":"region","tid":');
const P_REGION_E = enc(',\n{"ph":"E","pid":2,"cat":"region","tid":');
const P_ARGS_TASK = enc(',"args":{"task":');
const P_LOG = enc(',\n{"ph":"i","s":"t","pid":2,"tid":');
const P_CAT = enc(',"cat":');
const HEAD = enc(
  '{"displayTimeUnit":"ns","traceEvents":[\n' +
    '{"ph":"M","pid":1,"name":"process_name","args":{"name":"threads"}},\n' +
    '{"ph":"M","pid":1,"tid":0,"name":"thread_name","args":{"name":"main thread"}},\n' +
    '{"ph":"M","pid":2,"name":"process_name","args":{"name":"goroutines"}}',
);
const TAIL = enc(',\n{"ph":"M","pid":2,"name":"process_sort_index","args":{"sort_index":2}}\n]}\n');

/** Chrome Trace Event JSON for the window `t`/`w`; returns the chunks to write, in order. */
export function render(t: Float64Array, w: Int32Array, known: (id: number) => string): Buffer[] {
  return new Renderer(t, w, known).run();
}

/**
 * One rendering. A class rather than closures inside `render`: closures made per call defeat the
 * optimizer's inlining from one writeTo to the next ("wrong call target" deopts).
 */
class Renderer {
  private readonly o = new Out();
  private readonly fnNames = new Map<number, string>();
  private readonly quotedCache = new Map<number, Buffer>();
  private readonly t0: number;
  // Per goroutine, by dense slot: state, since (ns), wait reason (string id).
  private readonly slotOf = new Map<number, number>();
  private readonly ids: number[] = [];
  /** Per slot, the bytes of a state slice up to its ts: `,\n{"ph":"X","pid":2,"tid":G,"ts":`. */
  private readonly xPrefix: Buffer[] = [];
  private st = new Uint8Array(64);
  private since = new Float64Array(64);
  private why = new Int32Array(64);
  private lastG = -1;
  private lastSlot = -1;
  private running = 0;
  private runnable = 0;
  private waiting = 0;
  /** The goroutine on the thread (0: none) and since when (ns). */
  private cur = 0;
  private curSince = 0;

  constructor(
    private readonly t: Float64Array,
    private readonly w: Int32Array,
    private readonly known: (id: number) => string,
  ) {
    this.t0 = t.length > 0 ? t[0] : 0;
  }

  private ns(x: number): number {
    return Math.round((x - this.t0) * 1e6);
  }

  private qs(id: number, fallback: string): Buffer {
    let b = this.quotedCache.get(id);
    if (b === undefined) this.quotedCache.set(id, (b = quoted(strings[id] ?? fallback)));
    return b;
  }

  /** The goroutine's slot; names its lane the first time (caller made room). */
  private slot(g: number): number {
    if (g === this.lastG) return this.lastSlot;
    let s = this.slotOf.get(g);
    if (s === undefined) {
      s = this.ids.length;
      this.ids.push(g);
      this.xPrefix.push(Buffer.concat([P_G_X, enc(String(g)), P_TS]));
      this.slotOf.set(g, s);
      if (s === this.st.length) {
        const st2 = new Uint8Array(s * 2);
        st2.set(this.st);
        this.st = st2;
        const si2 = new Float64Array(s * 2);
        si2.set(this.since);
        this.since = si2;
        const w2 = new Int32Array(s * 2);
        w2.set(this.why);
        this.why = w2;
      }
      const o = this.o;
      o.raw(P_LANE);
      o.int(g);
      o.raw(P_ARGS_NAME);
      o.long(quoted(`G${g} ${this.fnNames.get(g) ?? this.known(g)}`));
      o.raw(P_END2);
    }
    this.lastG = g;
    this.lastSlot = s;
    return s;
  }

  /** Moves `g` to state `s` at `at`, closing the slice of its previous state. */
  private set(g: number, s: S, at: number, reason: number): void {
    const o = this.o;
    o.room(SLACK);
    const k = this.slot(g);
    const prev = this.st[k] as S;
    const since = this.since[k];
    if (prev !== S.None && at === since) {
      // A zero-length slice draws nothing; only its bookkeeping matters (over half the slices of a
      // ping-pong are zero-length, because an UNBLOCK takes the time of the next stamped event).
      if (prev === S.Running) this.running--;
      else if (prev === S.Runnable) this.runnable--;
      else this.waiting--;
    } else if (prev !== S.None) {
      o.room(SLACK);
      o.raw(this.xPrefix[k]);
      o.us(since);
      o.raw(P_DUR);
      o.us(at - since);
      if (prev === S.Running) {
        o.raw(P_RUNNING);
        this.running--;
      } else if (prev === S.Runnable) {
        o.raw(P_RUNNABLE);
        this.runnable--;
      } else {
        o.raw(P_WAITING_CAT);
        o.long(this.qs(this.why[k], "waiting"));
        o.raw(P_END);
        this.waiting--;
      }
    }
    if (s === S.Running) this.running++;
    else if (s === S.Runnable) this.runnable++;
    else if (s === S.Waiting) this.waiting++;
    this.st[k] = s;
    this.since[k] = at;
    this.why[k] = reason;
  }

  /** A run slice of `g` on the thread lane, from curSince to `at`. */
  private runSlice(g: number, at: number): void {
    if (at === this.curSince) return; // zero-length: draws nothing
    const o = this.o;
    o.room(SLACK);
    o.raw(P_THREAD_X);
    o.us(this.curSince);
    o.raw(P_DUR);
    o.us(at - this.curSince);
    o.raw(P_NAME_G);
    o.int(g);
    o.raw(P_QEND);
  }

  private switchTo(g: number, at: number): void {
    const cur = this.cur;
    if (g === cur) return;
    if (cur !== 0) {
      this.runSlice(cur, at);
      const k = this.slotOf.get(cur);
      if (k !== undefined && this.st[k] === S.Running) this.set(cur, S.Runnable, at, 0);
    }
    this.cur = g;
    this.curSince = at;
    this.o.room(SLACK);
    if (this.st[this.slot(g)] !== S.Running) this.set(g, S.Running, at, 0);
  }

  private flow(ph: Uint8Array, g: number, at: number, id: number): void {
    const o = this.o;
    o.raw(ph);
    o.int(g);
    o.raw(P_TS);
    o.us(at);
    o.raw(P_ID);
    o.int(id);
    o.raw(P_END);
  }

  run(): Buffer[] {
    const { t, w, o } = this;
    const n = t.length;
    for (let i = 0; i < n; i++) if (w[i * 4] === CREATE) this.fnNames.set(w[i * 4 + 1], strings[w[i * 4 + 3]] ?? "");
    o.long(HEAD);
    let flow = 0;
    let lastCounter = -Infinity;
    const span = n > 0 ? this.ns(t[n - 1]) : 0;
    const counterStep = span / 2000;
    let prevAt = 0;
    for (let i = 0; i < n; i++) {
      const at = this.ns(t[i]);
      const k = i * 4;
      const type = w[k];
      const g = w[k + 1];
      const a = w[k + 2];
      const b = w[k + 3];
      if (type !== UNBLOCK) prevAt = at;
      switch (type) {
        case CREATE:
          this.switchTo(a, at);
          this.set(g, S.Runnable, at, 0);
          break;
        case START:
          this.switchTo(g, at);
          break;
        case EXIT:
          this.switchTo(g, at);
          this.set(g, S.None, at, 0);
          this.runSlice(g, at);
          this.cur = 0;
          this.curSince = at;
          break;
        case BLOCK:
          this.switchTo(g, at);
          this.set(g, S.Waiting, at, a);
          this.runSlice(g, at);
          this.cur = 0;
          this.curSince = at;
          break;
        case UNBLOCK: {
          // `at` is the next stamped event's time (see trace.ts). A goroutine waker resumed as a
          // microtask right after the previous stamped event (the park of the goroutine before it), so
          // its run starts there. The main goroutine also stands for event-loop callbacks (timers, I/O)
          // that may come after idle time: its run starts at `at`, so idle time is not drawn as running.
          const from = a === 1 ? at : prevAt;
          this.switchTo(a, from);
          prevAt = from; // whoever runs after this waker started no earlier
          this.set(g, S.Runnable, at, 0);
          const id = ++flow;
          o.room(SLACK);
          this.flow(P_FLOW_S, a, at, id);
          this.flow(P_FLOW_F, g, at, id);
          break;
        }
        case TASK_BEGIN:
          o.room(SLACK);
          o.raw(P_TASK_B);
          o.us(at);
          o.raw(P_ID);
          o.int(g);
          o.raw(P_ARGS_PARENT);
          o.int(b);
          o.raw(P_END);
          o.raw(P_NAME);
          o.long(this.qs(a, ""));
          o.raw(P_END);
          break;
        case TASK_END:
          o.room(SLACK);
          o.raw(P_TASK_E);
          o.us(at);
          o.raw(P_ID);
          o.int(g);
          o.raw(P_END);
          break;
        case REGION_BEGIN:
        case REGION_END:
          o.room(SLACK);
          this.slot(g);
          o.raw(type === REGION_BEGIN ? P_REGION_B : P_REGION_E);
          o.int(g);
          o.raw(P_TS);
          o.us(at);
          if (type === REGION_BEGIN) {
            o.raw(P_ARGS_TASK);
            o.int(b);
            o.raw(P_END);
          }
          o.raw(P_NAME);
          o.long(this.qs(a, ""));
          o.raw(P_END);
          break;
        case LOG: {
          o.room(SLACK);
          this.slot(g);
          const [cat, msg] = (strings[a] ?? "").split("\0");
          o.raw(P_LOG);
          o.int(g);
          o.raw(P_TS);
          o.us(at);
          o.raw(P_ARGS_TASK);
          o.int(b);
          o.raw(P_END);
          o.raw(P_CAT);
          o.long(quoted(cat === "" || cat === undefined ? "log" : cat));
          o.raw(P_NAME);
          o.long(quoted(msg ?? ""));
          o.raw(P_END);
          break;
        }
      }
      if (at - lastCounter >= counterStep || i === n - 1) {
        lastCounter = at;
        o.room(SLACK);
        o.raw(P_COUNTER);
        o.us(at);
        o.raw(P_C_RUNNING);
        o.int(this.running);
        o.raw(P_C_RUNNABLE);
        o.int(this.runnable);
        o.raw(P_C_WAITING);
        o.int(this.waiting);
        o.raw(P_END2);
      }
    }
    // close the slices still open at the end of the window
    const end = n > 0 ? this.ns(t[n - 1]) : 0;
    for (let k = 0; k < this.ids.length; k++) if (this.st[k] !== S.None) this.set(this.ids[k], S.None, end, 0);
    o.long(TAIL);
    return o.done();
  }
}
