// The built declarations work for a consumer: test/consumer imports "goroutine" by name (through the
// package's "exports") and is type-checked with skipLibCheck off.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

test("a consumer type-checks against dist's declarations with skipLibCheck off", () => {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "test/consumer/tsconfig.json"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
