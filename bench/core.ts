/**
 * Core benchmark: goroutine's channels, select and `go` against peer libraries, in one process.
 *
 *   npm run bench                      (build, then run)
 *   node dist/bench/core.js            (after a build)
 *   node dist/bench/core.js --only=pingpong,select --samples=9 --json=out.json
 *
 * Method (see bench/README.md):
 * - Every contender of every workload is sampled the same way: a cold calibration sizes a batch, batches
 *   repeat for at least `--warmup-ms` (default 150 ms) of warm-up, the batch is re-sized from the warm
 *   speed to last about `--sample-ms` (default 40 ms), then `--samples` (default 7) batches are timed
 *   with `process.hrtime.bigint()` and the median ns/op is reported. The spawn workload has a fixed size
 *   (200,000 goroutines per batch) and 7 samples.
 * - No forced GC between batches by default (see FORCE_GC): batches are long enough to pay for their own
 *   collections.
 * - ORDER MATTERS: with its AsyncLocalStorage backend (Node 20 without the native addon, or
 *   GOROUTINE_CONTEXT=als), goroutine enables Node's promise hooks the first time a goroutine starts, and
 *   from then on every promise in the process pays for them, which slows every async library. So all
 *   peers and the bare-async baselines are measured first, and goroutine's modules are only imported
 *   (dynamically) after that. The bare-async baseline is measured again at the end to show what the
 *   library costs code that does not use it at all. When the native backend is in use, goroutine's rows
 *   are measured again in a child process with GOROUTINE_CONTEXT=als (the "als backend" column).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { availableParallelism, cpus, loadavg } from "node:os";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Chan as TsChan, Select as TsSelect, recv as tsRecv } from "ts-chan";
import { channel as cspChannel, select as cspSelect, type Channel as CspChannel } from "@thi.ng/csp";
import { ONLY, type Run, option, samples, timed as timedWith } from "./harness.js";

// ---- options -----------------------------------------------------------------------------------------

const SAMPLE_MS = Number(option("sample-ms", "40"));
const SAMPLES = samples(7);
const SPAWN_N = Number(option("spawn-n", "200000"));
const SPAWN_SAMPLES = Math.max(3, Number(option("spawn-samples", "7")));
const JSON_OUT = option("json", "");
/** Internal: measure goroutine only and write its numbers to --json (used for the als comparison). */
const OURS_ONLY = process.argv.includes("--ours-only");
/** Skip the second run of goroutine's rows under the AsyncLocalStorage backend. */
const NO_ALS = process.argv.includes("--no-als");
/** Print every sample (ns/op) and the batch size. */
const VERBOSE = process.argv.includes("--verbose");

/**
 * --gc: a full collection before every batch (switched on from inside, no --expose-gc needed).
 * Off by default: a forced full GC also shrinks V8's young generation back to its minimum, and the
 * next short batch then runs with far more scavenges than in steady state (select measured 2.5× slower).
 */
const FORCE_GC = process.argv.includes("--gc");
let gc = (): void => {};
if (FORCE_GC) {
  setFlagsFromString("--expose-gc");
  gc = runInNewContext("gc") as () => void;
}
/** Minimum warm-up per contender, in ms (repeated batches until reached). */
const WARMUP_MS = Number(option("warmup-ms", "150"));

// ---- sampling ----------------------------------------------------------------------------------------

const timed = (run: Run, n: number): Promise<number> => timedWith(run, n, gc);


function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Measure {
  /** Median ns per operation. */
  ns: number;
  /** Fastest sample, ns per operation: the least disturbed by other processes. */
  min: number;
  /** Spread of the samples: (max - min) / median. */
  spread: number;
  /** Operations per sample. */
  n: number;
}

