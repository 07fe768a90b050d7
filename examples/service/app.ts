/**
 * The showcase service: a product catalogue API where every concurrency decision is one of this
 * library's modules.
 *
 *   GET  /products/:id       the product (read-through cache in front of SQLite, refresh-ahead, one load
 *                            per key however many ask at once) joined with a price quote from a flaky
 *                            backend (backoff.retry inside a breaker.CircuitBreaker) and a stock level,
 *                            fanned out with errgroup.withContext under the request's deadline
 *   PUT  /products/:id       {"name"?, "price"?}: written to the cache at once, to SQLite by write-behind
 *   POST /jobs/warm          a background job: warms the cache for every product, at most 4 at a time (pool)
 *   GET  /stats              requests, database queries (per 1,000 requests), cache, breaker and limiter
 *   /metrics, /debug/pprof/…, /debug/timeline   from goroutine/debug
 *
 * Every request runs under a context with a deadline (the `X-Timeout-Ms` header, or 2 s) that a client
 * disconnect cancels; every goroutine the request starts gets that context. Clients are rate limited
 * (`X-Client-Id`, else the remote address) with x/time/rate's token bucket: 429 with `Retry-After`.
 * `shutdown()` stops accepting, drains the requests in flight, flushes write-behind and closes the database.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo } from "node:net";
import { LRUCache } from "lru-cache";
import { go } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as errgroup from "../../src/errgroup/index.js";
import * as sync from "../../src/sync/index.js";
import * as time from "../../src/time/index.js";
import * as rate from "../../src/rate/index.js";
import * as backoff from "../../src/backoff/index.js";
import * as breaker from "../../src/breaker/index.js";
import { Cache, type Store, type WriteLog } from "../../src/cache/index.js";
import { Pool } from "../../src/pool/index.js";
import * as debug from "../../src/debug/index.js";
import { Catalogue, type Product } from "./db.js";
import { BackendError, inventory, pricing, type BackendOptions, type Quote } from "./backends.js";

/** Shared-tier parts that move to Redis when the service runs as several processes. */
export interface Distributed {
  /** The cache's shared tier and lease (redis.store). */
  store?: Store<Product>;
  /** A durable write-behind log that one process at a time flushes to the database (redis.writeLog). */
  writeLog?: WriteLog;
  /** A per-client limiter shared by every process (redis.Limiter), keyed by client id. */
  limiter?: (client: string) => LimiterLike;
  /** The pricing breaker shared by every process (a DistributedCircuitBreaker). */
  breaker?: BreakerLike;
}

/** The part of a limiter the service uses (rate.Limiter and redis.Limiter both have it). */
export interface LimiterLike {
  allow(): boolean | Promise<boolean>;
  /** How long until the next token, in ms, for `Retry-After`. */
  retryAfter?(): number | Promise<number>;
}

/** The part of a breaker the service uses. */
export interface BreakerLike {
  execute(fn: () => Promise<Quote>): Promise<Quote>;
  state(): string | Promise<string>;
}

export interface ServiceOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; loopback by default. */
  host?: string;
  /** SQLite file, or ":memory:" (the default). */
  dbPath?: string;
  /** Products seeded into an empty database. */
  products?: number;
  /** Deadline of a request without `X-Timeout-Ms`, in ms. */
  defaultTimeout?: number;
  /** Per-client rate limit: `r` requests per second, burst `b`. */
  limit?: { r: number; b: number };
  /** The flaky pricing backend and the inventory backend. */
  pricing?: BackendOptions;
  inventory?: BackendOptions;
  /** Cache freshness in ms, and the refresh-ahead factor. */
  cacheTtl?: number;
  refreshAhead?: number;
  distributed?: Distributed;
}

/** A running service. */
export interface Service {
  readonly url: string;
  readonly server: Server;
  stats(): Promise<Stats>;
  /** Stops accepting, drains requests in flight (at most `drain` ms), flushes write-behind, closes the db. */
  shutdown(drain?: number): Promise<void>;
}

export interface Stats {
  /** The process that answered (several serve one port with `--workers N`). */
  pid: number;
  requests: number;
  inFlight: number;
  served: Record<string, number>;
  dbQueries: number;
  dbQueriesPer1000Requests: number;
  rowsWritten: number;
  rateLimited: number;
  cancelledByClient: number;
  cache: ReturnType<Cache<number, Product>["stats"]>;
  breaker: string;
  /** Calls that reached the pricing backend, and pages served without a quote, by why. */
  pricing: { calls: number; failures: number; degraded: { refused: number; failed: number; errors: number } };
  jobs: { started: number; finished: number; warmed: number };
}

/** Thrown by a handler to answer with an HTTP status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const PRODUCT = /^\/products\/(\d+)$/;

/**
 * The pricing backend's breaker: it opens when at least 20 calls in a 10 s interval failed more often
 * than not, lets one probe through after 2 s, and closes when that probe succeeds. (A shared breaker in
 * the multi-process mode uses the same settings.)
 */
export const PRICING_BREAKER: breaker.Settings = {
  name: "pricing",
  maxRequests: 1,
  interval: 10 * time.Second,
  timeout: 2 * time.Second,
  readyToTrip: (c) => c.requests >= 20 && c.totalFailures / c.requests > 0.5,
};

