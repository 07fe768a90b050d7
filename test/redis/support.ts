// Shared by the Redis tests: a client per test on the shared server, with a random key prefix.
import { randomBytes } from "node:crypto";
import { type ChildProcess, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer } from "node:net";
import { after, before } from "node:test";
import { Redis } from "ioredis";

/** A random prefix for one test's keys (the shared server is used by other helpers' tests too). */
export function prefix(): string {
  return `t:${randomBytes(6).toString("hex")}:`;
}

/** Deletes every key under `p` (never FLUSHDB on the shared server). */
export async function cleanup(client: Redis, p: string): Promise<void> {
  const keys = await client.keys(`${p}*`);
  const tagged = await client.keys(`{${p}*`);
  const all = [...keys, ...tagged];
  if (all.length > 0) await client.del(...all);
}

/**
 * `n` clients of the server at `url` for the enclosing describe block: connected before its tests, and
 * after them the keys under `keys` are deleted and every client disconnected. Read them inside tests.
 */
export function clients(url: string | undefined, n: number, keys: string): Redis[] {
  const cs: Redis[] = [];
  before(() => {
    for (let i = 0; i < n; i++) cs.push(new Redis(url!));
  });
  after(async () => {
    const [first] = cs;
    if (first !== undefined) await cleanup(first, keys);
    for (const c of cs) c.disconnect();
  });
  return cs;
}

/** Starts `node <fixture> ...args`, collecting stdout lines; `line(re)` resolves at the first match. */
export function child(fixture: string, args: string[]): {
  p: ChildProcessWithoutNullStreams;
  lines: string[];
  line: (re: RegExp) => Promise<string>;
  exit: Promise<number | null>;
} {
  const p = spawn(process.execPath, [fixture, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = "";
  let err = "";
  p.stdout.setEncoding("utf8");
  p.stdout.on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(l);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(l)) {
          waiters[i].resolve(l);
          waiters.splice(i, 1);
        }
      }
    }
  });
  p.stderr.setEncoding("utf8");
  p.stderr.on("data", (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) =>
    p.on("exit", (code) => {
      if (code !== 0 && code !== null && err !== "") process.stderr.write(`${fixture}: ${err}\n`);
      resolve(code);
    }),
  );
  return {
    p,
    lines,
    line: (re) => {
      const hit = lines.find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ re, resolve })),
        exit.then((code) => Promise.reject(new Error(`${fixture} exited (${String(code)}) before ${re}: ${err}`))),
      ]);
    },
    exit,
  };
}

/** A free loopback port for a private redis-server. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a private redis-server (no persistence) on `port` and resolves when it accepts connections. */
export async function startServer(port: number): Promise<ChildProcess> {
  const p = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) resolve();
    });
    p.on("exit", (c) => reject(new Error(`redis-server exited ${String(c)}`)));
  });
  return p;
}

