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

/** The CPU limit of this process's cgroup in CPUs (possibly fractional), or undefined when unlimited. */
export function cgroupCpuLimit(root = "/sys/fs/cgroup"): number | undefined {
  return (
    parseCpuMax(read(`${root}/cpu.max`)) ??
    parseCfs(read(`${root}/cpu/cpu.cfs_quota_us`), read(`${root}/cpu/cpu.cfs_period_us`)) ??
    parseCfs(read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`), read(`${root}/cpu,cpuacct/cpu.cfs_period_us`))
  );
}
