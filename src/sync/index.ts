/** `goroutine/sync`: see ../../../shared/API.md. (Being built.) */
export {};
