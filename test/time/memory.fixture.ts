// Heap kept alive by timers nobody references (issue 17 item 5), measured in a child process started
// with --expose-gc. Prints the growth of the used heap, in MB, between a collection before the loop and
// one after it, while the process still runs (the timers' hour has not passed).
import { Chan } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select } from "../../src/select.js";
import * as time from "../../src/time/index.js";

const N = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function used(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const mode = process.argv[2];
const before = used();
if (mode === "after-loses") {
  // A ready case always wins; the time.after case loses in the select's first pass.
  const ready = new Chan<number>(1);
  for (let i = 0; i < N; i++) {
    ready.trySend(i);
    await select([recv(ready), recv(time.after(time.Hour))]);
  }
} else if (mode === "after-loses-parked") {
  // The select parks on both cases; a goroutine's send wins, and the after case is withdrawn.
  const ch = new Chan<number>();
  go(async () => {
    for (let i = 0; i < N; i++) await ch.send(i);
  });
  for (let i = 0; i < N; i++) await select([recv(ch), recv(time.after(time.Hour))]);
} else if (mode === "timer-reset") {
  const t = new time.Timer(time.Hour);
  for (let i = 0; i < N; i++) t.reset(time.Hour);
  t.stop();
} else throw new Error(`unknown mode ${mode}`);
const grown = (used() - before) / 2 ** 20;
process.stdout.write(`${grown.toFixed(2)}\n`);
process.exit(0);
