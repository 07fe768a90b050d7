/**
 * The scheduler seam: goroutine records, the registry, parking and waking, preemption, panics and the
 * process-exit deadlock check. Every blocking primitive of the library parks through here, which is what
 * lets the runtime say what each goroutine waits on and lets synctest know when a bubble is idle.
 *
 * Invariants:
 * - A goroutine record (G) is in the registry (`all[g.slot] === g`) from `go()` until its function
 *   settles, when it becomes DEAD; the main goroutine (id 1) is live forever and kept outside the array.
 *   `live` counts the live ones, main included; `all` holds `live - 1` goroutines and `holes` holes
 *   below `top`, and the ones at `started` and after have not started yet.
 * - `g.state === WAITING` exactly while the goroutine is parked in a primitive: set by `park`, cleared by
 *   `ready` when its last outstanding wait ends. A primitive calls `ready` before (or while) it settles
 *   the promise the goroutine awaits.
 * - The current goroutine is the goroutine-local slot (gls.ts); outside any goroutine it is the main
 *   goroutine. The slot is set once per goroutine (in `start`) and flows through every await.
 * - Wakes are never lost: while preemption is pending they are queued in `deferred` and flushed, in order,
 *   by the probe in a later check phase (the next one, or the one after when the timers phase must come
 *   first; see `probe`); wakes held for the waker (`held`, see `wake`) are released, in order, when
 *   any goroutine parks or when the microtask queue drains, whichever comes first.
 *
 * Why a context slot carried by V8 rather than a "current goroutine" variable set on resume: a
 * continuation after `await` runs when V8 drains the microtask queue, not when we settle the promise, so a
 * variable set by the waker would be wrong whenever two goroutines are woken in one turn. gls.ts explains
 * the two backends (V8's continuation-preserved data, or AsyncLocalStorage) and what each costs.
 */
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { channel } from "node:diagnostics_channel";
import * as gls from "./gls.js";
import { monoNow } from "./clock.js";

/** Goroutine states, as the dump prints them. */
export const RUNNABLE = 0;
export const WAITING = 1;
export const DEAD = 2;

/** Hooks a synctest bubble installs on its goroutines; see src/internal/bubble.ts. */
export interface BubbleHooks {
  /**
   * Called when a goroutine of the bubble becomes durably blocked (`on`: every wait it has outstanding
   * can only be ended by the bubble) or stops being so (a wait ended, or a non-durable one began).
   */
  onDurable(g: G, on: boolean): void;
  /** Called when a goroutine of the bubble starts. */
  onStart(g: G): void;
  /** Called when a goroutine of the bubble has finished. */
  onExit(g: G): void;
  /** The bubble's id, for error messages and dumps. */
  readonly id: number;
  /** The bubble's fake clock. */
  readonly clock: import("./clock.js").Clock;
}

/** Shared by every goroutine started without arguments (one array, not one per goroutine). */
export const NO_ARGS: unknown[] = [];

/**
 * A captured, not yet formatted, creation stack: an Error made inside `go` itself (its first frame is
 * `go`, the second the caller), or a holder filled by `Error.captureStackTrace(holder, skip)` (its first
 * frame is the caller).
 */
export type SiteRecord = Error | { stack?: string };

/**
 * Everything about a goroutine that a plain fan-out goroutine does not need: where it was created (when
 * creation stacks are on), its arguments until it starts, and its waiting details once it has parked. A
 * goroutine started without arguments and with creation stacks off keeps only its parent's id, as a
 * number, until its first park; the record is made then (by {@link newExt}) and reused for every later
 * park.
 */
export interface Ext {
  /** Id of the goroutine that called `go`. */
  readonly parentId: number;
  /** The arguments to start `fn` with; dropped once it has started. */
  args: unknown[];
  /** Where `go` was called, when creation stacks were on. */
  readonly site: SiteRecord | undefined;
  /** Waits outstanding (a goroutine can await several primitives at once, e.g. with Promise.all). */
  parks: number;
  /** How many of them are not durable. */
  nonDurable: number;
  /** Durably blocked: parked, and every outstanding wait can only be ended by its bubble. */
  durable: boolean;
  /** What the goroutine waits on while WAITING: Go's wait reason ("chan receive", "select", …). */
  reason: string;
  /** monoNow() when it parked (the start of that microtask burst). */
  since: number;
  /** monoNow() of a sampled ready (for /sched/latencies), 0 when none is pending; see {@link ready}. */
  readyAt: number;
}

/** Makes an {@link Ext}; an object literal, for the same reason as {@link newG}. */
function newExt(parentId: number, args: unknown[], site: SiteRecord | undefined): Ext {
  return { parentId, args, site, parks: 0, nonDurable: 0, durable: false, reason: "", since: 0, readyAt: 0 };
}