/** Calibrates a batch size of about SAMPLE_MS, warms up, then takes the median of SAMPLES batches. */
async function measure(run: Run, fixedN?: number): Promise<Measure> {
  let n = fixedN ?? 256;
  if (fixedN === undefined) {
    // Grow until one batch takes a quarter of the sample time, then scale to the full sample time.
    for (;;) {
      const t = await timed(run, n);
      if (t >= (SAMPLE_MS * 1e6) / 4 || n >= 1 << 24) {
        n = Math.max(256, Math.round((n * SAMPLE_MS * 1e6) / t));
        break;
      }
      n *= 4;
    }
  }
  // Warm-up: V8 needs a few hundred thousand operations to tier the hot paths up; repeat batches.
  let last = 0;
  for (let spent = 0; spent < WARMUP_MS * 1e6; spent += last) last = await timed(run, n);
  // Resize the batch from the warm code's speed (calibration ran cold).
  if (fixedN === undefined) n = Math.max(256, Math.round((n * SAMPLE_MS * 1e6) / last));
  const count = fixedN === undefined ? SAMPLES : SPAWN_SAMPLES;
  const per: number[] = [];
  for (let i = 0; i < count; i++) per.push((await timed(run, n)) / n);
  if (VERBOSE) console.log(`    n=${n} samples: ${per.map((x) => x.toFixed(0)).join(" ")}`);
  const med = median(per);
  return { ns: med, min: Math.min(...per), spread: (Math.max(...per) - Math.min(...per)) / med, n };
}

// ---- workloads -----------------------------------------------------------------------------------------

interface Contender {
  name: string;
  run: Run;
  /** False for goroutine itself; true for the peers it is compared with. */
  peer: boolean;
}

interface Workload {
  id: string;
  title: string;
  unit: string;
  /** Fixed batch size (spawn), else calibrated. */
  fixedN?: number;
  /** Absolute target in ns/op, or a ratio to the best peer. */
  target: { ns: number } | { ratio: number };
  go: string;
  peers: Contender[];
  ours: Contender[];
}

// --- ts-chan --------------------------------------------------------------------------------------------

function tsPingPong(unsafe: boolean): Run {
  return async (n) => {
    const ping = new TsChan<number>(0).setUnsafe(unsafe);
    const pong = new TsChan<number>(0).setUnsafe(unsafe);
    const echo = (async () => {
      for (;;) {
        const r = await ping.recv();
        if (r.done === true) return;
        await pong.send(r.value + 1);
      }
    })();
    for (let i = 0; i < n; i++) {
      await ping.send(i);
      await pong.recv();
    }
    ping.close();
    await echo;
  };
}

function tsStream(unsafe: boolean): Run {
  return async (n) => {
    const ch = new TsChan<number>(128).setUnsafe(unsafe);
    const producer = (async () => {
      for (let i = 0; i < n; i++) await ch.send(i);
    })();
    for (let i = 0; i < n; i++) await ch.recv();
    await producer;
  };
}

function tsSelect(unsafe: boolean): Run {
  return async (n) => {
    const a = new TsChan<number>(128).setUnsafe(unsafe);
    const b = new TsChan<number>(128).setUnsafe(unsafe);
    const producer = (async () => {
      for (let i = 0; i < n; i++) await ((i & 1) === 0 ? a : b).send(i);
    })();
    const sel = new TsSelect([tsRecv(a), tsRecv(b)]).setUnsafe(unsafe);
    for (let i = 0; i < n; i++) {
      const k = await sel.wait();
      sel.recv(sel.cases[k]);
    }
    await producer;
  };
}

// --- @thi.ng/csp (no unbuffered channels: its smallest buffer is 1) -----------------------------------

const cspPingPong: Run = async (n) => {
  const ping: CspChannel<number> = cspChannel<number>(1);
  const pong: CspChannel<number> = cspChannel<number>(1);
  const echo = (async () => {
    for (;;) {
      const v = await ping.read();
      if (v === undefined) return;
      await pong.write(v + 1);
    }
  })();
  for (let i = 0; i < n; i++) {
    await ping.write(i);
    await pong.read();
  }
  ping.close();
  await echo;
};

const cspStream: Run = async (n) => {
  const ch = cspChannel<number>(128);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.write(i);
  })();
  for (let i = 0; i < n; i++) await ch.read();
  await producer;
};

const cspSelectRun: Run = async (n) => {
  const a = cspChannel<number>(128);
  const b = cspChannel<number>(128);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ((i & 1) === 0 ? a : b).write(i);
  })();
  for (let i = 0; i < n; i++) await cspSelect(a, b);
  await producer;
};

// --- bare async functions (the floor for spawn + join) -------------------------------------------------

let sink = 0;
async function bareWork(): Promise<void> {
  sink++;
}

const bareAll: Run = async (n) => {
  const ps = new Array<Promise<void>>(n);
  for (let i = 0; i < n; i++) ps[i] = bareWork();
  await Promise.all(ps);
};

