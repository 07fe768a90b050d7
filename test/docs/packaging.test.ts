/**
 * What the published package promises about itself: `sideEffects` names exactly the modules that do
 * something when imported, the tarball holds what its source maps point at, the prebuilt native addon is
 * current and is what `npm install` uses (no node-gyp run when it matches), and every Node line CI runs is
 * inside `engines`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  sideEffects: string[] | boolean;
  engines: { node: string };
  files: string[];
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Top-level statements that run code at import: calls, ifs, loops, try blocks, top-level awaits. */
function importTimeEffects(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  return sf.statements
    .filter(
      (s) => ts.isExpressionStatement(s) || ts.isIfStatement(s) || ts.isTryStatement(s) || ts.isForStatement(s),
    )
    .map((s) => s.getText(sf).split("\n")[0]);
}

describe("packaging", () => {
  test("sideEffects lists exactly the modules with import-time effects", () => {
    const effectful = tsFiles(join(root, "src"))
      .filter((f) => importTimeEffects(f).length > 0)
      .map((f) => `./dist/${relative(root, f).replace(/\.ts$/, ".js")}`)
      .sort();
    assert.ok(Array.isArray(pkg.sideEffects), "sideEffects must be a list, not true/false");
    assert.deepEqual(
      [...pkg.sideEffects].sort(),
      effectful,
      "package.json sideEffects must name every module that runs code at import (a bundler drops the others)",
    );
  });

  test("the tarball holds the sources its source maps point at, and LICENSE and CHANGELOG", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const files = new Set((JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    for (const f of ["LICENSE", "CHANGELOG.md", "README.md", "binding.gyp", "native/goroutine_context.cc", "native/install.mjs"]) {
      assert.ok(files.has(f), `${f} is packed`);
    }
    assert.ok(![...files].some((f) => f.startsWith("test/") || f.startsWith("dist/test/")), "no tests packed");
    let maps = 0;
    for (const f of files) {
      if (!f.endsWith(".js.map")) continue;
      maps++;
      const map = JSON.parse(readFileSync(join(root, f), "utf8")) as { sources: string[] };
      for (const s of map.sources) {
        const target = join(dirname(f), s);
        assert.ok(files.has(target), `${f} points at ${target}, which is not packed`);
      }
    }
    assert.ok(maps > 0);
  });

  test("the prebuilt addons were built from the current native sources", () => {
    const recorded = readFileSync(join(root, "prebuilds", "SOURCES.sha256"), "utf8").trim().split("\n");
    for (const line of recorded) {
      const [hash, file] = line.split(/\s+/);
      const now = createHash("sha256").update(readFileSync(join(root, file))).digest("hex");
      assert.equal(now, hash, `${file} changed since the prebuilds were made: run \`npm run build:native\``);
    }
  });

  test("on linux-x64 a prebuilt addon matches this Node, and install uses it without running node-gyp", (t) => {
    if (`${process.platform}-${process.arch}` !== "linux-x64") return t.skip("prebuilds ship for linux-x64 only");
    const file = join(root, "prebuilds", "linux-x64", `node.abi${process.versions.modules}.node`);
    assert.ok(existsSync(file), `${relative(root, file)} ships for node ${process.version}`);
    // PATH holds only this node: had install.mjs tried node-gyp it would have failed and said so.
    const r = spawnSync(process.execPath, [join(root, "native", "install.mjs")], {
      cwd: root,
      env: { PATH: dirname(process.execPath) },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, "", "a matching prebuilt binary means nothing to build and nothing to say");
  });

  test("engines admits the running Node line", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const lines = pkg.engines.node.split("||").map((r) => Number(/\^(\d+)/.exec(r)?.[1]));
    assert.ok(lines.includes(major), `node ${process.version} is outside engines "${pkg.engines.node}"`);
  });
});