/**
 * A goroutine record. Only `id` is public (as {@link Goroutine}); the rest is the runtime's. Made only by
 * {@link newG}.
 *
 * Why a plain object made by one object literal, with few fields: a fan-out of N goroutines keeps N
 * records live across several scavenges. As class instances each was copied and then promoted, and that
 * was most of what `go` cost beyond a bare async call (spawn bench, stacks off: a 14-field class 319 ns
 * per goroutine against 101 for a bare async call; 8 fields ~265 ns, but 573 ns with 3 more, as V8 also
 * sizes its young generation by how much survives). V8 tracks the survival of objects made by a literal,
 * per literal, and once most survive allocates them in the old generation directly (pretenuring; it does
 * not do this for `new` of a class): promoted bytes per spawn 110 -> 64, a third fewer scavenges, ~217
 * -> ~173 ns. Short-lived goroutines keep being allocated young. Rarely used data lives in the
 * {@link Ext}; registry membership is one array slot.
 */
export interface G {
  readonly id: number;
  /** The function the goroutine runs, for the dump. */
  readonly fn: ((...args: never[]) => unknown) | undefined;
  /** RUNNABLE, WAITING (parked in a primitive) or DEAD. */
  state: number;
  /** Index in the registry array; owned by the registry. */
  slot: number;
  /** The synctest bubble it belongs to, if any. */
  readonly bubble: BubbleHooks | undefined;
  /** The parent's id alone, or the {@link Ext} that holds it. */
  ext: number | Ext;
}

/** Makes a goroutine record (the one allocation site V8 may pretenure; see {@link G}). */
export function newG(
  id: number,
  fn: ((...args: never[]) => unknown) | undefined,
  ext: number | Ext,
  slot: number,
  bubble: BubbleHooks | undefined,
): G {
  return { id, fn, state: RUNNABLE, slot, bubble, ext };
}

/** Id of the goroutine that called `go` to make `g`. */
export function parentIdOf(g: G): number {
  const x = g.ext;
  return typeof x === "number" ? x : x.parentId;
}

/** The {@link Ext} of `g` (its waiting details), or undefined if it has none yet (it never parked). */
export function waitOf(g: G): Ext | undefined {
  const x = g.ext;
  return typeof x === "number" ? undefined : x;
}

/** The {@link Ext} of `g`, made now if it has none yet. */
export function ext(g: G): Ext {
  const x = g.ext;
  return typeof x === "number" ? (g.ext = newExt(x, NO_ARGS, undefined)) : x;
}

/** The public view of a goroutine. */
export interface Goroutine {
  /** The goroutine's id: 1 is the main goroutine; ids are never reused. */
  readonly id: number;
}

let nextId = 1;
/** The main goroutine: the process's top level and everything not started by `go`. */
export const mainG = newG(nextId++, undefined, 0, -1, undefined);

/**
 * The registry: every live goroutine but main, in creation order, with holes where goroutines have
 * exited (`g.slot` is a G's index). Goroutines at `started` and after have been created but not yet
 * started; the spawn drain starts them in order. One array serves as registry and start queue, so a
 * spawn costs one array slot and a number on the G, where a doubly linked list cost two pointer fields
 * per G plus a separate queue.
 *
 * Holes cost nothing until the array would have to grow: then, if they outnumber live goroutines, they
 * are squeezed out (order kept) instead. When the last goroutine exits the array is simply reused from
 * index 0, so a fan-out that finishes never moves anything (squeezing on exit, as first written, moved
 * the survivors of a 200k fan-out about twice over). Neither happens during a drain, whose loop indexes
 * the array. Entries from `top` on are unused: the array keeps the capacity of the largest fan-out seen
 * (8 bytes a goroutine, as Go keeps its allgs).
 */
const all: (G | undefined)[] = [];
let top = 0;
let holes = 0;
let started = 0;
let draining = false;
let live = 1;

/** The goroutine running now. */
export function currentG(): G {
  return (gls.get() as G | undefined) ?? mainG;
}

/** Live goroutines, the main one included. */
export function numGoroutine(): number {
  return live;
}

/** Every live goroutine, oldest first. */
export function allGoroutines(): G[] {
  const out: G[] = [mainG];
  for (let i = 0; i < top; i++) {
    const g = all[i];
    if (g !== undefined) out.push(g);
  }
  return out;
}

/** Squeezes the holes out of the registry, keeping order and the start boundary. */
function compact(): void {
  let j = 0;
  let newStarted = -1;
  for (let i = 0; i < top; i++) {
    if (i === started) newStarted = j;
    const g = all[i];
    if (g !== undefined) {
      g.slot = j;
      all[j++] = g;
    }
  }
  started = newStarted === -1 ? j : newStarted;
  all.fill(undefined, j, top);
  top = j;
  holes = 0;
}

// ---- creation stacks ---------------------------------------------------------------------------------

let creationStacks = process.env["GOROUTINE_STACKS"] !== "0";

