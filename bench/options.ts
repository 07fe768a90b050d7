// Command-line options shared by the benchmarks: `--name=value` flags and the `--only=a,b` filter.

/** The value of `--name=value`, or `fallback`. */
export function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  for (const a of process.argv.slice(2)) if (a.startsWith(prefix)) return a.slice(prefix.length);
  return fallback;
}

/** The workload ids (or prefixes) named by `--only=a,b`; empty means all. */
export const ONLY: readonly string[] = option("only", "")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "");

/** Samples per measurement: `--samples=N`, at least 3. */
export function samples(fallback: number): number {
  return Math.max(3, Number(option("samples", String(fallback))));
}
