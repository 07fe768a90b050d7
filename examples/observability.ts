/**
 * Observability: a small server whose goroutines you can watch. Workers take jobs from a channel and
 * contend for a mutex; the debug handler serves Go's /debug/pprof/ endpoints, /metrics and a live
 * timeline page, on 127.0.0.1 only.
 *
 *   node dist/examples/observability.js          (prints the URLs and a sample of /metrics, then exits)
 *   node dist/examples/observability.js --serve  (keeps serving until Ctrl-C; open /debug/timeline)
 */
import { go, Chan, sync, time } from "../src/index.js";
import * as debug from "../src/debug/index.js";
import * as pprof from "../src/pprof/index.js";
import { isMain } from "./util.js";

export async function main(serve = false): Promise<void> {
  pprof.setBlockProfileRate(1);
  const jobs = new Chan<number>();
  const mu = new sync.Mutex();
  let total = 0;
  const wg = new sync.WaitGroup();
  for (let w = 0; w < 4; w++) {
    wg.go(async function worker() {
      for await (const j of jobs) {
        await mu.lock();
        await time.sleep(1); // hold the lock a little: the mutex and block profiles show it
        total += j;
        mu.unlock();
      }
    });
  }
  const srv = await debug.listen();
  console.log("  debug endpoints (127.0.0.1 only):");
  for (const p of ["/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/block?debug=1", "/debug/pprof/trace?seconds=1", "/debug/vars", "/metrics", "/debug/timeline"]) {
    console.log(`    ${srv.url}${p}`);
  }
  go(async function producer() {
    for (let i = 0; ; i++) {
      if (!serve && i === 20) break;
      await jobs.send(i);
    }
    jobs.close();
  });
  await time.sleep(5);
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  console.log("  a sample of /metrics while the workers run:");
  for (const l of text.split("\n")) if (/^go_sched_goroutines(_[a-z_]+)? |^go_sched_threads|^go_sync_mutex/.test(l)) console.log(`    ${l}`);
  if (serve) {
    console.log("  serving; Ctrl-C to stop");
    await new Promise(() => srv.server.ref());
  }
  await wg.wait();
  console.log(`  all jobs done (sum ${total}); block profile has ${pprof.lookup("block")!.count()} stacks`);
  pprof.setBlockProfileRate(0);
  await srv.close();
}

if (isMain(import.meta.url)) await main(process.argv.includes("--serve"));
