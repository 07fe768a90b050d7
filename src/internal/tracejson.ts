/**
 * Renders an event window (src/internal/trace.ts) as Chrome Trace Event JSON: process 1 "threads" with a
 * lane per thread (run slices: which goroutine ran), process 2 "goroutines" with a lane per goroutine
 * (runnable / running / waiting slices), flow arrows from the waker's slice to the wakee's, async slices
 * for tasks, instant events for logs, and counters of running/runnable/waiting goroutines.
 *
 * Invariants:
 * - Output is built as an array of pre-joined string chunks (no per-event objects), written in order;
 *   timestamps are microseconds relative to the window's first event.
 */
import {
  BLOCK, CREATE, EXIT, LOG, REGION_BEGIN, REGION_END, START, TASK_BEGIN, TASK_END, UNBLOCK, strings,
} from "./trace.js";

const enum S {
  None = 0,
  Runnable = 1,
  Running = 2,
  Waiting = 3,
}

function q(s: string): string {
  return JSON.stringify(s);
}

/** Chrome Trace Event JSON for the window `t`/`w`; returns the chunks to write. */
export function render(t: Float64Array, w: Int32Array, known: (id: number) => string): string[] {
  const fnNames = new Map<number, string>();
  for (let i = 0; i < t.length; i++) if (w[i * 4] === CREATE) fnNames.set(w[i * 4 + 1], strings[w[i * 4 + 3]] ?? "");
  const names = (g: number): string => fnNames.get(g) ?? known(g);
  const out: string[] = ['{"displayTimeUnit":"ns","traceEvents":[\n'];
  const ev: string[] = [];
  const n = t.length;
  const t0 = n > 0 ? t[0] : 0;
  const us = (x: number): string => ((x - t0) * 1000).toFixed(3);
  ev.push('{"ph":"M","pid":1,"name":"process_name","args":{"name":"threads"}}');
  ev.push('{"ph":"M","pid":1,"tid":0,"name":"thread_name","args":{"name":"main thread"}}');
  ev.push('{"ph":"M","pid":2,"name":"process_name","args":{"name":"goroutines"}}');
  const state = new Map<number, { s: S; since: number; reason: string }>();
  const named = new Set<number>();
  let running = 0;
  let runnable = 0;
  let waiting = 0;
  let cur = 0; // goroutine on the thread
  let curSince = n > 0 ? t[0] : 0;
  let flow = 0;
  let lastCounter = -Infinity;
  const span = n > 0 ? t[n - 1] - t0 : 0;
  const counterStep = span / 2000;
  const lane = (g: number): void => {
    if (named.has(g)) return;
    named.add(g);
    ev.push(`{"ph":"M","pid":2,"tid":${g},"name":"thread_name","args":{"name":${q(`G${g} ${names(g)}`)}}}`);
  };
  const set = (g: number, s: S, at: number, reason = ""): void => {
    lane(g);
    const prev = state.get(g);
    if (prev !== undefined && prev.s !== S.None) {
      const name = prev.s === S.Running ? "running" : prev.s === S.Runnable ? "runnable" : prev.reason;
      ev.push(`{"ph":"X","pid":2,"tid":${g},"ts":${us(prev.since)},"dur":${((at - prev.since) * 1000).toFixed(3)},"name":${q(name)},"cat":${q(prev.s === S.Waiting ? "waiting" : name)}}`);
      if (prev.s === S.Running) running--;
      else if (prev.s === S.Runnable) runnable--;
      else waiting--;
    }
    if (s === S.Running) running++;
    else if (s === S.Runnable) runnable++;
    else if (s === S.Waiting) waiting++;
    state.set(g, { s, since: at, reason });
  };
  const switchTo = (g: number, at: number): void => {
    if (g === cur) return;
    if (cur !== 0) {
      ev.push(`{"ph":"X","pid":1,"tid":0,"ts":${us(curSince)},"dur":${((at - curSince) * 1000).toFixed(3)},"name":${q(`G${cur}`)},"args":{"goroutine":${cur}}}`);
      if (state.get(cur)?.s === S.Running) set(cur, S.Runnable, at);
    }
    cur = g;
    curSince = at;
    const st = state.get(g);
    if (st === undefined || st.s !== S.Running) set(g, S.Running, at);
  };
  for (let i = 0; i < n; i++) {
    const at = t[i];
    const k = i * 4;
    const type = w[k];
    const g = w[k + 1];
    const a = w[k + 2];
    const b = w[k + 3];
    switch (type) {
      case CREATE:
        switchTo(a, at);
        set(g, S.Runnable, at);
        break;
      case START:
        switchTo(g, at);
        break;
      case EXIT:
        switchTo(g, at);
        set(g, S.None, at);
        ev.push(`{"ph":"X","pid":1,"tid":0,"ts":${us(curSince)},"dur":${((at - curSince) * 1000).toFixed(3)},"name":${q(`G${g}`)},"args":{"goroutine":${g}}}`);
        cur = 0;
        curSince = at;
        break;
      case BLOCK:
        switchTo(g, at);
        set(g, S.Waiting, at, strings[a] ?? "waiting");
        ev.push(`{"ph":"X","pid":1,"tid":0,"ts":${us(curSince)},"dur":${((at - curSince) * 1000).toFixed(3)},"name":${q(`G${g}`)},"args":{"goroutine":${g}}}`);
        cur = 0;
        curSince = at;
        break;
      case UNBLOCK: {
        switchTo(a, at);
        set(g, S.Runnable, at);
        const id = ++flow;
        ev.push(`{"ph":"s","pid":2,"tid":${a},"ts":${us(at)},"id":${id},"name":"unblock","cat":"flow"}`);
        ev.push(`{"ph":"f","bp":"e","pid":2,"tid":${g},"ts":${us(at)},"id":${id},"name":"unblock","cat":"flow"}`);
        break;
      }
      case TASK_BEGIN:
        ev.push(`{"ph":"b","pid":2,"tid":0,"ts":${us(at)},"id":${g},"cat":"task","name":${q(strings[a])},"args":{"parent":${b}}}`);
        break;
      case TASK_END:
        ev.push(`{"ph":"e","pid":2,"tid":0,"ts":${us(at)},"id":${g},"cat":"task","name":"task"}`);
        break;
      case REGION_BEGIN:
        lane(g);
        ev.push(`{"ph":"B","pid":2,"tid":${g},"ts":${us(at)},"name":${q(strings[a])},"cat":"region","args":{"task":${b}}}`);
        break;
      case REGION_END:
        ev.push(`{"ph":"E","pid":2,"tid":${g},"ts":${us(at)},"name":${q(strings[a])},"cat":"region"}`);
        break;
      case LOG: {
        lane(g);
        const [cat, msg] = (strings[a] ?? "").split("\0");
        ev.push(`{"ph":"i","s":"t","pid":2,"tid":${g},"ts":${us(at)},"name":${q(msg ?? "")},"cat":${q(cat === "" ? "log" : cat)},"args":{"task":${b}}}`);
        break;
      }
    }
    if (at - lastCounter >= counterStep || i === n - 1) {
      lastCounter = at;
      ev.push(`{"ph":"C","pid":2,"ts":${us(at)},"name":"goroutines","args":{"running":${running},"runnable":${runnable},"waiting":${waiting}}}`);
    }
    if (ev.length >= 4096) {
      out.push(ev.join(",\n") + ",\n");
      ev.length = 0;
    }
  }
  // close the slices still open at the end of the window
  const end = n > 0 ? t[n - 1] : 0;
  for (const [g, st] of state) if (st.s !== S.None) set(g, S.None, end);
  ev.push('{"ph":"M","pid":2,"name":"process_sort_index","args":{"sort_index":2}}');
  out.push(ev.join(",\n") + "\n]}\n");
  return out;
}
