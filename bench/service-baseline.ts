/**
 * The showcase service's baseline: the same catalogue API written the way most Node services are —
 * plain `async`/`Promise.all`, `AbortSignal.timeout` for the deadline, lru-cache's `fetchMethod` for
 * one load per key, p-limit for the background job, a hand-written retry loop and no breaker.
 * `npm run load` drives it next to examples/service so the cost of the library's modules shows as a ratio.
 *
 *   node dist/bench/service-baseline.js --port 0
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { LRUCache } from "lru-cache";
import pLimit from "p-limit";
import { Catalogue, type Product } from "../examples/service/db.js";

const port = Number(process.argv[process.argv.indexOf("--port") + 1] || 8081);
const db = new Catalogue(process.env.SERVICE_DB ?? join(tmpdir(), "goroutine-service", "baseline.db"));

const cache = new LRUCache<number, Product>({
  max: 10_000,
  ttl: 5000,
  allowStale: true,
  noDeleteOnStaleGet: true,
  fetchMethod: async (id) => db.get(id),
});

async function backend<T>(signal: AbortSignal, latency: number, failureRate: number, answer: T): Promise<T> {
  await delay(latency * (0.5 + Math.random()), undefined, { signal });
  if (Math.random() < failureRate) throw new Error("503 service unavailable");
  return answer;
}

async function quote(signal: AbortSignal, id: number): Promise<{ discount: number } | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await backend(signal, 5, 0.2, { discount: (id * 7) % 30 });
    } catch (err) {
      if (signal.aborted) throw err;
      await delay(5 * 1.5 ** attempt, undefined, { signal });
    }
  }
  return undefined;
}

const limiter = pLimit(4);
let requests = 0;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  requests++;
  const m = /^\/products\/(\d+)$/.exec(req.url ?? "");
  const ac = new AbortController();
  const signal = AbortSignal.any([ac.signal, AbortSignal.timeout(2000)]);
  res.once("close", () => ac.abort());
  let status = 200;
  let body: unknown;
  try {
    if (m) {
      const id = Number(m[1]);
      const [product, q, stock] = await Promise.all([
        cache.fetch(id, { signal }),
        quote(signal, id),
        backend(signal, 2, 0, { stock: (id * 13) % 50 }),
      ]);
      if (!product) [status, body] = [404, { error: `no product ${id}` }];
      else {
        const price = q ? Math.round((product.price * (100 - q.discount)) / 100) : product.price;
        body = { ...product, price, listPrice: product.price, stock: stock.stock, degraded: q === undefined };
      }
    } else if (req.url === "/jobs/warm" && req.method === "POST") {
      void Promise.all(db.ids().map((id) => limiter(() => cache.fetch(id))));
      [status, body] = [202, { job: 1 }];
    } else if (req.url === "/stats") {
      body = { requests, dbQueries: db.queries, served: {} };
    } else [status, body] = [404, { error: "not found" }];
  } catch (err) {
    [status, body] = [signal.aborted ? 504 : 502, { error: err instanceof Error ? err.message : String(err) }];
  }
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => void handle(req, res));
server.listen(port, "127.0.0.1", () => {
  const a = server.address() as AddressInfo;
  console.log(`baseline catalogue on http://127.0.0.1:${a.port}`);
});
process.once("SIGTERM", () => {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeIdleConnections();
});
