// writeDirect and readDirect for Node: whole files written, and ranges read, past the page
// cache (O_DIRECT), in the thread pool. Buffered writes of a large output cost
// the kernel a fresh page-cache page per 4 KB, which on the virtual machines this engine is
// benchmarked on is charged as a first touch of guest memory: 3 GB written took 7.1 s of
// system time buffered and 0.3 s direct (dd). O_DIRECT needs aligned memory, offsets and
// lengths, so the data goes piece by piece through an aligned buffer; a written file's last
// piece is padded to a whole block and the file cut back to its length.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// covers the logical block size of every device (512 B or 4 KB)
#define ALIGNMENT 4096
// written a piece at a time through one aligned buffer per thread
#define PIECE_BYTES (1 << 20)

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref data_ref;
  int fd;
  uint8_t* data;
  size_t length;
  int64_t offset;  // reads: where in the file `data` starts
  int64_t done;    // reads: bytes read (fewer at the end of the file)
  int error;       // errno of a failed read or write
  int refused;     // the file system takes no O_DIRECT: nothing was read or written
} Job;

// one aligned piece buffer per thread-pool thread, kept: a buffer per call would be allocated
// in each thread's own malloc arena and kept there (the engine tunes malloc to keep freed
// memory), about a chunk per call in flight per arena
static uint8_t* Piece(Job* job) {
  static __thread uint8_t* piece = NULL;
  if (!piece && posix_memalign((void**)&piece, ALIGNMENT, PIECE_BYTES) != 0) {
    piece = NULL;
    job->error = ENOMEM;
  }
  return piece;
}

// sets O_DIRECT on the job's file; returns the flags to restore, or -1 (job says why)
static int SetDirect(Job* job) {
  int flags = fcntl(job->fd, F_GETFL);
  if (flags < 0) job->error = errno;
  else if (fcntl(job->fd, F_SETFL, flags | O_DIRECT) < 0) job->refused = 1;
  else return flags;
  return -1;
}

static void ExecuteWrite(napi_env env, void* arg) {
  (void)env;
  Job* job = arg;
  int flags = SetDirect(job);
  if (flags < 0) return;
  uint8_t* piece = Piece(job);
  for (size_t done = 0; !job->error && done < job->length;) {
    size_t n = job->length - done < PIECE_BYTES ? job->length - done : PIECE_BYTES;
    size_t padded = (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
    memcpy(piece, job->data + done, n);
    memset(piece + n, 0, padded - n);
    // a short write (a file system filling up) goes on from where it stopped, which is a
    // block boundary; the next write then fails with the reason (ENOSPC)
    for (size_t put = 0; !job->error && !job->refused && put < padded;) {
      ssize_t w = pwrite(job->fd, piece + put, padded - put, (off_t)(done + put));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL && done + put == 0) job->refused = 1;  // O_DIRECT accepted but not honoured
      else if (w < 0) job->error = errno;
      else if (w == 0 || w % ALIGNMENT != 0) job->error = EIO;
      else put += (size_t)w;
    }
    if (job->refused) break;
    done += n;
  }
  if (!job->error && !job->refused && ftruncate(job->fd, (off_t)job->length) < 0) job->error = errno;
  fcntl(job->fd, F_SETFL, flags);
}

static void ExecuteRead(napi_env env, void* arg) {
  (void)env;
  Job* job = arg;
  int flags = SetDirect(job);
  if (flags < 0) return;
  uint8_t* piece = Piece(job);
  // whole aligned pieces from the block below `offset`; each is cut to what `data` wants
  int64_t skip = job->offset % ALIGNMENT;
  int64_t at = job->offset - skip;
  while (!job->error && (size_t)job->done < job->length) {
    ssize_t r = pread(job->fd, piece, PIECE_BYTES, (off_t)at);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EINVAL && job->done == 0) {
      job->refused = 1;
      break;
    }
    if (r < 0) {
      job->error = errno;
      break;
    }
    if (r <= skip) break;  // the end of the file
    size_t n = (size_t)(r - skip);
    if (n > job->length - (size_t)job->done) n = job->length - (size_t)job->done;
    memcpy(job->data + job->done, piece + skip, n);
    job->done += (int64_t)n;
    at += r;
    skip = 0;
    if (r < PIECE_BYTES) break;  // a short read ends at the end of the file
  }
  fcntl(job->fd, F_SETFL, flags);
}

static const char* ErrnoName(int e) {
  switch (e) {
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EIO: return "EIO";
    case EROFS: return "EROFS";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    default: return "EIO";
  }
}

static void Complete(napi_env env, napi_status status, void* arg) {
  Job* job = arg;
  if (status != napi_ok || job->error) {
    napi_value code, message, error;
    int e = status != napi_ok ? EIO : job->error;
    napi_create_string_utf8(env, ErrnoName(e), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_set_named_property(env, error, "code", code);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    // writes: whether written; reads: bytes read, or -1
    napi_value result;
    if (job->offset < 0) napi_get_boolean(env, !job->refused, &result);
    else napi_create_int64(env, job->refused ? -1 : job->done, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->data_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

// Queues `execute` on (fd, data[, offset]) in the thread pool, returning its promise.
static napi_value Queue(napi_env env, napi_callback_info info, napi_async_execute_callback execute, const char* usage) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool reading = execute == ExecuteRead;
  int32_t fd = -1;
  int64_t offset = -1;
  bool is_typed = false;
  if (argc >= 2) napi_is_typedarray(env, argv[1], &is_typed);
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = NULL;
  if (is_typed) napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL);
  if (argc != (reading ? 3u : 2u) || napi_get_value_int32(env, argv[0], &fd) != napi_ok || type != napi_uint8_array ||
      (reading && (napi_get_value_int64(env, argv[2], &offset) != napi_ok || offset < 0))) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  Job* job = calloc(1, sizeof(Job));
  job->fd = fd;
  job->data = data;
  job->length = length;
  job->offset = offset;
  // the bytes stay alive until the call is done
  napi_create_reference(env, argv[1], 1, &job->data_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, usage, NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, Complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// writeDirect(fd, data: Uint8Array) -> Promise<boolean>: true once `data` is the file's
// whole content, false (nothing written) where the file system refuses O_DIRECT; rejects
// with an Error whose code is the errno's name
static napi_value WriteDirect(napi_env env, napi_callback_info info) {
  return Queue(env, info, ExecuteWrite, "writeDirect(fd, data: Uint8Array)");
}

// readDirect(fd, data: Uint8Array, offset) -> Promise<number>: bytes read into `data` from
// `offset` (fewer at the end of the file), or -1 (nothing read) where the file system
// refuses O_DIRECT
static napi_value ReadDirect(napi_env env, napi_callback_info info) {
  return Queue(env, info, ExecuteRead, "readDirect(fd, data: Uint8Array, offset)");
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "writeDirect", NAPI_AUTO_LENGTH, WriteDirect, NULL, &fn);
  napi_set_named_property(env, exports, "writeDirect", fn);
  napi_create_function(env, "readDirect", NAPI_AUTO_LENGTH, ReadDirect, NULL, &fn);
  napi_set_named_property(env, exports, "readDirect", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
