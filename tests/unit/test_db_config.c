/*
 * Unit test for the store's process-wide SQLite settings (db/db.c
 * db_config): the first db_open turns SQLite's memory statistics off, so
 * that no allocation takes the library's global memory mutex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db/db_int.h"

/* Statements that allocate, on a file store and on a memory one: no allocation is counted. */
static void
test_no_memory_statistics(void **state)
{
	char dir[64], path[96], cmd[128];
	struct db *db = NULL, *mem = NULL;
	sqlite3_int64 cur = -1, hi = -1;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pechat-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	assert_int_equal(db_open(path, 1, &db, NULL), PECHAT_OK);
	assert_int_equal(db_open(":memory:", 1, &mem, NULL), PECHAT_OK);
	assert_int_equal(sqlite3_exec(db->conn, "CREATE TABLE t (v BLOB); INSERT INTO t VALUES (zeroblob(100000));"
	    " SELECT length(v) FROM t;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(mem->conn, "CREATE TABLE t (v BLOB); INSERT INTO t VALUES (zeroblob(100000));",
	    NULL, NULL, NULL), SQLITE_OK);
	/* with statistics on, the connections alone hold hundreds of KB */
	assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0), SQLITE_OK);
	assert_int_equal(cur, 0);
	assert_int_equal(hi, 0);
	assert_int_equal(sqlite3_memory_used(), 0);
	db_close(mem);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_memory_statistics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
