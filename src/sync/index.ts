/**
 * `goroutine/sync`: Go's `sync` package — Mutex, RWMutex, WaitGroup, Once and the OnceFunc family,
 * Cond and Pool — on the library's scheduler, so every blocked goroutine shows in the dump with Go's wait
 * reason ("sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.WaitGroup.Wait", "sync.Cond.Wait").
 *
 * Misuse throws Go's messages: "sync: unlock of unlocked mutex", "sync: Unlock of unlocked RWMutex",
 * "sync: RUnlock of unlocked RWMutex", "sync: negative WaitGroup counter".
 */
export { Mutex, MutexGuard, type Locker } from "./mutex.js";
export { RWMutex, RWMutexGuard, RWMutexReadGuard } from "./rwmutex.js";
export { WaitGroup } from "./waitgroup.js";
export { Once, onceFunc, onceValue, onceValues } from "./once.js";
export { Cond } from "./cond.js";
export { Pool, type PoolOptions } from "./pool.js";
