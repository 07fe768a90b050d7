{
  "targets": [
    {
      "target_name": "goroutine_context",
      "sources": ["native/goroutine_context.cc"],
      "cflags_cc": ["-Wno-cast-function-type"]
    }
  ]
}
