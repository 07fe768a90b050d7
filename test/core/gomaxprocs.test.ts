/**
 * runtime.gomaxprocs: the rule as a pure function (computeGomaxprocs), the cgroup parsers against a fake
 * cgroup filesystem in a temp dir, and the GOMAXPROCS environment override in a subprocess.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as runtime from "../../src/runtime/index.js";
import { cgroupCpuLimit, parseCfs, parseCpuMax } from "../../src/internal/cgroup.js";

describe("computeGomaxprocs(cpus, limit)", () => {
  // [cpus, cgroup limit in CPUs, expected]: CPU count capped by the quota rounded up, at least 2 when
  // there is more than one CPU, never more than the CPUs, at least 1.
  const rows: [number, number | undefined, number][] = [
    [1, undefined, 1],
    [2, undefined, 2],
    [8, undefined, 8],
    [64, undefined, 64],
    [8, 16, 8],
    [8, 8, 8],
    [8, 4, 4],
    [8, 3, 3],
    [8, 2.5, 3],
    [8, 2.01, 3],
    [8, 2, 2],
    [8, 1.5, 2],
    [8, 1, 2],
    [8, 0.5, 2],
    [8, 0.01, 2],
    [2, 0.5, 2],
    [1, 0.5, 1],
    [1, 4, 1],
    [4, 4, 4],
  ];
  for (const [cpus, limit, want] of rows) {
    test(`${cpus} CPUs, limit ${String(limit)} -> ${want}`, () => {
      assert.equal(runtime.computeGomaxprocs(cpus, limit), want);
    });
  }
});

describe("cgroup parsers", () => {
  const cpuMax: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ["max 100000", undefined],
    ["max", undefined],
    ["150000 100000", 1.5],
    ["50000 100000", 0.5],
    ["200000 100000", 2],
    ["100000 50000", 2],
    ["50000", 0.5], // period defaults to 100000
    ["", undefined],
    ["abc 100000", undefined],
    ["100000 0", undefined],
    ["0 100000", undefined],
    ["-1 100000", undefined],
  ];
  for (const [text, want] of cpuMax) {
    test(`parseCpuMax(${JSON.stringify(text)}) -> ${String(want)}`, () => assert.equal(parseCpuMax(text), want));
  }

  const cfs: [string | undefined, string | undefined, number | undefined][] = [
    ["-1", "100000", undefined],
    ["50000", "100000", 0.5],
    ["200000", "100000", 2],
    ["250000", "100000", 2.5],
    [undefined, "100000", undefined],
    ["100000", undefined, undefined],
    ["x", "y", undefined],
    ["100000", "0", undefined],
    ["0", "100000", undefined],
  ];
  for (const [q, p, want] of cfs) {
    test(`parseCfs(${String(q)}, ${String(p)}) -> ${String(want)}`, () => assert.equal(parseCfs(q, p), want));
  }

  describe("cgroupCpuLimit(root) on a fake cgroup filesystem", () => {
    // [name, files under the fake root, this process's cgroup v2 path, expected limit]
    const rows: [string, Record<string, string>, number | undefined, string?][] = [
      ["v2 limited", { "cpu.max": "150000 100000\n" }, 1.5],
      ["v2 nested: the process's own cgroup", { "cpu.max": "max 100000\n", "a/b/cpu.max": "300000 100000\n" }, 3, "/a/b"],
      ["v2 nested: the tightest limit on the path wins", {
        "cpu.max": "max 100000\n",
        "a/cpu.max": "200000 100000\n",
        "a/b/cpu.max": "300000 100000\n",
      }, 2, "/a/b"],
      ["v2 nested: a limit outside the path is ignored", { "x/cpu.max": "50000 100000\n" }, undefined, "/a/b"],
      ["v2 nested: a limit at the root applies", { "cpu.max": "50000 100000\n", "a/b/cpu.max": "max 100000\n" }, 0.5, "/a/b"],
      ["v2 unlimited", { "cpu.max": "max 100000\n" }, undefined],
      ["v1 cpu/", { "cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n" }, 2],
      ["v1 cpu/ unlimited", { "cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n" }, undefined],
      ["v1 cpu,cpuacct/", { "cpu,cpuacct/cpu.cfs_quota_us": "50000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n" }, 0.5],
      ["v1 quota without period", { "cpu/cpu.cfs_quota_us": "50000\n" }, undefined],
      ["no files", {}, undefined],
    ];
    for (const [name, files, want, ownPath] of rows) {
      test(name, () => {
        const root = mkdtempSync(join(tmpdir(), "fake-cgroup-"));
        try {
          for (const [rel, text] of Object.entries(files)) {
            mkdirSync(dirname(join(root, rel)), { recursive: true });
            writeFileSync(join(root, rel), text);
          }
          // A fake /proc/self/cgroup: v1 controller lines first, then the unified "0::" line.
          const procSelf = join(root, "proc-self-cgroup");
          writeFileSync(procSelf, `12:cpu,cpuacct:/ignored\n0::${ownPath ?? "/"}\n`);
          assert.equal(cgroupCpuLimit(root, procSelf), want);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }

    test("a root that does not exist means unlimited", () => {
      const missing = join(tmpdir(), "no-such-cgroup-root-" + process.pid);
      assert.equal(cgroupCpuLimit(missing, join(missing, "cgroup")), undefined);
    });
  });
});

describe("GOMAXPROCS environment override (subprocess)", () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "gomaxprocs.js");
  function run(env: string | undefined): { gomaxprocs: number; computed: number } {
    const e = { ...process.env };
    delete e["GOMAXPROCS"];
    if (env !== undefined) e["GOMAXPROCS"] = env;
    return JSON.parse(execFileSync(process.execPath, [fixture], { env: e, encoding: "utf8" })) as {
      gomaxprocs: number;
      computed: number;
    };
  }

  test("unset: the computed rule", () => {
    const r = run(undefined);
    assert.equal(r.gomaxprocs, r.computed);
    assert.ok(r.gomaxprocs >= 1);
  });

  const rows: [string, number | "computed"][] = [
    ["3", 3],
    ["1", 1],
    ["128", 128],
    ["0", "computed"],
    ["-2", "computed"],
    ["abc", "computed"],
    ["", "computed"],
    ["2.5", "computed"],
  ];
  for (const [env, want] of rows) {
    test(`GOMAXPROCS=${JSON.stringify(env)} -> ${want}`, () => {
      const r = run(env);
      assert.equal(r.gomaxprocs, want === "computed" ? r.computed : want);
    });
  }

  test("in this process it agrees with the rule when GOMAXPROCS is unset", (t) => {
    if (process.env["GOMAXPROCS"] !== undefined) return t.skip("GOMAXPROCS is set");
    assert.equal(runtime.gomaxprocs(), runtime.computeGomaxprocs(runtime.numCPU(), cgroupCpuLimit()));
  });
});
