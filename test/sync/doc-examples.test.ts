// Every @example of goroutine/sync, goroutine/semaphore, goroutine/errgroup and goroutine/singleflight
// runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("sync and x/sync", ["src/sync", "src/semaphore", "src/errgroup", "src/singleflight"], 20);
