// A loadable SQLite extension with gdarchive's SQL functions, so that other SQLite clients
// (the sqlite3 shell, DB Browser) can read the views that carry finding bodies:
//
//     sqlite> .load /path/to/libGDArchiveSQLite
//     sqlite> SELECT body FROM latest_findings LIMIT 1;
//
// The codec is compiled here a second time, against the extension API (sqlite3ext.h routes
// every sqlite3_* call through the host's own SQLite).
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include "../CGDArchiveCodec/codec.c"
#include "gdarchive_sqlite.h"

int sqlite3_gdarchivesqlite_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
    (void)error;
    SQLITE_EXTENSION_INIT2(api);
    return gdarchive_register_codec_functions(db);
}
