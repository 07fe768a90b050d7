// Every @example of goroutine/pool and goroutine/pipeline runs and prints what it says.
import { docExampleSuite } from "./examples.js";

docExampleSuite("pool, pipeline", ["src/pool", "src/pipeline"], 16);
