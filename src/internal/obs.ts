/**
 * The observability hub: fans the scheduler's one hook (scheduler.ts, "the observability seam") out to
 * whoever records — trace sinks, the block profile, leak detection, diagnostics_channel — and installs
 * the hook only while at least one of them is attached, so a program that observes nothing pays one
 * compare per scheduler event.
 *
 * Invariants:
 * - The scheduler's hook is undefined exactly when `consumers` is empty; with one consumer it is that
 *   consumer itself (no fan-out loop), with several it is `fanout`.
 * - Consumers are attached and detached only between events (never from inside a hook call).
 * - Thread sources (goroutine/threads runtimes) report counts synchronously from memory they own; a
 *   worker's goroutines beyond the tasks it runs are not visible here (see {@link ThreadCounts}).
 */
import { type Ext, type G, type SchedHook, setSchedHook } from "./scheduler.js";

/** A consumer of scheduler events; every method optional. */
export interface Consumer {
  spawn?(g: G, parent: G): void;
  start?(g: G): void;
  park?(g: G, w: Ext, on: object | undefined): void;
  ready?(g: G, w: Ext): void;
  exit?(g: G): void;
}

const consumers: Consumer[] = [];

function noop(): void {}

/** A consumer with every method present, so the hook's call sites stay monomorphic in shape. */
function complete(c: Consumer): SchedHook {
  if (c.spawn && c.start && c.park && c.ready && c.exit) return c as SchedHook; // already complete: no bound wrappers
  return {
    spawn: c.spawn?.bind(c) ?? noop,
    start: c.start?.bind(c) ?? noop,
    park: c.park?.bind(c) ?? noop,
    ready: c.ready?.bind(c) ?? noop,
    exit: c.exit?.bind(c) ?? noop,
  };
}

let hooks: SchedHook[] = [];
const fanout: SchedHook = {
  spawn(g, p) {
    for (let i = 0; i < hooks.length; i++) hooks[i].spawn(g, p);
  },
  start(g) {
    for (let i = 0; i < hooks.length; i++) hooks[i].start(g);
  },
  park(g, w, on) {
    for (let i = 0; i < hooks.length; i++) hooks[i].park(g, w, on);
  },
  ready(g, w) {
    for (let i = 0; i < hooks.length; i++) hooks[i].ready(g, w);
  },
  exit(g) {
    for (let i = 0; i < hooks.length; i++) hooks[i].exit(g);
  },
};

function reinstall(): void {
  hooks = consumers.map(complete);
  setSchedHook(hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : fanout);
}

/** Attaches `c` (idempotent). */
export function attach(c: Consumer): void {
  if (consumers.includes(c)) return;
  consumers.push(c);
  reinstall();
}

/** Detaches `c` (idempotent). */
export function detach(c: Consumer): void {
  const i = consumers.indexOf(c);
  if (i < 0) return;
  consumers.splice(i, 1);
  reinstall();
}

// ---- worker threads ---------------------------------------------------------------------------------

/**
 * What the goroutine/threads runtimes of this process report: their worker threads, and the tasks this
 * thread submitted by state — queued or claimed but not started (runnable), started and not finished
 * (running; a started task that awaits inside its worker is counted as running, since only the worker
 * knows).
 */
export interface ThreadCounts {
  threads: number;
  running: number;
  runnable: number;
}

let threadSource: ((out: ThreadCounts) => void) | undefined;
/** Registered by goroutine/threads when it is loaded. */
export function setThreadSource(f: (out: ThreadCounts) => void): void {
  threadSource = f;
}

/** Fills `out` with the worker threads' counts (all zero when goroutine/threads is not loaded). */
export function threadCounts(out: ThreadCounts): void {
  out.threads = 0;
  out.running = 0;
  out.runnable = 0;
  if (threadSource !== undefined) threadSource(out);
}
