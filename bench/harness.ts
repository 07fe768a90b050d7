// Shared by the benchmarks: `--name=value` options, the `--only=a,b` filter, and timing one batch.

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

/** Runs `n` operations of one workload; resolves when all are done. */
export type Run = (n: number) => Promise<void>;

/** Nanoseconds one batch of `n` operations takes, after `before()` (e.g. a forced GC, or nothing). */
export async function timed(run: Run, n: number, before: () => void): Promise<number> {
  before();
  const t0 = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - t0);
}
