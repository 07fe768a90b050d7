/**
 * goroutine/debug — Go's `net/http/pprof` (and `expvar`) as one request handler for node:http, usable
 * as Express or fastify middleware: the /debug/pprof/ index and profiles with their parameters,
 * /debug/pprof/trace, /debug/vars, /metrics (Prometheus text, without prom-client), and /debug/timeline,
 * a self-contained page of live goroutines and a recorded trace.
 *
 * Routes (under `prefix`, default ""):
 * - `/debug/pprof/` — index of the profiles with their counts.
 * - `/debug/pprof/{goroutine,block,mutex,goroutineleak}?debug=N` — debug=0 (default) is gzipped
 *   profile.proto as an attachment, 1 and 2 are text. `?seconds=N` is accepted and ignored (Go's delta
 *   profiles are not implemented).
 * - `/debug/pprof/trace?seconds=N` (default 1) — a trace of the next N seconds, Chrome Trace Event JSON.
 * - `/debug/pprof/cmdline` — the command line, NUL-separated.
 * - `/debug/vars` — expvar's JSON (cmdline, memstats, goroutines).
 * - `/metrics` — every goroutine/metrics sample in the Prometheus text format, client_golang's names.
 * - `/debug/timeline` — the page; it reads `/debug/timeline/goroutines.json`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:http";
import { PassThrough } from "node:stream";
import { allGoroutines, createdBy, currentG, ext, WAITING } from "../internal/scheduler.js";
import { monoNow } from "../internal/clock.js";
import * as pprof from "../pprof/index.js";
import * as trace from "../trace/index.js";
import { sleep } from "../time/index.js";
import { DESCRIPTIONS, type Sample, read } from "../internal/metrics.js";
import { promName, rebucket } from "../metrics/export.js";
import { timelinePage } from "./timeline.js";

/** Options of {@link handler}. */
export interface HandlerOptions {
  /** Path prefix the routes live under (default ""): "/admin" serves "/admin/debug/pprof/". */
  prefix?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const PROFILES: [string, string][] = [
  ["block", "Stack traces that led to blocking on synchronization primitives"],
  ["goroutine", "Stack traces of all current goroutines. Use debug=2 as a query parameter to export in the same format as an unrecovered panic."],
  ["goroutineleak", "Goroutines parked on channels, locks, wait groups or conds that nothing can reach any more."],
  ["mutex", "Stack traces of holders of contended mutexes"],
  ["trace", "A trace of execution of the current program. You can specify the duration in the seconds GET parameter. Open it in Perfetto or /debug/timeline."],
];

function send(res: ServerResponse, code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(code, { "Content-Type": type, "X-Content-Type-Options": "nosniff", ...headers });
  res.end(body);
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function indexPage(prefix: string): string {
  const rows = PROFILES.map(([name]) => {
    const p = pprof.lookup(name);
    const count = p === undefined ? "" : String(p.count());
    return `<tr><td>${count}</td><td><a href="${esc(name)}?debug=1">${esc(name)}</a></td></tr>`;
  }).join("\n");
  const desc = PROFILES.map(([n, d]) => `<li><div class=profile-name>${esc(n)}: </div> ${esc(d)}</li>`).join("\n");
  return `<html><head><title>${esc(prefix)}/debug/pprof/</title></head><body>
${esc(prefix)}/debug/pprof/<br><p>Set debug=1 as a query parameter to export in legacy text format</p><br>
Types of profiles available:
<table><thead><td>Count</td><td>Profile</td></thead>
${rows}
</table>
<a href="goroutine?debug=2">full goroutine stack dump</a><br>
<a href="../timeline">timeline</a> (live goroutines and a trace)
<p>Profile Descriptions:<ul>
${desc}
</ul></p></body></html>
`;
}

async function profileBody(name: string, debug: 0 | 1 | 2): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on("data", (c: Buffer) => chunks.push(c));
  await pprof.lookup(name)!.writeTo(out, debug);
  return Buffer.concat(chunks);
}

function metricsText(prefix: string): string {
  const samples: Sample[] = DESCRIPTIONS.map((d) => ({ name: d.name }));
  read(samples);
  let s = "";
  DESCRIPTIONS.forEach((d, i) => {
    const name = promName(d, prefix);
    const v = samples[i].value!.value;
    const type = d.kind === "float64histogram" ? "histogram" : d.cumulative ? "counter" : "gauge";
    s += `# HELP ${name} ${d.description.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")} (${d.name})\n# TYPE ${name} ${type}\n`;
    if (typeof v === "number") s += `${name} ${v}\n`;
    else {
      const [les, cum, sum] = rebucket(v);
      les.forEach((le, j) => (s += `${name}_bucket{le="${le === Infinity ? "+Inf" : le}"} ${cum[j]}\n`));
      s += `${name}_sum ${sum}\n${name}_count ${cum[cum.length - 1]}\n`;
    }
  });
  return s;
}

/** The live goroutines for the timeline page. */
function goroutinesJSON(): string {
  const now = monoNow();
  const cur = currentG();
  return JSON.stringify(
    allGoroutines().map((g) => {
      const waiting = g.state === WAITING;
      const w = waiting ? ext(g) : undefined;
      const created = g.id === 1 ? "" : createdBy(g).split("\n").map((l) => l.trim()).join(" ");
      return {
        id: g.id,
        state: waiting ? "waiting" : g === cur ? "running" : "runnable",
        reason: w?.reason ?? "",
        waitMs: w === undefined ? 0 : Math.round(now - w.since),
        fn: g.id === 1 ? "main" : g.fn?.name || "anonymous",
        created,
      };
    }),
  );
}

function seconds(q: URLSearchParams, def: number): number {
  const s = q.get("seconds");
  if (s === null || s === "") return def;
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : NaN;
}

/**
 * handler returns a request handler serving Go's debug endpoints (see the module doc for the routes).
 * A request for another path calls `next()` when given (Express, fastify middleware), else answers 404.
 * It never blocks the event loop: /debug/pprof/trace waits its `seconds` on the library's timers while
 * other requests are served.
 *
 * It does not listen by itself: mount it on a server you bind to localhost (or use {@link listen},
 * which binds to 127.0.0.1 unless told otherwise) — profiles and dumps reveal the program's internals.
 *
 * @throws TypeError if `prefix` is not a string.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import * as debug from "goroutine/debug";
 * const server = createServer(debug.handler());
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 * const text = await (await fetch(`http://127.0.0.1:${port}/debug/pprof/goroutine?debug=1`)).text();
 * console.log(text.startsWith("goroutine profile: total")); // true
 * server.close();
 * ```
 */
export function handler(opts: HandlerOptions = {}): Handler {
  const prefix = opts.prefix ?? "";
  if (typeof prefix !== "string") throw new TypeError("debug.handler: prefix must be a string");
  const root = prefix.replace(/\/$/, "");
  return (req, res, next) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let path = url.pathname;
    if (!path.startsWith(root + "/")) return notFound(res, next);
    path = path.slice(root.length);
    void route(path, url.searchParams, res, root).then(
      (handled) => {
        if (!handled) notFound(res, next);
      },
      (e: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `${e instanceof Error ? e.message : String(e)}\n`);
        else res.destroy();
      },
    );
  };
}

