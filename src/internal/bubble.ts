/**
 * synctest bubbles: a set of goroutines with a fake clock that advances only when every goroutine of the
 * bubble is durably blocked (Go's testing/synctest).
 *
 * Invariants:
 * - `members` holds the bubble's live goroutines; `durable` counts those parked durably (`park` with
 *   durable = true) and is kept exact by the scheduler's onDurable/onExit hooks, all synchronous.
 * - The bubble is idle iff `durable === members.size` and no real async resource started inside it
 *   (timer, immediate, fs request, …) is still pending. Idleness is checked in a macrotask
 *   (`scheduleCheck`), i.e. after the microtask queue has drained, never in the middle of user code; the
 *   counters are exact at that moment, so the check is not a guess.
 * - When idle, in Go's order: run timers already due; else return a pending `wait()`; else, while the root
 *   goroutine runs, jump the clock to the next timer; else it is a deadlock.
 * - `clock.now` only moves forward, only in `check`, and never after the root goroutine has exited.
 * - Once `finished`, the bubble never touches its goroutines again: the survivors are abandoned (removed
 *   from the registry) so the process-exit deadlock check does not report them twice.
 */
import { createHook } from "node:async_hooks";
import { type Clock, type TimerHandle, MAX_TIME_MS, NeverTimer, realClock } from "./clock.js";
import * as gls from "./gls.js";
import { bubbleClosed, bubbleOpened } from "./livebubbles.js";
import {
  type BubbleHooks,
  type G,
  newG,
  abandon,
  currentG,
  dump,
  park,
  ready,
  runAs,
  runOutside,
  setBubblePanicRoute,
  wake,
} from "./scheduler.js";

/** Go's synctest epoch: 2000-01-01T00:00:00Z. */
export const EPOCH = Date.UTC(2000, 0, 1);

/**
 * DeadlockError is how a synctest bubble fails when its goroutines can never make progress. The message
 * starts with Go's wording and carries a dump of every blocked goroutine of the bubble.
 */
export class DeadlockError extends Error {
  override readonly name = "DeadlockError";
}

class FakeTimer implements TimerHandle {
  cancelled = false;
  fired = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
    readonly bubble: Bubble,
  ) {}
  clear(): boolean {
    if (this.fired || this.cancelled) return false;
    this.cancelled = true;
    this.bubble.liveTimers--;
    return true;
  }
  setRef(): void {
    // Fake timers hold no Node handle: the bubble decides when they fire.
  }
}

