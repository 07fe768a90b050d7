/**
 * The profiles behind goroutine/pprof: goroutine, block, mutex and goroutineleak, in Go's three
 * encodings (gzipped profile.proto, the grouped text of debug=1, the full dump of debug=2).
 *
 * Invariants:
 * - Block and mutex records are aggregated by stack (the formatted frames, library frames removed);
 *   each record's `count` and `cycles` only grow, as Go's buckets. Cycles are nanoseconds
 *   (cycles/second = 1e9).
 * - The block consumer is attached to the scheduler hook exactly while the block profile rate is > 0;
 *   the lock hook is set exactly while the mutex profile fraction is > 0; the leak consumer is attached
 *   from the first lookup("goroutineleak") on.
 * - A goroutine is in `leaked` only while it is WAITING in the park that was registered: a ready or an
 *   exit removes it.
 */
import { gzipSync } from "node:zlib";
import { type Ext, type G, WAITING, allGoroutines, creationSite, dump, setLockHook } from "./scheduler.js";
import { clockOf, monoNow } from "./clock.js";
import { attach, detach, type Consumer } from "./obs.js";

export interface Frame {
  fn: string;
  file: string;
  line: number;
}

/** Where the library's own modules live: their frames are dropped from stacks (Go drops runtime frames). */
const LIB = new URL("../", import.meta.url).href;
const LIB_PATH = LIB.startsWith("file://") ? decodeURIComponent(new URL(LIB).pathname) : LIB;

/** Parses V8 stack lines into frames, skipping the library's own. */
export function parseStack(stack: string | undefined): Frame[] {
  if (stack === undefined) return [];
  const out: Frame[] = [];
  for (const raw of stack.split("\n")) {
    const l = raw.trim();
    if (!l.startsWith("at ")) continue;
    const f = parseFrame(l.slice(3));
    if (f.file.startsWith(LIB) || f.file.startsWith(LIB_PATH) || f.file.startsWith("node:")) continue;
    out.push(f);
  }
  return out;
}

/** One V8 frame ("fn (file:line:col)" or "file:line:col") as a Frame. */
export function parseFrame(s: string): Frame {
  const m = /^(.*?) \((.*)\)$/.exec(s);
  const fn = m === null ? "" : m[1].replace(/^async /, "");
  const where = m === null ? s : m[2];
  const lm = /^(.*):(\d+):\d+$/.exec(where);
  let file = lm === null ? where : lm[1];
  if (file.startsWith("file://")) file = decodeURIComponent(new URL(file).pathname);
  return { fn: fn === "" ? "<anonymous>" : fn, file, line: lm === null ? 0 : Number(lm[2]) };
}

// ---- labels ------------------------------------------------------------------------------------------

export type Labels = Readonly<Record<string, string>>;
export const goroutineLabels = new WeakMap<G, Labels>();

// ---- goroutine stacks --------------------------------------------------------------------------------

/** A goroutine's stack as far as this runtime knows it: what it waits on, its function, its creator. */
export function goroutineStack(g: G): Frame[] {
  const frames: Frame[] = [];
  if (g.state === WAITING) frames.push({ fn: `runtime.gopark (${(g.ext as Ext).reason})`, file: "", line: 0 });
  const name = g.id === 1 ? "main" : g.fn !== undefined && g.fn.name !== "" ? g.fn.name : "anonymous";
  frames.push({ fn: name, file: "", line: 0 });
  const site = creationSite(g);
  if (site !== undefined) frames.push(createdBy(site[0], site[1]));
  return frames;
}

/**
 * The "created by" frame of a creation site, parsed once per distinct site: 100,000 goroutines usually
 * come from a handful of `go` calls, and parsing (a URL decode per frame) was most of a profile's time.
 */
const sites = new Map<string, Frame>();
function createdBy(fn: string, where: string): Frame {
  const key = `${fn}\0${where}`;
  let f = sites.get(key);
  if (f === undefined) {
    const p = parseFrame(fn === "" ? where : `${fn} (${where})`);
    f = { fn: `created by ${p.fn === "<anonymous>" ? "main" : p.fn}`, file: p.file, line: p.line };
    if (sites.size >= 10_000) sites.clear(); // bounded: sites are code locations, but eval'd code makes new ones
    sites.set(key, f);
  }
  return f;
}

/** A key that is equal for goroutines with the same stack and labels (Go groups a count profile by it). */
export function stackKey(stack: Frame[], labels: Labels | undefined): string {
  let key = "";
  for (const f of stack) key += `${f.fn}@${f.file}:${f.line}|`;
  if (labels !== undefined) for (const k of Object.keys(labels).sort()) key += `\0${k}=${labels[k]}`;
  return key;
}

// ---- block and mutex records ------------------------------------------------------------------------

export interface Record_ {
  stack: Frame[];
  count: number;
  cycles: number;
}
export const blockRecords = new Map<string, Record_>();
export const mutexRecords = new Map<string, Record_>();

