#ifndef GDARCHIVE_TIMELINE_H
#define GDARCHIVE_TIMELINE_H
// The counting of `gdarchive report timeline`, as an SQL aggregate, so that a timeline over a
// million versions is one scan inside SQLite instead of a million rows handed to Swift.
//
//     SELECT gdarchive_timeline(f.updated_at, f.finding_key, f.occurrences, f.sample, ?bounds, ?samples_apart)
//     FROM finding_versions f WHERE …
//
// `bounds` is the buckets' boundaries, ascending, joined by ',' (stored UTC text, compared
// byte-wise as SQLite's BINARY collation does); a row belongs to bucket i when
// bounds[i] <= time < bounds[i + 1], and rows outside every bucket are ignored. With
// `samples_apart` = 1, a row whose `sample` is 1 is only counted as a left-out sample.
// The result is a BLOB of 4 native int64 per bucket: distinct findings, versions, summed
// occurrences (NULL as 0) and left-out samples; NULL when no row was aggregated.
typedef struct sqlite3 sqlite3;

/// Registers `gdarchive_timeline` on `db`. Returns an SQLite result code.
int gdarchive_register_timeline(sqlite3 *db);

#endif
