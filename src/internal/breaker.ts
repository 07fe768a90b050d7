/**
 * The circuit breaker's state machine (sony/gobreaker v2): states, generations and the rolling window
 * of counts. The facades in src/breaker/ drive it: `before` when a request starts, `after` when it ends.
 *
 * Invariants:
 * - `generation` grows by one on every state change and on every closed-state interval expiry; a
 *   request that ends in a later generation than it started in is not counted (`after` drops it).
 * - `counts` (the window total) equals the sum of the buckets for the totals and requests; consecutive
 *   runs are kept on the total and trimmed as buckets fall out (gobreaker's `subtract`).
 * - `expiry` is 0 (Go's zero time) in half-open, in closed with no interval, and in closed with a
 *   rolling window (buckets roll instead of clearing); otherwise closed clears at it and open turns
 *   half-open once the clock is past it (strictly after, as Go's `Before`).
 * - Times are epoch milliseconds of the caller's clock (the bubble's fake clock inside synctest), read
 *   only when a transition could depend on them, so a closed breaker with no interval reads no clock.
 * - Single-threaded: every method runs to completion without awaiting, so the facades' calls are
 *   atomic (Go's mutex). The distributed breaker relies on this between inject and extract.
 */
import { clockOf } from "./clock.js";

export const CLOSED = 0;
export const HALF_OPEN = 1;
export const OPEN = 2;
export type StateNum = typeof CLOSED | typeof HALF_OPEN | typeof OPEN;

/** One window's (or bucket's) numbers; gobreaker's Counts. */
export class Tally {
  requests = 0;
  totalSuccesses = 0;
  totalFailures = 0;
  totalExclusions = 0;
  consecutiveSuccesses = 0;
  consecutiveFailures = 0;

  clear(): void {
    this.requests = this.totalSuccesses = this.totalFailures = this.totalExclusions = 0;
    this.consecutiveSuccesses = this.consecutiveFailures = 0;
  }
  onSuccess(): void {
    this.totalSuccesses++;
    this.consecutiveSuccesses++;
    this.consecutiveFailures = 0;
  }
  onFailure(): void {
    this.totalFailures++;
    this.consecutiveFailures++;
    this.consecutiveSuccesses = 0;
  }
  validRequests(): number {
    return this.requests < this.totalExclusions ? 0 : this.requests - this.totalExclusions;
  }
  copyFrom(o: Tally): void {
    this.requests = o.requests;
    this.totalSuccesses = o.totalSuccesses;
    this.totalFailures = o.totalFailures;
    this.totalExclusions = o.totalExclusions;
    this.consecutiveSuccesses = o.consecutiveSuccesses;
    this.consecutiveFailures = o.consecutiveFailures;
  }
}

const sub = (a: number, b: number): number => (a > b ? a - b : 0);

/** The window total plus its ring of buckets (gobreaker's rollingCounts). */
export class Rolling extends Tally {
  age = 0;
  buckets: Tally[];
  constructor(n: number) {
    super();
    this.buckets = [];
    for (let i = 0; i < n; i++) this.buckets.push(new Tally());
  }
  index(age: number): number {
    return this.buckets.length === 0 ? 0 : age % this.buckets.length;
  }
  request(): void {
    this.requests++;
    if (this.buckets.length !== 0) this.buckets[this.index(this.age)].requests++;
  }
  /** Whether a result from bucket `age` still belongs to the window. */
  private inWindow(age: number): boolean {
    return age <= this.age && this.age - age < this.buckets.length;
  }
  success(age: number): void {
    if (!this.inWindow(age)) return;
    this.onSuccess();
    this.buckets[this.index(age)].onSuccess();
  }
  failure(age: number): void {
    if (!this.inWindow(age)) return;
    this.onFailure();
    this.buckets[this.index(age)].onFailure();
  }
  exclusion(age: number): void {
    if (!this.inWindow(age)) return;
    this.totalExclusions++;
    this.buckets[this.index(age)].totalExclusions++;
  }
  reset(): void {
    this.clear();
    this.age = 0;
    for (const b of this.buckets) b.clear();
  }
  private roll(): void {
    this.age++;
    const n = this.buckets.length;
    if (n === 0) return;
    const cur = this.index(this.age);
    this.subtract(cur);
    this.buckets[cur].clear();
  }
  /** Takes the oldest bucket out of the total (gobreaker's rule for the consecutive runs). */
  private subtract(oldest: number): void {
    const n = this.buckets.length;
    const b = this.buckets[oldest];
    let succ = b.consecutiveSuccesses;
    let fail = b.consecutiveFailures;
    for (let i = 1; i < n; i++) {
      const o = this.buckets[(oldest + i) % n];
      succ += o.totalSuccesses;
      fail += o.totalFailures;
    }
    // A run that reaches back into the oldest bucket loses that bucket's part of it.
    if (this.consecutiveSuccesses === succ) this.consecutiveSuccesses = sub(this.consecutiveSuccesses, b.consecutiveSuccesses);
    if (this.consecutiveFailures === fail) this.consecutiveFailures = sub(this.consecutiveFailures, b.consecutiveFailures);
    this.requests = sub(this.requests, b.requests);
    this.totalSuccesses = sub(this.totalSuccesses, b.totalSuccesses);
    this.totalFailures = sub(this.totalFailures, b.totalFailures);
    this.totalExclusions = sub(this.totalExclusions, b.totalExclusions);
  }
  grow(age: number): void {
    if (age <= this.age) return;
    const diff = age - this.age;
    if (diff >= this.buckets.length) {
      this.reset();
      this.age = age;
    } else for (let i = 0; i < diff; i++) this.roll();
  }
}

