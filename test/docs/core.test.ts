// Every @example of the root module (go, Chan, select), goroutine/runtime and goroutine/synctest runs and
// prints what it says.
import { docExampleSuite } from "./examples.js";

docExampleSuite(
  "core, runtime, synctest",
  ["src/go.ts", "src/select.ts", "src/internal/chan.ts", "src/runtime", "src/synctest"],
  15,
);
