#include <sqlite3.h>

/* SQLite's process-wide settings, made before its first connection opens (sqlite3_config is
   variadic, which Swift cannot call).

   Memory statistics off: with them on (Debian's build), every allocation SQLite makes takes a
   global mutex to count it, and this build has no lookaside allocator, so an insert allocates
   often; Spoor never reads the statistics. Returns SQLITE_MISUSE when SQLite was already
   initialised, which changes nothing. */
static inline int spoor_sqlite_setup(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
