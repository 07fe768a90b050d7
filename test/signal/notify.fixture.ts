/**
 * Run by signal.test.ts as `node notify.fixture.js <mode>`; prints "ready" once its listeners are in
 * place, then reports what happened.
 *
 * - "wait" (default signals): a goroutine waits on the context with nothing else keeping the process
 *   alive; a SIGINT or SIGTERM from the test cancels it; prints the err and cause, stops, exits 0.
 * - "term": notifyContext(parent, "SIGTERM") only.
 * - "stopped": stop() at once, then idles: the default action (exit by signal) must be back.
 */
import { go, Chan } from "../../src/index.js";
import * as context from "../../src/context/index.js";
import * as signal from "../../src/signal/index.js";

const mode = process.argv[2];
if (mode === undefined) {
  // Run without a mode (e.g. picked up by `node --test dist/test/`): do nothing rather than wait for a signal.
  process.exit(0);
}

if (mode === "stopped") {
  const [ctx, stop] = signal.notifyContext(context.background(), "SIGTERM");
  stop();
  console.log(`err=${String(ctx.err()?.message)} listeners=${process.listenerCount("SIGTERM")}`);
  setInterval(() => {}, 1000); // idle until killed
  console.log("ready");
} else {
  const [ctx, stop] =
    mode === "term"
      ? signal.notifyContext(context.background(), "SIGTERM")
      : signal.notifyContext(context.background());
  const out = new Chan<string>(1);
  go(async () => {
    await ctx.done().recv();
    out.trySend(`err=${String(ctx.err()?.message)} cause=${String(context.cause(ctx)?.message)}`);
  });
  console.log("ready");
  console.log(await out.recv());
  console.log(`before stop: SIGINT=${process.listenerCount("SIGINT")} SIGTERM=${process.listenerCount("SIGTERM")}`);
  stop();
  console.log(`after stop: SIGINT=${process.listenerCount("SIGINT")} SIGTERM=${process.listenerCount("SIGTERM")}`);
}
