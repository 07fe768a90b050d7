/**
 * goroutine/pprof — Go's `runtime/pprof` for goroutines: the goroutine, block, mutex and goroutineleak
 * profiles, written as gzipped profile.proto (`go tool pprof` reads them), Go's grouped text (debug=1)
 * or the full goroutine dump (debug=2); block and mutex profiling with Go's sampling rules; profiler
 * labels.
 *
 * What a "stack" is here: JavaScript cannot walk a suspended goroutine's stack, so a goroutine's stack
 * is what the runtime knows — what it is parked on (`runtime.gopark (chan receive)`), its function, and
 * where it was created (when creation stacks are on). Block and mutex stacks are real JavaScript stacks
 * captured at the event, with the library's own frames removed.
 */
import type { Context } from "../context/index.js";
import { withValue } from "../context/index.js";
import { currentG, type G, WAITING } from "../internal/scheduler.js";
import * as eng from "../internal/pprof.js";

/** A profile, as Go's `*pprof.Profile`. */
export interface Profile {
  /** The profile's name ("goroutine", "block", "mutex", "goroutineleak"). */
  readonly name: string;
  /** How many entries it has now: goroutines, or distinct stacks for block and mutex. */
  count(): number;
  /**
   * writeTo writes the profile to `out`: debug 0 gzipped profile.proto, 1 Go's legacy text with
   * comments, 2 (goroutine profiles) the full dump in the format of an unrecovered panic. Resolves once
   * `out` has taken the bytes (its write callback); never ends `out`.
   *
   * **Errors:** rejects with RangeError for another `debug`, with the stream's error if writing fails,
   * and (debug 0) with an Error naming pprof-format when that optional peer dependency is missing.
   */
  writeTo(out: NodeJS.WritableStream, debug: 0 | 1 | 2): Promise<void>;
}

function write(out: NodeJS.WritableStream, data: string | Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    out.write(data, (e?: Error | null) => (e ? reject(e) : resolve()));
  });
}

function checkDebug(debug: unknown): void {
  if (debug !== 0 && debug !== 1 && debug !== 2) throw new RangeError(`pprof: debug must be 0, 1 or 2, got ${String(debug)}`);
}

function goroutineProfile(name: string, pick: () => G[]): Profile {
  return {
    name,
    count: () => pick().length,
    async writeTo(out, debug) {
      checkDebug(debug);
      if (name === "goroutineleak") await settleFinalizers();
      const gs = pick();
      if (debug === 2) return write(out, eng.dump((g) => gs.includes(g)));
      if (debug === 1) return write(out, eng.goroutineText(gs).replace(/^goroutine profile/, `${name} profile`));
      // One sample per distinct stack and label set, its value the count (as Go's count profiles).
      const groups = new Map<string, { stack: eng.Frame[]; values: number[]; labels: eng.Labels | undefined }>();
      for (const g of gs) {
        const stack = eng.goroutineStack(g);
        const labels = eng.goroutineLabels.get(g);
        const key = eng.stackKey(stack, labels);
        const e = groups.get(key);
        if (e === undefined) groups.set(key, { stack, values: [1], labels });
        else e.values[0]++;
      }
      const samples = [...groups.values()];
      return write(out, await eng.encodeProto([[name === "goroutine" ? "goroutine" : name, "count"]], ["goroutine", "count", 1], samples));
    },
  };
}

function contentionProfile(name: "block" | "mutex"): Profile {
  const records = name === "block" ? eng.blockRecords : eng.mutexRecords;
  return {
    name,
    count: () => records.size,
    async writeTo(out, debug) {
      checkDebug(debug);
      if (debug !== 0) return write(out, eng.contentionText(records, name === "mutex" ? eng.mutexProfileFraction() : undefined));
      const samples = [...records.values()].map((r) => ({ stack: r.stack, values: [r.count, r.cycles] }));
      return write(out, await eng.encodeProto([["contentions", "count"], ["delay", "nanoseconds"]], ["contentions", "count", 1], samples));
    },
  };
}

