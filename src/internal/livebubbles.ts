/**
 * How many synctest bubbles are live, kept apart from bubble.ts so a primitive can read it without
 * loading the bubble machinery (async hooks, fake timers).
 *
 * Why: a primitive that records which bubble its caller belongs to (WaitGroup.add) needs the current
 * goroutine, and reading it is a native call (~10 ns, a tenth of a contended WaitGroup round). While no
 * bubble is live no code can run as a live bubble's goroutine, so the caller is outside every bubble as
 * far as durability is concerned, and the read can be skipped.
 *
 * Invariants:
 * - `liveBubbles` is counted up before a bubble's first goroutine exists and down only after the bubble
 *   has finished (its survivors abandoned). Anything else that hands out `BubbleHooks` (the tests' fake
 *   bubbles) must count itself up too; counting up and never down is always safe, only slower.
 * - While it is 0, a goroutine may still carry a *finished* bubble (a survivor woken from outside); its
 *   durability no longer matters to anyone, since a finished bubble ignores onDurable.
 */

/** Live synctest bubbles. Read-only outside this module. */
export let liveBubbles = 0;

/** A bubble has opened; returns the new count. */
export function bubbleOpened(): number {
  return ++liveBubbles;
}

/** A bubble has finished; returns the new count. */
export function bubbleClosed(): number {
  return --liveBubbles;
}
