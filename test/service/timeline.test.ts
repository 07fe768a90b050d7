// The showcase service's /debug/timeline page, opened in headless Chromium while the service is under
// load: it loads, lists the requests in flight as goroutines with what they wait on, and a screenshot of it
// is saved to .bench-out/service-timeline.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startService } from "../../examples/service/app.js";
import { chromiumArgs, chromiumPath } from "../support/services.js";

const chrome = chromiumPath();

test("the service's timeline page loads in headless Chromium while the service is under load", { skip: chrome.skip }, async () => {
  // Backends slow enough that every request of the load is in flight for a while.
  const svc = await startService({ pricing: { latency: 200, failureRate: 0.2 }, inventory: { latency: 100, failureRate: 0 } });
  let running = true;
  // The load: 40 clients, each sending its next request as soon as the last one is answered.
  const clients = Array.from({ length: 40 }, async (_, i) => {
    let answered = 0;
    while (running) {
      const r = await fetch(`${svc.url}/products/${(i % 20) + 1}`, { headers: { "x-client-id": `t${i}` } });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      answered++;
    }
    return answered;
  });
  const browser = await chromium.launch({ executablePath: chrome.path, args: chromiumArgs });
  try {
    const before = (await svc.stats()).requests;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${svc.url}/debug/timeline`);
    await page.waitForSelector('body[data-goroutines="loaded"]');
    const groups = (await page.textContent("#groups")) ?? "";
    // The requests in flight are goroutines, parked on their errgroup, with their fan-out under them.
    const serving = /G\d+ serveHTTP/g;
    assert.ok((groups.match(serving) ?? []).length >= 10, `requests in flight as goroutines:\n${groups.slice(0, 2000)}`);
    assert.match(groups, /waiting \(\d+\)/);
    assert.match(groups, /sync\.WaitGroup\.Wait \(\d+\)/);
    assert.match(groups, /select \(\d+\)/);
    await page.waitForSelector('body[data-trace="loaded"]', { timeout: 15_000 });
    assert.ok((await svc.stats()).requests > before + 40, "the service kept serving while the page loaded");
    const dir = join(fileURLToPath(new URL("../../../", import.meta.url)), ".bench-out");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "service-timeline.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`service timeline screenshot: ${shot}`);
  } finally {
    await browser.close();
    running = false;
    const answered = await Promise.all(clients);
    await svc.shutdown(2000);
    assert.ok(answered.every((n) => n > 0));
  }
});
