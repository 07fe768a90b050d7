/**
 * Goroutine-local storage: which goroutine is running now, carried across every `await`.
 *
 * Three backends with one contract — `get()` returns the value the current code was started under by
 * `run(value, fn)`, inherited by every promise reaction (await continuation, `.then` callback) created
 * while it was current:
 *
 * - native (Node 20 and 22): V8's continuation-preserved embedder data (CPED) through a 20-line addon
 *   (native/goroutine_context.cc). V8 records the slot in each promise reaction and restores it when the
 *   reaction runs, so propagation costs nothing per promise; reading it is one native call (~10 ns).
 *   Other callbacks (timers, immediates, nextTick, I/O) run with the slot empty, i.e. as the main
 *   goroutine, except inside a synctest bubble, whose async hooks carry the goroutine into them.
 * - frame (Node 24+, and Node 22 run with `--experimental-async-context-frame`): Node itself keeps its
 *   AsyncContextFrame (a Map from each AsyncLocalStorage to its store) in the same slot and carries it
 *   into timers, nextTick and every other async resource. Writing the goroutine into the slot directly
 *   would hide every AsyncLocalStorage of the process inside goroutines (and make their `getStore()`
 *   throw), so here the slot holds a {@link Frame}: a two-field object that answers Node's frame
 *   protocol (`get`, `has`, `disable`, iteration) for the frame it extends, and our key for the
 *   goroutine. It replaces AsyncLocalStorage's `run`/`enterWith`, which copy the whole frame into a new
 *   Map per goroutine (a spawn cost 6× a bare async call on Node 24 that way; see bench/core.ts).
 * - als: AsyncLocalStorage, when no addon matches the running Node (no prebuilt binary for this
 *   platform and none built), or `GOROUTINE_CONTEXT=als`. On Node 20 and 22 it installs promise hooks
 *   that tax every promise in the process ~2×; on Node 24 it is frame-based and cheap per promise.
 *
 * The addon is looked for first among the binaries shipped in the package
 * (`prebuilds/<platform>-<arch>/node.abi<NODE_MODULE_VERSION>.node`, node-gyp-build's layout), then in
 * `build/Release` (built by `npm install` when no prebuilt binary matches).
 *
 * Invariants:
 * - `run` restores the previous value before returning or throwing, so the slot never leaks into
 *   unrelated code.
 * - `mode` is fixed at load time.
 * - frame mode: a Frame's `parent` is never a Frame, and holds no goroutine key, so frames never chain
 *   (a goroutine spawning goroutines spawning … keeps no ancestor alive).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";

interface NativeSlot {
  get(this: void): unknown;
  set(this: void, v: unknown): void;
}

/** The shipped binary for the running Node, then a local build; undefined if neither loads. */
function loadNative(): NativeSlot | undefined {
  if (process.env["GOROUTINE_CONTEXT"] === "als") return undefined;
  const require = createRequire(import.meta.url);
  const prebuilt = `prebuilds/${process.platform}-${process.arch}/node.abi${process.versions.modules}.node`;
  // The package root is three levels up from dist/src/internal, two from src/internal (vitest).
  for (const rel of [prebuilt, "build/Release/goroutine_context.node"]) {
    for (const root of ["../../../", "../../"]) {
      try {
        return require(root + rel) as NativeSlot;
      } catch {
        // absent, or built for another Node: try the next place, then fall back to AsyncLocalStorage
      }
    }
  }
  return undefined;
}

/**
 * True when Node keeps its own AsyncContextFrame in the slot: AsyncLocalStorage is then the frame-based
 * implementation, which (unlike the async-hooks one) has no `_enable`. Probing the class creates no
 * instance, so it turns on no promise hook.
 */
function nodeUsesSlot(): boolean {
  return typeof (AsyncLocalStorage.prototype as { _enable?: unknown })._enable !== "function";
}

/** Node's AsyncContextFrame as this module uses it (a Map from AsyncLocalStorage to store). */
interface NodeFrame {
  get(key: unknown): unknown;
  has(key: unknown): boolean;
  disable?(key: unknown): void;
  [Symbol.iterator](): Iterator<[unknown, unknown]>;
}


/**
 * A frame that is `parent` plus `KEY -> value`, answering the part of Map's interface Node's
 * AsyncLocalStorage and AsyncContextFrame use (`get`, `has`, `disable`, and iteration, by which
 * `new AsyncContextFrame(...)` copies it). Two fields, no hash table: a spawn allocates one of these
 * where AsyncLocalStorage would copy the current frame into a new Map.
 */
