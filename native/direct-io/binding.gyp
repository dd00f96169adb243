{
  "targets": [
    {
      "target_name": "direct_io",
      "sources": ["src/direct_io.c"],
      "cflags": ["-O2"]
    }
  ]
}
