#ifndef STREAMQ_CZSTD_SHIM_H
#define STREAMQ_CZSTD_SHIM_H
#include <zstd.h>

/// ZSTD_isError returns an unsigned; this wrapper gives Swift a plain boolean.
static inline int streamq_zstd_is_error(size_t code) { return ZSTD_isError(code) ? 1 : 0; }
#endif