/** Starts the service; resolves once it listens. */
export async function startService(opts: ServiceOptions = {}): Promise<Service> {
  const db = new Catalogue(opts.dbPath ?? ":memory:", opts.products ?? 1000);
  const pricingApi = pricing(opts.pricing ?? { latency: 5, failureRate: 0.2 });
  const inventoryApi = inventory(opts.inventory ?? { latency: 2, failureRate: 0 });
  const limit = opts.limit ?? { r: 500, b: 1000 };
  const defaultTimeout = opts.defaultTimeout ?? 2 * time.Second;
  const dist = opts.distributed ?? {};

  // The service's own lifetime: background jobs run under it, not under a request.
  const [serviceCtx, stopService] = context.withCancel(context.background());

  const cache = new Cache<number, Product>({
    load: async (id) => db.get(id),
    writeMany: async (entries) => db.putMany(entries),
    ttl: opts.cacheTtl ?? 5 * time.Second,
    refreshAhead: opts.refreshAhead ?? 0.8,
    staleTtl: 30 * time.Second,
    negativeTtl: time.Second,
    writePolicy: "behind",
    writeBehind: { maxBatch: 100, maxDelay: 50, ...(dist.writeLog ? { durable: dist.writeLog } : {}) },
    max: 10_000,
    ...(dist.store ? { store: dist.store, lease: { ttl: 2 * time.Second } } : {}),
  });

  const pricingBreaker: BreakerLike = dist.breaker ?? new breaker.CircuitBreaker<Quote>(PRICING_BREAKER);

  // Per-client limiters, the least recently seen forgotten first.
  const limiters = new LRUCache<string, LimiterLike>({ max: 10_000 });
  const limiterFor = (client: string): LimiterLike => {
    let l = limiters.get(client);
    if (!l) {
      if (dist.limiter) l = dist.limiter(client);
      else {
        const tb = new rate.Limiter(limit.r, limit.b);
        l = {
          allow: () => tb.allow(),
          retryAfter: () => {
            const r = tb.reserve();
            const d = r.delay();
            r.cancel();
            return d;
          },
        };
      }
      limiters.set(client, l);
    }
    return l;
  };

  const debugHandler = debug.handler();
  const inFlight = new sync.WaitGroup();
  const counters = { requests: 0, inFlight: 0, rateLimited: 0, cancelledByClient: 0 };
  const served: Record<string, number> = {};
  const jobs = { started: 0, finished: 0, warmed: 0 };
  let closing = false;

  /** Quotes given up: refused by the open breaker, failed after every try, or failed otherwise. */
  const quotes = { refused: 0, failed: 0, errors: 0 };

  /**
   * A quote, retried with backoff inside the breaker. The page does not need it: undefined (a degraded
   * page at list price) when the breaker is open, the retries ran out or the breaker itself failed; only
   * the request's own end (deadline, client gone) fails the request.
   */
  async function quote(ctx: context.Context, id: number): Promise<Quote | undefined> {
    try {
      return await pricingBreaker.execute(() =>
        backoff.retry(ctx, () => pricingApi.call(ctx, id), {
          backOff: new backoff.ExponentialBackOff({ initialInterval: 5, maxInterval: 50 }),
          maxTries: 3,
        }),
      );
    } catch (err) {
      const ended = ctx.err();
      if (ended) throw ended;
      if (err === breaker.ErrOpenState || err === breaker.ErrTooManyRequests) quotes.refused++;
      else if (err instanceof BackendError) quotes.failed++;
      else quotes.errors++; // e.g. a shared breaker whose store did not answer
      return undefined;
    }
  }

  async function getProduct(ctx: context.Context, id: number): Promise<unknown> {
    const [g, gctx] = errgroup.withContext(ctx);
    let product: Product | undefined;
    let q: Quote | undefined;
    let stock: { stock: number } | undefined;
    void g.go(async () => {
      product = await cache.get(id, { ctx: gctx });
    });
    void g.go(async () => {
      q = await quote(gctx, id);
    });
    void g.go(async () => {
      stock = await inventoryApi.call(gctx, id);
    });
    await g.wait();
    if (!product) throw new HttpError(404, `no product ${id}`);
    const price = q ? Math.round((product.price * (100 - q.discount)) / 100) : product.price;
    return { ...product, price, listPrice: product.price, stock: stock?.stock, degraded: q === undefined };
  }

  async function putProduct(id: number, body: unknown): Promise<unknown> {
    if (typeof body !== "object" || body === null) throw new HttpError(400, "body must be a JSON object");
    const { name, price } = body as { name?: unknown; price?: unknown };
    if (name !== undefined && typeof name !== "string") throw new HttpError(400, "name must be a string");
    if (price !== undefined && (!Number.isInteger(price) || (price as number) < 0)) {
      throw new HttpError(400, "price must be a whole number of cents ≥ 0");
    }
    const current = await cache.get(id);
    if (!current) throw new HttpError(404, `no product ${id}`);
    const next: Product = {
      id,
      name: (name) ?? current.name,
      price: (price as number | undefined) ?? current.price,
      updatedAt: Date.now(),
    };
    await cache.set(id, next); // write-behind: SQLite gets it in the next batch
    return next;
  }

  function warmJob(): { job: number } {
    const job = ++jobs.started;
    void (async () => {
      const p = new Pool().withMaxGoroutines(4).withContext(serviceCtx);
      for (const id of db.ids()) {
        await p.go(async (ctx: context.Context) => {
          await cache.get(id, { ctx });
          jobs.warmed++;
        });
      }
      await p.wait().catch(() => {});
      jobs.finished++;
    })();
    return { job };
  }

  async function stats(): Promise<Stats> {
    return {
      pid: process.pid,
      requests: counters.requests,
      inFlight: counters.inFlight,
      served: { ...served },
      dbQueries: db.queries,
      dbQueriesPer1000Requests: counters.requests ? (db.queries * 1000) / counters.requests : 0,
      rowsWritten: db.rowsWritten,
      rateLimited: counters.rateLimited,
      cancelledByClient: counters.cancelledByClient,
      cache: cache.stats(),
      breaker: await pricingBreaker.state(),
      pricing: { calls: pricingApi.calls, failures: pricingApi.failures, degraded: { ...quotes } },
      jobs: { ...jobs },
    };
  }

  async function route(ctx: context.Context, req: IncomingMessage, path: string): Promise<[number, unknown]> {
    const m = PRODUCT.exec(path);
    if (m) {
      const id = Number(m[1]);
      if (req.method === "GET") return [200, await getProduct(ctx, id)];
      if (req.method === "PUT") return [200, await putProduct(id, await readJson(req))];
      throw new HttpError(405, "method not allowed", { Allow: "GET, PUT" });
    }
    if (path === "/jobs/warm" && req.method === "POST") return [202, warmJob()];
    if (path === "/stats") return [200, await stats()];
    if (path === "/") return [200, { endpoints: ["/products/:id", "/jobs/warm", "/stats", "/metrics", "/debug/pprof/", "/debug/timeline"] }];
    throw new HttpError(404, "not found");
  }

  async function serveHTTP(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/metrics" || path.startsWith("/debug/")) {
      debugHandler(req, res);
      return;
    }
    counters.requests++;
    counters.inFlight++;
    inFlight.add(1);
    const header = req.headers["x-timeout-ms"];
    const timeout = header === undefined ? defaultTimeout : Number(header);
    const [ctx, cancel] = context.withTimeout(context.background(), Number.isFinite(timeout) && timeout > 0 ? timeout : defaultTimeout);
    // A client that goes away cancels everything its request started.
    res.once("close", () => {
      if (!res.writableFinished) {
        counters.cancelledByClient++;
        cancel();
      }
    });
    let status: number;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      const client = (req.headers["x-client-id"] as string | undefined) ?? req.socket.remoteAddress ?? "?";
      const lim = limiterFor(client);
      if (!(await lim.allow())) {
        counters.rateLimited++;
        const wait = (await lim.retryAfter?.()) ?? 1000;
        throw new HttpError(429, "rate limited", { "Retry-After": String(Math.max(1, Math.ceil(wait / 1000))) });
      }
      [status, body] = await route(ctx, req, path);
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        headers = err.headers;
        body = { error: err.message };
      } else if (err === context.DeadlineExceeded) {
        status = 504;
        body = { error: "deadline exceeded" };
      } else if (err === context.Canceled) {
        status = 499; // client closed request
        body = { error: "cancelled" };
      } else {
        status = 502;
        body = { error: err instanceof Error ? err.message : String(err) };
      }
    } finally {
      cancel();
    }
    served[status] = (served[status] ?? 0) + 1;
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
    counters.inFlight--;
    inFlight.done();
  }

  // One goroutine per request, as Go's net/http serves each: the timeline and the goroutine profile
  // show every request in flight and what it waits on.
  const server = createServer((req, res) => go(serveHTTP, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}`;

  let shut: Promise<void> | undefined;
  return {
    url,
    server,
    stats,
    shutdown(drain = 10 * time.Second) {
      shut ??= (async () => {
        closing = true; // from now on every answer says Connection: close
        // Stop accepting connections, but do not close the idle keep-alive ones yet (http.Server's
        // close would): a client may have sent its next request on one already, and closing it now
        // would reset that request unread. Until the drain ends, such a request is served (and its
        // connection closed after the answer), so a busy client sees an answer, then a refused connect.
        const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
        // Drain: every accepted request finishes, or the drain deadline passes.
        const [dctx, dcancel] = context.withTimeout(context.background(), drain);
        const drained = async (): Promise<void> => {
          while (counters.inFlight > 0 && dctx.err() === undefined) await Promise.race([inFlight.wait(), dctx.done().recv()]);
        };
        await drained();
        server.closeIdleConnections();
        await drained(); // requests that came in on those connections meanwhile
        dcancel();
        server.closeAllConnections();
        await closed;
        stopService();
        await cache.close(); // flushes write-behind
        db.close();
      })();
      return shut;
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 64 * 1024) throw new HttpError(413, "body too large");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
}
