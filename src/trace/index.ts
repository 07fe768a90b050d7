/**
 * goroutine/trace — Go's `runtime/trace` for goroutines: an execution trace of goroutine creation,
 * start, blocking (with the reason), unblocking (with the waker) and exit, plus user tasks, regions and
 * logs; and Go 1.25's `FlightRecorder`, which keeps the most recent window in memory. Traces are Chrome
 * Trace Event JSON: open them in Perfetto (ui.perfetto.dev), chrome://tracing, or the timeline page of
 * goroutine/debug.
 *
 * Events are fixed-width records in typed arrays (24 bytes each, no stack capture); when nothing records,
 * the scheduler pays one compare per event.
 */
import type { Context } from "../context/index.js";
import { withValue } from "../context/index.js";
import { allGoroutines, currentG } from "../internal/scheduler.js";
import * as eng from "../internal/trace.js";
import { render } from "../internal/tracejson.js";

function nameOf(id: number): string {
  for (const g of allGoroutines()) if (g.id === id) return g.id === 1 ? "main" : g.fn?.name ?? "";
  return "";
}

function writeAll(out: NodeJS.WritableStream, chunks: Buffer[]): Promise<number> {
  let n = 0;
  return new Promise<number>((resolve, reject) => {
    let i = 0;
    const next = (): void => {
      while (i < chunks.length) {
        const c = chunks[i++];
        n += c.length;
        if (!out.write(c)) {
          out.once("drain", next);
          return;
        }
      }
      out.write("", (e?: Error | null) => (e ? reject(e) : resolve(n)));
    };
    out.once("error", reject);
    next();
  });
}

function snapshotJSON(log: eng.EventLog, since?: number): Buffer[] {
  const { t, w } = log.snapshot(since);
  return render(t, w, nameOf);
}

// ---- trace.start / stop ------------------------------------------------------------------------------

let active: { log: eng.EventLog; out: NodeJS.WritableStream } | undefined;

/**
 * start begins tracing into `out` (Go's `trace.Start`): from now on goroutine events are recorded, and
 * {@link stop} writes them to `out` as Chrome Trace Event JSON. Does not block.
 *
 * @throws Error "tracing is already enabled" if a trace is running; TypeError if `out` is not writable.
 */
export function start(out: NodeJS.WritableStream): void {
  if (out === null || typeof out !== "object" || typeof out.write !== "function") throw new TypeError("trace.start: out must be a writable stream");
  if (active !== undefined) throw new Error("tracing is already enabled");
  active = { log: new eng.EventLog(1 << 16, false), out };
  eng.record(active.log);
}

/**
 * stop ends the trace started by {@link start} and resolves once it has been written to its stream (it
 * does not end the stream). Resolves at once if no trace is running.
 */
export async function stop(): Promise<void> {
  const a = active;
  if (a === undefined) return;
  active = undefined;
  eng.unrecord(a.log);
  await writeAll(a.out, snapshotJSON(a.log));
}

/** isEnabled reports whether a trace started by {@link start} is running (Go's `trace.IsEnabled`). */
export function isEnabled(): boolean {
  return active !== undefined;
}

// ---- tasks, regions, logs ----------------------------------------------------------------------------

const TASK = Symbol("trace.task");
let nextTask = 1;

/** A user task (Go's `*trace.Task`); `end` marks its end (idempotent). */
export interface Task {
  end(): void;
}

function taskOf(ctx: Context): number {
  return ctx.value<number>(TASK) ?? 0;
}

/**
 * newTask creates a task of type `type` under the task `ctx` carries, if any (Go's `trace.NewTask`), and
 * returns a context carrying it; regions and logs made with that context belong to it.
 *
 * @example
 * ```ts
 * import * as trace from "goroutine/trace";
 * import { background } from "goroutine/context";
 * const [ctx, task] = trace.newTask(background(), "makeCappuccino");
 * trace.withRegion(ctx, "steamMilk", () => {});
 * trace.log(ctx, "orderID", "42");
 * task.end();
 * console.log(trace.isEnabled()); // false
 * ```
 */
export function newTask(ctx: Context, type: string): [Context, Task] {
  const id = nextTask++;
  eng.userEvent(eng.TASK_BEGIN, id, eng.recording() ? eng.intern(type) : 0, taskOf(ctx));
  let ended = false;
  return [
    withValue(ctx, TASK, id),
    {
      end(): void {
        if (ended) return;
        ended = true;
        eng.userEvent(eng.TASK_END, id, 0, 0);
      },
    },
  ];
}

/** A region (Go's `*trace.Region`); `end` marks its end (idempotent). */
export interface Region {
  end(): void;
}

