import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { go, Chan } from "../../src/index.js";
import * as debug from "../../src/debug/index.js";
import * as time from "../../src/time/index.js";
import { chromiumArgs, chromiumPath } from "../support/services.js";

/**
 * A running fixture: 4 workers waiting on a jobs channel, 2 waiting on a never-closed done channel; with
 * `busy`, a producer also hands the workers a job every 5 ms, so a recorded trace has lanes to draw.
 */
function fixture(busy = false): () => void {
  const jobs = new Chan<number>();
  const done = new Chan<void>();
  let stopped = false;
  if (busy) {
    go(async function producer() {
      for (let i = 0; !stopped; i++) {
        await time.sleep(5);
        if (stopped) break;
        try {
          await jobs.send(i);
        } catch {
          break; // closed by stop() while the send waited
        }
      }
    });
  }
  for (let i = 0; i < 4; i++) {
    go(async function worker() {
      for await (const _ of jobs) {
        // no jobs come
      }
    });
  }
  for (let i = 0; i < 2; i++) {
    go(async function watcher() {
      await done.recv();
    });
  }
  return () => {
    stopped = true;
    jobs.close();
    done.close();
  };
}

test("handler serves Go's debug endpoints on localhost", async () => {
  const stop = fixture();
  const srv = await debug.listen();
  try {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const get = (p: string): Promise<Response> => fetch(srv.url + p);
    const index = await (await get("/debug/pprof/")).text();
    assert.match(index, /Types of profiles available:/);
    assert.match(index, /<a href="goroutine\?debug=1">goroutine<\/a>/);
    const g1 = await (await get("/debug/pprof/goroutine?debug=1")).text();
    assert.match(g1, /^goroutine profile: total \d+\n4 @ /m);
    const g2 = await (await get("/debug/pprof/goroutine?debug=2")).text();
    assert.match(g2, /goroutine \d+ \[chan receive, \d+ms\]:\nwatcher\(\.\.\.\)/);
    const bin = await get("/debug/pprof/goroutine");
    assert.equal(bin.headers.get("content-type"), "application/octet-stream");
    assert.equal(Buffer.from(await bin.arrayBuffer())[0], 0x1f);
    assert.equal((await get("/debug/pprof/heap")).status, 404);
    assert.equal((await get("/debug/pprof/trace?seconds=x")).status, 400);
    const tr = (await (await get("/debug/pprof/trace?seconds=0.05")).json()) as { traceEvents: unknown[] };
    assert.ok(Array.isArray(tr.traceEvents));
    const vars = (await (await get("/debug/vars")).json()) as { cmdline: string[]; memstats: object };
    assert.ok(Array.isArray(vars.cmdline) && typeof vars.memstats === "object");
    const prom = await (await get("/metrics")).text();
    assert.match(prom, /^go_sched_goroutines_waiting_goroutines \d+$/m);
    assert.match(prom, /^go_sched_latencies_seconds_bucket\{le="\+Inf"\} \d+$/m);
    assert.equal((await get("/elsewhere")).status, 404);
    // as middleware: other paths go to next()
    let nexted = false;
    debug.handler({ prefix: "/admin" })({ url: "/app" } as never, {} as never, () => (nexted = true));
    assert.ok(nexted);
  } finally {
    stop();
    await srv.close();
  }
});

const chrome = chromiumPath();

test("the timeline page shows a running fixture's goroutines in headless Chromium", { skip: chrome.skip }, async () => {
  const stop = fixture(true);
  const srv = await debug.listen();
  const browser = await chromium.launch({ executablePath: chrome.path, args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${srv.url}/debug/timeline`);
    await page.waitForSelector('body[data-goroutines="loaded"]');
    const groups = await page.textContent("#groups");
    assert.match(groups!, /waiting \(\d+\)/);
    assert.match(groups!, /chan receive \(\d+\)/);
    assert.match(groups!, /G\d+ worker/);
    assert.match(groups!, /G\d+ watcher/);
    // click-through: a goroutine's link highlights its dump entry
    await page.click("#groups a:has-text('watcher')");
    const sel = await page.textContent("#dump .sel");
    assert.match(sel!, /^goroutine \d+ \[chan receive/);
    await page.waitForSelector('body[data-trace="loaded"]', { timeout: 10_000 });
    await page.click("#zin");
    assert.ok(requests.every((u) => u.startsWith(srv.url)), "no request leaves the handler (no CDN)");
    const dir = join(fileURLToPath(new URL("../../../", import.meta.url)), ".bench-out");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "timeline.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`timeline screenshot: ${shot}`);
  } finally {
    await browser.close();
    stop();
    await srv.close();
  }
});
