// mallopt() and madvise() for Node: glibc returns every freed block above its mmap threshold to the
// kernel, so each new multi-megabyte buffer (a file read, a decoded chunk, a block) is
// faulted in page by page again. Raising the threshold and the trim threshold keeps freed
// memory in the heap for the next buffer of that size.
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels refuse it with EINVAL */
#endif
#endif

static napi_value boolean(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

// tune(mmapThreshold, trimThreshold, topPad) -> true where applied (glibc), false elsewhere
static napi_value Tune(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool ok = false;
#ifdef __GLIBC__
  if (argc == 3) {
    int64_t mmap_threshold = 0, trim_threshold = 0, top_pad = 0;
    napi_get_value_int64(env, argv[0], &mmap_threshold);
    napi_get_value_int64(env, argv[1], &trim_threshold);
    napi_get_value_int64(env, argv[2], &top_pad);
    ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 &&
         mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1 &&
         mallopt(M_TOP_PAD, (int)top_pad) == 1;
  }
#endif
  return boolean(env, ok);
}

// trim() -> true where memory went back to the kernel: malloc_trim(0) returns the free pages
// of every arena, which a raised trim threshold otherwise keeps for good
static napi_value Trim(napi_env env, napi_callback_info info) {
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) == 1;
#endif
  return boolean(env, released);
}

// populate(arrayBuffer) -> true where the kernel mapped its whole pages in one call: a fresh
// multi-megabyte buffer is otherwise faulted in page by page as it is first written, which on
// the benchmarks' VMs costs ~2.7 s per GB of which this saves ~1.2 (MADV_POPULATE_WRITE maps
// a run of pages at once; pages already there are only checked)
static napi_value Populate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool ok = false;
#ifdef __linux__
  void *data = NULL;
  size_t length = 0;
  if (argc == 1 && napi_get_arraybuffer_info(env, argv[0], &data, &length) == napi_ok && data != NULL) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)data + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)data + length) & ~(page - 1);
    ok = end > start && madvise((void *)start, end - start, MADV_POPULATE_WRITE) == 0;
  }
#endif
  return boolean(env, ok);
}

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value);
  napi_set_named_property(env, exports, name, value);
}

static napi_value Init(napi_env env, napi_value exports) {
  export_function(env, exports, "tune", Tune);
  export_function(env, exports, "trim", Trim);
  export_function(env, exports, "populate", Populate);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
