/**
 * Graceful shutdown: a worker service that, on SIGTERM (or Ctrl-C), stops taking new work, lets the
 * jobs already in flight finish, and exits cleanly — Go's `signal.NotifyContext` pattern:
 *
 *   ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
 *   defer stop()
 *   ... <-ctx.Done() ... drain ...
 *
 * The signal cancels `ctx`; the dispatcher sees `ctx.done()` in its `select`, closes the jobs channel,
 * and the workers finish what they hold, then return. A drain deadline (`withTimeout` on a context that
 * is not the cancelled one: `withoutCancel`) bounds how long shutdown may take.
 *
 * So that the demo ends by itself, the program sends itself SIGTERM once a few jobs are under way
 * (pass `--wait` to disable that and press Ctrl-C or `kill -TERM <pid>` yourself).
 *
 *   node dist/examples/graceful-shutdown.js [--wait]
 */
import { go, Chan, select, recv, send } from "../src/index.js";
import * as context from "../src/context/index.js";
import * as signal from "../src/signal/index.js";
import * as sync from "../src/sync/index.js";
import * as time from "../src/time/index.js";
import { isMain } from "./util.js";

const WORKERS = 3;
const JOB_TIME = 40 * time.Millisecond;

/** One unit of work; it checks its context so a hard stop could interrupt it (not needed here). */
async function handle(ctx: context.Context, job: number): Promise<string> {
  const done = await select([
    recv(time.after(JOB_TIME), () => true),
    recv(ctx.done(), () => false),
  ]);
  return done ? `job ${job} done` : `job ${job} interrupted (${ctx.err()?.message})`;
}

export async function main(): Promise<void> {
  const selfSignal = !process.argv.includes("--wait");
  const [ctx, stop] = signal.notifyContext(context.background(), "SIGINT", "SIGTERM");
  console.log(`pid ${process.pid}: serving with ${WORKERS} workers (SIGTERM or Ctrl-C to stop)`);

  // In-flight work must not be cut short by the signal: workers get a context that ignores it.
  const workCtx = context.withoutCancel(ctx);
  const jobs = new Chan<number>();
  const wg = new sync.WaitGroup();
  let inFlight = 0;
  for (let w = 1; w <= WORKERS; w++) {
    wg.go(async () => {
      for await (const job of jobs) {
        inFlight++;
        console.log(`  worker ${w}: started job ${job}`);
        console.log(`  worker ${w}: ${await handle(workCtx, job)}`);
        inFlight--;
      }
      console.log(`  worker ${w}: no more jobs, exiting`);
    });
  }

  // Dispatcher: hand out jobs until the signal arrives.
  let next = 1;
  for (;;) {
    const accepted = await select([send(jobs, next, () => true), recv(ctx.done(), () => false)]);
    if (!accepted) break;
    if (next === 5 && selfSignal) {
      console.log("(demo) sending myself SIGTERM while jobs are in flight");
      process.kill(process.pid, "SIGTERM");
    }
    next++;
  }
  console.log(`${String(context.cause(ctx)?.message)}: stop accepting work, draining ${inFlight} in-flight job(s)`);
  jobs.close();
  stop(); // restore default signal handling: a second Ctrl-C now kills at once

  // Drain, but not forever.
  const [drainCtx, cancelDrain] = context.withTimeout(context.background(), 2 * time.Second);
  const drained = new Chan<void>();
  go(async () => {
    await wg.wait();
    drained.close();
  });
  const clean = await select([recv(drained, () => true), recv(drainCtx.done(), () => false)]);
  cancelDrain();
  console.log(clean ? "all in-flight work finished; bye" : "drain deadline exceeded; exiting anyway");
}

if (isMain(import.meta.url)) await main();
