/*
 * tests/unit/test_util.h — small checks shared by the unit tests (header
 * only: every unit test is its own executable).
 */
#ifndef PECHAT_TEST_UTIL_H
#define PECHAT_TEST_UTIL_H

#include <string.h>

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

#endif
