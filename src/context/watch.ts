/**
 * One listener per watched AbortSignal, however many contexts watch it (a foreign parent's signal,
 * fromSignal's signal).
 *
 * Invariants:
 * - `watches` maps a signal to its Watch exactly while the Watch has callbacks and the signal has not
 *   aborted; the Watch's `onAbort` is registered on the signal exactly then.
 * - Unregistering the last callback removes the listener, so a long-lived signal holds nothing for
 *   contexts that are gone.
 */
/** The callbacks waiting for one watched AbortSignal, behind its single listener. */
class Watch {
  readonly fns = new Set<() => void>();
  constructor(readonly sig: AbortSignal) {}
  readonly onAbort = (): void => {
    watches.delete(this.sig);
    // A callback may unregister others (Set iteration skips deleted entries).
    for (const f of this.fns) f();
    this.fns.clear();
  };
}
const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Calls `fn` once when `sig` aborts; returns the function that unregisters it. However many contexts
 * watch one signal, it carries one listener (so no MaxListeners warning, and O(1) unregistering), and
 * none once every watcher has gone.
 */
export function watchSignal(sig: AbortSignal, fn: () => void): () => void {
  let w = watches.get(sig);
  if (w === undefined) {
    w = new Watch(sig);
    watches.set(sig, w);
    sig.addEventListener("abort", w.onAbort, { once: true });
  }
  const watch = w;
  watch.fns.add(fn);
  return () => {
    if (!watch.fns.delete(fn) || watch.fns.size > 0) return;
    if (watches.get(sig) === watch) watches.delete(sig);
    sig.removeEventListener("abort", watch.onAbort);
  };
}
