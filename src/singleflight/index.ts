/**
 * `goroutine/singleflight`: golang.org/x/sync/singleflight — duplicate function call suppression, with
 * per-caller cancellation on top of Go's semantics.
 *
 * Invariants:
 * - `m` maps a key to the call in flight for it, if any. A call leaves `m` when it completes, when it
 *   is forgotten, or when its last caller leaves; a completing call deletes its key only if the entry is
 *   still itself (after `forget`, a newer call may own the key).
 * - `callers` counts the callers of a call still waiting for its result: `do` callers that have not
 *   left plus every `doChan` caller (they cannot leave). When it drops to 0 before completion, the
 *   function's context is cancelled and the key is freed, so the next caller starts a fresh flight
 *   instead of joining an abandoned one.
 * - `dups` counts callers that joined after the first (Go's `c.dups`); it never decreases, so `shared`
 *   is `dups > 0` for the first caller and the channel results, and always true for a joining `do`.
 * - Joiners with neither signal nor ctx can never leave, so they share one promise (`plain`); the others
 *   each have a node in `waiting` so they can be taken out one by one. A first caller with neither has
 *   no node either: its promise's functions sit in the call's `resolve`/`reject`. A plain joiner parks its
 *   goroutine unless that goroutine was also the previous plain joiner of the same flight (a loop of
 *   `do` calls): its earlier wait ends at the same moment with the same durability, so `plain.gs`
 *   holds one entry per park and completion readies each entry once. (Parking per call cost ~25 ns per
 *   caller in bench/sync.ts's 10,000-callers row, a fifth of the total.)
 * - The result (value or error) is written once, before any caller is settled; every caller still
 *   waiting gets the same value or the same error object.
 *
 * The function runs in the first caller's goroutine, as in Go's `Do`; it receives its own context
 * (carrying the first caller's context values, not its cancellation), so one caller leaving never
 * disturbs the others.
 */
import { Chan } from "../internal/chan.js";
import { type CancelFunc, type Context, afterFunc, background, withCancel, withoutCancel } from "../context/index.js";
import { type BubbleHooks, type G, currentG, park, pending, ready, wakeNow } from "../internal/scheduler.js";
import { WaitList, WaitNode } from "../internal/waitq.js";

/**
 * What `doChan` delivers: the value or the error of the flight, and whether it was shared.
 *
 * @example
 * ```ts
 * import { Group, type Result } from "goroutine/singleflight";
 * const g = new Group<number>();
 * const r: Result<number> | undefined = await g.doChan("k", async () => { throw new Error("down"); }).recv();
 * console.log((r?.error as Error).message, r?.shared); // "down" false
 * ```
 */
export interface Result<T> {
  value?: T;
  error?: unknown;
  shared: boolean;
}

/**
 * Per-caller options of {@link Group.do}.
 *
 * @example
 * ```ts
 * import * as context from "goroutine/context";
 * import { Group, type DoOptions } from "goroutine/singleflight";
 * const g = new Group<string>();
 * const [ctx, cancel] = context.withTimeout(context.background(), 50);
 * const opts: DoOptions = { ctx, signal: AbortSignal.timeout(1000) };
 * console.log((await g.do("k", () => "v", opts)).value); // "v"
 * cancel();
 * ```
 */
export interface DoOptions {
  /** When it aborts, this caller stops waiting (rejecting with `signal.reason`); others are unaffected. */
  signal?: AbortSignal;
  /**
   * When it is done, this caller stops waiting (rejecting with `ctx.err()`); others are unaffected.
   * If this caller starts the flight, the function's context carries this context's values.
   */
  ctx?: Context;
}

class Caller<T> extends WaitNode {
  cleanup: (() => void) | undefined = undefined;
  constructor(
    readonly g: G,
    readonly leader: boolean,
    readonly resolve: (r: { value: T; shared: boolean }) => void,
    readonly reject: (e: unknown) => void,
  ) {
    super();
  }
}

class PlainJoiners {
  resolve: ((v: never) => void) | null = null;
  reject: ((e: unknown) => void) | null = null;
  readonly promise: Promise<never> = pending<never>(this);
  /**
   * One entry per park: the goroutine that joined. Consecutive joins by the same goroutine (a loop of
   * `do` calls collected with Promise.all) share its first park, since they all end together.
   */
  readonly gs: G[] = [];
}