class Frame implements NodeFrame {
  constructor(
    readonly value: unknown,
    readonly parent: NodeFrame | undefined,
  ) {}
  get(key: unknown): unknown {
    return key === KEY ? this.value : this.parent?.get(key);
  }
  has(key: unknown): boolean {
    return key === KEY || (this.parent?.has(key) ?? false);
  }
  disable(key: unknown): void {
    this.parent?.disable?.(key);
  }
  *[Symbol.iterator](): Iterator<[unknown, unknown]> {
    if (this.parent !== undefined) yield* this.parent;
    yield [KEY, this.value];
  }
}

/** The frame `f` stripped of our key: what code outside every goroutine would see. */
function base(f: unknown): NodeFrame | undefined {
  if (f === undefined) return undefined;
  if (f instanceof Frame) return f.parent;
  const m = f as NodeFrame;
  if (!m.has(KEY)) return m;
  // A Node frame made inside a goroutine (AsyncLocalStorage.run there): copy it without the goroutine.
  const copy = new Map(m);
  copy.delete(KEY);
  return copy.size === 0 ? undefined : copy;
}

function frameOf(value: unknown, parent: NodeFrame | undefined): NodeFrame | undefined {
  return value === undefined ? parent : new Frame(value, parent);
}

const native = loadNative();
const frames = native !== undefined && nodeUsesSlot();
const als = native === undefined ? new AsyncLocalStorage<unknown>() : undefined;
const keyStore = frames ? new AsyncLocalStorage<unknown>() : undefined;
/**
 * Our key in a frame: Node's frames copied from one of ours (by AsyncLocalStorage.run) keep it. With the
 * frame backend it is an AsyncLocalStorage (frame-based there: making one installs no hook), so reading
 * the goroutine is Node's own `getStore()` — its slot read is cheaper than a call into the addon, and
 * it asks our frame `has`/`get` like any other.
 */
const KEY: object = keyStore ?? Object.freeze({ goroutine: true });

/** Which backend carries goroutine identity: "native", "frame" or "als" (see the file comment). */
export const mode: "native" | "frame" | "als" = native === undefined ? "als" : frames ? "frame" : "native";

/** The value current code runs under, or undefined outside every `run`. */
export const get: () => unknown =
  native === undefined
    ? (): unknown => als!.getStore()
    : frames
      ? (): unknown => keyStore!.getStore()
      : native.get;

/** Runs `fn` with `value` current; promise reactions created meanwhile inherit it. */
export function run<R>(value: unknown, fn: () => R): R {
  if (native === undefined) return als!.run(value, fn);
  const prev = native.get();
  native.set(frames ? frameOf(value, base(prev)) : value);
  try {
    return fn();
  } finally {
    native.set(prev);
  }
}

/**
 * Native backend only: makes `value` current until {@link leave} (used by synctest's async hooks around
 * callbacks of resources created inside a bubble; with the other backends Node carries the slot into
 * those callbacks itself). Returns the previous value to pass to `leave`.
 */
export function enter(value: unknown): unknown {
  if (native === undefined || frames) return undefined;
  const prev = native.get();
  native.set(value);
  return prev;
}

/** Restores what {@link enter} replaced. */
export function leave(prev: unknown): void {
  if (native !== undefined && !frames) native.set(prev);
}

/** Frame backend: the frame {@link enterAny} found, without our key; {@link set} extends it. */
let stretchBase: NodeFrame | undefined;

/**
 * Starts a synchronous stretch (the scheduler's start loop) in which {@link set} switches the current
 * value cheaply; makes `value` current and returns what to pass to {@link restore}, which must end the
 * stretch in a `finally`.
 */
export function enterAny(value: unknown): unknown {
  if (native !== undefined) {
    const prev = native.get();
    if (!frames) {
      native.set(value);
      return prev;
    }
    stretchBase = base(prev);
    native.set(frameOf(value, stretchBase));
    return prev;
  }
  const prev = als!.getStore();
  als!.enterWith(value);
  return prev;
}

/** Makes `value` current, within a stretch begun by {@link enterAny}. */
export const set: (value: unknown) => void =
  native === undefined
    ? (value: unknown): void => als!.enterWith(value)
    : frames
      ? (value: unknown): void => native.set(frameOf(value, stretchBase))
      : native.set;

/** Ends the stretch begun by {@link enterAny}: `prev` is what it returned. */
export function restore(prev: unknown): void {
  if (native === undefined) {
    als!.enterWith(prev);
    return;
  }
  stretchBase = undefined;
  native.set(prev);
}

/** How many of our frames are nested in the slot now (frame backend: 0 or 1, never more); 0 otherwise. */
export function frameDepth(): number {
  let n = 0;
  for (let f = frames ? native.get() : undefined; f instanceof Frame; f = f.parent) n++;
  return n;
}
