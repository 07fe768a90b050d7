/**
 * Goroutine-local storage: which goroutine is running now, carried across every `await`.
 *
 * Two backends with one contract — `get()` returns the value the current code was started under by
 * `run(value, fn)`, inherited by every promise reaction (await continuation, `.then` callback) created
 * while it was current:
 *
 * - native (Node 20–23): V8's continuation-preserved embedder data through a 20-line addon
 *   (native/goroutine_context.cc). V8 records the slot in each promise reaction and restores it when the
 *   reaction runs, so propagation costs nothing per promise; reading it is one native call (~10 ns).
 *   Other callbacks (timers, immediates, nextTick, I/O) run with the slot empty, i.e. as the main
 *   goroutine, except inside a synctest bubble, whose async hooks carry the goroutine into them.
 * - als: AsyncLocalStorage. On Node 24+ it is built on the same V8 slot and is fast; on Node 20 it
 *   installs promise hooks that cost ~2× on promise-heavy code. Used when the addon is not built, on
 *   Node 24+ (where setting the slot directly would clobber Node's own context frames), or when
 *   `GOROUTINE_CONTEXT=als`.
 *
 * Invariants:
 * - `run` restores the previous value before returning or throwing, so the slot never leaks into
 *   unrelated code.
 * - `mode` is fixed at load time.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";

interface NativeSlot {
  get(this: void): unknown;
  set(this: void, v: unknown): void;
}

function loadNative(): NativeSlot | undefined {
  const major = Number(process.versions.node.split(".")[0]);
  if (process.env["GOROUTINE_CONTEXT"] === "als") return undefined;
  if (major >= 24 || process.execArgv.some((a) => a.includes("async-context-frame"))) return undefined;
  const require = createRequire(import.meta.url);
  for (const rel of ["../../../build/Release/goroutine_context.node", "../../build/Release/goroutine_context.node"]) {
    try {
      return require(rel) as NativeSlot;
    } catch {
      // not built here: try the next place, then fall back to AsyncLocalStorage
    }
  }
  return undefined;
}

const native = loadNative();
const als = native === undefined ? new AsyncLocalStorage<unknown>() : undefined;

/** Which backend carries goroutine identity: "native" or "als". */
export const mode: "native" | "als" = native !== undefined ? "native" : "als";

/** The value current code runs under, or undefined outside every `run`. */
export const get: () => unknown =
  native !== undefined ? native.get : (): unknown => als!.getStore();

/** Runs `fn` with `value` current; promise reactions created meanwhile inherit it. */
export function run<R>(value: unknown, fn: () => R): R {
  if (native === undefined) return als!.run(value, fn);
  const prev = native.get();
  native.set(value);
  try {
    return fn();
  } finally {
    native.set(prev);
  }
}

/**
 * Native backend only: makes `value` current until {@link leave} (used by synctest's async hooks around
 * callbacks of resources created inside a bubble). Returns the previous value to pass to `leave`.
 */
export function enter(value: unknown): unknown {
  if (native === undefined) return undefined;
  const prev = native.get();
  native.set(value);
  return prev;
}

/**
 * Makes `value` current on either backend until restored with {@link set}; returns the previous value.
 * Only for synchronous stretches that restore in a `finally` (the scheduler's start loop).
 */
export function enterAny(value: unknown): unknown {
  if (native !== undefined) {
    const prev = native.get();
    native.set(value);
    return prev;
  }
  const prev = als!.getStore();
  als!.enterWith(value);
  return prev;
}

/** Makes `value` current (see {@link enterAny}). */
export const set: (value: unknown) => void =
  native !== undefined ? native.set : (value: unknown): void => als!.enterWith(value);

/** Restores what {@link enter} replaced. */
export function leave(prev: unknown): void {
  native?.set(prev);
}