/** Turns capture of creation sites on or off (on by default; `GOROUTINE_STACKS=0` starts it off). */
export function setCreationStacks(on: boolean): boolean {
  if (typeof on !== "boolean") throw new TypeError(`runtime.setCreationStacks: on must be a boolean, got ${typeof on}`);
  const prev = creationStacks;
  creationStacks = on;
  return prev;
}

/** True when creation sites are captured (read by `go`, which captures its caller itself). */
export function creationStacksOn(): boolean {
  return creationStacks;
}

/**
 * Captures the caller of `skip` (one frame) into a holder. V8 records the frame now and formats it only
 * when `.stack` is read, i.e. only for a dump. `go` does not come here: see src/go.ts for its cheaper
 * capture.
 */
function captureSite(skip: (...args: never[]) => unknown): SiteRecord {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(holder, skip);
  Error.stackTraceLimit = limit;
  return holder;
}

/** Where `g` was created, as `[function, location]`, when creation stacks were on. */
export function creationSite(g: G): [fn: string, where: string] | undefined {
  const x = g.ext;
  const site = typeof x === "number" ? undefined : x.site;
  const s = site?.stack;
  if (s === undefined) return undefined;
  // Line 0 is the header; an Error made in go has go's own frame first.
  const frame = s.split("\n")[site instanceof Error ? 2 : 1]?.trim().replace(/^at /, "");
  if (frame === undefined) return undefined;
  const m = /^(.*?) \((.*)\)$/.exec(frame);
  return m === null ? ["", frame] : [m[1], m[2]];
}

// ---- spawning ----------------------------------------------------------------------------------------

type AnyFn = (...args: never[]) => unknown;

/**
 * The drain runs as a reaction of a settled promise rather than through queueMicrotask, which Node wraps
 * in an AsyncResource per call. An error escaping the drain (a panic handler that threw) must still
 * surface as an uncaught exception, as it would from queueMicrotask.
 */
const kick: Promise<void> = Promise.resolve();
function crashOnDrainError(e: unknown): void {
  process.nextTick(() => {
    throw e;
  });
}

let drainScheduled = false;
function scheduleDrain(): void {
  if (drainScheduled) return;
  drainScheduled = true;
  kick.then(drainSpawns, crashOnDrainError);
}

/**
 * Creates a goroutine running `fn(...args)` and queues its start for the next microtask, so the caller
 * runs on first, as in Go. `from` says where it was created: the public function to hide from the
 * creation site (captured here if creation stacks are on), or a site already captured (by `go`), or
 * undefined for none.
 */
export function spawn(
  fn: AnyFn,
  args: unknown[],
  from: AnyFn | SiteRecord | undefined,
  bubble?: BubbleHooks,
): G {
  const parent = currentG();
  const site = typeof from === "function" ? (creationStacks ? captureSite(from) : undefined) : from;
  if (top === all.length && holes > live && !draining) compact(); // rather than grow
  const g = newG(
    nextId++,
    fn,
    site === undefined && args.length === 0 ? parent.id : newExt(parent.id, args, site),
    top,
    bubble ?? parent.bubble,
  );
  if (top === all.length) all.push(g);
  else all[top] = g;
  top++;
  live++;
  g.bubble?.onStart(g);
  if (hook !== undefined) hook.spawn(g, parent); // obs
  if (dcCreate.hasSubscribers) dcCreate.publish({ id: g.id, parentId: parent.id, fn: fn.name }); // obs
  scheduleDrain();
  return g;
}

/**
 * Starts every goroutine created before this microtask, oldest first; those created meanwhile (by the
 * goroutines it starts) wait for the next drain, as they would in their own microtask. The
 * goroutine-local slot is written once per goroutine and restored once per batch (gls.run would read
 * and write it three times each).
 */
function drainSpawns(): void {
  drainScheduled = false;
  const end = top;
  const prev = gls.enterAny(undefined);
  draining = true;
  try {
    while (started < end) {
      const g = all[started++];
      if (g === undefined) continue; // abandoned with its bubble before it could start
      gls.set(g);
      if (hook !== undefined) hook.start(g); // obs
      start(g);
    }
  } catch (e) {
    // A panic handler threw: the goroutines after this one still start, in order, on the next microtask.
    if (started < top) scheduleDrain();
    throw e;
  } finally {
    draining = false;
    gls.restore(prev);
  }
}

/** Runs as the new goroutine (the slot is set): calls its function and watches how it ends. */
function start(g: G): void {
  const fn = g.fn as (...a: unknown[]) => unknown;
  const x = g.ext;
  let args = NO_ARGS;
  if (typeof x !== "number") {
    args = x.args;
    x.args = NO_ARGS;
  }
  let r: unknown;
  try {
    r = args.length === 0 ? fn() : fn(...args);
  } catch (e) {
    fail(g, e);
    return;
  }
  if (r !== null && typeof r === "object" && typeof (r as PromiseLike<unknown>).then === "function") {
    // The reactions run as g (they inherit the slot), so they find it without a closure.
    (r as PromiseLike<unknown>).then(exitCurrent, failCurrent);
  } else {
    exit(g);
  }
}

