/**
 * Weak timers: the real-clock timer behind a Timer or Ticker channel keeps the process alive only while
 * a goroutine is parked on that channel (a Timer goes further: it has no clock timer at all otherwise,
 * see time/timer.ts) (Go 1.23 keeps a channel timer in the runtime's heap only while
 * a goroutine is blocked on it, for the same reason). So a program exits at once after an abandoned
 * `time.after(time.Hour)` lost a select — Go exits when main returns; Node would wait an hour — while a
 * goroutine (or a test) that awaits a timer's channel keeps the process running until it fires.
 *
 * Invariants:
 * - A timer channel's receive queue is a {@link WatchedQ}: it reports when it gains its first parked
 *   receiver and when it loses its last one (whatever removes it: delivery, close, a select that
 *   completed elsewhere). The owner then refs or unrefs its current real timer.
 * - A newly armed timer starts in the state its channel's queue asks for: ref'd iff receivers are parked.
 * - sleep, afterFunc and context deadlines keep ordinary (ref'd) timers: someone always waits on a sleep,
 *   afterFunc runs code, and a context timer is released by its cancel function.
 * - Inside a synctest bubble the fake clock's timers have no Node handle and this is a no-op.
 *
 * Why here, in internal/ beside the clock seam (clock.ts's TimerHandle) and the channel engine: WatchedQ
 * extends the engine's WaitQ, so src/time builds on it and the engine never reaches up into src/time.
 */
import { type Sudog, WaitQ } from "./waitq.js";
import type { TimerHandle } from "./clock.js";

/** A receive queue that reports when it becomes non-empty and when it becomes empty again. */
export class WatchedQ extends WaitQ {
  constructor(private readonly onWaiters: (parked: boolean) => void) {
    super();
  }
  override push(sg: Sudog): void {
    super.push(sg);
    if (this.size === 1) this.onWaiters(true);
  }
  override remove(sg: Sudog): void {
    if (sg.list !== this) return;
    super.remove(sg);
    if (this.size === 0) this.onWaiters(false);
  }
}

/** Refs (keeps the process alive for) or unrefs a timer; a fake clock's timers ignore it. */
export function refTimer(h: TimerHandle | undefined, on: boolean): void {
  h?.setRef(on);
}