/** Lets FinalizationRegistry callbacks queued by a collection run before the leak profile is read. */
async function settleFinalizers(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
  await new Promise<void>((r) => setImmediate(r));
  await new Promise<void>((r) => setImmediate(r));
}

let profiles: Map<string, Profile> | undefined;

/**
 * lookup returns the named profile, or undefined if there is none (Go's `pprof.Lookup`): "goroutine",
 * "block", "mutex", "goroutineleak". The first lookup of "goroutineleak" starts watching parks: from then
 * on a goroutine parked on a channel, lock, wait group or cond that has been garbage-collected (nothing
 * can ever wake it) is in that profile. (The collector decides when that is; run node with --expose-gc
 * and writeTo collects first.)
 *
 * @example
 * ```ts
 * import * as pprof from "goroutine/pprof";
 * import { Writable } from "node:stream";
 * let text = "";
 * const sink = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
 * await pprof.lookup("goroutine")!.writeTo(sink, 1);
 * console.log(text.startsWith("goroutine profile: total 1")); // true
 * ```
 */
export function lookup(name: string): Profile | undefined {
  profiles ??= new Map<string, Profile>([
    ["goroutine", goroutineProfile("goroutine", () => allLive())],
    ["goroutineleak", goroutineProfile("goroutineleak", () => [...eng.leaked].filter((g) => g.state === WAITING))],
    ["block", contentionProfile("block")],
    ["mutex", contentionProfile("mutex")],
  ]);
  if (name === "goroutineleak") eng.armLeaks();
  return profiles.get(name);
}

function allLive(): G[] {
  return eng.allGoroutines();
}

/** profiles lists every profile, as Go's `pprof.Profiles`. */
export function list(): Profile[] {
  return ["goroutine", "goroutineleak", "block", "mutex"].map((n) => lookup(n)!);
}

/**
 * setBlockProfileRate controls the block profile (Go's `runtime.SetBlockProfileRate`): on average one
 * blocking event per `rate` nanoseconds spent blocked is recorded — every event at least `rate` long,
 * shorter ones with probability duration/rate; 1 records every event, 0 or less turns it off. The stack
 * is the one where the goroutine blocked.
 *
 * @throws RangeError if `rate` is NaN or not a number.
 */
export function setBlockProfileRate(rate: number): void {
  eng.setBlockProfileRate(rate);
}

/**
 * setMutexProfileFraction controls the mutex profile (Go's `runtime.SetMutexProfileFraction`): on average
 * 1 in `n` lock hand-offs of a contended sync.Mutex or RWMutex is recorded, charged to the goroutine that
 * unlocked (its stack, at the unlock) with the time the waiter waited; 0 turns it off, a negative `n` only
 * reads. Returns the previous fraction.
 *
 * @throws RangeError if `n` is NaN or not a number.
 */
export function setMutexProfileFraction(n: number): number {
  return eng.setMutexProfileFraction(n);
}

const LABELS = Symbol("pprof.labels");

/**
 * withLabels returns a copy of `ctx` carrying `labels` added to those it already has (Go's
 * `pprof.WithLabels(ctx, pprof.Labels(...))`). Apply them to a goroutine with {@link setGoroutineLabels}.
 *
 * @throws TypeError if a label value is not a string.
 */
export function withLabels(ctx: Context, labels: Record<string, string>): Context {
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== "string") throw new TypeError(`pprof.withLabels: label ${k} must be a string, got ${typeof v}`);
  }
  const prev = ctx.value<eng.Labels>(LABELS) ?? {};
  return withValue(ctx, LABELS, Object.freeze({ ...prev, ...labels }));
}

/** labels returns the labels `ctx` carries (Go's `pprof.Label`/`ForLabels`). */
export function labels(ctx: Context): Readonly<Record<string, string>> {
  return ctx.value<eng.Labels>(LABELS) ?? {};
}

/**
 * setGoroutineLabels sets the current goroutine's labels to those of `ctx` (Go's
 * `pprof.SetGoroutineLabels`); they show in the goroutine profile (as sample labels in debug=0, a
 * `# labels:` line in debug=1).
 */
export function setGoroutineLabels(ctx: Context): void {
  eng.goroutineLabels.set(currentG(), labels(ctx));
}
