import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { go, Chan } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as trace from "../../src/trace/index.js";

interface Ev {
  ph: string;
  pid: number;
  tid?: number;
  name: string;
  cat?: string;
  id?: number;
  args?: Record<string, unknown>;
}

function sink(): { out: Writable; text: () => string } {
  let s = "";
  return {
    out: new Writable({
      write(c: Buffer, _e, cb) {
        s += String(c);
        cb();
      },
    }),
    text: () => s,
  };
}

async function pingPong(rounds: number): Promise<void> {
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  go(async function echo() {
    for (let i = 0; i < rounds; i++) await pong.send((await ping.recv())! + 1);
  });
  for (let i = 0; i < rounds; i++) {
    await ping.send(i);
    await pong.recv();
  }
}

test("start/stop writes Chrome Trace Event JSON: lanes, states, flows waker→wakee, counters, tasks", async () => {
  const s = sink();
  assert.equal(trace.isEnabled(), false);
  trace.start(s.out);
  assert.equal(trace.isEnabled(), true);
  assert.throws(() => trace.start(s.out), /tracing is already enabled/);
  const [ctx, task] = trace.newTask(context.background(), "order");
  await trace.withRegion(ctx, "brew", () => pingPong(5));
  trace.log(ctx, "orderID", "42");
  task.end();
  await trace.stop();
  assert.equal(trace.isEnabled(), false);
  const evs = (JSON.parse(s.text()) as { traceEvents: Ev[] }).traceEvents;
  const laneNames = evs.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => e.args!.name as string);
  assert.ok(laneNames.includes("main thread"));
  const echoLane = laneNames.find((n) => /^G\d+ echo$/.test(n));
  assert.ok(echoLane, laneNames.join(","));
  const echoId = Number(/^G(\d+)/.exec(echoLane)![1]);
  const echoSlices = evs.filter((e) => e.ph === "X" && e.pid === 2 && e.tid === echoId);
  const echoStates = new Set(echoSlices.map((e) => e.name));
  assert.ok(echoStates.has("running") && echoStates.has("runnable"), [...echoStates].join(","));
  const mainWaits = evs.filter((e) => e.ph === "X" && e.pid === 2 && e.tid === 1 && e.cat === "waiting");
  assert.ok(mainWaits.some((e) => e.name === "chan send") && mainWaits.some((e) => e.name === "chan receive"));
  assert.ok(evs.some((e) => e.ph === "X" && e.pid === 1 && e.name === `G${echoId}`), "a run slice on the thread lane");
  const starts = evs.filter((e) => e.ph === "s");
  const ends = evs.filter((e) => e.ph === "f");
  assert.ok(starts.length >= 5 && starts.length === ends.length);
  assert.ok(starts.some((e) => e.tid === echoId) && ends.some((e) => e.tid === 1), "echo wakes main");
  assert.ok(evs.some((e) => e.ph === "C" && e.name === "goroutines" && "waiting" in e.args!));
  assert.ok(evs.some((e) => e.ph === "b" && e.name === "order"));
  assert.ok(evs.some((e) => e.ph === "B" && e.name === "brew"));
  assert.ok(evs.some((e) => e.ph === "i" && e.name === "42" && e.cat === "orderID"));
});

test("FlightRecorder: Go's defaults and errors, a window of the latest events", async () => {
  assert.throws(() => new trace.FlightRecorder({ maxBytes: NaN }), RangeError);
  assert.throws(() => new trace.FlightRecorder({ minAge: -1 }), RangeError);
  const fr = new trace.FlightRecorder({ maxBytes: 24 * 200 });
  await assert.rejects(fr.writeTo(sink().out), /cannot snapshot a disabled flight recorder/);
  fr.start();
  assert.throws(() => fr.start(), Error);
  assert.equal(fr.enabled(), true);
  await pingPong(500);
  const s = sink();
  const first = fr.writeTo(s.out);
  await assert.rejects(fr.writeTo(sink().out), /call to WriteTo for trace.FlightRecorder already in progress/);
  const n = await first;
  assert.equal(n, Buffer.byteLength(s.text()));
  const evs = (JSON.parse(s.text()) as { traceEvents: Ev[] }).traceEvents;
  const flows = evs.filter((e) => e.ph === "s").length;
  assert.ok(flows > 0 && flows <= 200, `flows ${flows}: only the last 200 events are kept`);
  await fr.stop();
  assert.equal(fr.enabled(), false);
});

test("a multi-megabyte trace is valid JSON across the writer's 1 MiB chunks, compact and without zero-length slices", async () => {
  const s = sink();
  trace.start(s.out);
  const ctx = context.background();
  trace.log(ctx, "big", "x".repeat(3 << 20)); // a string longer than a chunk
  await pingPong(20_000);
  trace.log(ctx, "small", "é\"\\\n"); // escapes and UTF-8
  await trace.stop();
  const text = s.text();
  assert.ok(text.length > 4 << 20, `${text.length} bytes`);
  const evs = (JSON.parse(text) as { traceEvents: (Ev & { ts?: number; dur?: number })[] }).traceEvents;
  assert.ok(evs.some((e) => e.ph === "i" && e.cat === "big" && e.name.length === 3 << 20));
  assert.ok(evs.some((e) => e.ph === "i" && e.cat === "small" && e.name === "é\"\\\n"));
  const slices = evs.filter((e) => e.ph === "X");
  assert.ok(slices.length > 20_000);
  assert.ok(slices.every((e) => e.dur! > 0 && e.ts! >= 0), "no zero-length or negative slices");
  // µs with at most 3 decimals: ns precision, no float noise in the text
  assert.doesNotMatch(text, /"(ts|dur)":-?\d+\.\d{4,}/);
  // every slice of a goroutine lane starts no earlier than the previous one ended
  const byLane = new Map<string, { ts: number; dur: number }[]>();
  for (const e of slices) {
    const k = `${e.pid}/${e.tid}`;
    if (!byLane.has(k)) byLane.set(k, []);
    byLane.get(k)!.push({ ts: e.ts!, dur: e.dur! });
  }
  for (const [k, xs] of byLane) {
    xs.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i].ts >= xs[i - 1].ts + xs[i - 1].dur - 0.0015, `lane ${k} overlaps at ${xs[i].ts}`);
  }
});
