/**
 * Closing a channel: how a producer says "no more values", and what every party sees afterwards.
 *
 * - `for await (const v of ch)` is Go's `for v := range ch`: it receives until the channel is closed AND
 *   its buffer is drained — values sent before `close()` are never lost.
 * - After that, `recvOk()` (Go's `v, ok := <-ch`) returns `[undefined, false]` at once, forever.
 * - Sending on a closed channel, or closing it twice, is a programming error: `ChanClosedError`
 *   (a panic in Go).
 *
 *   node dist/examples/close-range.js
 */
import { go, Chan, ChanClosedError } from "../src/index.js";
import { isMain } from "./util.js";

export async function main(): Promise<void> {
  const quote = ["Don't", "communicate", "by", "sharing", "memory"];
  const words = new Chan<string>(quote.length); // buffered: the producer never waits for the consumer
  const producerDone = new Chan<void>(); // closed as a signal, carries no values

  go(async function producer() {
    for (const w of quote) {
      await words.send(w);
      console.log(`  producer: sent ${JSON.stringify(w)} (in the buffer now: ${words.len})`);
    }
    words.close();
    console.log("  producer: closed the channel with 5 values still buffered");
    producerDone.close();
  });

  // Wait until the producer has closed `words`, to show that closing loses nothing.
  await producerDone.recv();

  const got: string[] = [];
  for await (const w of words) {
    console.log(`  consumer: received ${JSON.stringify(w)}`);
    got.push(w);
  }
  console.log(`  consumer: loop ended after ${got.length} values: "${got.join(" ")}"`);

  // A receive on a closed, drained channel never blocks: ok = false tells it from a real value.
  const [v, ok] = await words.recvOk();
  console.log(`  recvOk() on the closed channel: value=${String(v)}, ok=${ok}`);

  try {
    await words.send("late");
  } catch (e) {
    if (!(e instanceof ChanClosedError)) throw e;
    console.log(`  send() on the closed channel rejects: ${e.name}: ${e.message}`);
  }
  try {
    words.close();
  } catch (e) {
    if (!(e instanceof ChanClosedError)) throw e;
    console.log(`  close() again throws: ${e.name}: ${e.message}`);
  }
}

if (isMain(import.meta.url)) await main();
