// Negative type tests for the public API: each line below must NOT compile. `@ts-expect-error` fails the
// build (tsc, part of `npm run build`) if the error it expects ever disappears, i.e. if a signature is
// loosened so that a mistake a user makes would type-check. Compiled only; nothing to run.
import { Chan, go, recv, runtime, select, send, context, sync, time, singleflight, semaphore } from "../src/index.js";

export async function mistakes(): Promise<void> {
  // go checks the arguments against the function, as Go's go statement does.
  // @ts-expect-error a string where the function takes a number
  go(async (n: number) => n, "1");
  // @ts-expect-error an argument missing
  go(async (n: number, s: string) => [n, s], 1);
  // @ts-expect-error the goroutine's id is read-only
  go(() => {}).id = 2;

  const strings = new Chan<string>(1);
  // @ts-expect-error a number on a string channel
  await strings.send(1);
  // @ts-expect-error recv may yield undefined (the channel is closed), so it is not a plain string
  const s: string = await strings.recv();
  // @ts-expect-error recvOk's value is undefined when not ok
  const [v]: [string, boolean] = await strings.recvOk();
  // @ts-expect-error sending a number on a string channel inside select
  await select([send(strings, 1)]);
  // @ts-expect-error a receive handler for another element type
  await select([recv(strings, (x: number | undefined) => x)]);
  // @ts-expect-error select's result is the handlers' union, not what the caller wishes
  const r: number = await select([recv(strings, (x) => x)]);

  // @ts-expect-error durations are numbers (time.Second etc.), not strings
  await time.sleep("1s");
  // @ts-expect-error withTimeout takes a duration, not a string
  context.withTimeout(context.background(), "5s");
  // @ts-expect-error a context, not an AbortSignal, is the first argument
  context.withCancel(new AbortController().signal);

  const wg = new sync.WaitGroup();
  // @ts-expect-error add takes a number
  wg.add("1");
  const mu = new sync.Mutex();
  // @ts-expect-error lock() is a promise: `using` needs the awaited guard
  using _g = mu.lock();

  const group = new singleflight.Group<number>();
  // @ts-expect-error the group's functions return its value type
  await group.do("k", async () => "not a number");
  const sem = new semaphore.Weighted(2);
  // @ts-expect-error acquire takes a context first
  await sem.acquire(1);
  // @ts-expect-error setCreationStacks takes a boolean
  runtime.setCreationStacks("on");
  void [s, v, r];
}