function exitCurrent(): void {
  exit(currentG());
}

function failCurrent(e: unknown): void {
  fail(currentG(), e);
}

/** Runs `fn` as goroutine `g` (its bubble, its identity) without creating a goroutine. */
export function runAs<R>(g: G, fn: () => R): R {
  return gls.run(g, fn);
}

/** Runs `fn` outside every goroutine (as main): async resources it creates belong to no bubble. */
export function runOutside<R>(fn: () => R): R {
  return gls.run(undefined, fn);
}

/**
 * Removes `g` from the registry without running it further (a failed synctest bubble abandons its
 * goroutines: they stay parked forever, but are no longer live and are not reported as a deadlock).
 */
export function abandon(g: G): void {
  exit(g);
}

function exit(g: G): void {
  if (g.state === DEAD) return;
  if (g.state === WAITING) waiting--; // obs
  g.state = DEAD;
  const x = g.ext;
  if (typeof x !== "number" && x.readyAt !== 0) sampleLatency(x); // obs
  if (hook !== undefined) hook.exit(g); // obs
  if (g.bubble !== undefined && typeof x !== "number") updateDurable(g, x); // one that returned with waits outstanding counts no more
  all[g.slot] = undefined;
  live--;
  if (++holes === top && !draining) top = started = holes = 0; // no goroutine left but main
  g.bubble?.onExit(g);
}

// ---- panics ------------------------------------------------------------------------------------------

/** Takes uncaught goroutine errors instead of crashing the process. */
export type PanicHandler = (err: unknown, g: Goroutine) => void;
let panicHandler: PanicHandler | undefined;

/** Installs `h` (or removes the handler with `undefined`) and returns the previous one. */
export function setPanicHandler(h: PanicHandler | undefined): PanicHandler | undefined {
  if (h !== undefined && typeof h !== "function") {
    throw new TypeError("runtime.setPanicHandler: handler must be a function or undefined");
  }
  const prev = panicHandler;
  panicHandler = h;
  return prev;
}

/** A goroutine is failing with `err`: hand it to the bubble, the handler, or crash like Go. */
let bubblePanic: ((g: G, err: unknown) => boolean) | undefined;
/** synctest installs this so a panic inside a bubble fails that test instead of the process. */
export function setBubblePanicRoute(f: (g: G, err: unknown) => boolean): void {
  bubblePanic = f;
}

function fail(g: G, err: unknown): void {
  exit(g);
  if (dcPanic.hasSubscribers) dcPanic.publish({ id: g.id, error: err });
  if (g.bubble !== undefined && bubblePanic !== undefined && bubblePanic(g, err)) return;
  if (panicHandler !== undefined) {
    panicHandler(err, g);
    return;
  }
  crash(`panic: ${panicMessage(err)}\n\ngoroutine ${g.id} [running]:\n${panicStack(g, err)}\n`);
}

/** Go prints a panic's value: an error's message, or the value itself. */
export function panicMessage(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name === "Error" ? "" : `${err.name}: `;
    return name + err.message;
  }
  return typeof err === "string" ? err : String(err);
}

function panicStack(g: G, err: unknown): string {
  let stack = "";
  if (err instanceof Error && typeof err.stack === "string") {
    stack = err.stack
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .map((l) => "\t" + l.trim().replace(/^at /, ""))
      .join("\n");
  }
  const created = g.id === 1 ? "" : `\n${createdBy(g)}`;
  return (stack === "" ? "\t(no stack)" : stack) + created;
}

/** The "created by" line of the dump. */
export function createdBy(g: G): string {
  const site = creationSite(g);
  const parentId = parentIdOf(g);
  if (site === undefined) return `created in goroutine ${parentId}`;
  const [fn, where] = site;
  // A frame without a function name is top-level code (Go's main.main) when the main goroutine made it.
  const named = fn !== "" && fn !== "<anonymous>" ? fn : parentId === 1 ? "main" : "anonymous";
  return `created by ${named} in goroutine ${parentId}\n\t${where}`;
}

/** Writes `text` to stderr synchronously and exits with code 2, as a Go fatal error does. */
export function crash(text: string): never {
  crashed = true;
  try {
    writeSync(2, text);
  } catch {
    // stderr closed: exit anyway
  }
  process.exit(2);
}

// ---- parking and preemption --------------------------------------------------------------------------

let deadlockHookInstalled = false;

// ---- the observability seam --------------------------------------------------------------------------

