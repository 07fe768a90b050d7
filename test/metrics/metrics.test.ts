import { test } from "node:test";
import assert from "node:assert/strict";
import * as client from "prom-client";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { go, Chan } from "../../src/index.js";
import * as metrics from "../../src/metrics/index.js";
import * as threads from "../../src/threads/index.js";
import { quickTask } from "../fixtures/obs-tasks.js";

function value(name: string): number {
  const s: metrics.Sample[] = [{ name }];
  metrics.read(s);
  assert.notEqual(s[0].value?.kind, "bad", name);
  return s[0].value!.value as number;
}

test("all() lists Go's scheduler metrics with Go's kinds, sorted by name", () => {
  const ds = metrics.all();
  const byName = new Map(ds.map((d) => [d.name, d]));
  const want: [string, string, boolean][] = [
    ["/sched/goroutines:goroutines", "uint64", false],
    ["/sched/goroutines-created:goroutines", "uint64", true],
    ["/sched/goroutines/running:goroutines", "uint64", false],
    ["/sched/goroutines/runnable:goroutines", "uint64", false],
    ["/sched/goroutines/waiting:goroutines", "uint64", false],
    ["/sched/goroutines/not-in-go:goroutines", "uint64", false],
    ["/sched/gomaxprocs:threads", "uint64", false],
    ["/sched/threads/total:threads", "uint64", false],
    ["/sched/latencies:seconds", "float64histogram", true],
    ["/sync/mutex/wait/total:seconds", "float64", true],
  ];
  for (const [name, kind, cumulative] of want) {
    assert.deepEqual([byName.get(name)?.kind, byName.get(name)?.cumulative], [kind, cumulative], name);
    assert.ok(byName.get(name)!.description.length > 10);
  }
  assert.deepEqual(ds.map((d) => d.name), ds.map((d) => d.name).sort());
  assert.ok(ds.some((d) => d.name.startsWith("/node/eventloop/")));
});

test("an unknown name reads as KindBad, not a throw", () => {
  const s: metrics.Sample[] = [{ name: "/no/such:metric" }, { name: "/sched/goroutines:goroutines" }];
  metrics.read(s);
  assert.equal(s[0].value?.kind, "bad");
  assert.equal(s[1].value?.kind, "uint64");
  assert.throws(() => metrics.read(null as unknown as metrics.Sample[]), TypeError);
});

test("goroutine counts follow goroutines parking, waking and exiting", async () => {
  const base = value("/sched/goroutines:goroutines");
  const created0 = value("/sched/goroutines-created:goroutines");
  const waiting0 = value("/sched/goroutines/waiting:goroutines");
  const ch = new Chan<number>();
  const n = 5;
  const done = new Chan<void>(n);
  for (let i = 0; i < n; i++) {
    go(async () => {
      await ch.recv();
      await done.send();
    });
  }
  assert.equal(value("/sched/goroutines:goroutines"), base + n);
  assert.equal(value("/sched/goroutines-created:goroutines"), created0 + n);
  assert.equal(value("/sched/goroutines/runnable:goroutines"), n); // created, not started yet
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(value("/sched/goroutines/waiting:goroutines"), waiting0 + n);
  assert.equal(value("/sched/goroutines/running:goroutines"), 1);
  for (let i = 0; i < n; i++) await ch.send(i);
  for (let i = 0; i < n; i++) await done.recv();
  // every receiver has finished or is about to: once they exit the counts are back
  while (value("/sched/goroutines:goroutines") > base) await new Promise((r) => setImmediate(r));
  assert.equal(value("/sched/goroutines/waiting:goroutines"), waiting0);
});

test("a goroutine awaiting a foreign promise counts as not-in-go", async () => {
  let release!: () => void;
  const foreign = new Promise<void>((r) => (release = r));
  const before = value("/sched/goroutines/not-in-go:goroutines");
  const exited = new Chan<void>();
  go(async () => {
    await foreign;
    exited.close();
  });
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(value("/sched/goroutines/not-in-go:goroutines"), before + 1);
  release();
  await exited.recv();
});

