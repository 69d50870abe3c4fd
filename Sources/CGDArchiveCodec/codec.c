#include "gdarchive_codec.h"
#include <sqlite3.h>
#include <zstd.h>
#include <zdict.h>
#include <stdlib.h>
#include <string.h>

/// A trained dictionary, digested for compression and decompression.
typedef struct {
    unsigned id;
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
} codec_dictionary;

struct gdarchive_codec {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    int level;
    codec_dictionary *dictionaries;
    size_t dictionaryCount;
    unsigned active;   // the dictionary bodies without a prefix are compressed with; 0: none
};

gdarchive_codec *gdarchive_codec_create(int level) {
    gdarchive_codec *codec = calloc(1, sizeof *codec);
    if (!codec) return NULL;
    codec->cctx = ZSTD_createCCtx();
    codec->dctx = ZSTD_createDCtx();
    codec->level = level;
    if (!codec->cctx || !codec->dctx) {
        gdarchive_codec_free(codec);
        return NULL;
    }
    return codec;
}

void gdarchive_codec_free(gdarchive_codec *codec) {
    if (!codec) return;
    for (size_t i = 0; i < codec->dictionaryCount; i++) {
        ZSTD_freeCDict(codec->dictionaries[i].cdict);
        ZSTD_freeDDict(codec->dictionaries[i].ddict);
    }
    free(codec->dictionaries);
    ZSTD_freeCCtx(codec->cctx);
    ZSTD_freeDCtx(codec->dctx);
    free(codec);
}

static codec_dictionary *find_dictionary(gdarchive_codec *codec, unsigned id) {
    for (size_t i = 0; i < codec->dictionaryCount; i++) {
        if (codec->dictionaries[i].id == id) return &codec->dictionaries[i];
    }
    return NULL;
}

unsigned gdarchive_codec_add_dictionary(gdarchive_codec *codec, const void *dictionary, size_t size) {
    unsigned id = ZSTD_getDictID_fromDict(dictionary, size);
    if (id == 0) return 0;
    if (find_dictionary(codec, id)) return id;
    codec_dictionary *grown = realloc(codec->dictionaries, (codec->dictionaryCount + 1) * sizeof *grown);
    if (!grown) return 0;
    codec->dictionaries = grown;
    ZSTD_CDict *cdict = ZSTD_createCDict(dictionary, size, codec->level);
    ZSTD_DDict *ddict = ZSTD_createDDict(dictionary, size);
    if (!cdict || !ddict) {
        ZSTD_freeCDict(cdict);
        ZSTD_freeDDict(ddict);
        return 0;
    }
    codec->dictionaries[codec->dictionaryCount++] = (codec_dictionary){id, cdict, ddict};
    return id;
}

int gdarchive_codec_use_dictionary(gdarchive_codec *codec, unsigned id) {
    if (id != 0 && !find_dictionary(codec, id)) return -1;
    codec->active = id;
    return 0;
}

unsigned gdarchive_codec_frame_dictionary(const void *src, size_t size) {
    return ZSTD_getDictID_fromFrame(src, size);
}

size_t gdarchive_codec_train(void *dictionary, size_t capacity, const void *samples, const size_t *sizes, unsigned count) {
    size_t n = ZDICT_trainFromBuffer(dictionary, capacity, samples, sizes, count);
    return ZDICT_isError(n) ? 0 : n;
}

size_t gdarchive_codec_bound(size_t size) { return ZSTD_compressBound(size); }

size_t gdarchive_codec_compress(gdarchive_codec *codec, const void *src, size_t size,
                                const void *prefix, size_t prefixSize, void *dst, size_t capacity) {
    ZSTD_CCtx_reset(codec->cctx, ZSTD_reset_session_and_parameters);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(codec->cctx, ZSTD_c_compressionLevel, codec->level))) return 0;
    // No frame checksum: every body's SHA-256 is stored beside it, and `gdarchive check` verifies it.
    if (prefix && prefixSize > 0) {
        if (ZSTD_isError(ZSTD_CCtx_refPrefix(codec->cctx, prefix, prefixSize))) return 0;
    } else if (codec->active) {
        codec_dictionary *d = find_dictionary(codec, codec->active);
        if (!d || ZSTD_isError(ZSTD_CCtx_refCDict(codec->cctx, d->cdict))) return 0;
    }
    size_t written = ZSTD_compress2(codec->cctx, dst, capacity, src, size);
    return ZSTD_isError(written) ? 0 : written;
}

