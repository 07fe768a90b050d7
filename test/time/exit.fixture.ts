/**
 * Run by exit.test.ts as `node exit.fixture.js <mode>`: what keeps the process alive. Prints one line.
 * - abandoned-after: a one-hour time.after loses a select; the process must exit at once.
 * - forgotten-ticker / forgotten-timer: never stopped, nobody waits; the process must exit at once.
 * - await-timer: main waits on a 30 ms timer's channel (nothing else pending); it must fire.
 * - goroutine-timer: a goroutine waits in a select on a 30 ms timer and a 1 h one; the 30 ms one wins
 *   and the process exits without waiting for the hour.
 */
import { go, Chan, select, recv } from "../../src/index.js";
import * as time from "../../src/time/index.js";

const mode = process.argv[2];
const start = time.now();
if (mode === "abandoned-after") {
  const work = new Chan<string>();
  go(() => work.send("result"));
  console.log(await select([recv(work, (v) => v), recv(time.after(time.Hour), () => "timeout")]));
} else if (mode === "forgotten-ticker") {
  const t = new time.Ticker(time.Hour);
  console.log(t.c.len);
} else if (mode === "forgotten-timer") {
  const t = new time.Timer(time.Hour);
  console.log(t.c.len);
} else if (mode === "await-timer") {
  const t = new time.Timer(30);
  await t.c.recv();
  console.log(`fired after ${time.since(start) >= 25 ? ">=25" : "<25"}ms`);
} else if (mode === "goroutine-timer") {
  const out = new Chan<string>(1);
  go(async () => {
    out.trySend(await select([recv(time.after(30), () => "30ms"), recv(time.after(time.Hour), () => "1h")]));
  });
  console.log(await out.recv());
}
