// Real components for integration tests: Redis (standalone and cluster), headless Chromium, and Go's toolchain.
// `.ci/run` installs and starts them (`bash .ci/services start`); in CI a missing one fails the test, on a
// developer machine the test is skipped with a line that says what to install and start.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const inCI = process.env.CI === "true" || process.env.CI === "1";

/** What a test that needs a component does when it is missing: the reason to skip, or a thrown error in CI. */
function missing(what: string, how: string): string {
  const msg = `${what} is not available: ${how}`;
  if (inCI) throw new Error(`${msg} (CI must provide it: .ci/run starts it through .ci/services)`);
  return msg;
}

/** The standalone Redis URL, or a skip reason (`{ skip }` for node:test's options). */
export function redisUrl(): { url: string; skip?: undefined } | { url?: undefined; skip: string } {
  const url = process.env.REDIS_URL;
  if (url) return { url };
  return {
    skip: missing(
      "Redis",
      "set REDIS_URL, e.g. `apt-get install redis-server && source <(bash .ci/services start)`",
    ),
  };
}

/** The Redis Cluster seed nodes as `{ host, port }`, or a skip reason. */
export function redisCluster():
  | { nodes: { host: string; port: number }[]; skip?: undefined }
  | { nodes?: undefined; skip: string } {
  const raw = process.env.REDIS_CLUSTER_NODES;
  if (raw) {
    const nodes = raw.split(",").map((hp) => {
      const [host, port] = hp.split(":");
      return { host: host ?? "127.0.0.1", port: Number(port) };
    });
    return { nodes };
  }
  return { skip: missing("Redis Cluster", "set REDIS_CLUSTER_NODES, e.g. `source <(bash .ci/services start)`") };
}

/** The path of a Chromium binary, or a skip reason. */
export function chromiumPath(): { path: string; skip?: undefined } | { path?: undefined; skip: string } {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(path)) return { path };
  return { skip: missing("Chromium", "`apt-get install chromium` (or set CHROMIUM_PATH)") };
}

/** Launch flags for headless Chromium on a machine with no outside network. */
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The `go` binary (for `go tool pprof`), or a skip reason. */
export function goBinary(): { go: string; skip?: undefined } | { go?: undefined; skip: string } {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return { go: "go" };
  } catch {
    return { skip: missing("Go", "`apt-get install golang-go` (for `go tool pprof`)") };
  }
}
