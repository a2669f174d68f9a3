#ifndef STREAMQ_CZLIB_SHIM_H
#define STREAMQ_CZLIB_SHIM_H
#include <zlib.h>

/// deflateInit2 is a macro; this gives Swift a function for a gzip (not zlib) stream.
static inline int streamq_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
