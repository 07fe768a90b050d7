// One process of bench/cache.ts's cross-process stampede row: `node cache-stampede-child.js <lib> <url> <prefix> <gets>`.
// lib: "bentocache" (memory L1 + redis L2); ours is test/cache/fixtures/stampede.js. Prints "ready",
// waits for a stdin line, makes <gets> concurrent gets of one cold key (50 ms loader, counted with INCR
// <prefix>loads), prints "done", exits.
import { Redis } from "ioredis";

const [lib, url, prefix, n] = process.argv.slice(2);
const client = new Redis(url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let get: () => Promise<unknown>;
let close: () => Promise<void>;

if (lib === "bentocache") {
  const { BentoCache, bentostore } = await import("bentocache");
  const { memoryDriver } = await import("bentocache/drivers/memory");
  const { redisDriver } = await import("bentocache/drivers/redis");
  const bento = new BentoCache({
    default: "c",
    stores: { c: bentostore().useL1Layer(memoryDriver({})).useL2Layer(redisDriver({ connection: client, prefix })) },
  });
  await bento.getOrSet({ key: `warm-${process.pid}`, factory: () => "w", ttl: "1m" });
  get = () =>
    bento.getOrSet({
      key: "hot",
      ttl: "1m",
      factory: async () => {
        await client.incr(`${prefix}loads`);
        await sleep(50);
        return "v";
      },
    });
  close = () => bento.disconnectAll();
} else {
  throw new Error(`unknown lib ${lib}: ours runs test/cache/fixtures/stampede.js`);
}
process.stdout.write("ready\n");
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
await Promise.all(Array.from({ length: Number(n) }, get));
process.stdout.write("done\n");
await close();
client.disconnect();
process.stdin.destroy();
