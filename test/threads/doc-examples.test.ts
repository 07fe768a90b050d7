// Every @example of goroutine/threads' sync primitives and atomics runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("threads sync and atomics", ["src/threads/sync.ts", "src/threads/atomic.ts"], 9);
