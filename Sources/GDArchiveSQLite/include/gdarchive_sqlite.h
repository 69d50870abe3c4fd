#ifndef GDARCHIVE_SQLITE_H
#define GDARCHIVE_SQLITE_H
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_api_routines sqlite3_api_routines;
/// The extension's entry point (SQLite finds it from the file name libGDArchiveSQLite).
int sqlite3_gdarchivesqlite_init(sqlite3 *db, char **error, const sqlite3_api_routines *api);
#endif
