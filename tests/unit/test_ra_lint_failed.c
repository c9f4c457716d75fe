/*
 * Unit test: a request whose certificate breaks the linter (docs/LINT.md)
 * — an auto-approved request through a profile whose end-entity keyUsage
 * has keyCertSign (set in the fixture: the config loader refuses it) — ends `failed` with error
 * `lint_failed` naming the broken rules, an audit entry `request.fail`,
 * no certificate row, and the issuing key never signs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;

static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "rlint") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	/* a profile the config loader would refuse, set here directly: an end entity with keyCertSign */
	F.profiles[0].key_usage |= PECHAT_KU_KEY_CERT_SIGN;
	F.file_store = 1;
	return ca_fixture_start(&F) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

static void
test_request_failed_with_lint_failed(void **state)
{
	struct ra_actor portal;
	struct db_request req;
	struct pechat_error e;
	struct ca_issuer *is;
	time_t signed_before;
	char sql[200];

	(void)state;
	assert_non_null(is = ca_issuer_find(F.ca, F.profiles[0].issuer));
	signed_before = hsm_key_last_signature(is->key);
	/* last signature times have 1 s resolution: start in a later second than the last one */
	while (time(NULL) <= signed_before)
		usleep(50000);
	memset(&portal, 0, sizeof(portal));
	pechat_strlcpy(portal.name, "portal", sizeof(portal.name));
	pechat_strlcpy(portal.role, "portal", sizeof(portal.role));
	assert_int_equal(ra_fixture_submit_cn(&F, &portal, F.profiles[0].name, "Lint Breaker", &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "failed");
	assert_string_equal(req.error_code, "lint_failed");
	assert_non_null(strstr(req.error_detail, "e_key_cert_sign_needs_ca"));
	assert_int_equal(hsm_key_last_signature(is->key), signed_before);     /* the CA key did not sign */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates WHERE request_id = '%s'", req.id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'request.fail' AND object = '%s' "
	    "AND detail = 'lint_failed'", req.id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	db_request_free_fields(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_failed_with_lint_failed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