class Call<T> {
  dups = 0;
  callers = 0;
  settled = false;
  failed = false;
  value: T | undefined = undefined;
  error: unknown = undefined;
  /** Callers that can leave (a signal or ctx), made at the first one: most flights have none. */
  waiting: WaitList<Caller<T>> | undefined = undefined;
  /**
   * The first caller's promise functions, when it passed neither signal nor ctx (set by `pending`): it
   * can never leave, so it needs no node in `waiting` (the common one-caller flight allocates no Caller).
   */
  resolve: ((v: never) => void) | null = null;
  reject: ((e: unknown) => void) | null = null;
  chans: Chan<Result<T>>[] | undefined = undefined;
  /**
   * Joiners that cannot leave (no signal, no ctx) share one promise: 10,000 of them cost one promise,
   * not 10,000. Their goroutines are listed so they can be parked and made ready.
   */
  plain: PlainJoiners | undefined = undefined;
  readonly bubble: BubbleHooks | undefined;
  constructor(
    readonly ctx: Context,
    readonly cancel: CancelFunc,
  ) {
    this.bubble = currentG().bubble;
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== "string") throw new TypeError(`singleflight: key must be a string, got ${typeof key}`);
}

/** A joiner's wait is durable when the flight runs in the joiner's own bubble (as Go's WaitGroup.Wait). */
function joinDurable(g: G, c: { bubble: unknown }): boolean {
  return g.bubble !== undefined && g.bubble === c.bubble;
}

/**
 * Group represents a class of work and forms a namespace in which units of work can be executed with
 * duplicate suppression (Go's `singleflight.Group`). A new Group is valid.
 *
 * @example
 * ```ts
 * import { Group } from "goroutine/singleflight";
 * const g = new Group<string>();
 * let calls = 0;
 * const load = async () => { calls++; await Promise.resolve(); return "row 42"; };
 * const rs = await Promise.all([g.do("42", load), g.do("42", load), g.do("42", load)]);
 * console.log(calls, rs.map((r) => r.value), rs.every((r) => r.shared)); // 1 ["row 42","row 42","row 42"] true
 * ```
 */
export class Group<T> {
  private readonly m = new Map<string, Call<T>>();

  /**
   * do executes `fn` and returns its result, making sure only one execution is in flight for `key` at a
   * time. If a duplicate comes in, it waits for the original to complete and receives the same result.
   * `shared` tells whether the result was given to more than one caller (for the first caller: whether
   * anyone joined it). If the flight fails, every waiting caller's promise rejects with the same error.
   *
   * `fn` receives a Context of its own, cancelled only when every caller has left (and after it
   * completes). Joining callers without `opts` share one promise and receive the same result object.
   *
   * **Cancellation**: `opts.signal` aborting or `opts.ctx` becoming done makes this caller's promise
   * reject (with `signal.reason` or `ctx.err()`) at once, without affecting the flight or other callers;
   * if it was the last caller, the function's context is cancelled and the next `do` for `key` starts a
   * new flight. A signal or context already done on entry rejects without starting or joining anything.
   */
  do(key: string, fn: (ctx: Context) => T | PromiseLike<T>, opts?: DoOptions): Promise<{ value: T; shared: boolean }> {
    checkKey(key);
    if (typeof fn !== "function") throw new TypeError(`singleflight: fn must be a function, got ${typeof fn}`);
    const signal = opts?.signal;
    const ctx = opts?.ctx;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    const cerr = ctx?.err();
    if (cerr !== undefined) return Promise.reject(cerr);
    let c = this.m.get(key);
    if (c !== undefined) {
      c.dups++;
      if (signal === undefined && ctx === undefined) return this.joinPlain(c);
      return this.join(key, c, false, signal, ctx);
    }
    c = this.newCall(key, ctx);
    let p: Promise<{ value: T; shared: boolean }>;
    if (signal === undefined && ctx === undefined) {
      c.callers++;
      p = pending(c);
    } else {
      p = this.join(key, c, true, signal, ctx);
    }
    this.run(key, c, fn);
    return p;
  }

  /**
   * doChan is like {@link Group.do} but returns a channel that will receive the result when it is
   * ready: `{ value, shared }` or `{ error, shared }`. The channel is buffered, so the result is
   * delivered whether or not anyone receives it. A doChan caller cannot leave; stop receiving instead
   * (select on the channel and your context).
   */
  doChan(key: string, fn: (ctx: Context) => T | PromiseLike<T>): Chan<Result<T>> {
    checkKey(key);
    if (typeof fn !== "function") throw new TypeError(`singleflight: fn must be a function, got ${typeof fn}`);
    const ch = new Chan<Result<T>>(1);
    let c = this.m.get(key);
    const leader = c === undefined;
    if (c === undefined) c = this.newCall(key, undefined);
    else c.dups++;
    c.callers++;
    (c.chans ??= []).push(ch);
    if (leader) this.run(key, c, fn);
    return ch;
  }

  /**
   * forget tells the group to forget about `key`: future calls of `do` for it call the function rather
   * than waiting for an earlier call to complete. Callers already waiting still get that call's result.
   */
  forget(key: string): void {
    this.m.delete(key);
  }

