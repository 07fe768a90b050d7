/**
 * `npm start`: runs the showcase service (examples/service/app.ts) with embedded defaults — SQLite in a
 * file under the OS temp directory, the in-process cache tier, no Redis — prints its URLs and a `curl`
 * line, and stops cleanly on Ctrl-C or SIGTERM (drain in-flight requests, flush write-behind, exit 0).
 *
 *   node dist/examples/service/main.js [--port N] [--failure-rate 0.2] [--workers N]
 *
 * With `REDIS_URL` set, the cache's shared tier and lease, the per-client limiter and the pricing breaker
 * move to Redis, and `--workers N` forks N processes (node:cluster) that behave as one service.
 */
import cluster from "node:cluster";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as context from "../../src/context/index.js";
import * as signal from "../../src/signal/index.js";
import { startService, type ServiceOptions } from "./app.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const workers = Number(flag("workers") ?? 1);
  const redisUrl = process.env.REDIS_URL;
  if (workers > 1 && !redisUrl) {
    console.error("--workers N needs REDIS_URL: N processes share their cache, limits and breaker through Redis");
    process.exit(2);
  }
  if (workers > 1 && cluster.isPrimary) {
    console.log(`primary ${process.pid}: forking ${workers} workers sharing ${redisUrl}`);
    for (let i = 0; i < workers; i++) cluster.fork();
    const [ctx, stop] = signal.notifyContext(context.background(), "SIGINT", "SIGTERM");
    await ctx.done().recv();
    stop();
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    return;
  }

  const port = Number(flag("port") ?? process.env.PORT ?? 8080);
  const failureRate = Number(flag("failure-rate") ?? 0.2);
  const opts: ServiceOptions = {
    port,
    dbPath: process.env.SERVICE_DB ?? join(tmpdir(), "goroutine-service", "catalogue.db"),
    pricing: { latency: 5, failureRate },
  };
  // Multi-process mode (the shared tier, limiter and breaker on Redis) waits for goroutine/redis's
  // Limiter and breakerStore; until then REDIS_URL is reported and ignored.
  if (redisUrl) console.log("REDIS_URL is set, but multi-process mode is not built yet: running alone");
  const closeRedis = async (): Promise<void> => {};
  const svc = await startService(opts);
  const who = cluster.isWorker ? `worker ${process.pid}` : `pid ${process.pid}`;
  console.log(`${who}: catalogue service on ${svc.url}`);
  if (!cluster.isWorker) {
    console.log(`  try:      curl -s ${svc.url}/products/42`);
    console.log(`  stats:    ${svc.url}/stats`);
    console.log(`  metrics:  ${svc.url}/metrics`);
    console.log(`  pprof:    ${svc.url}/debug/pprof/`);
    console.log(`  timeline: ${svc.url}/debug/timeline`);
    console.log("  Ctrl-C to stop (drains in-flight requests, flushes write-behind)");
  }

  const [ctx, stop] = signal.notifyContext(context.background(), "SIGINT", "SIGTERM");
  await ctx.done().recv();
  stop();
  console.log(`${who}: ${context.cause(ctx)?.message ?? "stopping"}: draining`);
  await svc.shutdown();
  const s = await svc.stats();
  await closeRedis();
  console.log(
    `${who}: stopped cleanly after ${s.requests} requests (by status ${JSON.stringify(s.served)}), ${s.dbQueries} database queries, ${s.rowsWritten} rows flushed by write-behind`,
  );
}

await main();
