// The worker side of bench/threads-chan.ts: runs one role on channels handed over in workerData.
import { parentPort, workerData } from "node:worker_threads";
import { go } from "../src/go.js";
import { decodeValues } from "../src/internal/threads/codec.js";
import type { Chan } from "../src/threads/chan.js";
import "../src/threads/index.js";

type C = Chan<number>;
const { role, args: block } = workerData as { role: string; args: number };
const args = decodeValues(block);

async function main(): Promise<unknown> {
  switch (role) {
    case "pong": {
      const [a, b, n] = args as [C, C, number];
      for (let i = 0; i < n; i++) await b.send((await a.recv())!);
      return n;
    }
    case "ping": {
      const [a, b, warm, n, samples] = args as [C, C, number, number, number];
      for (let i = 0; i < warm; i++) {
        await a.send(i);
        await b.recv();
      }
      const out: number[] = [];
      for (let s = 0; s < samples; s++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) {
          await a.send(i);
          await b.recv();
        }
        out.push(Number(process.hrtime.bigint() - t0) / n);
      }
      return out;
    }
    case "mix": {
      // nP producers and nC consumers as goroutines of this worker, started together with the other
      // workers' through `start` (closed by main).
      const [ch, ready, start, prodDone, consDone, nP, nC, per] = args as [C, C, C, C, C, number, number, number];
      await ready.send(1);
      await start.recvOk();
      for (let p = 0; p < nP; p++) {
        go(async () => {
          for (let i = 0; i < per; i++) await ch.send(i);
          await prodDone.send(1);
        });
      }
      const consumers: Promise<void>[] = [];
      for (let c = 0; c < nC; c++) {
        consumers.push(
          (async () => {
            let n = 0;
            for await (const _ of ch) n++;
            await consDone.send(n);
          })(),
        );
      }
      await Promise.all(consumers);
      return "mixed";
    }
    case "echo": {
      // postMessage baseline: echo every message until told to stop.
      return new Promise((resolve) => {
        parentPort!.on("message", (m: unknown) => {
          if (m === "stop") {
            parentPort!.removeAllListeners("message");
            resolve("echoed");
          }
          else parentPort!.postMessage(m);
        });
      });
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
}

main().then(
  (r) => parentPort!.postMessage({ result: r }),
  (e: unknown) => parentPort!.postMessage({ error: String(e) }),
);
