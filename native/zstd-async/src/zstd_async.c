// zstd compress and decompress for Node, in the libuv thread pool. zstd-napi's calls run on
// the calling thread: a plan that fits its memory budget only on fewer workers than cores
// (a rechunk to whole time series, in one stage) leaves the other cores idle while its one
// thread decodes, copies and encodes. Here the pool's threads take the (de)compression.
// Linked against the system's libzstd: Debian's libzstd1 ships the library without its
// header, so the few stable functions used are declared below.
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;
ZSTD_CCtx* ZSTD_createCCtx(void);
ZSTD_DCtx* ZSTD_createDCtx(void);
size_t ZSTD_compressCCtx(ZSTD_CCtx* cctx, void* dst, size_t dstCapacity, const void* src, size_t srcSize, int level);
size_t ZSTD_decompressDCtx(ZSTD_DCtx* dctx, void* dst, size_t dstCapacity, const void* src, size_t srcSize);
unsigned ZSTD_isError(size_t code);
const char* ZSTD_getErrorName(size_t code);

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref dst_ref;
  napi_ref src_ref;
  uint8_t* dst;
  size_t dst_length;
  const uint8_t* src;
  size_t src_length;
  int level;
  int compress;
  size_t result;
  int no_context;
} Job;

static void Execute(napi_env env, void* arg) {
  (void)env;
  Job* job = arg;
  // one context per pool thread, kept for the process: a context per call would allocate and
  // clear zstd's tables each time
  static __thread ZSTD_CCtx* cctx = NULL;
  static __thread ZSTD_DCtx* dctx = NULL;
  if (job->compress) {
    if (!cctx) cctx = ZSTD_createCCtx();
    if (!cctx) job->no_context = 1;
    else job->result = ZSTD_compressCCtx(cctx, job->dst, job->dst_length, job->src, job->src_length, job->level);
  } else {
    if (!dctx) dctx = ZSTD_createDCtx();
    if (!dctx) job->no_context = 1;
    else job->result = ZSTD_decompressDCtx(dctx, job->dst, job->dst_length, job->src, job->src_length);
  }
}

static void Complete(napi_env env, napi_status status, void* arg) {
  Job* job = arg;
  if (status != napi_ok || job->no_context || ZSTD_isError(job->result)) {
    const char* why = status != napi_ok ? "cancelled" : job->no_context ? "out of memory" : ZSTD_getErrorName(job->result);
    napi_value message, error;
    napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_value result;
    napi_create_double(env, (double)job->result, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->dst_ref);
  napi_delete_reference(env, job->src_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

// the bytes under a Uint8Array (or Buffer); false, with a TypeError thrown, for anything else
static bool Bytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  napi_is_typedarray(env, value, &is);
  if (is) napi_get_typedarray_info(env, value, &type, length, (void**)data, NULL, NULL);
  if (type == napi_uint8_array) return true;
  napi_throw_type_error(env, NULL, "expected a Uint8Array");
  return false;
}

// (dst, src[, level]) → a promise of the bytes written into dst; the caller leaves both arrays
// alone until it settles (references keep them from the collector meanwhile)
static napi_value Start(napi_env env, napi_callback_info info, int compress) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < (compress ? 3u : 2u)) {
    napi_throw_type_error(env, NULL, compress ? "compress(dst, src, level)" : "decompress(dst, src)");
    return NULL;
  }
  size_t dst_length, src_length;
  uint8_t *dst, *src;
  if (!Bytes(env, argv[0], &dst, &dst_length) || !Bytes(env, argv[1], &src, &src_length)) return NULL;
  int32_t level = 0;
  if (compress) napi_get_value_int32(env, argv[2], &level);
  Job* job = calloc(1, sizeof(Job));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->dst = dst;
  job->dst_length = dst_length;
  job->src = src;
  job->src_length = src_length;
  job->level = level;
  job->compress = compress;
  napi_create_reference(env, argv[0], 1, &job->dst_ref);
  napi_create_reference(env, argv[1], 1, &job->src_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, compress ? "zstdCompress" : "zstdDecompress", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, Execute, Complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value Compress(napi_env env, napi_callback_info info) { return Start(env, info, 1); }
static napi_value Decompress(napi_env env, napi_callback_info info) { return Start(env, info, 0); }

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "compress", NAPI_AUTO_LENGTH, Compress, NULL, &fn);
  napi_set_named_property(env, exports, "compress", fn);
  napi_create_function(env, "decompress", NAPI_AUTO_LENGTH, Decompress, NULL, &fn);
  napi_set_named_property(env, exports, "decompress", fn);
  return exports;
}
