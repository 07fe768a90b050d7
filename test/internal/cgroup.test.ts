// cgroup v2 nesting: the tightest cpu.max from the process's own cgroup up to the root wins.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupCpuLimit, cgroupV2Path } from "../../src/internal/cgroup.js";

test("cgroupV2Path reads the 0:: line of /proc/self/cgroup", () => {
  assert.equal(cgroupV2Path("0::/kubepods/pod1/ctr\n"), "/kubepods/pod1/ctr");
  assert.equal(cgroupV2Path("1:cpu:/\n0::/\n"), "/");
  assert.equal(cgroupV2Path("4:memory:/x\n"), "/");
  assert.equal(cgroupV2Path(undefined), "/");
});

const cases: [string, Record<string, string>, number | undefined][] = [
  ["quota only in the process's own cgroup", { "a/b/cpu.max": "250000 100000" }, 2.5],
  ["parent tighter than child", { "a/cpu.max": "100000 100000", "a/b/cpu.max": "300000 100000" }, 1],
  ["child tighter than root", { "cpu.max": "400000 100000", "a/b/cpu.max": "50000 100000" }, 0.5],
  ["unlimited everywhere", { "cpu.max": "max 100000", "a/b/cpu.max": "max 100000" }, undefined],
];
for (const [name, files, want] of cases) {
  test(`cgroupCpuLimit: ${name}`, () => {
    const root = mkdtempSync(join(tmpdir(), "cg-"));
    try {
      mkdirSync(join(root, "a/b"), { recursive: true });
      for (const [rel, text] of Object.entries(files)) writeFileSync(join(root, rel), text);
      const self = join(root, "self-cgroup");
      writeFileSync(self, "0::/a/b\n");
      assert.equal(cgroupCpuLimit(root, self), want);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
