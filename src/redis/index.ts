/**
 * `goroutine/redis`: the distributed variants on a real Redis, through an ioredis client the caller
 * passes (ioredis is an optional peer dependency; this module imports only its types).
 *
 * Cache tier: {@link store} (values with TTLs, leases with fencing tokens, invalidation over pub/sub)
 * and {@link writeLog} (a durable write-behind buffer on Redis Streams).
 *
 * Coordination across processes: {@link Limiter} (x/time/rate's token bucket), {@link fixedWindow} and
 * {@link slidingWindow}; {@link Semaphore} and {@link Mutex} (FIFO, leases, fencing tokens);
 * {@link breakerStore} (a SharedDataStore for goroutine/breaker's DistributedCircuitBreaker); and
 * {@link Group} (singleflight across processes). Every script's keys share one hash tag, so all of it
 * runs unchanged on Redis Cluster.
 */
export { store, type Client, type StoreOptions } from "./store.js";
export { writeLog, type WriteLogOptions } from "./writelog.js";
export { type FailMode, LeaseLostError, type RedisOptions, UnavailableError } from "./conn.js";
export { Limiter, type LimiterOptions, Reservation } from "./limiter.js";
export { type WindowOptions, fixedWindow, slidingWindow } from "./windows.js";
export { Mutex, type Permit, Semaphore, type SemaphoreOptions } from "./semaphore.js";
export { type BreakerStoreOptions, breakerStore } from "./breakerstore.js";
export { Group, type GroupOptions } from "./group.js";
