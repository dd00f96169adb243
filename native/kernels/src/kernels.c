// The engine's hottest loops in C. V8 runs them at 1-6 ns per value on the 2-core VM
// (bounds checks, no SIMD): the sum/mean fold over planes (a mean over time), the rolling
// sum/mean/count sweep, + - * / between float blocks, box copies between blocks and chunks,
// and undoing HDF5's shuffle filter for chunks read directly. Each value goes through the same operations in the same order as the
// TypeScript loops (src/core/kernels/reductions.ts sumCount, sweep.ts sumRows), so results
// are the same to the bit; the compiler is free only to run neighbouring elements together.
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>  // Node's own zlib: its headers ship with Node's, its symbols are exported to addons

typedef struct {
  napi_typedarray_type type;
  size_t length;
  void *data;
} view;

// the typed array in `value`, or false where it is not one
static bool get_view(napi_env env, napi_value value, view *v) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  return napi_get_typedarray_info(env, value, &v->type, &v->length, &v->data, NULL, NULL) == napi_ok;
}

// two Uint8Arrays, src and dst, as the first two of `argc` arguments (false where they are not)
static bool get_byte_pair(napi_env env, napi_callback_info info, size_t argc, napi_value *argv, view *src, view *dst) {
  size_t got = argc;
  napi_get_cb_info(env, info, &got, argv, NULL, NULL);
  return got == argc && get_view(env, argv[0], src) && get_view(env, argv[1], dst) && src->type == napi_uint8_array &&
         dst->type == napi_uint8_array;
}

static bool is_float(const view *v) { return v->type == napi_float32_array || v->type == napi_float64_array; }

static napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

static napi_value range_error(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static int64_t get_int(napi_env env, napi_value value) {
  int64_t x = -1;
  napi_get_value_int64(env, value, &x);
  return x;
}

static double get_double(napi_env env, napi_value value) {
  double x = NAN;
  napi_get_value_double(env, value, &x);
  return x;
}

static bool get_bool(napi_env env, napi_value value) {
  bool b = false;
  napi_get_value_bool(env, value, &b);
  return b;
}

// ---- sum/mean fold over planes -------------------------------------------------------------

// an absent value adds +0.0, which leaves the sum as it is: the sum starts at +0 and a sum of
// floats is -0 only when both terms are, so it is never -0 here
#define FOLD(T)                                                                                   \
  static void fold_##T(double *sum, double *cnt, const T *data, size_t n, size_t planes, bool skipna) { \
    size_t p = 0;                                                                                 \
    for (; p + 4 <= planes; p += 4) {                                                             \
      const T *d0 = data + p * n, *d1 = d0 + n, *d2 = d1 + n, *d3 = d2 + n;                       \
      if (skipna)                                                                                 \
        for (size_t i = 0; i < n; i++) {                                                          \
          double a = d0[i], b = d1[i], c = d2[i], d = d3[i];                                      \
          double t = sum[i], k = cnt[i];                                                          \
          t += a == a ? a : 0.0;                                                                  \
          t += b == b ? b : 0.0;                                                                  \
          t += c == c ? c : 0.0;                                                                  \
          t += d == d ? d : 0.0;                                                                  \
          k += (double)(a == a) + (double)(b == b) + (double)(c == c) + (double)(d == d);         \
          sum[i] = t;                                                                             \
          cnt[i] = k;                                                                             \
        }                                                                                         \
      else                                                                                        \
        for (size_t i = 0; i < n; i++) {                                                          \
          sum[i] = sum[i] + (double)d0[i] + (double)d1[i] + (double)d2[i] + (double)d3[i];        \
          cnt[i] += 4;                                                                            \
        }                                                                                         \
    }                                                                                             \
    for (; p < planes; p++) {                                                                     \
      const T *d0 = data + p * n;                                                                 \
      for (size_t i = 0; i < n; i++) {                                                            \
        double a = d0[i];                                                                         \
        bool ok = !skipna || a == a;                                                              \
        sum[i] += ok ? a : 0.0;                                                                   \
        cnt[i] += (double)ok;                                                                     \
      }                                                                                           \
    }                                                                                             \
  }

FOLD(float)
FOLD(double)

