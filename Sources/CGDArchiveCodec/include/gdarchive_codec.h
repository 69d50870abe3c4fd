#ifndef GDARCHIVE_CODEC_H
#define GDARCHIVE_CODEC_H
// Compression of finding bodies (zstd), and the SQL functions that read them.
//
// A body is stored as one zstd frame. The first stored version of a finding (its base) is
// compressed alone; every later version is compressed with the base's text as a zstd prefix
// (a raw-content dictionary), so near-identical versions cost a few dozen bytes. Any zstd tool
// reads them: `zstd -d` for a base, `zstd -d --patch-from=BASE` for the others.
#include <stddef.h>

typedef struct sqlite3 sqlite3;

/// A compression and decompression context. Not thread-safe: one per thread.
typedef struct gdarchive_codec gdarchive_codec;

gdarchive_codec *gdarchive_codec_create(int level);
void gdarchive_codec_free(gdarchive_codec *codec);

/// The largest compressed size of `size` bytes.
size_t gdarchive_codec_bound(size_t size);

/// Compresses `src` into `dst` with `prefix` (may be NULL) as the dictionary. Returns the
/// compressed size, or 0 on failure.
size_t gdarchive_codec_compress(gdarchive_codec *codec, const void *src, size_t size,
                                const void *prefix, size_t prefixSize, void *dst, size_t capacity);

/// The decompressed size recorded in a frame, or -1 if the frame is damaged or says nothing.
long long gdarchive_codec_content_size(const void *src, size_t size);

/// Decompresses one frame into `dst`, with `prefix` (may be NULL) as the dictionary it was
/// compressed with. Returns the decompressed size, or -1 on failure.
long long gdarchive_codec_decompress(gdarchive_codec *codec, const void *src, size_t size,
                                     const void *prefix, size_t prefixSize, void *dst, size_t capacity);

/// Registers on `db`: `gdarchive_body(data, base_data)` -> TEXT, the body stored as `data`
/// (base_data is the compressed body of its base, or NULL); and
/// `gdarchive_compress(text, base_text)` -> BLOB, its inverse (used by migrations).
/// Returns an SQLite result code.
int gdarchive_register_codec_functions(sqlite3 *db);

#endif
