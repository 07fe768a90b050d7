/**
 * Raw workers for the threads tests (until the runtime lands): a worker adopts the shared heap from its
 * workerData and runs one role of fixtures/chan-worker.ts on values encoded with the codec.
 */
import { Worker } from "node:worker_threads";
import { HEAP_KEY, heap } from "../../src/internal/threads/heap.js";
import { encodeValues } from "../../src/internal/threads/codec.js";

const fixture = new URL("./fixtures/chan-worker.js", import.meta.url);

/** Runs `role` on a new worker with `args` (shared objects cross as themselves); resolves its result. */
export function onWorker<R = unknown>(role: string, ...args: unknown[]): Promise<R> {
  const w = new Worker(fixture, { workerData: { [HEAP_KEY]: heap().sab, role, args: encodeValues(args) } });
  return new Promise<R>((resolve, reject) => {
    w.once("message", (m: { ok?: R; err?: string }) => {
      if (m.err !== undefined) reject(new Error(`worker ${role}: ${m.err}`));
      else resolve(m.ok as R);
    });
    w.once("error", reject);
    w.once("exit", (code) => reject(new Error(`worker ${role} exited (${code}) without a result`)));
  });
}

/**
 * Waits until `pred()` holds (another thread reaching a state this thread can see), polling each
 * millisecond; fails after 5 s. A condition wait, not a sleep: it returns as soon as the state is reached.
 */
export async function waitFor(pred: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