/**
 * What goroutine/trace, goroutine/pprof and goroutine/metrics see of the scheduler: one optional hook,
 * called at spawn, start, park (first outstanding wait), ready (last wait ended; `currentG()` is the
 * waker) and exit. Installed only while something records (a trace, a flight recorder, block or mutex
 * profiling, leak detection), so when nothing does the scheduler pays one load and compare per event.
 * The always-on counters (waiting, created, the latency sample) are plain integer updates below.
 *
 * Why one hook object rather than diagnostics_channel here: a channel's `hasSubscribers` check costs a
 * property load per event too, but every subscriber would then be called with a freshly built message;
 * src/internal/obs.ts fans one hook out to every consumer, building messages only for subscribers.
 */
export interface SchedHook {
  spawn(g: G, parent: G): void;
  start(g: G): void;
  /** `on` is the primitive waited on, when the primitive passes it (for leak detection). */
  park(g: G, w: Ext, on: object | undefined): void;
  ready(g: G, w: Ext): void;
  exit(g: G): void;
}
let hook: SchedHook | undefined;
/** Installs (or removes) the scheduler hook; see src/internal/obs.ts. */
export function setSchedHook(h: SchedHook | undefined): void {
  hook = h;
}

/**
 * diagnostics_channel events (`goroutine:go:create`, `goroutine:block`, `goroutine:panic`,
 * `goroutine:deadlock`): a message is built only when the channel has subscribers, so an unobserved
 * process pays one property load per spawn and park.
 */
const dcCreate = channel("goroutine:go:create");
const dcBlock = channel("goroutine:block");
const dcPanic = channel("goroutine:panic");
const dcDeadlock = channel("goroutine:deadlock");

/** Goroutines parked in a primitive now (main included). */
let waiting = 0;
/** Readies counted for sampling: one in LATENCY_SAMPLE_MASK + 1 records its time. */
let readies = 0;
const LATENCY_SAMPLE_MASK = 63;
let latencySink: ((seconds: number) => void) | undefined;
/** Where sampled ready → run latencies go (goroutine/metrics installs its histogram). */
export function setLatencySink(f: (seconds: number) => void): void {
  latencySink = f;
}
/**
 * A sampled goroutine was readied and is now running again (it parks or exits): record how long it
 * took. The scheduler cannot see the resume itself (V8 runs the continuation), so this is measured to
 * the goroutine's next park or exit, which is an upper bound: right for goroutines that wake, do a
 * little and wait again, long for ones that compute between waits.
 */
function sampleLatency(w: Ext): void {
  const dt = monoNow() - w.readyAt;
  w.readyAt = 0;
  if (latencySink !== undefined) latencySink(dt / 1000);
}

/** Scheduler counts for goroutine/metrics: [live, created, waiting, not started yet]. */
export function schedCounts(out: Float64Array): void {
  out[0] = live;
  out[1] = nextId - 1;
  out[2] = waiting;
  out[3] = top - started;
}

/**
 * Records that `g` starts waiting on a primitive. `durable` says whether only its synctest bubble can end
 * this wait (channels and conds made in the same bubble, the bubble's timers). Every park is paired with
 * exactly one {@link ready} with the same `durable`; a goroutine may have several waits outstanding at
 * once (`Promise.all` over two receives) and stays WAITING until the last one ends.
 */
export function park(g: G, reason: string, durable: boolean, on?: object): void {
  const w = ext(g);
  w.reason = reason;
  if (w.parks++ === 0) {
    g.state = WAITING;
    waiting++; // obs
    w.since = burstNow();
    if (w.readyAt !== 0) sampleLatency(w); // obs
    if (!deadlockHookInstalled) installDeadlockHook();
    if (hook !== undefined) hook.park(g, w, on); // obs
    if (dcBlock.hasSubscribers) dcBlock.publish({ id: g.id, reason }); // obs
  }
  if (held.length > 0) releaseHeld(); // the waker blocks: those it woke run now
  if (g.bubble !== undefined) {
    // Durability only matters to a bubble's idleness (and its dump).
    if (!durable) w.nonDurable++;
    updateDurable(g, w);
  }
}

/**
 * Records that one wait of `g` has ended (its primitive granted it: a value, the lock, a timer) — call it
 * synchronously at that moment, before settling the promise, with the `durable` its park had.
 */
export function ready(g: G, durable: boolean): void {
  const w = g.ext;
  if (typeof w === "number" || w.parks === 0) return; // the goroutine was abandoned with its bubble
  if (--w.parks === 0 && g.state === WAITING) {
    g.state = RUNNABLE;
    waiting--; // obs
    if ((++readies & LATENCY_SAMPLE_MASK) === 0) w.readyAt = monoNow(); // obs
    if (hook !== undefined) hook.ready(g, w); // obs
  }
  if (g.bubble !== undefined) {
    if (!durable) w.nonDurable--;
    updateDurable(g, w);
  }
}

