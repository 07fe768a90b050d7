/**
 * Doc examples are tests: every `@example` block in the given sources is transpiled, run against the
 * built package, and each `console.log(...); // expected` line is checked against what it printed
 * (strings JSON-quoted, whitespace ignored).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const repo = fileURLToPath(new URL("../../../", import.meta.url)); // dist/test/docs -> repo root
const dist = join(repo, "dist", "src");

interface Example {
  file: string;
  index: number;
  code: string;
}

/** `sources`: files or directories under the repo (e.g. "src/time", "src/select.ts"). */
function examples(sources: string[]): Example[] {
  const files: string[] = [];
  for (const s of sources) {
    const abs = join(repo, s);
    if (statSync(abs).isDirectory()) {
      for (const f of readdirSync(abs)) if (f.endsWith(".ts")) files.push(`${s}/${f}`);
    } else files.push(s);
  }
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(join(repo, file), "utf8");
    const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
    let m: RegExpExecArray | null;
    let i = 0;
    while ((m = re.exec(text)) !== null) {
      const code = m[1]
        .split("\n")
        .map((l) => l.replace(/^\s*\* ?/, ""))
        .join("\n");
      out.push({ file, index: i++, code });
    }
  }
  return out;
}

function rewriteImports(code: string): string {
  // Other packages (an optional peer an example passes in, e.g. prom-client) resolve from the repo,
  // since the example runs from a temporary directory.
  code = code.replace(/from "((?:@[a-z0-9-]+\/)?[a-z0-9-]+)"/g, (m, pkg: string) =>
    pkg === "goroutine" || pkg.startsWith("node") ? m : `from ${JSON.stringify(import.meta.resolve(pkg))}`,
  );
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

/** Registers one test per example found in `sources`, plus one that at least `min` were found. */
export function docExampleSuite(name: string, sources: string[], min: number): void {
  const all = examples(sources);
  test(`${name}: every export has a runnable example (at least ${min})`, () => {
    assert.ok(all.length >= min, `found ${all.length} examples`);
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
  test(`${name}: cleanup`, () => rmSync(work, { recursive: true, force: true }));
}
