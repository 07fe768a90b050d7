/**
 * A cache stampede, collapsed: 10,000 requests for one cold key arrive at once.
 *
 * Without protection each miss would query the database: 10,000 identical queries. `goroutine/cache`
 * collapses concurrent misses of a key into one load (singleflight), and keeps a hot key fresh with
 * refresh-ahead: a hit after 80% of the ttl returns the cached value and refreshes it in the
 * background, so readers never wait for the database again. (With `redis.store(client)` and `lease`,
 * the same holds across processes: one load in total.)
 *
 *   node dist/examples/cache.js
 */
import { time } from "../src/index.js";
import { Cache } from "../src/cache/index.js";
import { isMain } from "./util.js";

export async function main(): Promise<void> {
  let queries = 0;
  const db = async (id: string): Promise<string> => {
    queries++;
    await time.sleep(50); // a 50 ms query
    return `profile of ${id}`;
  };

  // the naive way: every request queries
  const naive = await Promise.all(Array.from({ length: 10_000 }, () => db("alice")));
  console.log(`no cache:      ${naive.length.toLocaleString()} requests → ${queries.toLocaleString()} database queries`);

  queries = 0;
  const profiles = new Cache<string, string>({ ttl: 1000, refreshAhead: 0.8, load: db });
  const t0 = performance.now();
  const got = await Promise.all(Array.from({ length: 10_000 }, () => profiles.get("alice")));
  const ms = performance.now() - t0;
  console.log(`goroutine/cache: ${got.length.toLocaleString()} requests → ${queries} database query (${ms.toFixed(0)} ms, all got "${got[0]}")`);

  // steady load for 2 s: one request every 20 ms; refresh-ahead keeps the value fresh in the background
  let slowest = 0;
  for (let i = 0; i < 100; i++) {
    const s = performance.now();
    await profiles.get("alice");
    slowest = Math.max(slowest, performance.now() - s);
    await time.sleep(20);
  }
  const st = profiles.stats();
  console.log(`then 100 requests over 2 s: ${st.hits} hits, ${st.refreshes} background refreshes, slowest request ${slowest.toFixed(1)} ms (no one waited for the 50 ms query)`);
  await profiles.close();
}

if (isMain(import.meta.url)) await main();
