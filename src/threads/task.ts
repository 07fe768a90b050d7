/**
 * Tasks: functions that can run on another thread. A task is named by its module's URL and a name, and
 * each worker loads the module once and finds the function there; a function value itself never crosses
 * threads (it may close over state that exists only on the thread that made it).
 */

declare const taskType: unique symbol;

/**
 * Task is a handle on a function that runs on worker threads: the module URL that defines it and its
 * name there. `A` and `R` are its parameter and result types, so `run(task, ...args)` type-checks.
 * Make one with {@link task} or {@link exported}.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * export const shout = threads.task(import.meta.url, function shout(s: string): string {
 *   return s.toUpperCase();
 * });
 * console.log(shout.name, shout instanceof threads.Task); // "shout" true
 * ```
 */
export class Task<A extends unknown[], R> {
  /** Phantom: the function's type. */
  declare readonly [taskType]?: (...args: A) => R;
  /** @internal */
  readonly key: string;
  /** @internal What a goroutine waiting for this task shows in the dump. */
  readonly reason: string;

  /** @internal */
  constructor(
    /** The URL of the module that defines the task (its `import.meta.url`). */
    readonly url: string,
    /** The task's name within that module. */
    readonly name: string,
  ) {
    this.key = `${url}#${name}`;
    this.reason = `threads.run ${name}`;
  }

  /** How the task prints: "name (url)". */
  toString(): string {
    return `${this.name} (${this.url})`;
  }
}

/**
 * The functions registered with `task()` on this thread, by "url#name". Kept on the global object so that
 * a second copy of this module (a task module that resolves the package through another path or a
 * loader's namespace) registers where the worker looks.
 */
const REGISTRY = Symbol.for("goroutine.threads.tasks");
const registry: Map<string, (...args: never[]) => unknown> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
  new Map()) as Map<string, (...args: never[]) => unknown>;

/** @internal The function registered on this thread as `key`, if any. */
export function registered(key: string): ((...args: never[]) => unknown) | undefined {
  return registry.get(key);
}

function moduleUrl(url: unknown, fn: string): string {
  if (url instanceof URL) return url.href;
  if (typeof url === "string") {
    try {
      return new URL(url).href;
    } catch {
      throw new TypeError(`${fn}: module URL must be an absolute URL such as import.meta.url, got ${JSON.stringify(url)}`);
    }
  }
  throw new TypeError(`${fn}: module URL must be a string or URL (pass import.meta.url), got ${typeof url}`);
}

/**
 * task registers `fn` as a task of the module at `moduleUrl` (pass `import.meta.url`) and returns its
 * handle. Call it at the top level of that module: each worker imports the module, which runs this call
 * again there and registers the same function under the same name. The name is `fn.name` unless given.
 *
 * A task may be synchronous or async; it receives its arguments decoded on the worker (see
 * `Runtime.run` for what can be passed) and its result travels back the same way. Inside a function
 * expression named `fib`, `fib` is the function itself (a plain call on this thread); to spawn the task
 * on the runtime from inside itself, pass the name separately — `task(url, "fib", (n: number) => …)` —
 * and call `run(fib, …)` with the exported handle.
 *
 * **Errors:** TypeError if `fn` is not a function, has no name and none is given, or `moduleUrl` is not an
 * absolute URL; Error if another function was registered under the same name in the same module.
 * A `task()` call that does not run when the module is imported (inside a function, say) leaves the worker
 * without the task: running it rejects with an error saying so.
 *
 * @example
 * ```ts
 * // fib.ts
 * import * as threads from "goroutine/threads";
 * export const fib = threads.task(import.meta.url, function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2); // inside, `fib` is the function itself
 * });
 * ```
 */
export function task<A extends unknown[], R>(moduleUrl: string | URL, fn: (...args: A) => R): Task<A, R>;
export function task<A extends unknown[], R>(
  moduleUrl: string | URL,
  name: string,
  fn: (...args: A) => R,
): Task<A, R>;
export function task<A extends unknown[], R>(
  url: string | URL,
  nameOrFn: string | ((...args: A) => R),
  maybeFn?: (...args: A) => R,
): Task<A, R> {
  const href = moduleUrl(url, "task");
  const fn = typeof nameOrFn === "function" ? nameOrFn : maybeFn;
  if (typeof fn !== "function") throw new TypeError("task: fn must be a function");
  const name = typeof nameOrFn === "string" ? nameOrFn : fn.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError("task: the function has no name; name it (function fib() {...}) or pass a name");
  }
  const t = new Task<A, R>(href, name);
  const prev = registry.get(t.key);
  if (prev !== undefined && prev !== fn) {
    throw new Error(`task: ${JSON.stringify(name)} is already registered in ${href} with another function`);
  }
  registry.set(t.key, fn);
  return t;
}

/**
 * exported refers to a function exported by a module as a task, without registering anything: the worker
 * imports the module and calls its export `name`. Give the function's type for typed calls:
 * `exported<typeof import("./fib.js").fib>(new URL("./fib.js", import.meta.url), "fib")`.
 *
 * **Errors:** TypeError for a bad URL or an empty name. A missing export is reported when the task runs.
 *
 * @example
 * ```ts
 * import * as threads from "goroutine/threads";
 * const hash = threads.exported<(s: string) => string>(new URL("./hash.js", import.meta.url), "hash");
 * console.log(hash.name, hash.url.endsWith("/hash.js")); // "hash" true
 * ```
 */
export function exported<F extends (...args: never[]) => unknown>(
  moduleUrl: string | URL,
  name: string,
): Task<Parameters<F>, ReturnType<F>> {
  const href = moduleUrlOf(moduleUrl);
  if (typeof name !== "string" || name === "") throw new TypeError("exported: name must be a non-empty string");
  return new Task<Parameters<F>, ReturnType<F>>(href, name);
}

function moduleUrlOf(url: unknown): string {
  return moduleUrl(url, "exported");
}