// foldSumPlanes(sum, count, data, planes, skipna) -> false where data is not a float array
static napi_value FoldSumPlanes(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  view sum, cnt, data;
  if (argc != 5 || !get_view(env, argv[0], &sum) || !get_view(env, argv[1], &cnt) || !get_view(env, argv[2], &data))
    return range_error(env, "foldSumPlanes(sum, count, data, planes, skipna): bad arguments");
  if (sum.type != napi_float64_array || cnt.type != napi_float64_array || cnt.length != sum.length)
    return range_error(env, "foldSumPlanes: sum and count must be Float64Arrays of one length");
  if (!is_float(&data)) return boolean(env, false);
  int64_t planes = get_int(env, argv[3]);
  size_t n = sum.length;
  if (planes < 0 || (n > 0 && (size_t)planes > data.length / n))
    return range_error(env, "foldSumPlanes: data holds fewer than planes × sum.length values");
  bool skipna = get_bool(env, argv[4]);
  if (data.type == napi_float32_array) fold_float(sum.data, cnt.data, data.data, n, (size_t)planes, skipna);
  else fold_double(sum.data, cnt.data, data.data, n, (size_t)planes, skipna);
  return boolean(env, true);
}

// ---- rolling sum/mean/count along the middle dim ---------------------------------------------

// columns swept together: their sums and counts (16 KB) stay in L1
#define ROW_TILE 1024

enum { MODE_MEAN = 0, MODE_SUM = 1, MODE_COUNT = 2 };

// one pass over w columns: drops row `row_out` and adds row `row_in` (-1: none), then writes
// the windows' values at `at` (-1: not yet); as sweep.ts stepRows
#define STEP(VT, OT)                                                                              \
  static inline void step_##VT##_##OT(const VT *val, double *s, double *n, OT *out, ptrdiff_t row_out, \
                                      ptrdiff_t row_in, ptrdiff_t at, size_t w, int mode, double at_least) { \
    for (size_t q = 0; q < w; q++) {                                                              \
      double sq = s[q], nq = n[q];                                                                \
      if (row_out >= 0) {                                                                         \
        double v = val[row_out + q];                                                              \
        if (v == v) {                                                                             \
          sq -= v;                                                                                \
          nq -= 1;                                                                                \
        }                                                                                         \
      }                                                                                           \
      if (row_in >= 0) {                                                                          \
        double v = val[row_in + q];                                                               \
        if (v == v) {                                                                             \
          sq += v;                                                                                \
          nq += 1;                                                                                \
        }                                                                                         \
      }                                                                                           \
      /* an emptied window restarts from exact zeros, so rounding does not drift on */            \
      if (nq == 0) sq = 0;                                                                        \
      s[q] = sq;                                                                                  \
      n[q] = nq;                                                                                  \
      if (at >= 0)                                                                                \
        out[at + q] = (OT)(nq >= at_least ? (mode == MODE_MEAN ? sq / nq : mode == MODE_SUM ? sq : nq) : NAN); \
    }                                                                                             \
  }

