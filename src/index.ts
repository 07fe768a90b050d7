/**
 * goroutine — Go's concurrency model for Node.js.
 *
 * The root module has the `go` statement, channels and `select`, and re-exports every Go package of the
 * library as a namespace, so `import { go, Chan, select, recv, time, context, sync } from "goroutine"`
 * reads like Go.
 */
export { go, type Goroutine } from "./go.js";
export { Chan, ChanClosedError } from "./internal/chan.js";
export { select, recv, send, type SelectCase, type CasesResult } from "./select.js";
export * as runtime from "./runtime/index.js";
export * as time from "./time/index.js";
export * as context from "./context/index.js";
export * as sync from "./sync/index.js";
export * as errgroup from "./errgroup/index.js";
export * as singleflight from "./singleflight/index.js";
export * as semaphore from "./semaphore/index.js";
export * as synctest from "./synctest/index.js";
export * as signal from "./signal/index.js";
export * as pool from "./pool/index.js";
export * as pipeline from "./pipeline/index.js";
