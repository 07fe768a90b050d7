/**
 * Deadlock detection across threads. A thread whose goroutines wait on other threads keeps the process
 * alive (futex.ts), so the single-thread check at 'beforeExit' never runs. Instead, while the main thread
 * has such a wait pending, a watchdog asks every thread of every live runtime, once a second, whether it
 * is quiet:
 * - every goroutine is parked on one of this library's primitives (none running or runnable), and
 * - nothing else can wake one: no timer, socket, file request or child process is active (only message
 *   ports, which the runtime itself uses, and stdio), and a worker's scheduling loop waits for work.
 * If every thread is quiet twice in a row and no cross-thread notification or task completion happened
 * in between (the shared progress word did not move), nothing can ever wake anyone: the process prints
 * Go's deadlock report with the dump of every thread and exits with code 2.
 *
 * Conservative by construction: a goroutine awaiting a promise of some other library counts as running,
 * and any active resource counts as a possible waker, so a quiet verdict is never reached while work
 * could still happen; a thread that does not answer within the second (a long computation) is busy.
 */
import { W_PROGRESS, heap } from "./heap.js";
import { WAITING, allGoroutines, crash, dump } from "../scheduler.js";
import { realClock } from "../clock.js";

/** Resolves after `ms` of real time without keeping the process alive. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => realClock.setTimer(realClock.now() + ms, r).setRef(false));
}


const IGNORED = new Set(["MessagePort", "TTYWrap", "PipeWrap", "Worker"]);

/** Whether this thread is quiet (see above); `loopIdle`: a worker's loop is waiting for work. */
export function threadQuiet(loopIdle: boolean, skipMain: boolean): boolean {
  if (!loopIdle) return false;
  for (const g of allGoroutines()) {
    if (skipMain && g.id === 1) continue;
    if (g.state !== WAITING) return false;
  }
  for (const r of process.getActiveResourcesInfo()) if (!IGNORED.has(r)) return false;
  return true;
}

/** One runtime as the watchdog sees it. */
export interface Probed {
  /** Asks each worker; resolves with their answers ("busy" when a worker did not answer in time). */
  probe(timeoutMs: number): Promise<{ quiet: boolean; dump: string }[]>;
}

const runtimes = new Set<Probed>();
let watching = false;
let pendingWaits = () => 0;

/** Registers a runtime with the watchdog (until it closes). */
export function watchRuntime(r: Probed, waits: () => number): void {
  runtimes.add(r);
  pendingWaits = waits;
}

export function unwatchRuntime(r: Probed): void {
  runtimes.delete(r);
}

/** Called when the main thread starts a cross-thread wait: starts the watchdog if needed. */
export function startWatchdog(): void {
  if (watching || runtimes.size === 0) return;
  watching = true;
  void watch();
}

async function watch(): Promise<void> {
  let quietRounds = 0;
  let last = -1;
  try {
    while (pendingWaits() > 0 && runtimes.size > 0) {
      await pause(1000);
      if (pendingWaits() === 0) break;
      const seen = Atomics.load(heap().i32, W_PROGRESS);
      let quiet = threadQuiet(true, false);
      const dumps: string[] = [];
      if (quiet) {
        for (const rt of runtimes) {
          const answers = await rt.probe(500);
          answers.forEach((a, i) => {
            if (!a.quiet) quiet = false;
            dumps.push(`worker ${i}:\n${a.dump}`);
          });
          if (!quiet) break;
        }
      }
      if (quiet && seen === Atomics.load(heap().i32, W_PROGRESS) && (quietRounds === 0 || seen === last)) {
        if (++quietRounds >= 2) {
          crash(`fatal error: all goroutines are asleep - deadlock!\n\n${dump()}\n${dumps.join("\n")}`);
        }
      } else quietRounds = 0;
      last = seen;
    }
  } finally {
    watching = false;
  }
}