/** Total time goroutines waited for a sync.Mutex or RWMutex, in ms (/sync/mutex/wait/total). */
let mutexWaitMs = 0;
/** Read by goroutine/metrics. */
export function mutexWaitTotalMs(): number {
  return mutexWaitMs;
}
/** The mutex profile's hook: `unlock` runs in the unlocker when waiters exist, `handoff` at the grant. */
export interface LockHook {
  unlock(mu: object): void;
  handoff(g: G, waitedMs: number, mu: object): void;
}
/** Read by sync.Mutex and RWMutex on their contended unlock path. */
export let lockHook: LockHook | undefined;
export function setLockHook(h: LockHook | undefined): void {
  lockHook = h;
}

/**
 * {@link ready} for a lock's waiter that is being granted the lock (sync.Mutex, RWMutex): also adds its
 * wait to /sync/mutex/wait/total and, while mutex profiling is on, charges it to the unlocker (the
 * running goroutine), as Go's mutex profile does. The wait starts at the park's burst time (early by at
 * most one time slice; see burstNow).
 */
export function readyLock(g: G, mu: object): void {
  const w = waitOf(g);
  if (w !== undefined && w.parks > 0) {
    const dt = monoNow() - w.since;
    mutexWaitMs += dt;
    if (lockHook !== undefined) lockHook.handoff(g, dt, mu);
  }
  ready(g, false);
}

function updateDurable(g: G, w: Ext): void {
  const on = w.parks > 0 && w.nonDurable === 0 && g.state !== DEAD;
  if (on === w.durable) return;
  w.durable = on;
  g.bubble?.onDurable(g, on);
}

/**
 * Preemption. A chain of goroutines that keep waking each other lives entirely in the microtask queue
 * and would starve timers and I/O forever. Every 256 operations we read the clock; if the event loop has
 * not had a turn for `SLICE_MS`, wakes and completions are deferred to a `setImmediate`, which ends the
 * microtask chain and lets the loop run its timers and I/O first (Go preempts after 10 ms likewise).
 * Every wake counts as an operation: {@link wake}, {@link wakeNow} and {@link wakeWith}, through which
 * every primitive settles the promise of a goroutine it wakes, call {@link tick}. So the slice holds
 * whatever primitive a chain goes through (channels, select, close, Mutex, RWMutex, WaitGroup, Cond, the
 * semaphore, errgroup, singleflight, rate); before, only completed operations ticked, and a chain of
 * goroutines that always parked (two handing a `Weighted(1)` back and forth) never yielded at all.
 *
 * Where the next burst starts matters for timers. Node runs a loop turn as timers → I/O poll → check
 * (immediates) → close. A burst that begins in the check phase (the probe flushing deferred wakes) is
 * followed by the timers phase when it yields, so a timer that falls due during it waits at most one
 * slice. A burst that begins elsewhere (a timer or I/O callback, the main script) would be followed by
 * the check phase first: flushing there would run a second slice before any timer. So the probe then
 * waits one more turn (re-posts itself; timers and I/O run in between) and flushes in the next check
 * phase. Rejected: flushing from a `setTimeout(0)`, which costs a timer per burst and an idle
 * millisecond in the poll phase.
 */
const SLICE_MS = 10;
let ops = 0;
let probePending = false;
let burstStart = 0;
/** The current burst was started by the probe (in the check phase); see above. */
let burstInCheck = false;
/** True while wakes must wait for the next macrotask turn. */
export let mustYield = false;
let deferred: (() => void)[] = [];

/**
 * The time the current burst of microtasks started: read once per burst (the probe ends the burst at the
 * next macrotask turn), so parking costs no clock read. A park's recorded time is early by at most one
 * time slice, which is fine for the dump's "waiting for".
 */
function burstNow(): number {
  if (!probePending) {
    probePending = true;
    burstInCheck = false;
    burstStart = monoNow();
    setImmediate(probe);
  }
  return burstStart;
}

function probe(): void {
  if (mustYield && !burstInCheck) {
    // The burst that overran began outside the check phase: let the timers phase come first.
    burstInCheck = true;
    setImmediate(probe);
    return;
  }
  probePending = false;
  mustYield = false;
  const d = deferred;
  if (d.length === 0) return;
  deferred = [];
  // The woken continuations run in this turn's microtask checkpoint: a burst that begins in the check
  // phase. (Only when something was deferred, so an idle loop is not kept turning.)
  burstNow();
  burstInCheck = true;
  for (let i = 0; i < d.length; i++) d[i]();
}

/** Counts one operation; cheap, with a clock read every 256 calls. */
export function tick(): void {
  if ((++ops & 255) !== 0) return;
  if (!probePending) burstNow();
  else if (monoNow() - burstStart > SLICE_MS) mustYield = true;
}

// Promise capability without a closure per promise: `new Promise(capture)` leaves its functions here.
let capturedResolve: (v: never) => void = noop;
let capturedReject: (e: unknown) => void = noop;
function capture(res: (v: never) => void, rej: (e: unknown) => void): void {
  capturedResolve = res;
  capturedReject = rej;
}
function noop(): void {}

