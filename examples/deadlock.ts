/**
 * A deliberate deadlock, and the report the runtime prints for it.
 *
 * Go's runtime notices when every goroutine is blocked and nothing can ever wake them, prints
 * `fatal error: all goroutines are asleep - deadlock!` with a dump of each goroutine, and exits with
 * code 2. This library does the same when the Node.js event loop runs dry (no timers, no I/O) while
 * goroutines are still parked on its channels, locks or conditions.
 *
 * Here two goroutines wait for each other in opposite order — the classic lock-ordering mistake, made
 * with channels — and main waits for both of them.
 *
 * This program exits with code 2 on purpose; the tour runs it as a child process.
 *   node dist/examples/deadlock.js; echo "exit code $?"
 */
import { go, Chan } from "../src/index.js";

const aToB = new Chan<string>(); // unbuffered: a send waits for a receiver
const bToA = new Chan<string>();
const finished = new Chan<string>();

// Alice first waits to hear from Bob, then answers...
go(async function alice() {
  const msg = await bToA.recv();
  await aToB.send(`re: ${msg}`);
  await finished.send("alice");
});

// ...and Bob first waits to hear from Alice. Neither ever sends.
go(async function bob() {
  const msg = await aToB.recv();
  await bToA.send(`re: ${msg}`);
  await finished.send("bob");
});

console.log("main: waiting for alice and bob to finish talking...");
await finished.recv();
await finished.recv();
console.log("main: unreachable — they are waiting for each other");
