#ifndef GDARCHIVE_CSQLITE_SHIM_H
#define GDARCHIVE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
