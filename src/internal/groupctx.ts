/**
 * The link from an errgroup's derived context to its group, so that code handed only the context (the
 * pipeline stages) can run its goroutines in the group: their errors become the group's and `wait`
 * waits for them. Written once by `errgroup.withContext`, read by `goroutine/pipeline`.
 *
 * Why a WeakMap rather than a field on the context: the context classes stay unaware of errgroup, and a
 * dropped group and context are collected together.
 */
export interface GroupLike {
  go(fn: () => unknown): Promise<void>;
}

export const groupOfContext = new WeakMap<object, GroupLike>();
