/**
 * Runs every `@example` of the sync, semaphore, errgroup and singleflight sources, and checks each
 * `console.log(...); // expected` line against what it printed (strings JSON-quoted, whitespace ignored).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url)); // dist/test/sync
const repo = join(here, "..", "..", "..");
const dist = join(repo, "dist", "src");
const dirs = ["sync", "semaphore", "errgroup", "singleflight"];

interface Example {
  file: string;
  index: number;
  code: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const d of dirs) {
    for (const f of readdirSync(join(repo, "src", d))) {
      if (!f.endsWith(".ts")) continue;
      const text = readFileSync(join(repo, "src", d, f), "utf8");
      const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
      let m: RegExpExecArray | null;
      let i = 0;
      while ((m = re.exec(text)) !== null) {
        const code = m[1]
          .split("\n")
          .map((l) => l.replace(/^\s*\* ?/, ""))
          .join("\n");
        out.push({ file: `src/${d}/${f}`, index: i++, code });
      }
    }
  }
  return out;
}

function rewriteImports(code: string): string {
  return code.replace(/from "goroutine(?:\/([a-z]+))?"/g, (_m, sub: string | undefined) => {
    const target = sub === undefined ? join(dist, "index.js") : join(dist, sub, "index.js");
    return `from ${JSON.stringify(pathToFileURL(target).href)}`;
  });
}

function expectedLines(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split("\n")) {
    const m = /console\.log\(.*\/\/ (.*)$/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

function fmt(v: unknown): string {
  if (v === undefined) return "undefined";
  return JSON.stringify(v) ?? typeof v;
}
const squash = (s: string): string => s.replace(/\s+/g, "");

const all = examples();

test("every exported primitive has runnable examples", () => {
  assert.ok(all.length >= 20, `found ${all.length} examples`);
});

const work = mkdtempSync(join(tmpdir(), "goroutine-doc-"));
let n = 0;
for (const ex of all) {
  test(`${ex.file} example #${ex.index + 1} runs and prints what it says`, async () => {
    const js = ts.transpileModule(rewriteImports(ex.code), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = join(work, `ex${n++}.mjs`);
    writeFileSync(file, js);
    const printed: string[] = [];
    const orig = console.log;
    console.log = (...args: unknown[]) => printed.push(args.map(fmt).join(" "));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      console.log = orig;
    }
    const want = expectedLines(ex.code);
    assert.equal(printed.length, want.length, `printed ${JSON.stringify(printed)}`);
    for (let i = 0; i < want.length; i++) assert.equal(squash(printed[i]), squash(want[i]), ex.code);
  });
}

test("cleanup", () => rmSync(work, { recursive: true, force: true }));