// as sweep.ts sumRows: windows [los[j], his[j]) move forward; rows leaving one are paired
// with rows entering the next, and the last pass writes the value
#define SUM_ROWS(VT, OT)                                                                          \
  STEP(VT, OT)                                                                                    \
  static void sum_rows_##VT##_##OT(const VT *val, size_t outer, size_t len, size_t inner, const int32_t *los, \
                                   const int32_t *his, size_t count, OT *out, int mode, double at_least, bool empty_is_nan) { \
    double s[ROW_TILE], n[ROW_TILE];                                                              \
    size_t tile = inner < ROW_TILE ? inner : ROW_TILE;                                            \
    for (size_t o = 0; o < outer; o++) {                                                          \
      ptrdiff_t base = (ptrdiff_t)(o * len * inner);                                              \
      for (size_t q0 = 0; q0 < inner; q0 += tile) {                                               \
        size_t w = inner - q0 < tile ? inner - q0 : tile;                                         \
        for (size_t q = 0; q < w; q++) s[q] = n[q] = 0;                                           \
        ptrdiff_t lo = 0, hi = 0;                                                                 \
        for (size_t j = 0; j < count; j++) {                                                      \
          ptrdiff_t jl = los[j], jh = his[j];                                                     \
          ptrdiff_t at = (ptrdiff_t)((o * count + j) * inner + q0);                               \
          bool empty = empty_is_nan && jh == jl;                                                  \
          if (empty)                                                                              \
            for (size_t q = 0; q < w; q++) out[at + q] = (OT)NAN;                                 \
          ptrdiff_t drop = lo;                                                                    \
          ptrdiff_t drop_end = jl < hi ? jl : hi;                                                 \
          if (drop_end < lo) drop_end = lo;                                                       \
          ptrdiff_t add = hi > jl ? hi : jl;                                                      \
          ptrdiff_t passes = drop_end - drop;                                                     \
          if (jh - add > passes) passes = jh - add;                                               \
          if (passes < 1) passes = 1;                                                             \
          for (ptrdiff_t p = 1; p <= passes; p++, drop++, add++) {                                \
            ptrdiff_t row_out = drop < drop_end ? base + drop * (ptrdiff_t)inner + (ptrdiff_t)q0 : -1; \
            ptrdiff_t row_in = add < jh ? base + add * (ptrdiff_t)inner + (ptrdiff_t)q0 : -1;     \
            step_##VT##_##OT(val, s, n, out, row_out, row_in, p == passes && !empty ? at : -1, w, mode, at_least); \
          }                                                                                       \
          lo = jl;                                                                                \
          if (jh > hi) hi = jh;                                                                   \
          if (lo > hi) hi = lo;                                                                   \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

SUM_ROWS(float, float)
SUM_ROWS(float, double)
SUM_ROWS(double, float)
SUM_ROWS(double, double)

// sumRows(val, outer, length, inner, los, his, out, mode, atLeast, emptyIsNaN) -> false where
// val or out is not a float array
static napi_value SumRows(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  view val, los, his, out;
  if (argc != 10 || !get_view(env, argv[0], &val) || !get_view(env, argv[4], &los) || !get_view(env, argv[5], &his) ||
      !get_view(env, argv[6], &out))
    return range_error(env, "sumRows(val, outer, length, inner, los, his, out, mode, atLeast, emptyIsNaN): bad arguments");
  if (!is_float(&val) || !is_float(&out)) return boolean(env, false);
  int64_t outer = get_int(env, argv[1]), len = get_int(env, argv[2]), inner = get_int(env, argv[3]);
  int mode = (int)get_int(env, argv[7]);
  double at_least = get_double(env, argv[8]);
  bool empty_is_nan = get_bool(env, argv[9]);
  if (los.type != napi_int32_array || his.type != napi_int32_array || los.length != his.length)
    return range_error(env, "sumRows: los and his must be Int32Arrays of one length");
  size_t count = los.length;
  if (outer < 0 || len < 0 || inner < 0 || mode < MODE_MEAN || mode > MODE_COUNT)
    return range_error(env, "sumRows: bad sizes or mode");
  // every index the loops use must lie inside the arrays (a C loop does not check)
  double rows_in = (double)outer * (double)len * (double)inner, rows_out = (double)outer * (double)count * (double)inner;
  if (rows_in > (double)val.length || rows_out > (double)out.length)
    return range_error(env, "sumRows: val or out is shorter than its shape");
  const int32_t *lo = los.data, *hi = his.data;
  for (size_t j = 0; j < count; j++)
    if (lo[j] < 0 || hi[j] < lo[j] || hi[j] > len) return range_error(env, "sumRows: a window lies outside [0, length]");
  bool vf = val.type == napi_float32_array, of = out.type == napi_float32_array;
  if (vf && of) sum_rows_float_float(val.data, outer, len, inner, lo, hi, count, out.data, mode, at_least, empty_is_nan);
  else if (vf) sum_rows_float_double(val.data, outer, len, inner, lo, hi, count, out.data, mode, at_least, empty_is_nan);
  else if (of) sum_rows_double_float(val.data, outer, len, inner, lo, hi, count, out.data, mode, at_least, empty_is_nan);
  else sum_rows_double_double(val.data, outer, len, inner, lo, hi, count, out.data, mode, at_least, empty_is_nan);
  return boolean(env, true);
}

// ---- HDF5's shuffle filter, undone ----------------------------------------------------------

// each element's bytes gathered in turn, so the writes run forward (inlined with a constant
// size, the inner loop unrolls)
static inline void unshuffle_n(const uint8_t *s, uint8_t *d, size_t n, size_t size) {
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < size; k++) d[i * size + k] = s[k * n + i];
}

// unshuffle(src, dst, elementSize): byte k of element i is at src[k * n + i] (n elements);
// a loop over bytes that V8 runs at about 1 ns each (5 ms per 5 MB chunk)
static napi_value Unshuffle(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  view src, dst;
  if (!get_byte_pair(env, info, 3, argv, &src, &dst))
    return range_error(env, "unshuffle(src, dst, elementSize): src and dst must be Uint8Arrays");
  int64_t size = get_int(env, argv[2]);
  if (size < 1 || src.length != dst.length || src.length % (size_t)size != 0)
    return range_error(env, "unshuffle: src and dst must be one length, a multiple of elementSize");
  const uint8_t *s = src.data;
  uint8_t *d = dst.data;
  size_t n = src.length / (size_t)size;
  switch (size) {
    case 2: unshuffle_n(s, d, n, 2); break;
    case 4: unshuffle_n(s, d, n, 4); break;
    case 8: unshuffle_n(s, d, n, 8); break;
    default: unshuffle_n(s, d, n, (size_t)size);
  }
  return boolean(env, true);
}

// ---- arithmetic: out = a op b, arrays or scalars ----------------------------------------------

// each value computed in double and stored in out's type, as a JavaScript loop does
#define ARR(p, i) ((double)(p)[i])
#define SCALAR(p, i) (p)
#define LOOP(NAME, OP, OT, AT, LA, BT, LB)                                                         \
  static void NAME(OT *o, AT a, BT b, size_t n) {                                                 \
    for (size_t i = 0; i < n; i++) o[i] = (OT)(LA(a, i) OP LB(b, i));                              \
  }
#define OPERANDS(OPNAME, OP, OT)                                                                   \
  LOOP(OPNAME##_##OT##_ff, OP, OT, const float *, ARR, const float *, ARR)                         \
  LOOP(OPNAME##_##OT##_fd, OP, OT, const float *, ARR, const double *, ARR)                        \
  LOOP(OPNAME##_##OT##_df, OP, OT, const double *, ARR, const float *, ARR)                        \
  LOOP(OPNAME##_##OT##_dd, OP, OT, const double *, ARR, const double *, ARR)                       \
  LOOP(OPNAME##_##OT##_fs, OP, OT, const float *, ARR, double, SCALAR)                             \
  LOOP(OPNAME##_##OT##_ds, OP, OT, const double *, ARR, double, SCALAR)                            \
  LOOP(OPNAME##_##OT##_sf, OP, OT, double, SCALAR, const float *, ARR)                             \
  LOOP(OPNAME##_##OT##_sd, OP, OT, double, SCALAR, const double *, ARR)
#define OPERATOR(OPNAME, OP) OPERANDS(OPNAME, OP, float) OPERANDS(OPNAME, OP, double)
OPERATOR(add, +)
OPERATOR(sub, -)
OPERATOR(mul, *)
OPERATOR(div, /)

// an operand: a float array of at least n values, or a number
typedef struct {
  int kind; // 0 float32 array, 1 float64 array, 2 number
  const void *data;
  double value;
} operand;

static bool get_operand(napi_env env, napi_value value, size_t n, operand *op) {
  napi_valuetype t;
  napi_typeof(env, value, &t);
  if (t == napi_number) {
    op->kind = 2;
    napi_get_value_double(env, value, &op->value);
    return true;
  }
  view v;
  if (!get_view(env, value, &v) || !is_float(&v) || v.length < n) return false;
  op->kind = v.type == napi_float32_array ? 0 : 1;
  op->data = v.data;
  return true;
}

#define DISPATCH_OPERANDS(OPNAME, OT)                                                              \
  switch (a.kind * 3 + b.kind) {                                                                  \
    case 0: OPNAME##_##OT##_ff(o, a.data, b.data, n); break;                                      \
    case 1: OPNAME##_##OT##_fd(o, a.data, b.data, n); break;                                      \
    case 2: OPNAME##_##OT##_fs(o, a.data, b.value, n); break;                                     \
    case 3: OPNAME##_##OT##_df(o, a.data, b.data, n); break;                                      \
    case 4: OPNAME##_##OT##_dd(o, a.data, b.data, n); break;                                      \
    case 5: OPNAME##_##OT##_ds(o, a.data, b.value, n); break;                                     \
    case 6: OPNAME##_##OT##_sf(o, a.value, b.data, n); break;                                     \
    case 7: OPNAME##_##OT##_sd(o, a.value, b.data, n); break;                                     \
  }
#define DISPATCH_TYPE(OPNAME)                                                                      \
  if (out.type == napi_float32_array) {                                                           \
    float *o = out.data;                                                                          \
    DISPATCH_OPERANDS(OPNAME, float)                                                              \
  } else {                                                                                        \
    double *o = out.data;                                                                         \
    DISPATCH_OPERANDS(OPNAME, double)                                                             \
  }

// arithmetic(op, out, a, b): op 0 add, 1 sub, 2 mul, 3 div; a and b float arrays (at least
// out's length) or numbers, not both numbers -> false where any is something else
static napi_value Arithmetic(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  view out;
  if (argc != 4) return range_error(env, "arithmetic(op, out, a, b): bad arguments");
  int op = (int)get_int(env, argv[0]);
  if (op < 0 || op > 3) return range_error(env, "arithmetic: op must be 0 (add), 1 (sub), 2 (mul) or 3 (div)");
  if (!get_view(env, argv[1], &out) || !is_float(&out)) return boolean(env, false);
  size_t n = out.length;
  operand a, b;
  if (!get_operand(env, argv[2], n, &a) || !get_operand(env, argv[3], n, &b) || (a.kind == 2 && b.kind == 2))
    return boolean(env, false);
  switch (op) {
    case 0: DISPATCH_TYPE(add) break;
    case 1: DISPATCH_TYPE(sub) break;
    case 2: DISPATCH_TYPE(mul) break;
    case 3: DISPATCH_TYPE(div) break;
  }
  return boolean(env, true);
}

// ---- boxes copied between C-order buffers ------------------------------------------------------

#define MAX_DIMS 32
#include <string.h>

// reads a JS array of at most MAX_DIMS non-negative integers into `out`; its length, or -1
static int get_dims(napi_env env, napi_value value, int64_t *out) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, value, &is) != napi_ok || !is || napi_get_array_length(env, value, &n) != napi_ok || n > MAX_DIMS)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    double x = -1;
    if (napi_get_element(env, value, i, &e) != napi_ok || napi_get_value_double(env, e, &x) != napi_ok) return -1;
    if (!(x >= 0 && x <= 9007199254740991.0) || x != (double)(int64_t)x) return -1;
    out[i] = (int64_t)x;
  }
  return (int)n;
}

static size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

// whether the (non-empty) box [start, start + extent) lies in `shape`, and its last element
// inside a buffer of `length` elements (strides of `shape` in `strides`)
static bool box_fits(int n, const int64_t *shape, const int64_t *strides, const int64_t *start, const int64_t *extent,
                     size_t length) {
  double last = 0;
  for (int d = 0; d < n; d++) {
    if (start[d] + extent[d] > shape[d]) return false;
    last += (double)(start[d] + extent[d] - 1) * (double)strides[d];
  }
  return last < (double)length;
}

// copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, extent): as copy-box.ts copyBox,
// rows along the last axis (trailing axes whole in both merged into one) by memcpy
static napi_value CopyBox(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  view src, dst;
  int64_t ss[MAX_DIMS], so[MAX_DIMS], ds[MAX_DIMS], dof[MAX_DIMS], ex[MAX_DIMS];
  if (argc != 7 || !get_view(env, argv[0], &src) || !get_view(env, argv[3], &dst))
    return range_error(env, "copyBox(src, srcShape, srcStart, dst, dstShape, dstStart, extent): bad arguments");
  // shapes given some other way (typed arrays, more dims): left to the TypeScript loop
  int n = get_dims(env, argv[6], ex);
  if (n < 1 || get_dims(env, argv[1], ss) != n || get_dims(env, argv[2], so) != n || get_dims(env, argv[4], ds) != n ||
      get_dims(env, argv[5], dof) != n)
    return boolean(env, false);
  size_t es = element_size(src.type);
  if (es != element_size(dst.type)) return range_error(env, "copyBox: src and dst hold elements of different sizes");
  for (int d = 0; d < n; d++)
    if (ex[d] == 0) return boolean(env, true);
  int64_t sst[MAX_DIMS], dst_st[MAX_DIMS];
  sst[n - 1] = dst_st[n - 1] = 1;
  for (int d = n - 2; d >= 0; d--) {
    sst[d] = sst[d + 1] * ss[d + 1];
    dst_st[d] = dst_st[d + 1] * ds[d + 1];
  }
  if (!box_fits(n, ss, sst, so, ex, src.length) || !box_fits(n, ds, dst_st, dof, ex, dst.length))
    return range_error(env, "copyBox: the box lies outside src or dst");
  int row_axis = n - 1;
  int64_t row = ex[n - 1];
  while (row_axis > 0 && ex[row_axis] == ss[row_axis] && ex[row_axis] == ds[row_axis]) {
    row_axis--;
    row *= ex[row_axis];
  }
  int64_t s_off = 0, d_off = 0;
  for (int d = 0; d < n; d++) {
    s_off += so[d] * sst[d];
    d_off += dof[d] * dst_st[d];
  }
  const uint8_t *sp = src.data;
  uint8_t *dp = dst.data;
  int64_t idx[MAX_DIMS] = {0};
  for (;;) {
    memcpy(dp + d_off * es, sp + s_off * es, (size_t)row * es);
    int d = row_axis - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      s_off += sst[d];
      d_off += dst_st[d];
      if (idx[d] < ex[d]) break;
      s_off -= ex[d] * sst[d];
      d_off -= ex[d] * dst_st[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return boolean(env, true);
}

#define MAX_PARTS 256

// copyBoxToParts(src, srcShape, srcStart, extent, parts, widths): as copy-box.ts
// copyBoxToParts, each row of the box split into the parts by one memcpy each
static napi_value CopyBoxToParts(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  view src;
  int64_t ss[MAX_DIMS], so[MAX_DIMS], ex[MAX_DIMS], widths[MAX_PARTS];
  if (argc != 6 || !get_view(env, argv[0], &src))
    return range_error(env, "copyBoxToParts(src, srcShape, srcStart, extent, parts, widths): bad arguments");
  int n = get_dims(env, argv[3], ex);
  bool is_array = false;
  uint32_t count = 0;
  napi_is_array(env, argv[4], &is_array);
  if (is_array) napi_get_array_length(env, argv[4], &count);
  // shapes or parts given some other way: left to the TypeScript loop
  if (n < 1 || get_dims(env, argv[1], ss) != n || get_dims(env, argv[2], so) != n || !is_array || count < 1 ||
      count > MAX_PARTS || get_dims(env, argv[5], widths) != (int)count)
    return boolean(env, false);
  for (int d = 0; d < n; d++)
    if (ex[d] == 0) return boolean(env, true);
  size_t es = element_size(src.type);
  int64_t rows = 1, total = 0;
  for (int d = 0; d < n - 1; d++) rows *= ex[d];
  view parts[MAX_PARTS];
  for (uint32_t p = 0; p < count; p++) {
    napi_value e;
    napi_get_element(env, argv[4], p, &e);
    if (!get_view(env, e, &parts[p])) return range_error(env, "copyBoxToParts: a part is not a typed array");
    if (element_size(parts[p].type) != es) return range_error(env, "copyBoxToParts: src and a part hold elements of different sizes");
    if ((double)rows * (double)widths[p] > (double)parts[p].length) return range_error(env, "copyBoxToParts: a part is shorter than its rows");
    total += widths[p];
  }
  if (total != ex[n - 1]) return range_error(env, "copyBoxToParts: the widths do not add up to the box's last extent");
  int64_t sst[MAX_DIMS];
  sst[n - 1] = 1;
  for (int d = n - 2; d >= 0; d--) sst[d] = sst[d + 1] * ss[d + 1];
  if (!box_fits(n, ss, sst, so, ex, src.length)) return range_error(env, "copyBoxToParts: the box lies outside src");
  int64_t s_off = 0;
  for (int d = 0; d < n; d++) s_off += so[d] * sst[d];
  const uint8_t *sp = src.data;
  int64_t idx[MAX_DIMS] = {0};
  for (int64_t row = 0;; row++) {
    int64_t at = s_off;
    for (uint32_t p = 0; p < count; p++) {
      memcpy((uint8_t *)parts[p].data + (size_t)(row * widths[p]) * es, sp + (size_t)at * es, (size_t)widths[p] * es);
      at += widths[p];
    }
    int d = n - 2;
    for (; d >= 0; d--) {
      idx[d]++;
      s_off += sst[d];
      if (idx[d] < ex[d]) break;
      s_off -= ex[d] * sst[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return boolean(env, true);
}

// ---- inflate into a given buffer ----------------------------------------------------------------

// inflateInto(src, dst) -> bytes written: inflates the zlib stream `src` (HDF5's deflate filter)
// into `dst`, which must hold all of it. Why: zlib.inflateSync allocates a fresh output buffer
// per chunk (fresh pages and garbage: 2.1 s inflating and 0.8 s collecting in W6); this
// inflates into the caller's reused scratch buffer with one reused stream per thread.
static napi_value InflateInto(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  view src, dst;
  if (!get_byte_pair(env, info, 2, argv, &src, &dst) || src.length > UINT32_MAX || dst.length > UINT32_MAX)
    return range_error(env, "inflateInto(src, dst): Uint8Arrays below 4 GB");
  static __thread z_stream stream;
  static __thread bool ready = false;
  if (!ready) {
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, 15) != Z_OK) return range_error(env, "inflateInto: zlib could not start");
    ready = true;
  } else if (inflateReset(&stream) != Z_OK) {
    return range_error(env, "inflateInto: zlib could not restart");
  }
  stream.next_in = (Bytef *)src.data;
  stream.avail_in = (uInt)src.length;
  stream.next_out = (Bytef *)dst.data;
  stream.avail_out = (uInt)dst.length;
  int status = inflate(&stream, Z_FINISH);
  if (status != Z_STREAM_END) {
    napi_value error, message;
    const char *why = stream.avail_out == 0 && status != Z_DATA_ERROR ? "more data than the buffer holds"
                      : status == Z_BUF_ERROR                        ? "the stream ends early"
                      : stream.msg                                   ? stream.msg
                                                                     : "invalid deflate data";
    napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_throw(env, error);
    return NULL;
  }
  napi_value result;
  napi_create_int64(env, (int64_t)stream.total_out, &result);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "foldSumPlanes", NAPI_AUTO_LENGTH, FoldSumPlanes, NULL, &fn);
  napi_set_named_property(env, exports, "foldSumPlanes", fn);
  napi_create_function(env, "sumRows", NAPI_AUTO_LENGTH, SumRows, NULL, &fn);
  napi_set_named_property(env, exports, "sumRows", fn);
  napi_create_function(env, "unshuffle", NAPI_AUTO_LENGTH, Unshuffle, NULL, &fn);
  napi_set_named_property(env, exports, "unshuffle", fn);
  napi_create_function(env, "arithmetic", NAPI_AUTO_LENGTH, Arithmetic, NULL, &fn);
  napi_set_named_property(env, exports, "arithmetic", fn);
  napi_create_function(env, "copyBox", NAPI_AUTO_LENGTH, CopyBox, NULL, &fn);
  napi_set_named_property(env, exports, "copyBox", fn);
  napi_create_function(env, "copyBoxToParts", NAPI_AUTO_LENGTH, CopyBoxToParts, NULL, &fn);
  napi_set_named_property(env, exports, "copyBoxToParts", fn);
  napi_create_function(env, "inflateInto", NAPI_AUTO_LENGTH, InflateInto, NULL, &fn);
  napi_set_named_property(env, exports, "inflateInto", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
