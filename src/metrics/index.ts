/**
 * goroutine/metrics — Go's `runtime/metrics` for this library's scheduler: the same names, kinds and
 * reading protocol (`all()` lists, `read(samples)` fills in values), plus exporters for Prometheus
 * (prom-client) and OpenTelemetry. Counts cover worker threads of open `goroutine/threads` runtimes.
 *
 * Metrics are always on: the scheduler keeps the counts as it parks and wakes goroutines (bench/
 * observability.ts measures the cost against a build with them compiled out).
 */
import * as engine from "../internal/metrics.js";

export type { Description, Float64Histogram, Kind, Sample, Value } from "../internal/metrics.js";
export { prometheus, otel, promName, type PrometheusOptions } from "./export.js";

/**
 * all returns a description of every supported metric, sorted by name, like Go's `metrics.All()`.
 * Each has Go's name (`/sched/goroutines/waiting:goroutines`), its kind and whether it is cumulative.
 *
 * @example
 * ```ts
 * import * as metrics from "goroutine/metrics";
 * const d = metrics.all().find((x) => x.name === "/sched/goroutines:goroutines");
 * console.log(d?.kind, d?.cumulative); // "uint64" false
 * ```
 */
export function all(): engine.Description[] {
  return engine.all();
}

/**
 * read fills in `value` of every sample from the current state, like Go's `metrics.Read`; it never
 * blocks. A name it does not know gets `{ kind: "bad", value: 0 }` (Go's KindBad), not an error. A sample's
 * existing scalar `value` object is reused, so reading the same array repeatedly allocates nothing for
 * scalar metrics. Histogram values are fresh copies.
 *
 * @throws TypeError if `samples` is not an array.
 *
 * @example
 * ```ts
 * import * as metrics from "goroutine/metrics";
 * const s: metrics.Sample[] = [{ name: "/sched/goroutines:goroutines" }, { name: "/no/such:thing" }];
 * metrics.read(s);
 * console.log(s[0].value?.kind, s[0].value?.value, s[1].value?.kind); // "uint64" 1 "bad"
 * ```
 */
export function read(samples: engine.Sample[]): void {
  engine.read(samples);
}
