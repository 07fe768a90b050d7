// synctest under the other goroutine-identity backend: its bubbles rely on the backend carrying the
// goroutine through awaits and (natively) on its async hooks for timer and I/O callbacks, so it runs again
// with AsyncLocalStorage, which users without the addon (or on Node 24+) get.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mode } from "../../src/internal/gls.js";

test("the synctest and sync suites pass under the AsyncLocalStorage backend", (t) => {
  if (mode !== "native") return t.skip("this process already uses AsyncLocalStorage");
  const dir = (d: string): string => fileURLToPath(new URL(`../${d}/`, import.meta.url));
  const r = spawnSync(process.execPath, ["--test", "--test-reporter=dot", dir("synctest"), dir("sync")], {
    env: { ...process.env, GOROUTINE_CONTEXT: "als" },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
