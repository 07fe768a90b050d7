// Every @example of goroutine/backoff runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("backoff", ["src/backoff"], 5);
