/**
 * select with a timeout: wait for whichever happens first — a result, or the clock.
 *
 * `time.after(d)` returns a channel that receives the time once `d` milliseconds have passed, so a
 * timeout is just one more `recv` case in `select`, exactly as in Go:
 *
 *   select {
 *   case r := <-results:     ...
 *   case <-time.After(100 * time.Millisecond): ...
 *   }
 *
 * The losing case does not consume anything: a result that arrives after the timeout stays in its
 * (buffered) channel, and the slow goroutine is never stuck trying to deliver it. With `otherwise`
 * (Go's `default`) select never blocks at all.
 *
 *   node dist/examples/select-timeout.js
 */
import { go, Chan, select, recv, time } from "../src/index.js";
import { isMain } from "./util.js";

/** Starts a lookup that answers after `latency` ms, on a buffered channel so it never blocks. */
function lookup(query: string, latency: number): Chan<string> {
  const answer = new Chan<string>(1);
  go(async () => {
    await time.sleep(latency);
    await answer.send(`answer to ${JSON.stringify(query)} (took ${latency}ms)`);
  });
  return answer;
}

/** Waits for an answer on `answer`, or gives up after `timeout` ms. */
async function waitWithTimeout(answer: Chan<string>, timeout: number): Promise<string> {
  return select([
    recv(answer, (v) => `got ${v}`),
    recv(time.after(timeout), () => `timed out after ${time.durationString(timeout)}`),
  ]);
}

export async function main(): Promise<void> {
  const timeout = 100 * time.Millisecond;
  const fast = lookup("fast", 20);
  console.log(`  fast lookup (20ms, timeout ${time.durationString(timeout)}): ${await waitWithTimeout(fast, timeout)}`);
  const slow = lookup("slow", 250);
  console.log(`  slow lookup (250ms, timeout ${time.durationString(timeout)}): ${await waitWithTimeout(slow, timeout)}`);

  // The timeout case won, so select consumed nothing from `slow`: the late answer is still delivered.
  console.log(`  the late answer is not lost, it is waiting in its channel: ${await slow.recv()}`);

  // A default case (`otherwise`) makes select non-blocking: it returns at once, synchronously.
  const pending = lookup("polled", 10);
  const now = select([recv(pending, (v) => `ready: ${v}`)], () => "not ready yet, do something else");
  console.log(`  non-blocking poll right after starting a 10ms lookup: ${now}`);
  console.log(`  ...and a blocking receive later: ${await pending.recv()}`);
}

if (isMain(import.meta.url)) await main();
