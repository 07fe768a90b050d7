/**
 * Worker pool: a fixed number of workers take jobs from one channel and send results to another.
 *
 * The shape is Go's classic:
 *   jobs    — an unbuffered channel the dispatcher sends on and closes when there is no more work;
 *   workers — each loops `for await (const job of jobs)`, so it stops once `jobs` is closed and drained;
 *   results — the workers' output, closed once the LAST worker has finished: a `sync.WaitGroup` join
 *             (Go 1.25's `wg.Go`), which in turn ends main's own `for await` loop over the results.
 *
 *   node dist/examples/worker-pool.js
 */
import { go, Chan, sync } from "../src/index.js";
import { isMain } from "./util.js";

interface Result {
  job: number;
  worker: number;
  value: number;
}

/** Some CPU work for a job: the number of primes below job * 1000. */
function countPrimes(limit: number): number {
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let i = 2; i < limit; i++) {
    if (composite[i] === 1) continue;
    count++;
    for (let j = i * i; j < limit; j += i) composite[j] = 1;
  }
  return count;
}

/** A worker: takes jobs until the channel is closed and drained, and reports each result. */
async function worker(id: number, jobs: Chan<number>, results: Chan<Result>): Promise<void> {
  for await (const job of jobs) {
    const value = countPrimes(job * 1000);
    await results.send({ job, worker: id, value });
  }
  console.log(`  worker ${id}: jobs channel closed, exiting`);
}

export async function main(): Promise<void> {
  const numWorkers = 3;
  const numJobs = 9;
  const jobs = new Chan<number>();
  const results = new Chan<Result>(numJobs);

  // wg.go(fn) is add(1) + go(fn) + done() when fn's promise settles.
  const wg = new sync.WaitGroup();
  for (let w = 1; w <= numWorkers; w++) wg.go(() => worker(w, jobs, results));

  // The closer: once every worker has returned, nothing will send on `results` again, so close it.
  go(async () => {
    await wg.wait();
    results.close();
  });

  // The dispatcher: its own goroutine, so main can start collecting results at once.
  go(async () => {
    for (let j = 1; j <= numJobs; j++) await jobs.send(j);
    jobs.close(); // "no more work": every worker's for-await ends after the last job
  });

  let total = 0;
  for await (const r of results) {
    console.log(`  job ${r.job} done by worker ${r.worker}: ${r.value} primes below ${r.job * 1000}`);
    total += r.value;
  }
  console.log(`  all ${numJobs} jobs done by ${numWorkers} workers; results channel closed; total = ${total}`);
}

if (isMain(import.meta.url)) await main();