long long gdarchive_codec_content_size(const void *src, size_t size) {
    unsigned long long n = ZSTD_getFrameContentSize(src, size);
    // No body is larger than the largest JSON text an import reads (256 MiB): a frame that
    // claims more is refused before anything is allocated for it (a crafted literal passed
    // to gdarchive_body would otherwise allocate what it claims).
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > GDARCHIVE_MAXIMUM_BODY_BYTES) return -1;
    return (long long)n;
}

long long gdarchive_codec_decompress(gdarchive_codec *codec, const void *src, size_t size,
                                     const void *prefix, size_t prefixSize, void *dst, size_t capacity) {
    ZSTD_DCtx_reset(codec->dctx, ZSTD_reset_session_and_parameters);
    unsigned id = ZSTD_getDictID_fromFrame(src, size);
    if (id != 0) {
        codec_dictionary *d = find_dictionary(codec, id);
        if (!d) return -2;
        if (ZSTD_isError(ZSTD_DCtx_refDDict(codec->dctx, d->ddict))) return -1;
    } else if (prefix && prefixSize > 0) {
        if (ZSTD_isError(ZSTD_DCtx_refPrefix(codec->dctx, prefix, prefixSize))) return -1;
    }
    size_t n = ZSTD_decompressDCtx(codec->dctx, dst, capacity, src, size);
    return ZSTD_isError(n) ? -1 : (long long)n;
}

// MARK: - SQL functions

/// Adds dictionary `id` from the archive's body_dictionaries table (migration 13) to `codec`.
/// Returns 0, or -1 when the archive has no such dictionary.
static int load_dictionary(sqlite3 *db, gdarchive_codec *codec, unsigned id) {
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(db, "SELECT data FROM body_dictionaries WHERE dictionary_id = ?", -1, &statement, NULL) != SQLITE_OK) {
        sqlite3_finalize(statement);
        return -1;
    }
    sqlite3_bind_int64(statement, 1, (sqlite3_int64)id);
    int result = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        const void *data = sqlite3_column_blob(statement, 0);
        size_t size = (size_t)sqlite3_column_bytes(statement, 0);
        if (data && gdarchive_codec_add_dictionary(codec, data, size) == id) result = 0;
    }
    sqlite3_finalize(statement);
    return result;
}

/// Decompresses a frame into memory from sqlite3_malloc64 (plus a NUL), or returns NULL
/// with a message in *error. A frame made with a trained dictionary the codec does not have
/// yet gets it from `db`.
static char *inflate_frame(sqlite3 *db, gdarchive_codec *codec, const void *src, size_t size,
                           const void *prefix, size_t prefixSize, size_t *outSize, const char **error) {
    long long expected = gdarchive_codec_content_size(src, size);
    if (expected < 0) { *error = "gdarchive_body: the stored data is not a zstd frame with its size (damaged?)"; return NULL; }
    char *out = sqlite3_malloc64((sqlite3_uint64)expected + 1);
    if (!out) { *error = NULL; return NULL; }
    long long n = gdarchive_codec_decompress(codec, src, size, prefix, prefixSize, out, (size_t)expected);
    if (n == -2) {
        if (load_dictionary(db, codec, gdarchive_codec_frame_dictionary(src, size)) != 0) {
            sqlite3_free(out);
            *error = "gdarchive_body: the stored data needs a dictionary the archive does not have (body_dictionaries); run gdarchive check to list the versions, and restore the archive from a backup";
            return NULL;
        }
        n = gdarchive_codec_decompress(codec, src, size, prefix, prefixSize, out, (size_t)expected);
    }
    if (n != expected) {
        sqlite3_free(out);
        *error = "gdarchive_body: the stored data does not decompress (damaged, or its base is missing)";
        return NULL;
    }
    out[n] = 0;
    *outSize = (size_t)n;
    return out;
}

/// The SQL function's state: a context, and the last body it returned. A query that reads
/// `body` several times per row (json_type, then json_extract) decompresses it once.
typedef struct {
    gdarchive_codec *codec;
    unsigned char *lastInput;   // data, then base data
    size_t lastDataSize, lastBaseSize;
    char *lastText;
    size_t lastTextSize;
} body_state;

static void body_state_free(void *p) {
    body_state *state = p;
    if (!state) return;
    gdarchive_codec_free(state->codec);
    sqlite3_free(state->lastInput);
    sqlite3_free(state->lastText);
    sqlite3_free(state);
}