/** Makes a pending promise and stores its resolve/reject functions on `holder`. */
export function pending<T>(holder: {
  resolve: ((v: never) => void) | null;
  reject: ((e: unknown) => void) | null;
}): Promise<T> {
  const p = new Promise<T>(capture as (res: (v: T) => void, rej: (e: unknown) => void) => void);
  holder.resolve = capturedResolve;
  holder.reject = capturedReject;
  return p;
}

/** Queues `f` for the next macrotask turn (used while a preemption is pending). */
export function defer(f: () => void): void {
  deferred.push(f);
}

/**
 * Settles a woken goroutine's promise the way Go's runnext does: the woken goroutine runs when its waker
 * blocks (parks) or the microtask queue drains, or at the next macrotask turn while a preemption is
 * pending. Primitives call `ready(g, durable)` first, then `wake(...)`. Channel hand-offs on unbuffered
 * channels, close, the mutex's grants and the semaphore's grants and cancellations use {@link wakeNow}
 * instead.
 */
export function wake(f: Settler): void {
  tick();
  if (mustYield) deferred.push(asFunction(f));
  else {
    held.push(f);
    if (!heldFlushScheduled) {
      heldFlushScheduled = true;
      process.nextTick(flushHeld);
    }
  }
}

/** Something whose waiter can be settled: a function, or an object (a channel waiter) with `settle`. */
export type Settler = (() => void) | { settle(): void };

function asFunction(f: Settler): () => void {
  return typeof f === "function" ? f : () => f.settle();
}

/** Settles at once, or at the next macrotask turn while a preemption is pending (no holding). */
export function wakeNow(f: Settler): void {
  tick();
  if (mustYield) deferred.push(asFunction(f));
  else if (typeof f === "function") f();
  else f.settle();
}

/**
 * {@link wakeNow} for a resolve function and its value, without a closure (sync.Mutex's grant): `f(v)` at
 * once, or at the next macrotask turn while a preemption is pending.
 */
export function wakeWith<T>(f: (v: T) => void, v: T): void {
  tick();
  if (mustYield) deferred.push(() => f(v));
  else f(v);
}

/**
 * Wakes held back until the waker blocks (Go's runnext on one P: a woken goroutine runs when the
 * goroutine that woke it blocks or is preempted). A sender that hands a value to a parked receiver keeps
 * running and fills the buffer instead of alternating with the receiver one value at a time. Released
 * when any goroutine parks, or when the microtask queue drains (a nextTick queued from a promise
 * reaction runs only then, still before any timer or I/O). Settling only queues promise reactions, so
 * the release loop cannot re-enter `wake`.
 */
const held: Settler[] = [];
let heldFlushScheduled = false;
function flushHeld(): void {
  heldFlushScheduled = false;
  releaseHeld();
}
function releaseHeld(): void {
  for (let i = 0; i < held.length; i++) {
    const h = held[i];
    if (typeof h === "function") h();
    else h.settle();
  }
  held.length = 0;
}

const RESOLVED: Promise<void> = Promise.resolve();
/** A settled promise for a completed operation, or one that waits out a pending preemption. */
export function done(): Promise<void> {
  tick();
  if (!mustYield) return RESOLVED;
  return new Promise<void>((r) => deferred.push(r));
}

/** Like {@link done} but carrying a value. */
export function doneWith<T>(v: T): Promise<T> {
  tick();
  if (!mustYield) return Promise.resolve(v);
  return new Promise<T>((r) => deferred.push(() => r(v)));
}

// ---- deadlock detection ------------------------------------------------------------------------------

const deadlockCheckers: (() => boolean)[] = [];
/** Extra blockers that keep the process alive legitimately (cross-thread waits); true = something pending. */
export function addLivenessCheck(f: () => boolean): void {
  deadlockCheckers.push(f);
}

function installDeadlockHook(): void {
  deadlockHookInstalled = true;
  process.prependListener("beforeExit", onBeforeExit);
}

/**
 * Whether the main module is still being evaluated: an ES module's top level is suspended in an `await`.
 * Two signs, either of which says "pending":
 * - Node 20 keeps an 'exit' listener named `handleProcessExit` for exactly that time (it turns an
 *   unsettled top-level await into exit code 13). Node 22 and 24 decide that in C++ and have no listener.
 * - So on every line the main thread also asks the module loader: `import()` of the entry module settles
 *   only once its evaluation has finished (the module is already in the loader's map, so it is not run
 *   again). Armed at load, before the entry module's body starts. Not armed for a CommonJS entry
 *   (`process.mainModule` set: its body is synchronous), on worker threads (whose argv names the main
 *   thread's script) or without a script (`node -e`, the REPL); an entry the loader cannot import again
 *   (a path without extension) settles as rejected and counts as finished, as it did before.
 */
let mainEvaluated = true;
if (isMainThread && process.argv[1] !== undefined && (process as { mainModule?: unknown }).mainModule === undefined) {
  mainEvaluated = false;
  const finished = (): void => {
    mainEvaluated = true;
  };
  import(pathToFileURL(process.argv[1]).href).then(finished, finished);
}

