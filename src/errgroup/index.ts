/** `goroutine/errgroup`: see ../../../shared/API.md. (Being built.) */
export {};
