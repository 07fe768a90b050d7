/**
 * Sometimes: golang.org/x/time/rate's Sometimes — run an action occasionally.
 *
 * Invariants: `count` is the number of finished `do` calls; `last` the clock time `fn` last ran
 * (-Infinity before, Go's zero time); both change only after `fn` returns, as Go's (under its mutex).
 */
import { clockOf } from "../internal/clock.js";
import { checkSize } from "../internal/size.js";

/**
 * Sometimes runs an action occasionally (Go's rate.Sometimes): the first call always, then any call
 * allowed by `first` (the first N calls), `every` (every Nth call, counting from the first) or
 * `interval` (ms since `fn` last ran) — the union of the three. `new Sometimes()` runs it once, like
 * `sync.Once`.
 *
 * @example
 * ```ts
 * import { Sometimes } from "goroutine/rate";
 * const s = new Sometimes({ first: 2, every: 3 });
 * const ran: number[] = [];
 * for (let i = 1; i <= 7; i++) s.do(() => ran.push(i));
 * console.log(ran.join(",")); // "1,2,4,7"
 * ```
 */
export class Sometimes {
  readonly first: number;
  readonly every: number;
  readonly interval: number;
  #count = 0;
  #last = -Infinity;
  #running = false;

  /** @throws RangeError if `first` or `every` is not a whole number, or `interval` is NaN. */
  constructor(opts: { first?: number; every?: number; interval?: number } = {}) {
    const whole = (v: number | undefined, what: string): number => {
      if (v === undefined) return 0;
      return checkSize(v, "rate.Sometimes", what, { min: -Infinity });
    };
    this.first = whole(opts.first, "first");
    this.every = whole(opts.every, "every");
    const iv = opts.interval ?? 0;
    if (typeof iv !== "number" || Number.isNaN(iv)) {
      throw new RangeError(`rate.Sometimes: interval must be a number of milliseconds, got ${String(iv)}`);
    }
    this.interval = iv;
  }

  /**
   * do runs `fn` if the filters allow this call (synchronously, on the caller's stack). A call to `do`
   * from inside `fn` would deadlock in Go; here it throws.
   * @throws Error "rate: Sometimes.Do called from its own function"
   */
  do(fn: () => void): void {
    if (this.#running) throw new Error("rate: Sometimes.Do called from its own function");
    const c = this.#count;
    if (
      c === 0 ||
      (this.first > 0 && c < this.first) ||
      (this.every > 0 && c % this.every === 0) ||
      (this.interval > 0 && clockOf().now() - this.#last >= this.interval)
    ) {
      this.#running = true;
      try {
        fn();
      } finally {
        this.#running = false;
        if (this.interval > 0) this.#last = clockOf().now();
        this.#count++;
      }
      return;
    }
    this.#count++;
  }
}
