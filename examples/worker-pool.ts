/**
 * Worker pool, twice: by hand with channels and a WaitGroup, then with goroutine/pool.
 *
 * By hand (Go's classic shape):
 *   jobs    — an unbuffered channel the dispatcher sends on and closes when there is no more work;
 *   workers — each loops `for await (const job of jobs)`, so it stops once `jobs` is closed and drained;
 *   results — the workers' output, closed once the LAST worker has finished: a `sync.WaitGroup` join.
 * Five moving parts, and the classic bugs are one line away: forget `jobs.close()` and the workers wait
 * forever; close `results` before the last worker is done and it panics on send; let a worker throw and
 * its error is nobody's.
 *
 * With goroutine/pool (sourcegraph/conc's): `Pool.withResults<T>().withMaxGoroutines(3)`, `go` per job
 * (it blocks while 3 are busy, like the unbuffered jobs channel), and `wait` returns the results in
 * submission order and rejects with a job's error. `iter.map` is the same in one line.
 *
 *   node dist/examples/worker-pool.js
 */
import { go, Chan, sync } from "../src/index.js";
import { Pool, iter } from "../src/pool/index.js";
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

const numWorkers = 3;
const numJobs = 9;

/** By hand: a jobs channel, 3 workers, a results channel and a WaitGroup that closes it. */
async function byHand(): Promise<number> {
  const jobs = new Chan<number>();
  const results = new Chan<Result>(numJobs);

  // A worker takes jobs until the channel is closed and drained, and reports each result.
  const worker = async (id: number): Promise<void> => {
    for await (const job of jobs) await results.send({ job, worker: id, value: countPrimes(job * 1000) });
  };
  // wg.go(fn) is add(1) + go(fn) + done() when fn's promise settles.
  const wg = new sync.WaitGroup();
  for (let w = 1; w <= numWorkers; w++) wg.go(() => worker(w));

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
  return total;
}

/** The same with goroutine/pool: results in submission order, errors reach wait. */
async function withPool(): Promise<number> {
  const p = Pool.withResults<number>().withMaxGoroutines(numWorkers);
  for (let j = 1; j <= numJobs; j++) await p.go(() => countPrimes(j * 1000)); // blocks while 3 are busy
  const counts = await p.wait(); // counts[j - 1] is job j's, whatever order they finished in
  console.log(`  pool: ${counts.join(", ")}`);
  return counts.reduce((a, b) => a + b, 0);
}

export async function main(): Promise<void> {
  const a = await byHand();
  console.log(`  by hand: all ${numJobs} jobs done by ${numWorkers} workers; total = ${a}`);
  const b = await withPool();
  const c = (await iter.map([1, 2, 3, 4, 5, 6, 7, 8, 9], (j) => countPrimes(j * 1000), { maxGoroutines: 3 })).reduce((x, y) => x + y, 0);
  console.log(`  Pool.withResults total = ${b}; iter.map total = ${c}; same as by hand: ${a === b && b === c}`);
}

if (isMain(import.meta.url)) await main();
