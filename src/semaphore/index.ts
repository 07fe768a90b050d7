/** `goroutine/semaphore`: see ../../../shared/API.md. (Being built.) */
export {};
