/**
 * A pipeline with fan-out and fan-in, twice: by hand after the Go blog's "Go Concurrency Patterns:
 * Pipelines", then with goroutine/pipeline.
 *
 *   generate ──► square ×3 (fan-out) ──► merge (fan-in) ──► main sums
 *
 * By hand, each stage is a goroutine that receives from an inbound channel, sends on an outbound channel
 * it owns, and closes that channel when it is done — so "the stream has ended" flows downstream by
 * itself. What the hand-written version leaves out is cancellation: if main stopped reading early,
 * every stage would stay blocked on its send forever. Doing it right means a `done` channel in a
 * `select` around every send and receive (the blog's second half).
 *
 * goroutine/pipeline's stages take a Context and do exactly that: `map` with `workers: 3` is the
 * fan-out and fan-in in one stage (`ordered: true` keeps input order), `take` stops early, and
 * cancelling the context ends every goroutine of every stage.
 *
 *   node dist/examples/pipeline.js
 */
import { go, Chan, runtime } from "../src/index.js";
import * as context from "../src/context/index.js";
import * as pipeline from "../src/pipeline/index.js";
import { isMain } from "./util.js";

// ---- by hand -----------------------------------------------------------------------------------------

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

async function byHand(): Promise<void> {
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

// ---- with goroutine/pipeline -------------------------------------------------------------------------

async function withStages(): Promise<void> {
  const [ctx, cancel] = context.withCancel(context.background());
  const before = runtime.numGoroutine();
  const squares = pipeline.map(ctx, pipeline.generate(ctx, [1, 2, 3, 4, 5, 6, 7, 8]), async (n) => n * n, {
    workers: 3,
    ordered: true,
  });
  console.log(`  in order: ${(await collect(squares)).join(", ")}`);

  // An endless source, cut short: take 4 batches of 3, then cancel — nothing stays blocked.
  const naturals = pipeline.generate(ctx, (function* () {
    for (let i = 1; ; i++) yield i;
  })());
  const evens = pipeline.filter(ctx, naturals, (n) => n % 2 === 0);
  const batches = pipeline.take(ctx, pipeline.batch(ctx, evens, 3, 100), 4);
  console.log(`  batches: ${(await collect(batches)).map((b) => `[${b.join(" ")}]`).join(" ")}`);
  console.log(`  goroutines before ${before}, while the endless source waits ${runtime.numGoroutine()}`);
  cancel();
  await new Promise((r) => setImmediate(r));
  console.log(`  after cancel: ${runtime.numGoroutine()}`);
}

async function collect<T>(ch: Chan<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of ch) out.push(v);
  return out;
}

export async function main(): Promise<void> {
  await byHand();
  await withStages();
}

if (isMain(import.meta.url)) await main();
