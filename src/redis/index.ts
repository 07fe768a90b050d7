/**
 * `goroutine/redis`: the distributed variants on a real Redis, through an ioredis client the caller
 * passes (ioredis is an optional peer dependency; this module imports only its types).
 *
 * Cache tier: {@link store} (values with TTLs, leases with fencing tokens, invalidation over pub/sub)
 * and {@link writeLog} (a durable write-behind buffer on Redis Streams).
 */
export { store, type Client, type StoreOptions } from "./store.js";
export { writeLog, type WriteLogOptions } from "./writelog.js";