// The join counts completions through each task's promise, as the library's own join must.
const bareCounter: Run = async (n) => {
  let left = n;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const countDown = (): void => {
    if (--left === 0) finish();
  };
  for (let i = 0; i < n; i++) void bareWork().then(countDown);
  await allDone;
};

// --- goroutine (imported only after every peer has run) -----------------------------------------------

async function loadOurs(): Promise<{
  pingPong: Run;
  stream: Run;
  select: Run;
  spawnJoin: Run;
  setCreationStacks: (on: boolean) => boolean;
}> {
  const { go } = await import("../src/go.js");
  const { Chan } = await import("../src/internal/chan.js");
  const { select, recv } = await import("../src/select.js");
  const { setCreationStacks } = await import("../src/runtime/index.js");

  const pingPong: Run = async (n) => {
    const ping = new Chan<number>();
    const pong = new Chan<number>();
    go(async () => {
      for (;;) {
        const [v, ok] = await ping.recvOk();
        if (!ok) return;
        await pong.send(v! + 1);
      }
    });
    for (let i = 0; i < n; i++) {
      await ping.send(i);
      await pong.recv();
    }
    ping.close();
  };

  const stream: Run = async (n) => {
    const ch = new Chan<number>(128);
    go(async () => {
      for (let i = 0; i < n; i++) await ch.send(i);
    });
    for (let i = 0; i < n; i++) await ch.recv();
  };

  const take = (v: number | undefined): number | undefined => v;
  const selectRun: Run = async (n) => {
    const a = new Chan<number>(128);
    const b = new Chan<number>(128);
    go(async () => {
      for (let i = 0; i < n; i++) await ((i & 1) === 0 ? a : b).send(i);
    });
    // Written the way users write it: the cases are built anew on every iteration.
    for (let i = 0; i < n; i++) await select([recv(a, take), recv(b, take)]);
  };

  const spawnJoin: Run = async (n) => {
    let left = n;
    const allDone = new Chan<void>();
    const work = async (): Promise<void> => {
      sink++;
      if (--left === 0) allDone.close();
    };
    for (let i = 0; i < n; i++) go(work);
    await allDone.recv();
  };

  return { pingPong, stream, select: selectRun, spawnJoin, setCreationStacks };
}

/**
 * Which mechanism carries goroutine identity across awaits: "native" (V8's continuation-preserved
 * embedder data, no per-promise cost) or "als" (AsyncLocalStorage; promise hooks on Node 20).
 * Loaded by a computed specifier so this file does not depend on the module existing.
 */
async function contextBackend(): Promise<string> {
  const specifier = "../src/internal/gls.js";
  try {
    const m = (await import(specifier)) as { mode?: unknown };
    return typeof m.mode === "string" ? m.mode : "als";
  } catch {
    return "als";
  }
}

// ---- the run -------------------------------------------------------------------------------------------

interface Row {
  workload: Workload;
  ours: Contender;
  oursM: Measure;
  bestPeer: string;
  bestPeerNs: number;
  ratio: number;
  targetText: string;
  pass: boolean;
}

function fmt(ns: number): string {
  if (ns >= 100) return Math.round(ns).toLocaleString("en-US");
  return ns.toFixed(1);
}

function fmtOpt(ns: number | undefined): string {
  return ns === undefined ? "—" : fmt(ns);
}

