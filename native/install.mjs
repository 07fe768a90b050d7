// npm's install step for goroutine (package.json "install"). The package ships the native context addon
// prebuilt for the Node lines CI tests (prebuilds/<platform>-<arch>/node.abi<ABI>.node, node-gyp-build's
// layout); when one matches the running Node and loads, there is nothing to do and no toolchain is needed.
// Otherwise it builds from native/goroutine_context.cc with node-gyp (a C++ toolchain and the Node headers
// needed); if that fails too, the library runs on AsyncLocalStorage (slower on Node 20 and 22), and the
// install still succeeds. Set GOROUTINE_BUILD_FROM_SOURCE=1 to build even when a prebuilt binary matches.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prebuilt = join(root, "prebuilds", `${process.platform}-${process.arch}`, `node.abi${process.versions.modules}.node`);

function loads(file) {
  try {
    const m = createRequire(import.meta.url)(file);
    return typeof m.get === "function" && typeof m.set === "function";
  } catch {
    return false;
  }
}

if (process.env.GOROUTINE_BUILD_FROM_SOURCE !== "1" && existsSync(prebuilt) && loads(prebuilt)) {
  process.exit(0);
}
// npm puts its bundled node-gyp on PATH for install scripts.
const r = spawnSync("node-gyp", ["rebuild"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
if (r.status !== 0) {
  console.warn(
    `goroutine: no prebuilt native addon for node ${process.version} (ABI ${process.versions.modules}, ` +
      `${process.platform}-${process.arch}) and node-gyp could not build one; using AsyncLocalStorage (slower)`,
  );
}
