/**
 * A token bucket in front of an API call: golang.org/x/time/rate's Limiter, and `wait` with a deadline.
 *
 * The "API" allows 20 requests per second with bursts of 5. Twelve callers share one Limiter: the first
 * five go at once (the burst), the rest are spaced 50 ms apart, in the order they asked. A caller with a
 * 120 ms deadline is told at once that it cannot make it — `wait` fails early, without sleeping, when the
 * reservation would land after the context's deadline — and another one gives up mid-wait and hands
 * its slot back (the reservation is cancelled and its token refunded).
 *
 *   node dist/examples/rate-limit.js
 */
import { go, time } from "../src/index.js";
import * as context from "../src/context/index.js";
import { WaitGroup } from "../src/sync/index.js";
import { Limiter } from "../src/rate/index.js";
import * as synctest from "../src/synctest/index.js";
import { isMain } from "./util.js";

/** The API call being protected: pretend work. */
async function callApi(id: number): Promise<string> {
  await time.sleep(1);
  return `response ${id}`;
}

export async function main(): Promise<void> {
  // In a synctest bubble the clock is virtual: the output is exact and the example takes no real time.
  // Remove the wrapper and it behaves the same on the real clock.
  await synctest.test(run);
}

async function run(): Promise<void> {
  const lim = new Limiter(20, 5); // 20 requests/s, bursts of 5
  const start = time.now().getTime();
  const wg = new WaitGroup();
  for (let id = 1; id <= 12; id++) {
    wg.go(async () => {
      await lim.wait(context.background());
      const at = time.now().getTime() - start;
      const r = await callApi(id);
      console.log(`  caller ${String(id).padStart(2)} admitted at ${String(at).padStart(3)} ms: ${r}`);
    });
  }
  await wg.wait();

  // Queue is now in debt for a while: a caller with a short deadline learns it at once.
  for (let i = 0; i < 5; i++) lim.reserve(); // others booked the next 250 ms
  const [ctx, cancel] = context.withTimeout(context.background(), 120);
  const t0 = time.now().getTime();
  const err = await lim.wait(ctx).catch((e: unknown) => e as Error);
  console.log(`  deadline 120 ms: ${err?.message ?? "admitted"} (after ${time.now().getTime() - t0} ms)`);
  cancel();

  // A caller that gives up mid-wait refunds its token.
  const [ctx2, cancel2] = context.withCancel(context.background());
  const waiting = lim.wait(ctx2).catch((e: unknown) => e as Error);
  go(async () => {
    await time.sleep(20);
    cancel2();
  });
  const e2 = await waiting;
  console.log(`  gave up after 20 ms: ${e2?.message ?? "admitted"}; its token is back: ${lim.tokens().toFixed(2)} tokens (${(lim.tokens() - 1).toFixed(2)} without the refund)`);
}

if (isMain(import.meta.url)) await main();
