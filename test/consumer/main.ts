// A user's program, type-checked against the built declarations (dist/**/*.d.ts) through the package's
// own "exports", with skipLibCheck off: what a consumer of the published package compiles against.
import { go, Chan, select, recv, send, time, context, sync, runtime, synctest, errgroup, singleflight, semaphore, signal } from "goroutine";
import * as ctxmod from "goroutine/context";
import { Mutex } from "goroutine/sync";

export async function main(): Promise<void> {
  const ch = new Chan<number>(1);
  go(async (n: number) => {
    await ch.send(n);
  }, 1);
  const r: number | string = await select([recv(ch, (v) => v ?? 0), send(ch, 2, () => "sent")]);
  const [ctx, cancel] = context.withTimeout(context.background(), 2 * time.Second);
  const c2: ctxmod.Context = ctx;
  cancel();
  const mu = new Mutex();
  {
    using _g = await mu.lock();
  }
  const wg = new sync.WaitGroup();
  wg.go(async () => {});
  await wg.wait();
  await synctest.test(async (t) => {
    t.context();
    await time.sleep(time.Hour);
  });
  const [g] = errgroup.withContext(context.background());
  const sf = new singleflight.Group<number>();
  const { value, shared } = await sf.do("k", async () => 1);
  const w = new semaphore.Weighted(2);
  await w.acquire(context.background(), 1);
  const [sctx, stop] = signal.notifyContext(context.background());
  stop();
  void [r, c2, runtime.numGoroutine(), g, value, shared, sctx];
  // @ts-expect-error a number is not a string channel's value
  await new Chan<string>().send(1);
}