test("the latency histogram is shaped like Go's and counts sampled wake-ups", async () => {
  const s: metrics.Sample[] = [{ name: "/sched/latencies:seconds" }];
  metrics.read(s);
  const h0 = s[0].value!.value as metrics.Float64Histogram;
  assert.equal(h0.buckets.length, h0.counts.length + 1);
  assert.equal(h0.buckets[0], 0);
  assert.equal(h0.buckets[h0.buckets.length - 1], Infinity);
  const total0 = h0.counts.reduce((a, b) => a + b, 0);
  const ping = new Chan<number>();
  const pong = new Chan<number>();
  go(async () => {
    for (;;) {
      const [v, ok] = await ping.recvOk();
      if (!ok) return;
      await pong.send(v!);
    }
  });
  for (let i = 0; i < 1000; i++) {
    await ping.send(i);
    await pong.recv();
  }
  ping.close();
  metrics.read(s);
  const h1 = s[0].value!.value as metrics.Float64Histogram;
  assert.ok(h1.counts.reduce((a, b) => a + b, 0) > total0 + 10);
});

test("thread counts include worker threads and the tasks they run", async () => {
  const rt = threads.start({ workers: 2 });
  try {
    assert.equal(value("/sched/threads/total:threads"), 3);
    const base = value("/sched/goroutines:goroutines");
    const p = rt.run(quickTask, 1);
    assert.ok(value("/sched/goroutines:goroutines") >= base + 1); // the task, queued or running
    assert.equal(await p, 2);
  } finally {
    await rt.close();
  }
  assert.equal(value("/sched/threads/total:threads"), 1);
});

test("prometheus: a real prom-client registry serves client_golang's names", async () => {
  const registry = new client.Registry();
  metrics.prometheus(client, { registry });
  const text = await registry.metrics();
  assert.match(text, /^# TYPE go_sched_goroutines_waiting_goroutines gauge$/m);
  assert.match(text, /^go_sched_goroutines_goroutines \d+$/m);
  assert.match(text, /^# TYPE go_sched_goroutines_created_goroutines_total counter$/m);
  assert.match(text, /^go_sync_mutex_wait_total_seconds_total [\d.e-]+$/m);
  assert.match(text, /^# TYPE go_sched_latencies_seconds histogram$/m);
  assert.match(text, /^go_sched_latencies_seconds_bucket\{le="\+Inf"\} \d+$/m);
  assert.match(text, /^go_sched_latencies_seconds_count \d+$/m);
  assert.match(text, /^go_sched_gomaxprocs_threads \d+$/m);
  // an OpenMetrics registry: prom-client itself appends _total to counters
  const om = new (client.Registry as unknown as new (t: string) => client.Registry)(client.Registry.OPENMETRICS_CONTENT_TYPE);
  metrics.prometheus(client, { registry: om, prefix: "app" });
  assert.match(await om.metrics(), /^app_sched_goroutines_created_goroutines_total \d+$/m);
  assert.throws(() => metrics.prometheus({} as typeof client), TypeError);
});

class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

test("otel: observable instruments read through a real SDK MeterProvider", async () => {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.otel(provider.getMeter("goroutine-test"));
  const { resourceMetrics } = await reader.collect();
  const points = new Map<string, { unit: string; value: number }>();
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      points.set(m.descriptor.name, { unit: m.descriptor.unit, value: m.dataPoints[0]?.value as number });
    }
  }
  assert.equal(points.get("go.sched.goroutines")?.unit, "{goroutine}");
  assert.ok((points.get("go.sched.goroutines")?.value ?? 0) >= 1);
  assert.equal(points.get("go.sched.gomaxprocs")?.unit, "{thread}");
  assert.ok(points.has("go.sync.mutex.wait.total"));
  await provider.shutdown();
  assert.throws(() => metrics.otel({} as never), TypeError);
});
