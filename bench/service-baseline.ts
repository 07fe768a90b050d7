/**
 * The showcase service's baseline: the same catalogue API (examples/service/app.ts) written the way most
 * Node services are — plain `async`/`Promise.all`, `AbortSignal.timeout` + `AbortSignal.any` for the
 * deadline and the client's disconnect, lru-cache's `fetchMethod` for one load per key (stale while it
 * reloads), p-limit for the background job, and the retry loop, the circuit breaker, the per-client token
 * bucket and the write-behind buffer written by hand. Same routes, same backends (examples/service/
 * backends.ts is not used: its waits are the library's timers; these are node:timers/promises'), same
 * limits and timings, so `npm run load` shows the cost of the library's modules as a ratio.
 *
 *   node dist/bench/service-baseline.js [--port 8081] [--failure-rate 0.2]
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { LRUCache } from "lru-cache";
import pLimit from "p-limit";
import { Catalogue, type Product } from "../examples/service/db.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(flag("port") ?? 8081);
const failureRate = Number(flag("failure-rate") ?? 0.2);
const db = new Catalogue(process.env.SERVICE_DB ?? join(tmpdir(), "goroutine-service", "baseline.db"));
const LIMIT = { r: 500, b: 1000 };

const cache = new LRUCache<number, Product>({
  max: 10_000,
  ttl: 5000,
  allowStale: true,
  noDeleteOnStaleGet: true,
  fetchMethod: async (id) => db.get(id),
});

/** A token bucket per client: `allow()` or the ms until the next token. */
class Bucket {
  #tokens = LIMIT.b;
  #last = performance.now();
  take(): number {
    const now = performance.now();
    this.#tokens = Math.min(LIMIT.b, this.#tokens + ((now - this.#last) * LIMIT.r) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens--;
      return 0;
    }
    return ((1 - this.#tokens) * 1000) / LIMIT.r;
  }
}
const buckets = new LRUCache<string, Bucket>({ max: 10_000 });

/** A circuit breaker: opens when ≥ 20 calls in 10 s failed more often than not; one probe after 2 s. */
const breaker = {
  state: "closed" as "closed" | "open" | "half-open",
  requests: 0,
  failures: 0,
  since: performance.now(),
  probing: false,
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const now = performance.now();
    if (this.state === "open" && now - this.since >= 2000) [this.state, this.probing] = ["half-open", false];
    if (this.state === "closed" && now - this.since >= 10_000) [this.requests, this.failures, this.since] = [0, 0, now];
    if (this.state === "open" || (this.state === "half-open" && this.probing)) return undefined;
    if (this.state === "half-open") this.probing = true;
    try {
      const v = await fn();
      if (this.state === "half-open") [this.state, this.requests, this.failures, this.since] = ["closed", 0, 0, performance.now()];
      else this.requests++;
      return v;
    } catch (err) {
      this.requests++;
      this.failures++;
      if (this.state === "half-open" || (this.requests >= 20 && this.failures / this.requests > 0.5)) {
        [this.state, this.since] = ["open", performance.now()];
      }
      throw err;
    }
  },
};

class BackendError extends Error {}

async function backend<T>(signal: AbortSignal, latency: number, failures: number, answer: T): Promise<T> {
  await delay(Math.max(1, Math.round(latency * (0.5 + Math.random()))), undefined, { signal }); // as backends.ts
  if (Math.random() < failures) throw new BackendError("503 service unavailable");
  return answer;
}

/** A quote, three tries with exponential backoff inside the breaker; undefined (degraded) if none. */
async function quote(signal: AbortSignal, id: number): Promise<{ discount: number } | undefined> {
  try {
    return await breaker.run(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await backend(signal, 5, failureRate, { discount: (id * 7) % 30 });
        } catch (err) {
          if (signal.aborted || attempt === 2) throw err;
          await delay(5 * 1.5 ** attempt * (0.5 + Math.random()), undefined, { signal });
        }
      }
    });
  } catch (err) {
    if (err instanceof BackendError) return undefined;
    throw err;
  }
}

