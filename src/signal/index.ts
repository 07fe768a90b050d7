/** `goroutine/signal`: see ../../../shared/API.md. (Being built.) */
export {};
