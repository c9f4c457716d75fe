/*
 * tests/unit/test_util.h — small checks shared by the unit tests (header
 * only: every unit test is its own executable). Include it after
 * <cmocka.h>: the helpers assert with it.
 */
#ifndef PECHAT_TEST_UTIL_H
#define PECHAT_TEST_UTIL_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"

/* 1 if e carries a field error for `field` with `rule` (any rule when rule is NULL). */
static inline int
test_has_field(const struct pechat_error *e, const char *field, const char *rule)
{
	int i;

	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) == 0 && (rule == NULL || strcmp(e->fields[i].rule, rule) == 0))
			return 1;
	return 0;
}

/* Rows in `table` of the store behind conn (asserts that the query runs). */
static inline int64_t
test_table_rows(sqlite3 *conn, const char *table)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* CLOCK_MONOTONIC in milliseconds (deadlines of polling tests). */
static inline int64_t
test_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
