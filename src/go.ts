/**
 * The `go` statement.
 */
import { type Goroutine, NO_ARGS, creationStacksOn, spawn } from "./internal/scheduler.js";

export type { Goroutine } from "./internal/scheduler.js";

/**
 * go starts `fn(...args)` as a new goroutine and returns at once; the caller runs on and the goroutine
 * starts on the next microtask. Arguments are evaluated at the call, as in Go.
 *
 * The goroutine lives until `fn` returns or its promise settles. If it throws or rejects and nothing
 * catches it, the process crashes as Go does on a panic (`panic: <message>`, the goroutine's id and stack,
 * exit code 2) unless `runtime.setPanicHandler` takes the error.
 *
 * @returns the goroutine's {@link Goroutine} record; its `id` is unique for the process's lifetime.
 * @throws TypeError if `fn` is not a function.
 *
 * @example
 * ```ts
 * import { go, Chan } from "goroutine";
 * const done = new Chan<string>();
 * go(async (name: string) => { await done.send(`hello, ${name}`); }, "gopher");
 * console.log(await done.recv()); // "hello, gopher"
 * ```
 */
export function go<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Goroutine;
export function go(fn: (...args: never[]) => unknown): Goroutine {
  if (typeof fn !== "function") throw new TypeError(`go: expected a function, got ${typeof fn}`);
  // Why `arguments` rather than a rest parameter: a rest parameter allocates an array on every call,
  // even an empty one, and a fan-out of argument-less goroutines would pay it for nothing.
  // eslint-disable-next-line prefer-rest-params
  const args = arguments.length > 1 ? Array.prototype.slice.call(arguments, 1) : NO_ARGS;
  if (!creationStacksOn()) return spawn(fn, args, undefined);
  // The creation site, captured here rather than by Error.captureStackTrace(holder, go) in the
  // scheduler: V8 pays for every frame it records, more for frames inlined into optimized code, and
  // captureStackTrace turns its holder into a slow dictionary object (~320 bytes) to add `stack`. An
  // Error made here records two frames, go and its caller, and stays a small fast object (~150 bytes):
  // 1.0 µs against 1.5 µs per go() measured, and half the memory per live goroutine. Rejected: structured
  // call sites through Error.prepareStackTrace (same capture, then formatted eagerly: 1.6 µs), and caching
  // the site per function (JavaScript cannot name the caller without capturing, and one function may be
  // started from several places, so a cache would print wrong sites).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 2;
  const site = new Error();
  Error.stackTraceLimit = limit;
  return spawn(fn, args, site);
}