/** The user's counts as a plain object (so deep equality with a literal works). */
export interface CountsView {
  requests: number;
  totalSuccesses: number;
  totalFailures: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  totalExclusions?: number;
}

/** Settings after gobreaker's defaulting. */
export interface Resolved {
  name: string;
  maxRequests: number;
  interval: number;
  bucketPeriod: number;
  numBuckets: number;
  timeout: number;
  readyToTrip: (c: CountsView) => boolean;
  onStateChange: ((name: string, from: StateNum, to: StateNum) => void) | undefined;
  isSuccessful: ((err: unknown) => boolean) | undefined;
  isExcluded: ((err: unknown) => boolean) | undefined;
}

export class Core {
  state: StateNum = CLOSED;
  generation = 0;
  counts: Rolling;
  start = 0;
  expiry = 0;
  /** The bucket age of the request `before` just admitted (read right after it returns). */
  reqAge = 0;
  /** Outcome handlers for requests of generation hGen at age hAge (reused while those do not change). */
  private hGen = -1;
  private hAge = -1;
  okFn: () => void = () => {};
  errFn: (e: unknown) => void = () => {};

  constructor(
    readonly s: Resolved,
    readonly errOpen: Error,
    readonly errTooMany: Error,
  ) {
    this.counts = new Rolling(s.numBuckets);
    this.newGeneration(now());
  }

  view(): CountsView {
    const c = this.counts;
    const v: CountsView = {
      requests: c.requests,
      totalSuccesses: c.totalSuccesses,
      totalFailures: c.totalFailures,
      consecutiveSuccesses: c.consecutiveSuccesses,
      consecutiveFailures: c.consecutiveFailures,
    };
    // gobreaker v2.4's TotalExclusions, shown only to breakers that can exclude (v2.3's Counts has 5 fields).
    if (this.s.isExcluded !== undefined) v.totalExclusions = c.totalExclusions;
    return v;
  }

  /** Brings the state up to date with the clock; returns it. */
  current(): StateNum {
    switch (this.state) {
      case CLOSED:
        if (this.expiry !== 0) {
          const t = now();
          if (this.expiry < t) this.newGeneration(t);
        } else if (this.counts.buckets.length >= 2) this.counts.grow(this.ageAt(now()));
        break;
      case OPEN: {
        const t = now();
        if (this.expiry < t) this.setState(HALF_OPEN, t);
        break;
      }
    }
    return this.state;
  }

  private ageAt(t: number): number {
    if (this.s.bucketPeriod === 0) return 0;
    const a = Math.floor((t - this.start) / this.s.bucketPeriod);
    return a < 0 ? 0 : a;
  }

  /** Admits a request (returns its generation, its age in reqAge) or throws ErrOpenState/ErrTooManyRequests. */
  before(): number {
    const st = this.current();
    if (st === OPEN) throw this.errOpen;
    if (st === HALF_OPEN && this.counts.validRequests() >= this.s.maxRequests) throw this.errTooMany;
    this.counts.request();
    this.reqAge = this.counts.age;
    return this.generation;
  }

  /**
   * Sets okFn/errFn, the reactions that record an async outcome of a request admitted in `gen` at
   * `age`: made once per generation and bucket, so a closed breaker allocates no closure per request.
   */
  prime(gen: number, age: number): void {
    if (gen === this.hGen && age === this.hAge) return;
    this.hGen = gen;
    this.hAge = age;
    this.okFn = () => this.after(gen, age, undefined, false);
    this.errFn = (e: unknown) => this.after(gen, age, e, true);
  }

  /**
   * Records the outcome of a request admitted in generation `gen` at age `age`: `err` is passed to
   * isExcluded/isSuccessful unless `raw` (a two-step boolean outcome, which gobreaker v2.3 records as is).
   */
  after(gen: number, age: number, err: unknown, failed: boolean, raw = false): void {
    const st = this.current();
    if (this.generation !== gen) return;
    const s = this.s;
    if (!raw && s.isExcluded !== undefined && s.isExcluded(err)) {
      this.counts.exclusion(age);
      return;
    }
    const ok = raw || s.isSuccessful === undefined ? !failed : s.isSuccessful(err);
    if (ok) {
      if (st === OPEN) return;
      this.counts.success(age);
      if (st === HALF_OPEN && this.counts.consecutiveSuccesses >= s.maxRequests) this.setState(CLOSED, now());
    } else if (st === CLOSED) {
      this.counts.failure(age);
      if (s.readyToTrip(this.view())) this.setState(OPEN, now());
    } else if (st === HALF_OPEN) this.setState(OPEN, now());
  }

  private setState(to: StateNum, t: number): void {
    if (this.state === to) return;
    const from = this.state;
    this.state = to;
    this.newGeneration(t);
    this.s.onStateChange?.(this.s.name, from, to);
  }

  private newGeneration(t: number): void {
    this.generation++;
    this.start = t;
    this.counts.reset();
    if (this.state === CLOSED) {
      this.expiry = this.s.interval === 0 || this.counts.buckets.length >= 2 ? 0 : t + this.s.interval;
    } else if (this.state === OPEN) this.expiry = t + this.s.timeout;
    else this.expiry = 0;
  }
}

function now(): number {
  return clockOf().now();
}