static void body_function(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    body_state *state = sqlite3_user_data(context);
    gdarchive_codec *codec = state->codec;
    int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_NULL) { sqlite3_result_null(context); return; }
    if (type == SQLITE_TEXT) { sqlite3_result_value(context, argv[0]); return; }  // stored uncompressed
    const void *data = sqlite3_value_blob(argv[0]);
    size_t dataSize = (size_t)sqlite3_value_bytes(argv[0]);
    int baseType = sqlite3_value_type(argv[1]);
    const void *baseData = baseType == SQLITE_NULL ? NULL : (baseType == SQLITE_BLOB ? sqlite3_value_blob(argv[1]) : (const void *)sqlite3_value_text(argv[1]));
    size_t baseDataSize = baseData ? (size_t)sqlite3_value_bytes(argv[1]) : 0;
    if (state->lastText && state->lastDataSize == dataSize && state->lastBaseSize == baseDataSize
        && memcmp(state->lastInput, data, dataSize) == 0
        && (baseDataSize == 0 || memcmp(state->lastInput + dataSize, baseData, baseDataSize) == 0)) {
        sqlite3_result_text64(context, state->lastText, state->lastTextSize, SQLITE_TRANSIENT, SQLITE_UTF8);
        return;
    }
    const char *error = NULL;
    char *base = NULL;
    size_t baseSize = 0;
    if (baseType == SQLITE_BLOB) {
        base = inflate_frame(sqlite3_context_db_handle(context), codec, baseData, baseDataSize, NULL, 0, &baseSize, &error);
        if (!base) { if (error) sqlite3_result_error(context, error, -1); else sqlite3_result_error_nomem(context); return; }
    } else if (baseType == SQLITE_TEXT) {
        base = sqlite3_malloc64((sqlite3_uint64)baseDataSize + 1);
        if (!base) { sqlite3_result_error_nomem(context); return; }
        baseSize = baseDataSize;
        memcpy(base, baseData, baseSize);
    }
    size_t size = 0;
    char *text = inflate_frame(sqlite3_context_db_handle(context), codec, data, dataSize, base, baseSize, &size, &error);
    sqlite3_free(base);
    if (!text) { if (error) sqlite3_result_error(context, error, -1); else sqlite3_result_error_nomem(context); return; }
    // Remember it (best effort: without memory, just do not cache).
    sqlite3_free(state->lastText);
    sqlite3_free(state->lastInput);
    state->lastText = NULL;
    state->lastInput = sqlite3_malloc64((sqlite3_uint64)(dataSize + baseDataSize) + 1);
    if (state->lastInput) {
        memcpy(state->lastInput, data, dataSize);
        if (baseDataSize) memcpy(state->lastInput + dataSize, baseData, baseDataSize);
        state->lastDataSize = dataSize;
        state->lastBaseSize = baseDataSize;
        state->lastText = sqlite3_malloc64((sqlite3_uint64)size + 1);
        if (state->lastText) {
            memcpy(state->lastText, text, size + 1);
            state->lastTextSize = size;
        }
    }
    sqlite3_result_text64(context, text, size, sqlite3_free, SQLITE_UTF8);
}

static void compress_function(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    gdarchive_codec *codec = sqlite3_user_data(context);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) { sqlite3_result_null(context); return; }
    const unsigned char *text = sqlite3_value_text(argv[0]);
    size_t size = (size_t)sqlite3_value_bytes(argv[0]);
    const unsigned char *base = NULL;
    size_t baseSize = 0;
    if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
        base = sqlite3_value_text(argv[1]);
        baseSize = (size_t)sqlite3_value_bytes(argv[1]);
    }
    size_t capacity = gdarchive_codec_bound(size);
    void *out = sqlite3_malloc64(capacity);
    if (!out) { sqlite3_result_error_nomem(context); return; }
    size_t n = gdarchive_codec_compress(codec, text, size, base, baseSize, out, capacity);
    if (n == 0) { sqlite3_free(out); sqlite3_result_error(context, "gdarchive_compress: compression failed", -1); return; }
    sqlite3_result_blob64(context, out, n, sqlite3_free);
}

static void free_codec(void *codec) { gdarchive_codec_free(codec); }

int gdarchive_register_codec_functions(sqlite3 *db) {
    body_state *reader = sqlite3_malloc64(sizeof *reader);
    gdarchive_codec *writer = gdarchive_codec_create(3);
    if (reader) {
        memset(reader, 0, sizeof *reader);
        reader->codec = gdarchive_codec_create(3);
    }
    if (!reader || !reader->codec || !writer) { body_state_free(reader); gdarchive_codec_free(writer); return SQLITE_NOMEM; }
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function_v2(db, "gdarchive_body", 2, flags, reader, body_function, NULL, NULL, body_state_free);
    if (rc != SQLITE_OK) { gdarchive_codec_free(writer); return rc; }
    return sqlite3_create_function_v2(db, "gdarchive_compress", 2, flags, writer, compress_function, NULL, NULL, free_codec);
}
