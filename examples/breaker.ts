/**
 * Retry with backoff inside a circuit breaker, against a flaky fake service.
 *
 * The service fails 60% of calls for its first 1.5 s, then is down for a while, then recovers. Each
 * request is `retry`'d (cenkalti/backoff v5 semantics: exponential backoff, at most 3 tries) inside a
 * `CircuitBreaker` (sony/gobreaker v2 semantics): while the service is down the breaker opens after 3
 * consecutive failed requests and refuses calls at once (ErrOpenState — `retry` treats it as permanent,
 * so no one hammers a dead service), lets one probe through after its 1 s timeout (half-open), and
 * closes again once the service answers.
 *
 *   node dist/examples/breaker.js
 */
import { time } from "../src/index.js";
import * as context from "../src/context/index.js";
import { CircuitBreaker, ErrOpenState } from "../src/breaker/index.js";
import { ExponentialBackOff, permanent, retry } from "../src/backoff/index.js";
import * as synctest from "../src/synctest/index.js";
import { isMain } from "./util.js";

export async function main(): Promise<void> {
  // Five seconds of traffic, in virtual time: instant, and the same output every run.
  await synctest.test(run);
}

async function run(): Promise<void> {
  const start = time.now().getTime();
  const elapsed = (): number => time.now().getTime() - start;
  let calls = 0;
  // The fake service: flaky, then down from 1.5 s to 3.5 s, then healthy.
  const service = async (): Promise<string> => {
    calls++;
    await time.sleep(5);
    const t = elapsed();
    if (t >= 1500 && t < 3500) throw new Error("503 service unavailable");
    if (t < 1500 && calls % 5 < 3) throw new Error("502 bad gateway");
    return "200 ok";
  };

  const cb = new CircuitBreaker<string>({
    name: "inventory",
    timeout: time.Second,
    readyToTrip: (c) => c.consecutiveFailures >= 3,
    onStateChange: (name, from, to) => console.log(`  [${String(elapsed()).padStart(4)} ms] breaker ${name}: ${from} → ${to}`),
  });

  const request = (): Promise<string> =>
    retry(
      context.background(),
      () =>
        cb.execute(service).catch((e: unknown) => {
          throw e === ErrOpenState ? permanent(e) : e; // an open breaker: do not retry
        }),
      { maxTries: 3, backOff: new ExponentialBackOff({ initialInterval: 50, randomizationFactor: 0 }) },
    );

  const tally = new Map<string, number>();
  while (elapsed() < 5000) {
    const r = await request().catch((e: unknown) => (e as Error).message);
    tally.set(r, (tally.get(r) ?? 0) + 1);
    await time.sleep(100);
  }
  for (const [outcome, n] of tally) console.log(`  ${String(n).padStart(3)} × ${outcome}`);
  console.log(`  the service saw ${calls} calls`);
}

if (isMain(import.meta.url)) await main();
