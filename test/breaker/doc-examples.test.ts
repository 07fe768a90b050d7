// Every @example of goroutine/breaker runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("breaker", ["src/breaker"], 6);