  private newCall(key: string, ctx: Context | undefined): Call<T> {
    const [fctx, cancel] = withCancel(ctx === undefined ? background() : withoutCancel(ctx));
    const c = new Call<T>(fctx, cancel);
    this.m.set(key, c);
    return c;
  }

  private join(
    key: string,
    c: Call<T>,
    leader: boolean,
    signal: AbortSignal | undefined,
    ctx: Context | undefined,
  ): Promise<{ value: T; shared: boolean }> {
    const g = currentG();
    return new Promise((resolve, reject) => {
      const w = new Caller<T>(g, leader, resolve, reject);
      (c.waiting ??= new WaitList<Caller<T>>()).push(w);
      c.callers++;
      if (signal !== undefined) {
        const onAbort = (): void => this.leave(key, c, w, signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      if (ctx !== undefined) {
        const stop = afterFunc(ctx, () => this.leave(key, c, w, ctx.err()));
        const prev = w.cleanup;
        w.cleanup = prev === undefined ? stop : () => (prev(), stop());
      }
      // The first caller runs fn itself; joiners wait, durably so if the flight is in their bubble
      // (as Go's WaitGroup.Wait in a bubble whose Add was made there).
      if (!leader) park(g, "sync.WaitGroup.Wait", joinDurable(g, c));
    });
  }

  /** A joiner without signal or ctx: shares the plain joiners' promise. */
  private joinPlain(c: Call<T>): Promise<{ value: T; shared: boolean }> {
    const g = currentG();
    c.callers++;
    const pj = (c.plain ??= new PlainJoiners());
    const gs = pj.gs;
    // Already parked for this flight by its previous join: that wait ends exactly when this one does
    // (plain joiners cannot leave), with the same durability, so one park/ready pair covers both.
    if (gs.length === 0 || gs[gs.length - 1] !== g) {
      gs.push(g);
      park(g, "sync.WaitGroup.Wait", joinDurable(g, c));
    }
    return pj.promise;
  }

  /** A caller stops waiting; the last one out cancels the flight's context and frees the key. */
  private leave(key: string, c: Call<T>, w: Caller<T>, reason: unknown): void {
    if (w.list === null) return; // already settled
    c.waiting!.remove(w);
    w.cleanup?.();
    if (!w.leader) ready(w.g, joinDurable(w.g, c)); // the leader runs fn and never parked
    wakeNow(() => w.reject(reason));
    if (--c.callers === 0 && !c.settled) {
      if (this.m.get(key) === c) this.m.delete(key);
      c.cancel();
    }
  }

  private run(key: string, c: Call<T>, fn: (ctx: Context) => T | PromiseLike<T>): void {
    let r: T | PromiseLike<T>;
    try {
      r = fn(c.ctx);
    } catch (e) {
      this.complete(key, c, true, e);
      return;
    }
    if (r !== null && typeof r === "object" && typeof (r as PromiseLike<T>).then === "function") {
      Promise.resolve(r).then(
        (v) => this.complete(key, c, false, v),
        (e: unknown) => this.complete(key, c, true, e),
      );
    } else {
      this.complete(key, c, false, r);
    }
  }

  private complete(key: string, c: Call<T>, failed: boolean, v: unknown): void {
    c.settled = true;
    c.failed = failed;
    if (failed) c.error = v;
    else c.value = v as T;
    if (this.m.get(key) === c) this.m.delete(key);
    c.cancel();
    const shared = c.dups > 0;
    const waiting = c.waiting;
    for (let w = waiting?.shift() ?? null; w !== null; w = waiting!.shift()) {
      const cw = w;
      cw.cleanup?.();
      if (!cw.leader) ready(cw.g, joinDurable(cw.g, c));
      if (failed) wakeNow(() => cw.reject(v));
      else wakeNow(() => cw.resolve({ value: v as T, shared: cw.leader ? shared : true }));
    }
    if (c.resolve !== null) {
      const resolve = c.resolve as (r: { value: T; shared: boolean }) => void;
      const reject = c.reject!;
      wakeNow(failed ? () => reject(v) : () => resolve({ value: v as T, shared }));
    }
    const pj = c.plain;
    if (pj !== undefined) {
      for (const g of pj.gs) ready(g, joinDurable(g, c));
      const resolve = pj.resolve as (r: { value: T; shared: boolean }) => void;
      const reject = pj.reject!;
      wakeNow(failed ? () => reject(v) : () => resolve({ value: v as T, shared: true }));
    }
    const chans = c.chans;
    if (chans !== undefined) {
      const res: Result<T> = failed ? { error: v, shared } : { value: v as T, shared };
      for (const ch of chans) ch.trySend(res);
    }
  }
}
