// Every @example of goroutine/threads runs and prints what it says (task examples run their tasks on
// real workers: each worker imports the example's module, whose main part is guarded by isMainThread).
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite(
  "threads",
  [
    "src/threads/sync.ts",
    "src/threads/mutex.ts",
    "src/threads/atomic.ts",
    "src/threads/runtime.ts",
    "src/threads/task.ts",
    "src/threads/chan.ts",
  ],
  20,
);
