/**
 * `npm start`: runs the showcase service (examples/service/app.ts) with embedded defaults — SQLite in a
 * file under the OS temp directory, the in-process cache tier, no Redis — prints its URLs and a `curl`
 * line, and stops cleanly on Ctrl-C or SIGTERM (drain in-flight requests, flush write-behind, exit 0).
 *
 *   node dist/examples/service/main.js [--port 8080] [--failure-rate 0.2] [--limit 500,1000] [--workers N]
 *
 * With `REDIS_URL` set, the cache's shared tier and its lease (one database load per key across all
 * processes), the per-client limits and the pricing breaker live in Redis (see ./distributed.ts), so
 * several processes act as one service: `--workers N` forks N of them with node:cluster on one port, or
 * start several on their own ports behind a load balancer.
 */
import cluster, { type Worker } from "node:cluster";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as context from "../../src/context/index.js";
import * as signal from "../../src/signal/index.js";
import { startService, type Service, type ServiceOptions } from "./app.js";
import { Catalogue } from "./db.js";
import { connect, type Shared } from "./distributed.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const workers = Number(flag("workers") ?? 1);
const redisUrl = process.env.REDIS_URL;
const dbPath = process.env.SERVICE_DB ?? join(tmpdir(), "goroutine-service", "catalogue.db");

/** Messages between the primary and its workers. */
type Msg = { listening: string } | "shutdown";

function banner(url: string, who: string): void {
  console.log(`${who} on ${url}`);
  console.log(`  try:      curl -s ${url}/products/42`);
  console.log(`  stats:    ${url}/stats`);
  console.log(`  metrics:  ${url}/metrics`);
  console.log(`  pprof:    ${url}/debug/pprof/`);
  console.log(`  timeline: ${url}/debug/timeline`);
  console.log("  Ctrl-C to stop (drains in-flight requests, flushes write-behind)");
}

/** The primary of `--workers N`: forks, prints the URLs once all listen, and stops them on a signal. */
async function primary(): Promise<void> {
  new Catalogue(dbPath).close(); // create and seed the database once, before the workers open it
  console.log(`primary ${process.pid}: forking ${workers} workers that share ${redisUrl}`);
  const [ctx, stop] = signal.notifyContext(context.background(), "SIGINT", "SIGTERM");
  const exits: Promise<number | null>[] = [];
  let stopping = false;
  const fork = (): Promise<string> => {
    const w: Worker = cluster.fork();
    exits.push(
      new Promise((resolve) =>
        w.once("exit", (code) => {
          if (!stopping) {
            console.error(`primary: worker ${w.process.pid} died (${code}); starting another`);
            void fork();
          }
          resolve(code);
        }),
      ),
    );
    return new Promise((resolve) => w.on("message", (m: Msg) => typeof m === "object" && resolve(m.listening)));
  };
  const urls = await Promise.all(Array.from({ length: workers }, fork));
  banner(urls[0], `catalogue service: ${workers} workers (node:cluster, one port)`);
  await ctx.done().recv();
  stop();
  stopping = true;
  console.log(`primary: ${context.cause(ctx)?.message ?? "stopping"}: stopping the workers`);
  for (const w of Object.values(cluster.workers ?? {})) w?.send("shutdown" satisfies Msg);
  const codes = await Promise.all(exits);
  const ok = codes.every((c) => c === 0);
  console.log(`primary: ${ok ? "every worker stopped cleanly" : `worker exit codes ${codes.join(", ")}`}`);
  process.exitCode = ok ? 0 : 1;
}

/** One service process: alone (`npm start`), or one of the primary's workers. */
async function serve(): Promise<void> {
  const [limitR, limitB] = (flag("limit") ?? "500,1000").split(",").map(Number);
  const opts: ServiceOptions = {
    port: Number(flag("port") ?? (process.env.PORT || 8080)),
    dbPath,
    pricing: { latency: 5, failureRate: Number(flag("failure-rate") ?? 0.2) },
    limit: { r: limitR, b: limitB },
  };
  let shared: Shared | undefined;
  if (redisUrl) {
    // Several processes (these workers, or services on other machines) act as one through Redis.
    shared = await connect(redisUrl, { prefix: process.env.SERVICE_REDIS_PREFIX ?? "catalogue", limit: opts.limit! });
    opts.distributed = shared.parts;
    if (!cluster.isWorker) console.log(`sharing ${shared.shares.join(", ")} through ${redisUrl}`);
  }
  let svc: Service;
  try {
    svc = await startService(opts);
  } catch (err) {
    // The default port is taken (another service, another checkout): any free port will do.
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || flag("port") !== undefined || process.env.PORT) throw err;
    console.log(`port ${opts.port} is in use; listening on a free one`);
    svc = await startService({ ...opts, port: 0 });
  }
  const who = cluster.isWorker ? `worker ${process.pid}` : `pid ${process.pid}`;
  if (cluster.isWorker) process.send!({ listening: svc.url } satisfies Msg);
  else banner(svc.url, `${who}: catalogue service`);

  // Stop on SIGINT/SIGTERM, or when the primary says so.
  const [parent, shutdown] = context.withCancelCause(context.background());
  process.on("message", (m: Msg) => m === "shutdown" && shutdown(new Error("primary: shutdown")));
  const [ctx, stop] = signal.notifyContext(parent, "SIGINT", "SIGTERM");
  await ctx.done().recv();
  stop();
  // A worker's drain is the primary's to end: the terminal's Ctrl-C reaches it as well as the primary.
  if (cluster.isWorker) for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => {});
  console.log(`${who}: ${context.cause(ctx)?.message ?? "stopping"}: draining`);
  await svc.shutdown();
  const s = await svc.stats();
  await shared?.close();
  console.log(
    `${who}: stopped cleanly after ${s.requests} requests (by status ${JSON.stringify(s.served)}), ${s.dbQueries} database queries, ${s.rowsWritten} rows flushed by write-behind`,
  );
  process.disconnect?.();
}

if (workers > 1 && !redisUrl) {
  console.error("--workers N needs REDIS_URL: the processes share their cache, limits and breaker through Redis");
  process.exit(2);
}
if (workers > 1 && cluster.isPrimary) await primary();
else await serve();
