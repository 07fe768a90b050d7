/**
 * A pipeline with fan-out and fan-in, after the Go blog's "Go Concurrency Patterns: Pipelines".
 *
 *   generate ──► square ×3 (fan-out) ──► merge (fan-in) ──► main sums
 *
 * Each stage is a goroutine that receives from an inbound channel, sends on an outbound channel it owns,
 * and closes that channel when it is done — so "the stream has ended" flows downstream by itself.
 * Fan-out: several goroutines receive from the same channel; each value goes to exactly one of them.
 * Fan-in: merge starts one forwarding goroutine per input and closes the output once all of them end.
 *
 *   node dist/examples/pipeline.js
 */
import { go, Chan } from "../src/index.js";
import { isMain } from "./util.js";

/** Stage 1: emits the numbers on a channel it closes at the end. */
function generate(...nums: number[]): Chan<number> {
  const out = new Chan<number>();
  go(async () => {
    for (const n of nums) await out.send(n);
    out.close();
  });
  return out;
}

/** Stage 2: squares what it receives. Several of these can share one input (fan-out). */
function square(name: string, input: Chan<number>): Chan<string> {
  const out = new Chan<string>();
  go(async () => {
    for await (const n of input) await out.send(`${name}: ${n}² = ${n * n}`);
    out.close();
  });
  return out;
}

/** Stage 3: fan-in — forwards every input to one output, closed when all inputs are drained. */
function merge<T>(...inputs: Chan<T>[]): Chan<T> {
  const out = new Chan<T>(inputs.length);
  let open = inputs.length; // WaitGroup-style: the last forwarder to finish closes `out`
  for (const input of inputs) {
    go(async () => {
      for await (const v of input) await out.send(v);
      if (--open === 0) out.close();
    });
  }
  return out;
}

export async function main(): Promise<void> {
  const source = generate(1, 2, 3, 4, 5, 6, 7, 8);
  // Fan-out: three squarers compete for values from the same source channel.
  const squared = merge(square("sq-A", source), square("sq-B", source), square("sq-C", source));

  let lines = 0;
  for await (const line of squared) {
    console.log(`  ${line}`);
    lines++;
  }
  console.log(`  ${lines} results; every stage closed its output, so the for-await loop ended by itself`);
}

if (isMain(import.meta.url)) await main();
