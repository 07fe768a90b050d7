/** `goroutine/synctest`: see ../../../shared/API.md. (Being built.) */
export {};
