#ifndef GDARCHIVE_CODEC_H
#define GDARCHIVE_CODEC_H
// Compression of finding bodies (zstd), and the SQL functions that read them.
//
// A body is stored as one zstd frame. The first stored version of a finding (its base) is
// compressed alone, or with a dictionary trained on earlier bases (its id is in the frame);
// every later version is compressed with the base's text as a zstd prefix (a raw-content
// dictionary), so near-identical versions cost a few dozen bytes. Any zstd tool reads them:
// `zstd -d` (or `zstd -d -D DICTIONARY`) for a base, `zstd -d --patch-from=BASE` for the others.
#include <stddef.h>

/// The largest body a frame may hold: the largest JSON text an import reads (256 MiB).
#define GDARCHIVE_MAXIMUM_BODY_BYTES (256ull * 1024 * 1024)

typedef struct sqlite3 sqlite3;

/// A compression and decompression context. Not thread-safe: one per thread.
typedef struct gdarchive_codec gdarchive_codec;

gdarchive_codec *gdarchive_codec_create(int level);
void gdarchive_codec_free(gdarchive_codec *codec);

/// The largest compressed size of `size` bytes.
size_t gdarchive_codec_bound(size_t size);

/// Adds a trained zstd dictionary (as ZDICT makes them) to the codec. Returns its id (from
/// the dictionary itself), or 0 if it is not a dictionary or memory ran out.
unsigned gdarchive_codec_add_dictionary(gdarchive_codec *codec, const void *dictionary, size_t size);

/// Compresses bodies without a prefix with dictionary `id` from now on (0: without). Returns
/// -1 if the codec does not have it.
int gdarchive_codec_use_dictionary(gdarchive_codec *codec, unsigned id);

/// The id of the dictionary a frame was compressed with, or 0.
unsigned gdarchive_codec_frame_dictionary(const void *src, size_t size);

/// Trains a dictionary of at most `capacity` bytes on `count` samples stored one after the
/// other in `samples` with the given sizes (ZDICT_trainFromBuffer). Returns its size, or 0.
size_t gdarchive_codec_train(void *dictionary, size_t capacity, const void *samples, const size_t *sizes, unsigned count);

/// Compresses `src` into `dst` with `prefix` (may be NULL) as the dictionary; without a prefix,
/// with the dictionary in use, if any. Returns the compressed size, or 0 on failure.
size_t gdarchive_codec_compress(gdarchive_codec *codec, const void *src, size_t size,
                                const void *prefix, size_t prefixSize, void *dst, size_t capacity);

/// The decompressed size recorded in a frame, or -1 if the frame is damaged or says nothing.
long long gdarchive_codec_content_size(const void *src, size_t size);

/// Decompresses one frame into `dst`, with `prefix` (may be NULL) as the dictionary it was
/// compressed with, or the trained dictionary the frame names. Returns the decompressed size,
/// -1 on failure, -2 when the frame needs a dictionary the codec does not have.
long long gdarchive_codec_decompress(gdarchive_codec *codec, const void *src, size_t size,
                                     const void *prefix, size_t prefixSize, void *dst, size_t capacity);

/// Registers on `db`: `gdarchive_body(data, base_data)` -> TEXT, the body stored as `data`
/// (base_data is the compressed body of its base, or NULL; trained dictionaries are read from
/// the table body_dictionaries when a frame needs one); and
/// `gdarchive_compress(text, base_text)` -> BLOB, its inverse (used by migrations).
/// Returns an SQLite result code.
int gdarchive_register_codec_functions(sqlite3 *db);

#endif