function progress(w: Workload, name: string, r: Measure): void {
  const spread = `±${(r.spread * 50).toFixed(0)}%`;
  console.log(`  ${pad(w.id, 9)} ${pad(name, 24)} ${pad(fmt(r.ns), 7)} ${pad(w.unit, 14)} min ${pad(fmt(r.min), 7)} ${spread}`);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function printHeader(): void {
  console.log(`goroutine core benchmark — ${new Date().toISOString()}`);
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} CPUs ` +
      `(${cpus()[0]?.model.trim() ?? "unknown"})`,
  );
  console.log(
    `median of ${SAMPLES} samples of ~${SAMPLE_MS} ms (spawn: ${SPAWN_SAMPLES} samples of ` +
      `${SPAWN_N} tasks), after ≥ ${WARMUP_MS} ms of warm-up${FORCE_GC ? "; full GC before each sample" : ""}`,
  );
  const load = loadavg()[0];
  if (load > availableParallelism() * 0.5) {
    console.log(
      `WARNING: load average ${load.toFixed(1)} on ${availableParallelism()} CPUs — other processes are running; ` +
        "expect noisy numbers (compare the min column, or rerun when the machine is idle)",
    );
  }
}

/**
 * Go's own spawn + join (bench/go/spawn.go: n goroutines that each bump a counter and call wg.Done, then
 * wg.Wait), run now with `go run` when Go is installed, so the "stacks on" row is compared with Go on the
 * same machine under the same load; otherwise a carried figure. It runs before any Node contender, alone.
 */
const GO_SPAWN_CARRIED = { ns: 1000, when: "carried: issue 18's figure, 2-CPU VM, Go 1.19.8 (GOMAXPROCS 2)" };
function goSpawnRef(): { ns: number; note: string } {
  const file = fileURLToPath(new URL("../../bench/go/spawn.go", import.meta.url));
  const r = spawnSync("go", ["run", file, "-n", String(SPAWN_N), "-samples", String(SPAWN_SAMPLES)], {
    encoding: "utf8",
    env: { ...process.env, GO111MODULE: "off" },
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? "go not found" : r.stderr.trim().split("\n")[0];
    return { ns: GO_SPAWN_CARRIED.ns, note: `${GO_SPAWN_CARRIED.when} (${why})` };
  }
  const got = JSON.parse(r.stdout) as { spawnJoin: number; gomaxprocs: number };
  return { ns: got.spawnJoin, note: `measured now: ${r.stdout.trim()}` };
}

async function main(): Promise<void> {
  const started = performance.now();
  const lazyOurs: { current?: Awaited<ReturnType<typeof loadOurs>> } = {};
  const ours = (): Awaited<ReturnType<typeof loadOurs>> => lazyOurs.current!;
  const stacks = (on: boolean, run: () => Run): Run => async (n) => {
    const prev = ours().setCreationStacks(on);
    try {
      await run()(n);
    } finally {
      ours().setCreationStacks(prev);
    }
  };

  const workloads: Workload[] = [
    {
      id: "pingpong",
      title: "unbuffered ping-pong",
      unit: "ns/round trip",
      target: { ns: 400 },
      go: "268",
      peers: [
        { name: "ts-chan (safe)", run: tsPingPong(false), peer: true },
        { name: "ts-chan (unsafe)", run: tsPingPong(true), peer: true },
        { name: "@thi.ng/csp (buf 1)", run: cspPingPong, peer: true },
      ],
      ours: [{ name: "goroutine", run: (n) => ours().pingPong(n), peer: false }],
    },
    {
      id: "stream",
      title: "buffered(128) stream",
      unit: "ns/value",
      target: { ns: 110 },
      go: "36",
      peers: [
        { name: "ts-chan (safe)", run: tsStream(false), peer: true },
        { name: "ts-chan (unsafe)", run: tsStream(true), peer: true },
        { name: "@thi.ng/csp", run: cspStream, peer: true },
      ],
      ours: [{ name: "goroutine", run: (n) => ours().stream(n), peer: false }],
    },
    {
      id: "select",
      title: "select over 2 buffered chans",
      unit: "ns/select",
      target: { ns: 200 },
      go: "67",
      peers: [
        { name: "ts-chan (safe)", run: tsSelect(false), peer: true },
        { name: "ts-chan (unsafe)", run: tsSelect(true), peer: true },
        { name: "@thi.ng/csp", run: cspSelectRun, peer: true },
      ],
      ours: [{ name: "goroutine", run: (n) => ours().select(n), peer: false }],
    },
    {
      id: "spawn",
      title: `spawn + join ${SPAWN_N.toLocaleString("en-US")}`,
      unit: "ns/task",
      fixedN: SPAWN_N,
      // Issue 18: ≤ 2× a bare async call on Node 20 and 22, ≤ 3× on 24 (whose bare async call is ~2× faster).
      target: { ratio: Number(process.versions.node.split(".")[0]) >= 24 ? 3 : 2 },
      go: "—",
      peers: [
        { name: "async fn + Promise.all", run: bareAll, peer: true },
        { name: "async fn + counter", run: bareCounter, peer: true },
      ],
      ours: [
        { name: "goroutine (stacks on)", run: stacks(true, () => ours().spawnJoin), peer: false },
        { name: "goroutine (stacks off)", run: stacks(false, () => ours().spawnJoin), peer: false },
      ],
    },
  ];
  const selected = workloads.filter((w) => ONLY.length === 0 || ONLY.includes(w.id));
  const spawnSelected = selected.find((w) => w.id === "spawn");
  const goSpawn = spawnSelected !== undefined && !OURS_ONLY ? goSpawnRef() : undefined;
  if (spawnSelected !== undefined && goSpawn !== undefined) spawnSelected.go = fmt(goSpawn.ns);

  if (!OURS_ONLY) printHeader();
  if (!OURS_ONLY) console.log(
    "phase 1: peers and bare-async baselines, BEFORE goroutine is loaded (with its AsyncLocalStorage\n" +
      "         backend it enables promise hooks at the first goroutine start, slowing every promise after)",
  );

  const peerNs = new Map<Workload, Map<string, Measure>>();
  for (const w of selected) {
    const m = new Map<string, Measure>();
    peerNs.set(w, m);
    if (OURS_ONLY) continue;
    for (const c of w.peers) {
      const r = await measure(c.run, w.fixedN);
      m.set(c.name, r);
      progress(w, c.name, r);
    }
  }

  lazyOurs.current = await loadOurs();
  const backend = await contextBackend();
  if (!OURS_ONLY) console.log(`phase 2: goroutine (goroutine-identity backend: ${backend})`);
  const rows: Row[] = [];
  for (const w of selected) {
    const peers = peerNs.get(w)!;
    let bestPeer = "";
    let bestPeerNs = Infinity;
    for (const [name, r] of peers) {
      if (r.ns < bestPeerNs) {
        bestPeerNs = r.ns;
        bestPeer = name;
      }
    }
    for (const c of w.ours) {
      const r = await measure(c.run, w.fixedN);
      progress(w, c.name, r);
      const ratio = r.ns / bestPeerNs;
      const t = w.target;
      const pass = "ns" in t ? r.ns <= t.ns : ratio <= t.ratio;
      const targetText = "ns" in t ? `≤ ${t.ns} ns` : `≤ ${t.ratio}× bare async`;
      rows.push({ workload: w, ours: c, oursM: r, bestPeer, bestPeerNs, ratio, targetText, pass });
    }
  }

  if (OURS_ONLY) {
    const out = rows.map((r) => ({ workload: r.workload.id, contender: r.ours.name, ns: r.oursM.ns, min: r.oursM.min }));
    // What this backend costs plain code, measured after goroutines have run (phase 3 of the parent).
    const spawnW = selected.find((w) => w.id === "spawn");
    const plainAfter = spawnW === undefined ? undefined : (await measure(bareAll, spawnW.fixedN)).ns;
    if (spawnW !== undefined && plainAfter !== undefined) {
      progress(spawnW, "async fn + Promise.all", { ns: plainAfter, min: plainAfter, spread: 0, n: 0 });
    }
    writeFileSync(JSON_OUT, JSON.stringify({ backend, rows: out, plainAfter }) + "\n");
    return;
  }

  // The same rows again in a child process forced onto the AsyncLocalStorage backend, for comparison.
  const alsNs = new Map<string, number>();
  let alsPlainAfter: number | undefined;
  if (backend !== "als" && !NO_ALS) {
    console.log("phase 2b: goroutine again in a child process with GOROUTINE_CONTEXT=als");
    const file = join(tmpdir(), `goroutine-bench-als-${process.pid}.json`);
    const args = process.argv.slice(2).filter((a) => !a.startsWith("--json="));
    const r = spawnSync(process.execPath, [process.argv[1], ...args, "--ours-only", `--json=${file}`], {
      env: { ...process.env, GOROUTINE_CONTEXT: "als" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (r.status === 0) {
      const got = JSON.parse(readFileSync(file, "utf8")) as {
        rows: { workload: string; contender: string; ns: number }[];
        plainAfter?: number;
      };
      for (const row of got.rows) alsNs.set(`${row.workload}/${row.contender}`, row.ns);
      alsPlainAfter = got.plainAfter;
      rmSync(file, { force: true });
    } else {
      console.log(`  (the als run failed with exit code ${String(r.status)})`);
    }
  }

  // The cost of the promise hook to code that does not use the library.
  let after: Measure | undefined;
  let before: Measure | undefined;
  const spawn = selected.find((w) => w.id === "spawn");
  if (spawn !== undefined) {
    console.log("phase 3: bare-async baseline again, now that goroutines have run in this process");
    before = peerNs.get(spawn)!.get("async fn + Promise.all");
    after = await measure(bareAll, spawn.fixedN);
    progress(spawn, "async fn + Promise.all", after);
  }

  // ---- the table ----
  console.log("");
  console.log('ns per operation, median of the samples ("(min)": goroutine\'s fastest sample); lower is better.');
  console.log(`Peers were measured before goroutine was loaded, so they never ran under its promise hooks. Backend: ${backend}.`);
  console.log("");
  const header = ["workload", "goroutine", "(min)", ...(alsNs.size > 0 ? ["als backend"] : []), "ts-chan safe", "ts-chan unsafe", "@thi.ng/csp", "bare async", "best peer", "ours / best", "Go 1.19", "target", "result"];
  const lines: string[][] = [];
  for (const row of rows) {
    const peers = peerNs.get(row.workload)!;
    const get = (prefix: string): string => {
      const hits = [...peers].filter(([name]) => name.startsWith(prefix));
      if (hits.length === 0) return "—";
      return fmt(Math.min(...hits.map(([, r]) => r.ns)));
    };
    const label = row.workload.ours.length > 1 ? `${row.workload.title} (${row.ours.name.replace(/^goroutine \(|\)$/g, "")})` : row.workload.title;
    lines.push([
      label,
      fmt(row.oursM.ns),
      fmt(row.oursM.min),
      ...(alsNs.size > 0 ? [fmtOpt(alsNs.get(`${row.workload.id}/${row.ours.name}`))] : []),
      get("ts-chan (safe)"),
      get("ts-chan (unsafe)"),
      get("@thi.ng/csp"),
      get("async fn"),
      row.bestPeer,
      `${row.ratio.toFixed(2)}×`,
      row.workload.go,
      row.targetText,
      row.pass ? "PASS" : "MISS",
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const out = (cells: string[]): string => `| ${cells.map((c, i) => pad(c, widths[i])).join(" | ")} |`;
  console.log(out(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const l of lines) console.log(out(l));
  if (before !== undefined && after !== undefined) {
    console.log("");
    console.log(
      `Cost to plain code (backend ${backend}): a bare async fn + Promise.all went from ${fmt(before.ns)} to ` +
        `${fmt(after.ns)} ns/task (${(after.ns / before.ns).toFixed(2)}×, target ≤ 1.1×) once goroutines had run in the process.`,
    );
    if (alsPlainAfter !== undefined) {
      console.log(
        `With the als backend (child process): ${fmt(before.ns)} → ${fmt(alsPlainAfter)} ns/task ` +
          `(${(alsPlainAfter / before.ns).toFixed(2)}×) (on Node 20 and 22 its promise hooks tax every promise in the process).`,
      );
    }
  }
  const stacksOn = rows.find((r) => r.workload.id === "spawn" && r.ours.name === "goroutine (stacks on)");
  if (goSpawn !== undefined && stacksOn !== undefined) {
    console.log("");
    console.log(
      `Spawn + join with creation stacks on (the default): ${fmt(stacksOn.oursM.ns)} ns/task, ` +
        `${(stacksOn.oursM.ns / goSpawn.ns).toFixed(2)}× Go's ${fmt(goSpawn.ns)} ns (target ≤ 1.5×; Go ${goSpawn.note}).`,
    );
  }
  console.log("");
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (sink < 0) console.log(sink); // keeps the task bodies observable

  if (JSON_OUT !== "") {
    const json = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      rows: rows.map((r) => ({
        workload: r.workload.id,
        contender: r.ours.name,
        ns: r.oursM.ns,
        bestPeer: r.bestPeer,
        bestPeerNs: r.bestPeerNs,
        ratio: r.ratio,
        target: r.targetText,
        pass: r.pass,
        alsNs: alsNs.get(`${r.workload.id}/${r.ours.name}`),
      })),
      peers: selected.flatMap((w) => [...peerNs.get(w)!].map(([name, m]) => ({ workload: w.id, name, ns: m.ns }))),
      backend,
      goSpawn,
      plainCodeCost:
        before !== undefined && after !== undefined
          ? { before: before.ns, after: after.ns, afterWithAls: alsPlainAfter }
          : undefined,
    };
    writeFileSync(JSON_OUT, JSON.stringify(json, null, 2) + "\n");
    console.log(`wrote ${JSON_OUT}`);
  }
}

await main();
