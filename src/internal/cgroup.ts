/**
 * Reads the cgroup CPU quota, for GOMAXPROCS (Go 1.25's rule: limit = quota / period, rounded up later).
 * cgroup v2: `/sys/fs/cgroup/cpu.max` holds "max 100000" or "<quota> <period>".
 * cgroup v1: `cpu.cfs_quota_us` (-1 = unlimited) and `cpu.cfs_period_us`.
 */
import { readFileSync } from "node:fs";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Parses cgroup v2 `cpu.max`; undefined when unlimited or malformed. */
export function parseCpuMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [q, p] = text.split(/\s+/);
  if (q === undefined || q === "max") return undefined;
  const quota = Number(q);
  const period = p === undefined ? 100000 : Number(p);
  if (!(quota > 0) || !(period > 0)) return undefined;
  return quota / period;
}

/** Parses cgroup v1 quota and period; undefined when unlimited or malformed. */
export function parseCfs(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined) return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (!(q > 0) || !(p > 0)) return undefined;
  return q / p;
}

/** The cgroup v2 path of this process ("/" when unknown), from /proc/self/cgroup's "0::<path>" line. */
export function cgroupV2Path(procSelfCgroup: string | undefined): string {
  const line = procSelfCgroup?.split("\n").find((l) => l.startsWith("0::"));
  const path = line?.slice(3).trim();
  return path === undefined || path === "" ? "/" : path;
}

/**
 * The CPU limit of this process's cgroup in CPUs (possibly fractional), or undefined when unlimited.
 * cgroup v2: the smallest `cpu.max` limit from the process's own cgroup up to the root, as Go takes the
 * tightest quota on the path; cgroup v1: the `cpu` (or `cpu,cpuacct`) controller's quota and period.
 */
export function cgroupCpuLimit(root = "/sys/fs/cgroup", procSelf = "/proc/self/cgroup"): number | undefined {
  let limit: number | undefined;
  const parts = cgroupV2Path(read(procSelf)).split("/").filter((p) => p !== "");
  for (let i = parts.length; i >= 0; i--) {
    const dir = parts.slice(0, i).join("/");
    const l = parseCpuMax(read(dir === "" ? `${root}/cpu.max` : `${root}/${dir}/cpu.max`));
    if (l !== undefined && (limit === undefined || l < limit)) limit = l;
  }
  return (
    limit ??
    parseCfs(read(`${root}/cpu/cpu.cfs_quota_us`), read(`${root}/cpu/cpu.cfs_period_us`)) ??
    parseCfs(read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`), read(`${root}/cpu,cpuacct/cpu.cfs_period_us`))
  );
}