function notFound(res: ServerResponse, next?: () => void): void {
  if (next !== undefined) next();
  else send(res, 404, "text/plain; charset=utf-8", "404 page not found\n");
}

async function route(path: string, q: URLSearchParams, res: ServerResponse, root: string): Promise<boolean> {
  const text = "text/plain; charset=utf-8";
  if (path === "/debug/pprof" || path === "/debug/pprof/") {
    if (path === "/debug/pprof") {
      send(res, 301, text, "", { Location: `${root}/debug/pprof/` });
      return true;
    }
    send(res, 200, "text/html; charset=utf-8", indexPage(root));
    return true;
  }
  if (path === "/debug/pprof/cmdline") {
    send(res, 200, text, process.argv.join("\0"));
    return true;
  }
  if (path === "/debug/pprof/trace") {
    const secs = seconds(q, 1);
    if (Number.isNaN(secs)) {
      send(res, 400, text, "Bad Request: invalid value for seconds\n");
      return true;
    }
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on("data", (c: Buffer) => chunks.push(c));
    try {
      trace.start(out);
    } catch (e) {
      send(res, 500, text, `Could not enable tracing: ${(e as Error).message}\n`);
      return true;
    }
    await sleep(secs * 1000);
    await trace.stop();
    send(res, 200, "application/json", Buffer.concat(chunks), { "Content-Disposition": 'attachment; filename="trace.json"' });
    return true;
  }
  const m = /^\/debug\/pprof\/([a-z]+)$/.exec(path);
  if (m !== null) {
    const name = m[1];
    if (pprof.lookup(name) === undefined) {
      send(res, 404, text, "Unknown profile\n");
      return true;
    }
    const dbg = Number(q.get("debug") ?? "0");
    const debug = dbg >= 2 ? 2 : dbg >= 1 ? 1 : 0;
    if (Number.isNaN(seconds(q, 0))) {
      send(res, 400, text, "Bad Request: invalid value for seconds\n");
      return true;
    }
    const body = await profileBody(name, debug);
    if (debug === 0) send(res, 200, "application/octet-stream", body, { "Content-Disposition": `attachment; filename="${name}"` });
    else send(res, 200, text, body);
    return true;
  }
  if (path === "/debug/vars") {
    send(res, 200, "application/json; charset=utf-8", JSON.stringify({ cmdline: process.argv, memstats: process.memoryUsage(), goroutines: allGoroutines().length }, null, 1) + "\n");
    return true;
  }
  if (path === "/metrics") {
    send(res, 200, "text/plain; version=0.0.4; charset=utf-8", metricsText("go"));
    return true;
  }
  if (path === "/debug/timeline" || path === "/debug/timeline/") {
    send(res, 200, "text/html; charset=utf-8", timelinePage(`${root}/debug/`));
    return true;
  }
  if (path === "/debug/timeline/goroutines.json" || path === "/debug/goroutines.json") {
    send(res, 200, "application/json", goroutinesJSON());
    return true;
  }
  return false;
}

/** Options of {@link listen}. */
export interface ListenOptions extends HandlerOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address to bind (default "127.0.0.1": only this machine can connect). */
  host?: string;
}

/**
 * listen starts an HTTP server with {@link handler} on `host` (127.0.0.1 unless told otherwise) and
 * resolves with its base URL and a `close` function. The server does not keep the process alive.
 */
export async function listen(opts: ListenOptions = {}): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler(opts));
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  server.unref();
  const a = server.address() as { port: number };
  const h = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${h}:${a.port}${(opts.prefix ?? "").replace(/\/$/, "")}`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
