/** `goroutine/context`: see ../../../shared/API.md. (Being built.) */
export {};
