// Every @example of goroutine/rate runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("rate", ["src/rate"], 8);
