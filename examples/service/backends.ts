/**
 * Two simulated downstream services the catalogue calls for every product page: `pricing` (quotes a
 * discount; flaky on purpose: a configurable share of calls fail after their latency) and `inventory`
 * (stock levels; reliable). Both honour the caller's context: a cancelled request stops waiting at once.
 */
import { select, recv } from "../../src/index.js";
import type { Context } from "../../src/context/index.js";
import * as time from "../../src/time/index.js";

/** How a simulated backend behaves. */
export interface BackendOptions {
  /** Mean latency in ms (each call takes 0.5×–1.5× of it, in whole ms, at least 1). */
  latency: number;
  /** Share of calls that fail, 0..1. */
  failureRate: number;
}

/** A failed backend call, as an HTTP client would see a 503. */
export class BackendError extends Error {
  override name = "BackendError";
  constructor(readonly backend: string) {
    super(`${backend}: 503 service unavailable`);
  }
}

/** A simulated backend; `calls` and `failures` count what reached it. */
export class Backend<T> {
  calls = 0;
  failures = 0;
  constructor(
    readonly name: string,
    public options: BackendOptions,
    private readonly answer: (id: number) => T,
  ) {}

  /** Calls the backend for product `id`; rejects with the context's error if it ends first. */
  async call(ctx: Context, id: number): Promise<T> {
    this.calls++;
    const { latency, failureRate } = this.options;
    // Whole milliseconds, as a timer can honour them: a fractional wait costs the library's timers up to
    // ~1 ms more (they never fire early, so the fraction left after Node's whole-ms setTimeout is waited
    // for by a second one) and node:timers ~0.5 ms less (Node drops the fraction), which would make the
    // simulated latency, not the service, differ between this service and the baseline.
    const wait = Math.max(1, Math.round(latency * (0.5 + Math.random())));
    const ok = await select([recv(time.after(wait), () => true), recv(ctx.done(), () => false)]);
    if (!ok) throw ctx.err() ?? new Error("cancelled");
    if (Math.random() < failureRate) {
      this.failures++;
      throw new BackendError(this.name);
    }
    return this.answer(id);
  }
}

/** A quote from the pricing backend: a discount in percent. */
export interface Quote {
  discount: number;
}

export function pricing(options: BackendOptions): Backend<Quote> {
  return new Backend("pricing", options, (id) => ({ discount: (id * 7) % 30 }));
}

export function inventory(options: BackendOptions): Backend<{ stock: number }> {
  return new Backend("inventory", options, (id) => ({ stock: (id * 13) % 50 }));
}
