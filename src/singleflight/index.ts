/** `goroutine/singleflight`: see ../../../shared/API.md. (Being built.) */
export {};