/** A binary min-heap of timers ordered by (at, seq). */
class TimerHeap {
  private h: FakeTimer[] = [];
  get size(): number {
    return this.h.length;
  }
  peek(): FakeTimer | undefined {
    return this.h[0];
  }
  push(t: FakeTimer): void {
    const h = this.h;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): FakeTimer | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
function less(a: FakeTimer, b: FakeTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

let nextBubbleId = 1;

/**
 * Async resource types that are not "work in flight": promises (tracked through goroutine states) and
 * process-lifetime infrastructure that Node creates on first use and never closes (the DNS resolver
 * channel, signal watchers, stdio ttys).
 */
const IGNORED_RESOURCES = new Set(["PROMISE", "DNSCHANNEL", "SIGNALWRAP", "TTYWRAP"]);
/** Resources whose callbacks run before the microtask queue drains: carried, but not counted in flight. */
const NOT_COUNTED = new Set(["Microtask"]);
/** One-shot resources whose callback, once run, ends them. */
const ONE_SHOT = new Set(["TickObject", "Immediate", "FSREQCALLBACK", "FSREQPROMISE", "GETADDRINFOREQWRAP", "QUERYWRAP", "WRITEWRAP", "SHUTDOWNWRAP", "TCPCONNECTWRAP", "PIPECONNECTWRAP", "STATWATCHER"]);

interface Tracked {
  bubble: Bubble;
  /** The goroutine that started it: its callbacks run as that goroutine. */
  g: G;
  resource: { _destroyed?: boolean; _repeat?: unknown } | undefined;
  type: string;
  counted: boolean;
}
/**
 * Resources started inside a bubble, by async id. While any bubble is active this hook (1) counts them as
 * work in flight, so the bubble is not idle until they end, and (2) runs their callbacks as the goroutine
 * that started them, so a real timer's callback may use the bubble's channels. (With the
 * AsyncLocalStorage backend Node carries the goroutine itself, and `enter` does nothing.)
 */
const tracked = new Map<number, Tracked>();
const entered: unknown[] = [];
const resourceHook = createHook({
  init(asyncId, type, _trigger, resource: Tracked["resource"]) {
    if (IGNORED_RESOURCES.has(type)) return;
    const g = currentG();
    const b = g.bubble;
    if (!(b instanceof Bubble) || b.finished) return;
    const counted = !NOT_COUNTED.has(type);
    tracked.set(asyncId, { bubble: b, g, resource, type, counted });
    if (counted) b.inflight++;
  },
  before(asyncId) {
    const t = tracked.get(asyncId);
    entered.push(t === undefined ? undefined : gls.enter(t.g));
  },
  after(asyncId) {
    const prev = entered.pop();
    const t = tracked.get(asyncId);
    if (t === undefined) return;
    gls.leave(prev);
    const timerDone = t.type === "Timeout" && (t.resource?._repeat === null || t.resource?._repeat === undefined);
    if (ONE_SHOT.has(t.type) || NOT_COUNTED.has(t.type) || timerDone) untrack(asyncId, t);
  },
  destroy(asyncId) {
    // Handles (sockets, servers, watchers) end here, when closed. Node emits destroy asynchronously,
    // so a bubble waits a turn longer for them; that is the price of knowing they are gone.
    const t = tracked.get(asyncId);
    if (t !== undefined) untrack(asyncId, t);
  },
});

function untrack(asyncId: number, t: Tracked): void {
  tracked.delete(asyncId);
  if (!t.counted) return;
  t.bubble.inflight--;
  t.bubble.scheduleCheck();
}

/** Drops tracked resources of `b` that ended without a callback (cleared timers and immediates). */
function pruneResources(b: Bubble): void {
  if (b.inflight === 0) return;
  for (const [id, t] of tracked) {
    if (t.bubble === b && t.resource !== undefined && t.resource._destroyed === true) {
      tracked.delete(id);
      if (t.counted) b.inflight--;
    }
  }
}

setBubblePanicRoute((g, err) => {
  const b = g.bubble;
  if (!(b instanceof Bubble)) return false;
  if (!b.finished) b.fail(err);
  return true;
});

/** A synctest bubble. */
export class Bubble implements BubbleHooks, Clock {
  readonly id = nextBubbleId++;
  readonly clock: Clock = this;
  readonly members = new Set<G>();
  durable = 0;
  inflight = 0;
  liveTimers = 0;
  finished = false;
  rootAlive = true;
  /** A goroutine blocked in wait(), if any. */
  waiter: { g: G; resolve: () => void } | undefined;
  /** A pseudo-goroutine to run timer callbacks inside the bubble; never registered. */
  readonly system: G;
  private nowMs = EPOCH;
  private seq = 0;
  private readonly timers = new TimerHeap();
  private checkScheduled = false;

  constructor(
    private readonly onDone: (err: unknown) => void,
  ) {
    this.system = newG(0, undefined, 0, -1, this);
    if (bubbleOpened() === 1) resourceHook.enable();
  }

  // ---- Clock -------------------------------------------------------------------------------------------

  now(): number {
    return this.nowMs;
  }

  setTimer(at: number, fn: () => void): TimerHandle {
    // Beyond any Date (Infinity included): never. Virtual time must not jump there; with nothing else
    // pending the bubble is deadlocked instead.
    if (!(at <= MAX_TIME_MS)) return new NeverTimer();
    const t = new FakeTimer(Math.max(at, this.nowMs), this.seq++, fn, this);
    if (this.finished) {
      t.cancelled = true; // a finished bubble's timers never fire
      return t;
    }
    this.timers.push(t);
    this.liveTimers++;
    if (t.at <= this.nowMs) this.scheduleCheck();
    return t;
  }

  // ---- scheduler hooks ---------------------------------------------------------------------------------

  onStart(g: G): void {
    this.members.add(g);
  }

  onExit(g: G): void {
    if (!this.members.delete(g)) return;
    if (this.finished) return;
    if (this.members.size === 0 && !this.rootAlive) {
      this.finish(undefined);
      return;
    }
    this.scheduleCheck();
  }

  onDurable(_g: G, on: boolean): void {
    if (this.finished) return;
    if (!on) {
      this.durable--;
      return;
    }
    if (++this.durable === this.members.size) this.scheduleCheck();
  }

  // ---- idleness ----------------------------------------------------------------------------------------

  /** Queues an idle check after the microtask queue drains (outside the bubble, so it is not counted). */
  scheduleCheck(): void {
    if (this.checkScheduled || this.finished) return;
    this.checkScheduled = true;
    runOutside(() => setImmediate(() => this.check()));
  }

  private recheckTimer: TimerHandle | undefined;

  /**
   * Every goroutine is durably blocked and only real resources (a socket, a timer, a file read) keep the
   * bubble from idling. Their ends usually arrive as callbacks that re-check, but a closed handle's
   * destroy is emitted from an unref'd immediate: without a reason to stay alive the event loop could
   * drain first. So the bubble keeps the loop alive and looks again each millisecond until it idles.
   */
  private recheckSoon(): void {
    if (this.recheckTimer !== undefined) return;
    this.recheckTimer = runOutside(() =>
      realClock.setTimer(realClock.now() + 1, () => {
        this.recheckTimer = undefined;
        this.scheduleCheck();
      }),
    );
  }

  private idle(): boolean {
    pruneResources(this);
    return this.durable === this.members.size && this.inflight === 0;
  }

  private check(): void {
    this.checkScheduled = false;
    if (this.finished) return;
    // Timers already due fire whether or not the bubble is idle, as Go's do.
    if (this.fireDue()) {
      this.scheduleCheck();
      return;
    }
    if (!this.idle()) {
      if (this.durable === this.members.size) this.recheckSoon();
      return;
    }
    if (this.waiter !== undefined) {
      const w = this.waiter;
      this.waiter = undefined;
      ready(w.g, true);
      wake(w.resolve);
      return;
    }
    if (this.rootAlive) {
      const next = this.nextTimer();
      if (next !== undefined) {
        this.nowMs = next.at;
        this.fireDue();
        this.scheduleCheck();
        return;
      }
      this.fail(new DeadlockError(`deadlock: all goroutines in bubble are blocked\n\n${this.dump()}`));
      return;
    }
    this.fail(
      new DeadlockError(`deadlock: main bubble goroutine has exited but blocked goroutines remain\n\n${this.dump()}`),
    );
  }

  private nextTimer(): FakeTimer | undefined {
    let t = this.timers.peek();
    while (t !== undefined && t.cancelled) {
      this.timers.pop();
      t = this.timers.peek();
    }
    return t;
  }

  /** Fires every timer due at the current time, in (at, seq) order; returns whether any fired. */
  private fireDue(): boolean {
    let any = false;
    for (;;) {
      const t = this.nextTimer();
      if (t === undefined || t.at > this.nowMs) return any;
      this.timers.pop();
      t.fired = true;
      this.liveTimers--;
      any = true;
      runAs(this.system, t.fn);
      if (this.finished) return true;
    }
  }

  /** The dump of the bubble's goroutines. */
  dump(): string {
    return dump((g) => g.bubble === this);
  }

  // ---- ending ------------------------------------------------------------------------------------------

  /** The root goroutine (fn, context cancel, cleanups) has returned. */
  rootExited(err: unknown, failed: boolean): void {
    this.rootAlive = false;
    if (this.finished) return;
    if (failed) {
      this.fail(err);
      return;
    }
    if (this.members.size === 0) this.finish(undefined);
    else this.scheduleCheck();
  }

  fail(err: unknown): void {
    this.finish(err === undefined ? new Error("synctest: bubble failed") : err);
  }

  private finish(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.recheckTimer?.clear();
    for (const g of this.members) abandon(g);
    this.members.clear();
    for (const [id, t] of tracked) if (t.bubble === this) tracked.delete(id);
    if (bubbleClosed() === 0) resourceHook.disable();
    this.onDone(err);
  }

  // ---- wait --------------------------------------------------------------------------------------------

  /** synctest.wait for goroutine `g` of this bubble. */
  wait(g: G): Promise<void> {
    if (this.waiter !== undefined) throw new Error("wait already in progress");
    return new Promise<void>((resolve) => {
      this.waiter = { g, resolve };
      park(g, "synctest.Wait", true);
    });
  }
}
