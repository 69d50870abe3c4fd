#ifndef GDARCHIVE_CZLIB_SHIM_H
#define GDARCHIVE_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro, which Swift cannot call; this wraps it.
/// windowBits 15 + 32 accepts both gzip and zlib framing (automatic header detection).
static inline int gdarchive_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
/// `deflateInit2` for gzip output (windowBits 15 + 16), used by tests and generators.
static inline int gdarchive_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
