/**
 * Run by leak.test.ts as `node --expose-gc leak.fixture.js [n]`: creates and cancels n (default 10^6)
 * short-lived descendants of one long-lived parent — plain, with a done channel, with a timer, with a
 * value and a signal, and afterFunc registrations — and prints the parent's heap growth as JSON.
 */
import { getEventListeners } from "node:events";
import * as context from "../../src/context/index.js";
import { childCount } from "../../src/context/ctx.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  // Run without the flag (e.g. picked up by `node --test dist/test/`): nothing to measure.
  console.log("leak.fixture: run with --expose-gc");
  process.exit(0);
}
const n = Number(process.argv[2] ?? 1_000_000);
const key = Symbol("k");

const [parent, cancelParent] = context.withCancel(context.background());
parent.done(); // make the parent's lazy parts exist, so children could (wrongly) hang on them
const psig = parent.signal;
const ac = new AbortController(); // a long-lived foreign signal watched by fromSignal children

function settle(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const before = settle();
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  switch (i & 7) {
    case 0: {
      const [, cancel] = context.withCancel(parent);
      cancel();
      break;
    }
    case 1: {
      const [c, cancel] = context.withCancel(parent);
      c.done();
      cancel();
      break;
    }
    case 2: {
      const [, cancel] = context.withTimeout(parent, 60_000);
      cancel();
      break;
    }
    case 3: {
      const [c, cancel] = context.withCancelCause(context.withValue(parent, key, i));
      if ((i & 63) === 3) void c.signal;
      cancel(new Error("done"));
      break;
    }
    case 4: {
      const stop = context.afterFunc(parent, () => {});
      stop();
      break;
    }
    case 5: {
      const [, cancel] = context.fromSignal(parent, ac.signal);
      cancel();
      break;
    }
    case 6: {
      // a grandchild, cancelled through its own parent
      const [c, cancel] = context.withCancel(parent);
      context.withTimeout(c, 60_000);
      cancel();
      break;
    }
    default: {
      const [, cancel] = context.withDeadline(parent, new Date(Date.now() + 60_000));
      cancel();
    }
  }
}
const elapsed = performance.now() - t0;
const after = settle();
console.log(
  JSON.stringify({
    n,
    before,
    after,
    growth: after - before,
    children: childCount(parent),
    parentListeners: getEventListeners(psig, "abort").length,
    signalListeners: getEventListeners(ac.signal, "abort").length,
    nsPerChild: Math.round((elapsed * 1e6) / n),
  }),
);
cancelParent();
