/**
 * The tour: runs every example in order, with a heading that says what to look for.
 *
 *   npm run demo                 (installs, builds, then runs this)
 *   node dist/examples/tour.js   (after a build)
 *
 * The examples run in this process, one after another, except the ones that must end the process
 * (the deadlock report exits with code 2) or handle signals: those run as child processes of the same
 * Node.js binary, and the tour prints what they wrote.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "../src/index.js";
import { main as workerPool } from "./worker-pool.js";
import { main as pipeline } from "./pipeline.js";
import { main as selectTimeout } from "./select-timeout.js";
import { main as closeRange } from "./close-range.js";
import { main as parallel } from "./threads.js";
import { main as cacheStampede } from "./cache.js";
import { main as observability } from "./observability.js";
import { main as rateLimit } from "./rate-limit.js";
import { main as breaker } from "./breaker.js";
import { main as distributed } from "./distributed.js";

const here = dirname(fileURLToPath(import.meta.url));

interface Step {
  title: string;
  file: string;
  /** What the reader should notice. */
  about: string;
  run: () => Promise<void>;
}

/** Runs an example as a child process and prints its output, indented; returns its exit code. */
function child(file: string): { code: number | null; stdout: string; stderr: string } {
  // --enable-source-maps: the goroutine dump then points at the .ts sources, not the compiled .js.
  const r = spawnSync(process.execPath, ["--enable-source-maps", join(here, file)], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function indent(text: string, prefix: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

const steps: Step[] = [
  {
    title: "Worker pool",
    file: "worker-pool.ts",
    about: "3 workers share one jobs channel and a WaitGroup closes the results; then the same with goroutine/pool.",
    run: workerPool,
  },
  {
    title: "Pipeline with fan-out and fan-in",
    file: "pipeline.ts",
    about: "generate → 3 squarers (fan-out) → merge (fan-in) by hand; then goroutine/pipeline stages, cancelled cleanly.",
    run: pipeline,
  },
  {
    title: "select with a timeout",
    file: "select-timeout.ts",
    about: "time.after(d) is a channel, so a timeout is one more case; `otherwise` is Go's `default`.",
    run: selectTimeout,
  },
  {
    title: "Closing a channel, and for await",
    file: "close-range.ts",
    about: "close() loses no buffered value; for-await drains then ends; late sends are errors.",
    run: closeRange,
  },
  {
    title: "Rate limiting with a token bucket",
    file: "rate-limit.ts",
    about: "goroutine/rate (x/time/rate): a burst, then FIFO spacing; wait fails early when a deadline cannot be met, and refunds on cancel.",
    run: rateLimit,
  },
  {
    title: "Retry with backoff inside a circuit breaker",
    file: "breaker.ts",
    about: "goroutine/backoff + goroutine/breaker against a flaky service, in virtual time: the breaker opens, probes, closes.",
    run: breaker,
  },
  {
    title: "One limit, one lock, one breaker, one flight across processes",
    file: "distributed.ts",
    about: "goroutine/redis: a shared token bucket, a FIFO Mutex with fencing tokens, a breaker store, a cross-process singleflight (skipped without Redis; REDIS_URL).",
    run: distributed,
  },
  {
    title: "Goroutines on every core",
    file: "threads.ts",
    about: "goroutine/threads: tasks on worker threads over shared run queues; a task spawns tasks; a Mutex shared by all threads.",
    run: parallel,
  },
  {
    title: "A cache stampede, collapsed",
    file: "cache.ts",
    about: "goroutine/cache: 10,000 concurrent misses of one key make one load; refresh-ahead keeps it fresh.",
    run: cacheStampede,
  },
  {
    title: "Watching goroutines: metrics, profiles, traces",
    file: "observability.ts",
    about: "goroutine/debug serves Go's /debug/pprof/, /metrics and a live timeline page; run it with --serve and open the URLs.",
    run: () => observability(),
  },
  {
    title: "A deadlock, and the runtime's report",
    file: "deadlock.ts",
    about: "Two goroutines wait for each other; the runtime notices nothing can ever wake them.",
    run: async () => {
      const r = child("deadlock.js");
      console.log("  (run as a child process, because it ends the process)");
      console.log("  stdout:");
      console.log(indent(r.stdout, "  │ "));
      console.log("  stderr:");
      console.log(indent(r.stderr, "  │ "));
      console.log(`  exit code: ${String(r.code)}`);
      console.log(
        [
          "",
          "  Like Go, when the event loop has nothing left to do (no timers, no I/O) while goroutines are",
          "  still parked on channels, locks or conditions, nothing can ever wake them: the runtime prints",
          "  `fatal error: all goroutines are asleep - deadlock!`, then one block per goroutine — its id,",
          "  what it waits on ([chan receive]) and for how long, its function, and the line that started it",
          "  (`created by`) — and exits with code 2 instead of letting Node exit quietly with code 0.",
        ].join("\n"),
      );
      if (r.code !== 2) throw new Error(`deadlock example: expected exit code 2, got ${String(r.code)}`);
    },
  },
  {
    title: "Graceful shutdown",
    file: "graceful-shutdown.ts",
    about: "signal.notifyContext cancels a context on SIGTERM: stop taking work, drain in-flight jobs, exit 0.",
    run: async () => {
      const r = child("graceful-shutdown.js");
      console.log("  (run as a child process, because it sends itself SIGTERM)");
      if (r.stdout.trim() !== "") console.log(indent(r.stdout, "  "));
      if (r.stderr.trim() !== "") console.log(indent(r.stderr, "  stderr │ "));
      console.log(`  exit code: ${String(r.code)}`);
      if (r.code !== 0) throw new Error(`graceful-shutdown example: exit code ${String(r.code)}`);
    },
  },
];

console.log("goroutine — a tour of Go's concurrency model on Node.js");
console.log(`(node ${process.version}; each section is a program in examples/, runnable on its own)\n`);
for (let i = 0; i < steps.length; i++) {
  const s = steps[i];
  console.log(`━━ ${i + 1}/${steps.length} ${s.title} ━━  examples/${s.file}`);
  console.log(`   ${s.about}\n`);
  await s.run();
  console.log("");
}
// Every example cleans up after itself: only main is left.
console.log(`Tour complete. Live goroutines now: ${runtime.numGoroutine()} (just main).`);
