/**
 * Exporters for goroutine/metrics: a prom-client collector named by client_golang's rule, and an
 * OpenTelemetry adapter on @opentelemetry/api's Meter only. Neither package is imported here at run
 * time: the caller passes in the client or the meter, so `goroutine/metrics` loads without them.
 *
 * Invariants:
 * - Every exported series is read through one `read` of every sample per scrape (or per OTel
 *   collection), never one read per series.
 */
import type * as PromClient from "prom-client";
import type { Meter, ObservableResult, Observable } from "@opentelemetry/api";
import { DESCRIPTIONS, type Description, type Float64Histogram, type Sample, read } from "../internal/metrics.js";

/**
 * The Prometheus name of a runtime/metrics name under client_golang's rule: the path's segments and the
 * unit joined by "_", every character outside `[a-zA-Z0-9_]` made "_", the namespace in front, and
 * "_total" after cumulative counters (`/sched/goroutines-created:goroutines` →
 * `go_sched_goroutines_created_goroutines_total`).
 */
export function promName(d: Description, prefix = "go"): string {
  const [path, unit] = d.name.split(":");
  const base = `${prefix}_${path.slice(1)}_${unit}`.replace(/[^a-zA-Z0-9_]/g, "_").replace(/_+/g, "_");
  return d.cumulative && d.kind !== "float64histogram" ? `${base}_total` : base;
}

/**
 * Merges a fine histogram into Prometheus buckets: every `factor` Go buckets become one, the upper
 * bounds are kept, and counts become cumulative. Returns [upper bounds (last +Inf), cumulative counts,
 * an estimated sum from bucket midpoints (lower bound for the last bucket)].
 */
export function rebucket(h: Float64Histogram, factor = 2): [number[], number[], number] {
  const les: number[] = [];
  const cum: number[] = [];
  let acc = 0;
  let sum = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    acc += c;
    const lo = h.buckets[i];
    const hi = h.buckets[i + 1];
    sum += c * (Number.isFinite(hi) ? (lo + hi) / 2 : lo);
    const last = i === h.counts.length - 1;
    if (last || (i + 1) % factor === 0) {
      les.push(last ? Infinity : hi);
      cum.push(acc);
    }
  }
  return [les, cum, sum];
}

type PromValue = { value: number; labels?: Record<string, string | number>; metricName?: string };

/** Options of {@link prometheus}. */
export interface PrometheusOptions {
  /** The registry to register on (default: the client's global `register`). */
  registry?: PromClient.Registry;
  /** The namespace (default "go", as client_golang). */
  prefix?: string;
}

/**
 * prometheus registers every runtime metric on a prom-client registry: gauges for counts, counters
 * ("_total") for cumulative values, a histogram for `/sched/latencies:seconds` re-bucketed to half as many
 * buckets. Values are read when the registry is scraped.
 *
 * @throws TypeError if `client` is not prom-client; Error (prom-client's) if a metric of the same name is
 * already registered.
 *
 * @example
 * ```ts
 * import * as client from "prom-client";
 * import * as metrics from "goroutine/metrics";
 * const registry = new client.Registry();
 * metrics.prometheus(client, { registry });
 * console.log((await registry.metrics()).includes("go_sched_goroutines_goroutines")); // true
 * ```
 */
export function prometheus(client: typeof PromClient, opts: PrometheusOptions = {}): void {
  if (client === null || typeof client !== "object" || typeof client.Registry !== "function") {
    throw new TypeError("metrics.prometheus: client must be the prom-client module");
  }
  const registry = opts.registry ?? client.register;
  const prefix = opts.prefix ?? "go";
  const samples: Sample[] = DESCRIPTIONS.map((d) => ({ name: d.name }));
  // One read serves every series of a scrape: prom-client calls get() on each metric in one tick.
  let stamp = -1;
  let scrapes = 0;
  const fresh = (): void => {
    if (stamp === scrapes) return;
    stamp = scrapes;
    read(samples);
    queueMicrotask(() => scrapes++);
  };
  // prom-client appends "_total" to counters itself in OpenMetrics format, not in the text format.
  const openMetrics = (registry as { contentType?: string }).contentType?.includes("openmetrics") === true;
  DESCRIPTIONS.forEach((d, i) => {
    const full = promName(d, prefix);
    const name = openMetrics && full.endsWith("_total") ? full.slice(0, -6) : full;
    const type = d.kind === "float64histogram" ? "histogram" : d.cumulative ? "counter" : "gauge";
    const metric = {
      name,
      help: `${d.description} (${d.name})`,
      type,
      aggregator: "sum",
      get(): { name: string; help: string; type: string; aggregator: string; values: PromValue[] } {
        fresh();
        const v = samples[i].value!.value;
        let values: PromValue[];
        if (typeof v === "number") {
          values = [{ value: v }];
        } else {
          const [les, cum, sum] = rebucket(v);
          values = les.map((le, j) => ({ metricName: `${name}_bucket`, labels: { le: le === Infinity ? "+Inf" : le }, value: cum[j] }));
          values.push({ metricName: `${name}_sum`, value: sum }, { metricName: `${name}_count`, value: cum[cum.length - 1] });
        }
        return { name, help: metric.help, type, aggregator: "sum", values };
      },
    };
    registry.registerMetric(metric as unknown as PromClient.Metric);
  });
}

/** The OpenTelemetry unit of a runtime/metrics unit (UCUM, as the OTel semantic conventions use). */
function otelUnit(unit: string): string {
  switch (unit) {
    case "seconds":
      return "s";
    case "ratio":
      return "1";
    case "goroutines":
      return "{goroutine}";
    case "threads":
      return "{thread}";
  }
  return unit;
}

/**
 * otel registers every scalar runtime metric as an observable instrument on `meter` (from
 * @opentelemetry/api; any SDK, or none, behind it): observable gauges for counts, observable counters for
 * cumulative values. Names are the metric path with dots (`/sched/goroutines/waiting:goroutines` →
 * `go.sched.goroutines.waiting`, unit `{goroutine}`). One batch callback reads every sample once per
 * collection. `/sched/latencies:seconds` is not exported: the OTel API has no observable histogram.
 *
 * @throws TypeError if `meter` is not a Meter.
 *
 * @example
 * ```ts
 * import { metrics as otelMetrics } from "@opentelemetry/api";
 * import * as metrics from "goroutine/metrics";
 * metrics.otel(otelMetrics.getMeter("app")); // a no-op meter until an SDK is registered
 * console.log("registered"); // "registered"
 * ```
 */
export function otel(meter: Meter): void {
  if (meter === null || typeof meter !== "object" || typeof meter.createObservableGauge !== "function") {
    throw new TypeError("metrics.otel: meter must be an @opentelemetry/api Meter");
  }
  const scalar = DESCRIPTIONS.filter((d) => d.kind !== "float64histogram");
  const samples: Sample[] = scalar.map((d) => ({ name: d.name }));
  const instruments: Observable[] = scalar.map((d) => {
    const [path, unit] = d.name.split(":");
    const name = `go${path.replace(/\//g, ".")}`;
    const o = { description: d.description, unit: otelUnit(unit) };
    return d.cumulative ? meter.createObservableCounter(name, o) : meter.createObservableGauge(name, o);
  });
  meter.addBatchObservableCallback((r) => {
    read(samples);
    for (let i = 0; i < samples.length; i++) r.observe(instruments[i], samples[i].value!.value as number);
  }, instruments);
}

export type { ObservableResult };