// Write-behind: writes wait here, flushed in batches of 100 or after 50 ms, and on shutdown.
const dirty = new Map<number, Product>();
let flushTimer: NodeJS.Timeout | undefined;
function flush(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (dirty.size) db.putMany([...dirty]);
  dirty.clear();
}

const warmLimit = pLimit(4);
let requests = 0;
let inFlight = 0;
let closing = false;
let drained: (() => void) | undefined;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

async function route(req: IncomingMessage, path: string, signal: AbortSignal): Promise<[number, unknown]> {
  const m = /^\/products\/(\d+)$/.exec(path);
  if (m && req.method === "GET") {
    const id = Number(m[1]);
    const [product, q, stock] = await Promise.all([
      cache.fetch(id, { signal }),
      quote(signal, id),
      backend(signal, 2, 0, { stock: (id * 13) % 50 }),
    ]);
    if (!product) throw new HttpError(404, `no product ${id}`);
    const price = q ? Math.round((product.price * (100 - q.discount)) / 100) : product.price;
    return [200, { ...product, price, listPrice: product.price, stock: stock.stock, degraded: q === undefined }];
  }
  if (m && req.method === "PUT") {
    const id = Number(m[1]);
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const body = JSON.parse(text) as { name?: string; price?: number };
    const current = await cache.fetch(id, { signal });
    if (!current) throw new HttpError(404, `no product ${id}`);
    const next = { id, name: body.name ?? current.name, price: body.price ?? current.price, updatedAt: Date.now() };
    cache.set(id, next);
    dirty.set(id, next);
    if (dirty.size >= 100) flush();
    else flushTimer ??= setTimeout(flush, 50);
    return [200, next];
  }
  if (path === "/jobs/warm" && req.method === "POST") {
    void Promise.all(db.ids().map((id) => warmLimit(() => cache.fetch(id))));
    return [202, { job: 1 }];
  }
  if (path === "/stats") return [200, { requests, inFlight, dbQueries: db.queries, breaker: breaker.state }];
  throw new HttpError(404, "not found");
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  requests++;
  inFlight++;
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const header = Number(req.headers["x-timeout-ms"]);
  const gone = new AbortController();
  const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(header > 0 ? header : 2000)]);
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  let status: number;
  let body: unknown;
  let headers: Record<string, string> = {};
  try {
    const client = (req.headers["x-client-id"] as string | undefined) ?? req.socket.remoteAddress ?? "?";
    let bucket = buckets.get(client);
    if (!bucket) buckets.set(client, (bucket = new Bucket()));
    const wait = bucket.take();
    if (wait > 0) throw new HttpError(429, "rate limited", { "Retry-After": String(Math.max(1, Math.ceil(wait / 1000))) });
    [status, body] = await route(req, path, signal);
  } catch (err) {
    if (err instanceof HttpError) [status, headers, body] = [err.status, err.headers, { error: err.message }];
    else if (gone.signal.aborted) [status, body] = [499, { error: "cancelled" }];
    else if (signal.aborted) [status, body] = [504, { error: "deadline exceeded" }];
    else [status, body] = [502, { error: err instanceof Error ? err.message : String(err) }];
  }
  if (!res.destroyed) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
      ...(closing ? { Connection: "close" } : {}),
      ...headers,
    });
    res.end(text);
  }
  if (--inFlight === 0) drained?.();
}

const server = createServer((req, res) => void handle(req, res));
server.listen(port, "127.0.0.1", () => {
  const a = server.address() as AddressInfo;
  console.log(`baseline catalogue on http://127.0.0.1:${a.port}`);
});

async function shutdown(): Promise<void> {
  closing = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (inFlight > 0) {
    await Promise.race([new Promise<void>((resolve) => (drained = resolve)), delay(10_000)]);
  }
  server.closeAllConnections();
  await closed;
  flush();
  db.close();
  console.log(`baseline: stopped cleanly after ${requests} requests`);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void shutdown());
