import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { go, Chan } from "../../src/index.js";
import * as sync from "../../src/sync/index.js";
import * as context from "../../src/context/index.js";
import * as pprof from "../../src/pprof/index.js";
import { goBinary } from "../support/services.js";
import { leaked } from "../../src/internal/pprof.js";
import { abandon } from "../../src/internal/scheduler.js";

function sink(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  return { out, bytes: () => Buffer.concat(chunks) };
}

async function profileBytes(name: string, debug: 0 | 1 | 2): Promise<Buffer> {
  const s = sink();
  await pprof.lookup(name)!.writeTo(s.out, debug);
  return s.bytes();
}

const go_ = goBinary();

function goPprof(args: string[], bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), "pprof-"));
  try {
    const f = join(dir, "p.pb.gz");
    writeFileSync(f, bytes);
    return execFileSync(go_.go!, ["tool", "pprof", ...args, f], { encoding: "utf8", env: { ...process.env, HOME: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Three goroutines parked on one channel's receive, created at one site. */
function parkedReceivers(): Chan<number> {
  const ch = new Chan<number>();
  for (let i = 0; i < 3; i++) {
    go(async function receiver() {
      await ch.recv();
    });
  }
  return ch;
}

test("goroutine profile debug=1 groups goroutines by stack, Go's layout", async () => {
  const ch = parkedReceivers();
  await Promise.resolve();
  await Promise.resolve();
  const text = (await profileBytes("goroutine", 1)).toString();
  assert.match(text, /^goroutine profile: total \d+\n/);
  assert.match(text, /^3 @ 0x[0-9a-f]+ 0x[0-9a-f]+ 0x[0-9a-f]+\n#\t0x[0-9a-f]+\truntime\.gopark \(chan receive\)\+0x0\t\?:0\n#\t0x[0-9a-f]+\treceiver\+0x0/m);
  assert.match(text, /created by parkedReceivers\+0x0\t\/.*pprof\.test\.js:\d+/);
  const dump = (await profileBytes("goroutine", 2)).toString();
  assert.match(dump, /goroutine \d+ \[chan receive, \d+ms\]:\nreceiver\(\.\.\.\)/);
  for (let i = 0; i < 3; i++) await ch.send(i);
  await assert.rejects(pprof.lookup("goroutine")!.writeTo(sink().out, 3 as 0), RangeError);
  assert.equal(pprof.lookup("heap"), undefined);
});

test("labels show in the goroutine profile", async () => {
  const done = new Chan<void>();
  const ctx = pprof.withLabels(context.background(), { tenant: "acme" });
  assert.deepEqual(pprof.labels(pprof.withLabels(ctx, { req: "1" })), { tenant: "acme", req: "1" });
  go(async function labelled() {
    pprof.setGoroutineLabels(ctx);
    await done.recv();
  });
  await Promise.resolve();
  await Promise.resolve();
  const text = (await profileBytes("goroutine", 1)).toString();
  assert.match(text, /# labels: \{"tenant":"acme"\}\n#\t0x[0-9a-f]+\truntime\.gopark \(chan receive\)/);
  done.close();
  assert.throws(() => pprof.withLabels(ctx, { n: 1 as unknown as string }), TypeError);
});

test("block profile records where goroutines blocked, with rate 1 every event", async () => {
  pprof.setBlockProfileRate(1);
  try {
    const ch = new Chan<number>();
    const done = new Chan<void>();
    go(async function consumer() {
      for (let i = 0; i < 5; i++) await ch.recv();
      done.close();
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r)); // the consumer parks before each send
      await ch.send(i);
    }
    await done.recv();
    assert.ok(pprof.lookup("block")!.count() >= 1);
    const text = (await profileBytes("block", 1)).toString();
    assert.match(text, /^--- contention:\ncycles\/second=1000000000\n\d+ \d+ @ /);
    assert.match(text, /consumer\+0x0\t.*pprof\.test\.js:\d+/);
  } finally {
    pprof.setBlockProfileRate(0);
  }
  assert.throws(() => pprof.setBlockProfileRate(NaN), RangeError);
});

test("mutex profile charges the unlocker, 1 in n; a negative fraction only reads", async () => {
  assert.equal(pprof.setMutexProfileFraction(1), 0);
  try {
    assert.equal(pprof.setMutexProfileFraction(-1), 1);
    const mu = new sync.Mutex();
    await mu.lock();
    const got = new Chan<void>();
    go(async () => {
      await mu.lock();
      mu.unlock();
      got.close();
    });
    await new Promise((r) => setImmediate(r));
    (function unlocker(): void {
      mu.unlock();
    })();
    await got.recv();
    const text = (await profileBytes("mutex", 1)).toString();
    assert.match(text, /^--- mutex:\ncycles\/second=1000000000\nsampling period=1\n/);
    assert.match(text, /unlocker\+0x0/);
  } finally {
    pprof.setMutexProfileFraction(0);
  }
  assert.throws(() => pprof.setMutexProfileFraction(NaN), RangeError);
});

test("the leak profile lists goroutines parked on channels nothing can reach", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  (globalThis as { gc?: () => void }).gc = gc;
  const p = pprof.lookup("goroutineleak")!;
  (function leak(): void {
    const lost = new Chan<number>();
    go(async function leaker() {
      await lost.recv();
    });
  })();
  await Promise.resolve();
  await Promise.resolve();
  const kept = new Chan<number>();
  go(async function keeper() {
    await kept.recv();
  });
  await Promise.resolve();
  await Promise.resolve();
  let text = "";
  for (let i = 0; i < 20 && !text.includes("leaker"); i++) text = (await profileBytes("goroutineleak", 1)).toString();
  assert.match(text, /^goroutineleak profile: total 1\n/);
  assert.match(text, /leaker\+0x0/);
  assert.doesNotMatch(text, /keeper/);
  assert.equal(p.count(), 1);
  kept.close();
  for (const g of leaked) abandon(g); // nothing can wake it: drop it, or the process ends in a deadlock report
});

test("go tool pprof reads every binary profile", { skip: go_.skip }, async () => {
  pprof.setBlockProfileRate(1);
  pprof.setMutexProfileFraction(1);
  try {
    const ch = parkedReceivers();
    const mu = new sync.Mutex();
    await mu.lock();
    go(async () => {
      await mu.lock();
      mu.unlock();
    });
    await new Promise((r) => setImmediate(r));
    mu.unlock();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      await ch.send(i);
    }
    for (const name of ["goroutine", "block", "mutex", "goroutineleak"]) {
      const bytes = await profileBytes(name, 0);
      assert.equal(bytes[0], 0x1f, `${name} is gzipped`);
      assert.ok(gunzipSync(bytes).length > 0);
      const raw = goPprof(["-raw"], bytes);
      assert.match(raw, /PeriodType: /, name);
      if (name === "block") {
        assert.match(raw, /contentions\/count delay\/nanoseconds/);
        const top = goPprof(["-top"], bytes);
        assert.match(top, /flat%/);
        console.log(`go tool pprof -top (block profile):\n${top}`);
        const out = join(fileURLToPath(new URL("../../../", import.meta.url)), ".bench-out");
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, "pprof-block-top.txt"), top);
        console.log(`saved: ${join(out, "pprof-block-top.txt")}`);
      }
      if (name === "goroutine") {
        assert.match(raw, /receiver/);
        // Go's count profiles have one sample per distinct stack, its value the count: the three receivers
        // parked at one site are one sample of 3.
        assert.match(raw, /^\s+3: /m, raw);
      }
    }
  } finally {
    pprof.setBlockProfileRate(0);
    pprof.setMutexProfileFraction(0);
  }
});