function add(m: Map<string, Record_>, stack: string | undefined, count: number, cycles: number): void {
  const key = stack ?? "";
  let r = m.get(key);
  if (r === undefined) {
    r = { stack: parseStack(stack), count: 0, cycles: 0 };
    m.set(key, r);
  }
  r.count += count;
  r.cycles += cycles;
}

function captureStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 24;
  const e = new Error();
  Error.stackTraceLimit = limit;
  return e.stack;
}

let blockRate = 0;
const blockStarts = new WeakMap<G, { at: number; stack: string | undefined }>();
const blockConsumer: Consumer = {
  park(g) {
    blockStarts.set(g, { at: monoNow(), stack: captureStack() });
  },
  ready(g) {
    const s = blockStarts.get(g);
    if (s === undefined) return;
    blockStarts.delete(g);
    const cycles = (monoNow() - s.at) * 1e6;
    // Go's rule: every event at least `rate` ns long, a shorter one with probability cycles/rate, then
    // weighted up so the totals stay unbiased.
    if (blockRate > cycles) {
      if (Math.random() * blockRate > cycles) return;
      add(blockRecords, s.stack, blockRate / Math.max(cycles, 1), blockRate);
    } else add(blockRecords, s.stack, 1, cycles);
  },
};

export function setBlockProfileRate(rate: number): void {
  if (typeof rate !== "number" || Number.isNaN(rate)) throw new RangeError(`pprof.setBlockProfileRate: rate must be a number, got ${String(rate)}`);
  blockRate = rate <= 0 ? 0 : rate === 1 ? 1 : Math.floor(rate);
  if (blockRate > 0) attach(blockConsumer);
  else detach(blockConsumer);
}
export function blockProfileRate(): number {
  return blockRate;
}

let mutexFraction = 0;
export function setMutexProfileFraction(n: number): number {
  if (typeof n !== "number" || Number.isNaN(n)) throw new RangeError(`pprof.setMutexProfileFraction: rate must be a number, got ${String(n)}`);
  const prev = mutexFraction;
  if (n < 0) return prev; // Go: a negative rate only reads the current one
  mutexFraction = Math.floor(n);
  setLockHook(mutexFraction > 0 ? lockProfiler : undefined);
  return prev;
}
export function mutexProfileFraction(): number {
  return mutexFraction;
}
/**
 * Go charges contention at the unlock, to the unlocker's stack. Here a hand-off may come a little after
 * the unlock (normal mode lets the waiter's chance come later), so the unlock samples (1 in n) and keeps
 * the unlocker's stack on the mutex, and the hand-off adds the waiter's wait to it.
 */
const unlockStacks = new WeakMap<object, string | undefined>();
const lockProfiler = {
  unlock(mu: object): void {
    const rate = mutexFraction;
    if (rate <= 0 || Math.floor(Math.random() * rate) !== 0) return;
    unlockStacks.set(mu, captureStack());
  },
  handoff(_g: G, ms: number, mu: object): void {
    if (!unlockStacks.has(mu)) return;
    const stack = unlockStacks.get(mu);
    unlockStacks.delete(mu);
    const rate = mutexFraction;
    add(mutexRecords, stack, rate, ms * 1e6 * rate);
  },
};

// ---- leaks -------------------------------------------------------------------------------------------

export const leaked = new Set<G>();
interface Parked {
  g: G;
  epoch: number;
}
const epochs = new WeakMap<G, number>();
const collected = new FinalizationRegistry<Parked>((p) => {
  if (p.g.state === WAITING && epochs.get(p.g) === p.epoch) leaked.add(p.g);
});
let nextEpoch = 1;
/**
 * A started goroutine's record keeps its function only for the dump's name, but the function's closure
 * often holds the very channel the goroutine waits on, which would keep it reachable forever. While leak
 * detection is on, a parked goroutine's function is swapped for a stub of the same name (one per name).
 */
const stubs = new Map<string, (...a: never[]) => unknown>();
function stubFor(name: string): (...a: never[]) => unknown {
  let f = stubs.get(name);
  if (f === undefined) {
    f = { [name]: () => undefined }[name];
    stubs.set(name, f);
  }
  return f;
}
const leakConsumer: Consumer = {
  park(g, w, on) {
    if (on === undefined) return;
    const fn = g.fn;
    if (fn !== undefined && g.id !== 1 && stubs.get(fn.name) !== fn) (g as { fn: unknown }).fn = stubFor(fn.name);
    const epoch = nextEpoch++;
    epochs.set(g, epoch);
    collected.register(on, { g, epoch }, w);
  },
  ready(g, w) {
    epochs.delete(g);
    collected.unregister(w);
    leaked.delete(g);
  },
  exit(g) {
    epochs.delete(g);
    leaked.delete(g);
  },
};
/** Starts watching parks for leaks (from the first lookup of the profile on). */
export function armLeaks(): void {
  attach(leakConsumer);
}

