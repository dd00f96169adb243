{
  "targets": [
    {
      "target_name": "kernels",
      "sources": ["src/kernels.c"],
      "cflags": ["-O3", "-fno-trapping-math"]
    }
  ]
}
