// Every @example of goroutine/time, goroutine/context and goroutine/signal runs and prints what it says.
// Examples run on the real clock with millisecond timers.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("time, context, signal", ["src/time", "src/context", "src/signal"], 35);
