// Every @example of goroutine/metrics, goroutine/trace, goroutine/pprof and goroutine/debug runs and
// prints what it says.
import { docExampleSuite } from "./examples.js";

docExampleSuite("metrics, trace, pprof, debug", ["src/metrics", "src/trace", "src/pprof", "src/debug"], 8);
