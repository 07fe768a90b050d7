/**
 * goroutine/threads: Go's M:N model on Node's worker threads.
 * @packageDocumentation
 */
export {};