/** startRegion starts a region of type `type` in the current goroutine (Go's `trace.StartRegion`). */
export function startRegion(ctx: Context, type: string): Region {
  const g = currentG().id;
  const task = taskOf(ctx);
  const s = eng.recording() ? eng.intern(type) : 0;
  eng.userEvent(eng.REGION_BEGIN, g, s, task);
  let ended = false;
  return {
    end(): void {
      if (ended) return;
      ended = true;
      eng.userEvent(eng.REGION_END, g, s, task);
    },
  };
}

/**
 * withRegion runs `fn` inside a region of type `type` (Go's `trace.WithRegion`) and returns its result;
 * when `fn` returns a promise the region ends when it settles.
 */
export function withRegion<R>(ctx: Context, type: string, fn: () => R): R {
  const r = startRegion(ctx, type);
  let v: R;
  try {
    v = fn();
  } catch (e) {
    r.end();
    throw e;
  }
  if (v instanceof Promise) {
    return v.finally(() => r.end()) as R;
  }
  r.end();
  return v;
}

/** log records a message with a category in the trace, under the task of `ctx` (Go's `trace.Log`). */
export function log(ctx: Context, category: string, message: string): void {
  if (!eng.recording()) return;
  eng.userEvent(eng.LOG, currentG().id, eng.intern(`${category}\0${message}`), taskOf(ctx));
}

// ---- the flight recorder -----------------------------------------------------------------------------

/** Configuration of a {@link FlightRecorder} (Go's `trace.FlightRecorderConfig`). */
export interface FlightRecorderConfig {
  /** How far back the window should reach, in ms (default 10 s). Events older than 2 × minAge are dropped. */
  minAge?: number;
  /** The window's size in bytes (default 10 MiB); takes precedence over minAge. */
  maxBytes?: number;
}

/**
 * FlightRecorder keeps the most recent window of the execution trace in memory, a ring of fixed-size
 * records of at most `maxBytes`, and writes it on demand (Go 1.25's `trace.FlightRecorder`): start it
 * early, call {@link FlightRecorder.writeTo} when something interesting happens.
 *
 * @example
 * ```ts
 * import * as trace from "goroutine/trace";
 * import { Writable } from "node:stream";
 * const fr = new trace.FlightRecorder({ minAge: 5000, maxBytes: 1 << 20 });
 * fr.start();
 * let json = "";
 * await fr.writeTo(new Writable({ write(c, _e, cb) { json += String(c); cb(); } }));
 * await fr.stop();
 * console.log(Array.isArray(JSON.parse(json).traceEvents)); // true
 * ```
 */
export class FlightRecorder {
  private readonly minAge: number;
  private readonly log: eng.EventLog;
  private on = false;
  private writing = false;

  /** @throws RangeError if minAge or maxBytes is NaN or negative, or maxBytes holds no event. */
  constructor(cfg: FlightRecorderConfig = {}) {
    const minAge = cfg.minAge ?? 10_000;
    const maxBytes = cfg.maxBytes ?? 10 << 20;
    if (typeof minAge !== "number" || !(minAge >= 0)) throw new RangeError(`trace.FlightRecorder: minAge must be a non-negative duration, got ${String(minAge)}`);
    if (typeof maxBytes !== "number" || !(maxBytes >= eng.EVENT_BYTES)) {
      throw new RangeError(`trace.FlightRecorder: maxBytes must be at least ${eng.EVENT_BYTES}, got ${String(maxBytes)}`);
    }
    this.minAge = minAge;
    this.log = new eng.EventLog(Math.floor(maxBytes / eng.EVENT_BYTES), true);
  }

  /** start begins recording. @throws Error if it is already recording. */
  start(): void {
    if (this.on) throw new Error("cannot enable a enabled flight recorder");
    this.on = true;
    eng.record(this.log);
  }

  /** stop ends recording; the window is kept until the recorder is started again. */
  stop(): Promise<void> {
    this.on = false;
    eng.unrecord(this.log);
    return Promise.resolve();
  }

  /** enabled reports whether the recorder is recording. */
  enabled(): boolean {
    return this.on;
  }

  /**
   * writeTo writes the current window to `out` as Chrome Trace Event JSON and resolves with the number of
   * bytes written. Recording goes on meanwhile.
   *
   * **Errors:** rejects with Error "cannot snapshot a disabled flight recorder" when not recording, and
   * "call to WriteTo for trace.FlightRecorder already in progress" during another writeTo (Go's words).
   */
  async writeTo(out: NodeJS.WritableStream): Promise<number> {
    if (!this.on) throw new Error("cannot snapshot a disabled flight recorder");
    if (this.writing) throw new Error("call to WriteTo for trace.FlightRecorder already in progress");
    this.writing = true;
    try {
      return await writeAll(out, snapshotJSON(this.log, eng.stamp() - 2 * this.minAge));
    } finally {
      this.writing = false;
    }
  }
}