// ---- encodings ---------------------------------------------------------------------------------------

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** Assigns fake program counters to frames, one per distinct frame. */
class Pcs {
  readonly ids = new Map<string, number>();
  readonly frames: Frame[] = [];
  pc(f: Frame): number {
    const key = `${f.fn}\0${f.file}\0${f.line}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.frames.length + 1;
      this.ids.set(key, id);
      this.frames.push(f);
    }
    return id;
  }
}
const PC_BASE = 0x400000;

function frameLine(pcs: Pcs, f: Frame): string {
  return `#\t${hex(PC_BASE + pcs.pc(f) * 16)}\t${f.fn}+0x0\t${f.file === "" ? "?" : f.file}:${f.line}`;
}

/** Go's debug=1 goroutine profile: "goroutine profile: total N", then groups by count, largest first. */
export function goroutineText(gs: G[]): string {
  const groups = new Map<string, { n: number; stack: Frame[]; labels: string }>();
  for (const g of gs) {
    const stack = goroutineStack(g);
    const l = goroutineLabels.get(g);
    const key = stackKey(stack, l);
    const e = groups.get(key);
    if (e === undefined) {
      const labels = l === undefined ? "" : `{${Object.entries(l).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(", ")}}`;
      groups.set(key, { n: 1, stack, labels });
    } else e.n++;
  }
  const pcs = new Pcs();
  const parts = [`goroutine profile: total ${gs.length}\n`];
  for (const e of [...groups.values()].sort((a, b) => b.n - a.n)) {
    const addrs = e.stack.map((f) => hex(PC_BASE + pcs.pc(f) * 16)).join(" ");
    let s = `${e.n} @ ${addrs}\n`;
    if (e.labels !== "") s += `# labels: ${e.labels}\n`;
    for (const f of e.stack) s += frameLine(pcs, f) + "\n";
    parts.push(s + "\n");
  }
  return parts.join("");
}

/** Go's debug=1 contention profile (block or mutex). */
export function contentionText(m: Map<string, Record_>, mutexRate: number | undefined): string {
  const pcs = new Pcs();
  let s = `--- ${mutexRate === undefined ? "contention" : "mutex"}:\ncycles/second=1000000000\n`;
  if (mutexRate !== undefined) s += `sampling period=${mutexRate}\n`;
  for (const r of [...m.values()].sort((a, b) => b.cycles - a.cycles)) {
    s += `${Math.round(r.cycles)} ${Math.round(r.count)} @ ${r.stack.map((f) => hex(PC_BASE + pcs.pc(f) * 16)).join(" ")}\n`;
    for (const f of r.stack) s += frameLine(pcs, f) + "\n";
  }
  return s;
}

export { dump };

type PprofFormat = typeof import("pprof-format");

/** Builds a gzipped profile.proto with pprof-format (an optional peer dependency, loaded here). */
export async function encodeProto(
  sampleTypes: [string, string][],
  period: [string, string, number],
  samples: { stack: Frame[]; values: number[]; labels?: Labels }[],
): Promise<Buffer> {
  let pf: PprofFormat;
  try {
    pf = await import("pprof-format");
  } catch (e) {
    throw new Error("pprof: writing a binary profile (debug=0) needs the pprof-format package: npm install pprof-format", { cause: e });
  }
  const st = new pf.StringTable();
  const fnIds = new Map<string, number>();
  const locIds = new Map<string, number>();
  const functions: import("pprof-format").FunctionInput[] = [];
  const locations: import("pprof-format").LocationInput[] = [];
  const loc = (f: Frame): number => {
    const key = `${f.fn}\0${f.file}\0${f.line}`;
    let id = locIds.get(key);
    if (id !== undefined) return id;
    const fk = `${f.fn}\0${f.file}`;
    let fid = fnIds.get(fk);
    if (fid === undefined) {
      fid = functions.length + 1;
      fnIds.set(fk, fid);
      functions.push({ id: fid, name: st.dedup(f.fn), systemName: st.dedup(f.fn), filename: st.dedup(f.file) });
    }
    id = locations.length + 1;
    locIds.set(key, id);
    locations.push({ id, address: PC_BASE + id * 16, line: [{ functionId: fid, line: f.line }] });
    return id;
  };
  const sample = samples.map((s) => ({
    locationId: s.stack.map(loc),
    value: s.values.map((v) => Math.round(v)),
    label: s.labels === undefined ? [] : Object.entries(s.labels).map(([k, v]) => ({ key: st.dedup(k), str: st.dedup(v) })),
  }));
  const profile = new pf.Profile({
    sampleType: sampleTypes.map(([t, u]) => new pf.ValueType({ type: st.dedup(t), unit: st.dedup(u) })),
    sample: sample.map((s) => new pf.Sample({ ...s, label: s.label.map((l) => new pf.Label(l)) })),
    location: locations.map((l) => new pf.Location({ ...l, line: (l.line ?? []).map((x) => new pf.Line(x)) })),
    function: functions.map((f) => new pf.Function(f)),
    stringTable: st,
    periodType: new pf.ValueType({ type: st.dedup(period[0]), unit: st.dedup(period[1]) }),
    period: period[2],
    timeNanos: Math.round(clockOf().now() * 1e6),
  });
  return gzipSync(profile.encode());
}

export { allGoroutines };