function mainModulePending(): boolean {
  if (!mainEvaluated) return true;
  for (const f of process.listeners("exit")) if (f.name === "handleProcessExit") return true;
  return false;
}

/**
 * The deadlock verdict, Go's: only a blocked main goroutine makes a deadlock. Main is blocked when it is
 * parked in a primitive, or when its top-level await is still pending (on a promise that, with the loop
 * dry, only a blocked goroutine could settle) while some goroutine is blocked. A main that has finished
 * ends the program, as `main` returning does in Go: goroutines left blocked are leaks, not a deadlock
 * (shown with GOROUTINE_LEAKS=1, see {@link leftoverReport}).
 */
function deadlocked(): boolean {
  for (const f of deadlockCheckers) if (f()) return false;
  if (mainG.state === WAITING) return true;
  if (!mainModulePending()) return false;
  for (let i = 0; i < top; i++) if (all[i]?.state === WAITING) return true;
  return false;
}

function resourceCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

function onBeforeExit(): void {
  // The event loop is empty: no timer, I/O or immediate can wake anyone any more — unless another
  // 'beforeExit' listener schedules some, possibly after an await of its own. So the verdict waits one
  // turn (an immediate runs after every listener and every microtask they queued) and compares what is
  // active with a baseline taken first (this listener is prepended): if anything was woken, or a listener
  // added a timer, request or handle, the loop goes on, and 'beforeExit' comes again if it runs dry once
  // more. (The baseline is needed because idle stdio pipes are listed as active even when they keep
  // nothing alive.)
  if (!deadlocked()) return;
  const before = resourceCounts();
  setImmediate(() => {
    for (const [r, n] of resourceCounts()) if (n > (before.get(r) ?? 0)) return;
    if (!deadlocked()) return;
    const text = dump(undefined, mainModulePending() ? "top-level await" : undefined);
    if (dcDeadlock.hasSubscribers) dcDeadlock.publish({ dump: text });
    crash(`fatal error: all goroutines are asleep - deadlock!\n\n${text}`);
  });
}

// ---- leftover goroutines at exit ---------------------------------------------------------------------

/**
 * GOROUTINE_LEAKS=1: at exit (a normal end or `process.exit`), the goroutines still live are printed to
 * stderr, in the dump's format, under `goroutine leak: N goroutines still live at exit`. Main is not
 * listed: it is the one ending the program. Nothing is printed when none is left, or after a crash
 * (a deadlock or panic report already has the dump). The exit code is the process's own.
 */
export function leftoverReport(): string {
  const left = allGoroutines().filter((g) => g !== mainG);
  if (left.length === 0) return "";
  const n = left.length === 1 ? "1 goroutine" : `${left.length} goroutines`;
  return `goroutine leak: ${n} still live at exit\n\n${dump((g) => g !== mainG)}`;
}

let crashed = false;
if (process.env["GOROUTINE_LEAKS"] === "1") {
  process.on("exit", () => {
    const text = crashed ? "" : leftoverReport();
    if (text === "") return;
    try {
      writeSync(2, text);
    } catch {
      // stderr closed
    }
  });
}

// ---- the dump ----------------------------------------------------------------------------------------

/** Formats milliseconds compactly for the dump ("850ms", "3.2s", "5 minutes"). */
function waitedFor(ms: number): string {
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} minutes`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms)}ms`;
}

/** One goroutine's block of the dump. */
export function describe(g: G, now: number, cur: G, mainState?: string): string {
  let state: string;
  if (g.state === WAITING) {
    const w = ext(g);
    state = `${w.reason}${g.bubble !== undefined ? (w.durable ? " (durable)" : " (not durable)") : ""}, ${waitedFor(now - w.since)}`;
  } else if (g === mainG && mainState !== undefined) {
    state = mainState;
  } else {
    state = g === cur ? "running" : "runnable";
  }
  const name = g.id === 1 ? "main" : g.fn !== undefined && g.fn.name !== "" ? g.fn.name : "anonymous";
  const bubble = g.bubble !== undefined ? ` (synctest bubble ${g.bubble.id})` : "";
  const created = g.id === 1 ? "" : `\n${createdBy(g)}`;
  return `goroutine ${g.id} [${state}]${bubble}:\n${name}(...)${created}\n`;
}

/**
 * Go's goroutine dump of every live goroutine, oldest first. `mainState` replaces main's "running" when
 * main is not parked and not the caller in any meaningful sense (the exit-time deadlock report).
 */
export function dump(filter?: (g: G) => boolean, mainState?: string): string {
  const now = monoNow();
  const cur = currentG();
  const parts: string[] = [];
  for (const g of allGoroutines()) if (filter === undefined || filter(g)) parts.push(describe(g, now, cur, mainState));
  return parts.join("\n");
}
