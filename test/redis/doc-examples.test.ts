// Every @example of goroutine/redis's coordination primitives runs against the shared Redis and prints
// what it says (the cache tier's examples run in test/cache/doc-examples.test.ts).
import { test } from "node:test";
import { docExampleSuite } from "../docs/examples.js";
import { redisUrl } from "../support/services.js";

const { skip } = redisUrl();
if (skip === undefined) {
  docExampleSuite(
    "redis",
    ["src/redis/conn.ts", "src/redis/limiter.ts", "src/redis/windows.ts", "src/redis/semaphore.ts", "src/redis/breakerstore.ts", "src/redis/group.ts"],
    9,
  );
} else {
  test("redis: doc examples", { skip }, () => undefined);
}
