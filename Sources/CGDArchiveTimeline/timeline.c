#include "gdarchive_timeline.h"
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The distinct findings of one bucket: an open-addressing set of finding keys plus one (0
// marks an empty slot). One small set per bucket stays in the CPU's caches where one set of
// (bucket, finding) pairs for the whole range did not.
typedef struct {
    uint64_t *slots;
    size_t capacity, used;
    int shift;               // 64 - log2(capacity)
} Set;

#define MAX_BUCKETS 100000

typedef struct {
    int ready;
    int bucketCount;         // boundaries - 1
    char *text;              // the boundaries, NUL-separated
    const char **bounds;     // bucketCount + 1 pointers into text
    int *lengths;
    uint64_t (*words)[3];    // the boundaries as big-endian words, when all are 24 bytes long
    int samplesApart;        // the last argument, read once
    int last;                // the bucket of the previous row, tried first
    int64_t *counts;         // 4 per bucket
    Set *sets;               // 1 per bucket
} Timeline;

static uint64_t load_be(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static int words_compare(const uint64_t a[3], const uint64_t b[3]) {
    for (int i = 0; i < 3; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int compare(const unsigned char *a, int aLength, const char *b, int bLength) {
    int n = aLength < bLength ? aLength : bLength;
    int c = n > 0 ? memcmp(a, b, (size_t)n) : 0;
    return c != 0 ? c : aLength - bLength;
}

static int setup(Timeline *t, const char *bounds, int length) {
    t->text = malloc((size_t)length + 1);
    if (!t->text) return SQLITE_NOMEM;
    memcpy(t->text, bounds, (size_t)length);
    t->text[length] = 0;
    int count = 1;
    for (int i = 0; i < length; i++) if (t->text[i] == ',') count++;
    if (count < 2 || count - 1 > MAX_BUCKETS) return SQLITE_RANGE;
    t->bounds = malloc(sizeof(char *) * (size_t)count);
    t->lengths = malloc(sizeof(int) * (size_t)count);
    t->counts = calloc((size_t)(count - 1) * 4, sizeof(int64_t));
    t->sets = calloc((size_t)(count - 1), sizeof(Set));
    if (!t->bounds || !t->lengths || !t->counts || !t->sets) return SQLITE_NOMEM;
    int k = 0, start = 0;
    for (int i = 0; i <= length; i++) {
        if (i == length || t->text[i] == ',') {
            t->text[i] = 0;
            t->bounds[k] = t->text + start;
            t->lengths[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    t->bucketCount = count - 1;
    int fixed = 1;
    for (int i = 0; i < count; i++) if (t->lengths[i] != 24) fixed = 0;
    if (fixed) {
        t->words = malloc(sizeof *t->words * (size_t)count);
        if (!t->words) return SQLITE_NOMEM;
        for (int i = 0; i < count; i++)
            for (int w = 0; w < 3; w++) t->words[i][w] = load_be((const unsigned char *)t->bounds[i] + 8 * w);
    }
    t->ready = 1;
    return SQLITE_OK;
}

static int bucket(Timeline *t, const unsigned char *time, int length) {
    int last = t->last;
    if (t->words && length == 24) {
        uint64_t w[3] = {load_be(time), load_be(time + 8), load_be(time + 16)};
        if (words_compare(w, t->words[last]) >= 0 && words_compare(w, t->words[last + 1]) < 0) return last;
    } else if (compare(time, length, t->bounds[last], t->lengths[last]) >= 0 &&
               compare(time, length, t->bounds[last + 1], t->lengths[last + 1]) < 0) {
        return last;
    }
    int n = t->bucketCount;
    if (compare(time, length, t->bounds[0], t->lengths[0]) < 0 || compare(time, length, t->bounds[n], t->lengths[n]) >= 0) return -1;
    int lo = 0, hi = n;
    while (lo + 1 < hi) {
        int mid = (lo + hi) / 2;
        if (compare(time, length, t->bounds[mid], t->lengths[mid]) >= 0) lo = mid; else hi = mid;
    }
    t->last = lo;
    return lo;
}

// Fibonacci hashing: the top bits of the product depend on every bit of the key.
static size_t slot(uint64_t key, int shift) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> shift);
}

// Adds key (not 0) to set; 1 if it was new, 0 if present, -1 when out of memory.
static int insert(Set *set, uint64_t key) {
    if ((set->used + 1) * 4 > set->capacity * 3) {
        size_t capacity = set->capacity ? set->capacity * 2 : 64;
        int shift = set->capacity ? set->shift - 1 : 64 - 6;
        uint64_t *slots = calloc(capacity, sizeof(uint64_t));
        if (!slots) return -1;
        for (size_t i = 0; i < set->capacity; i++) {
            uint64_t k = set->slots[i];
            if (!k) continue;
            size_t j = slot(k, shift);
            while (slots[j]) j = (j + 1) & (capacity - 1);
            slots[j] = k;
        }
        free(set->slots);
        set->slots = slots;
        set->capacity = capacity;
        set->shift = shift;
    }
    size_t mask = set->capacity - 1, j = slot(key, set->shift);
    while (set->slots[j]) {
        if (set->slots[j] == key) return 0;
        j = (j + 1) & mask;
    }
    set->slots[j] = key;
    set->used++;
    return 1;
}

static void release(Timeline *t) {
    free(t->text);
    free(t->bounds);
    free(t->lengths);
    free(t->counts);
    free(t->words);
    if (t->sets) for (int i = 0; i < t->bucketCount; i++) free(t->sets[i].slots);
    free(t->sets);
    memset(t, 0, sizeof *t);
}

static void step(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    Timeline *t = sqlite3_aggregate_context(context, sizeof(Timeline));
    if (!t) { sqlite3_result_error_nomem(context); return; }
    if (!t->ready) {
        const char *bounds = (const char *)sqlite3_value_text(argv[4]);
        int rc = bounds ? setup(t, bounds, sqlite3_value_bytes(argv[4])) : SQLITE_RANGE;
        if (rc == SQLITE_NOMEM) { release(t); sqlite3_result_error_nomem(context); return; }
        if (rc != SQLITE_OK) { release(t); sqlite3_result_error(context, "gdarchive_timeline: bounds must be two or more boundaries joined by ','", -1); return; }
        t->samplesApart = sqlite3_value_int(argv[5]) == 1;
    }
    const unsigned char *time = sqlite3_value_text(argv[0]);
    if (!time) return;
    int b = bucket(t, time, sqlite3_value_bytes(argv[0]));
    if (b < 0) return;
    int64_t *counts = t->counts + 4 * b;
    if (t->samplesApart && sqlite3_value_int64(argv[3]) == 1) {
        counts[3]++;
        return;
    }
    // Keys are stored plus one (0 marks an empty slot); -1 would wrap to 0.
    sqlite3_int64 finding = sqlite3_value_int64(argv[1]);
    if (finding == -1) {
        sqlite3_result_error(context, "gdarchive_timeline: finding key -1", -1);
        return;
    }
    int added = insert(&t->sets[b], (uint64_t)finding + 1);
    if (added < 0) { sqlite3_result_error_nomem(context); return; }
    counts[0] += added;
    counts[1]++;
    counts[2] += sqlite3_value_int64(argv[2]);
}

static void final(sqlite3_context *context) {
    Timeline *t = sqlite3_aggregate_context(context, 0);
    if (!t || !t->ready) {
        sqlite3_result_null(context);
        if (t) release(t);
        return;
    }
    sqlite3_result_blob64(context, t->counts, (sqlite3_uint64)t->bucketCount * 4 * sizeof(int64_t), SQLITE_TRANSIENT);
    release(t);
}

int gdarchive_register_timeline(sqlite3 *db) {
    return sqlite3_create_function_v2(db, "gdarchive_timeline", 6, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                      NULL, NULL, step, final, NULL);
}
