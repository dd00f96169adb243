{
  "targets": [
    {
      "target_name": "zstd_async",
      "sources": ["src/zstd_async.c"],
      "cflags": ["-O2"],
      "libraries": ["-l:libzstd.so.1"]
    }
  ]
}
