// Every @example of goroutine/cache and of the cache's parts of goroutine/redis runs and prints what it says.
import { docExampleSuite } from "../docs/examples.js";

docExampleSuite("cache", ["src/cache", "src/redis/store.ts", "src/redis/writelog.ts"], 5);
