/*
 * Unit test: an auto-approved request is stored with its certificate in ONE
 * store transaction (one commit per issuance: the request, its checks and
 * subject, the certificate, its serial and key rows, both audit entries),
 * the request's audit entry before the certificate's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ca/ca_int.h"
#include "db/db_int.h"
#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static int commits;

/* sqlite3_commit_hook: counts the commits of the fixture's connection (0: let it commit). */
static int
count_commit(void *arg)
{
	(void)arg;
	commits++;
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "rsubmit") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
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
test_one_commit_per_issuance(void **state)
{
	struct ra_actor portal;
	struct db_request req;
	struct pechat_error e;
	char sql[300];

	(void)state;
	memset(&portal, 0, sizeof(portal));
	pechat_strlcpy(portal.name, "portal", sizeof(portal.name));
	pechat_strlcpy(portal.role, "portal", sizeof(portal.role));
	commits = 0;
	sqlite3_commit_hook(F.db->conn, count_commit, NULL);
	assert_int_equal(ra_fixture_submit_cn(&F, &portal, F.profiles[0].name, "One Commit", &req, &e), PECHAT_OK);
	sqlite3_commit_hook(F.db->conn, NULL, NULL);
	assert_string_equal(req.state, "issued");
	/* the OCSP answers' rows are written later, in batches, on another path: one commit here */
	assert_int_equal(commits, 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates c JOIN serials s ON s.serial = c.serial "
	    "JOIN certificate_keys k ON k.serial = c.serial WHERE c.request_id = '%s' AND c.serial = '%s'",
	    req.id, req.cert_serial);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM request_checks WHERE request_id = '%s'", req.id);
	assert_true(ra_fixture_sql_int(&F, sql) > 0);
	/* request.submit is written before certificate.issue, in the same transaction */
	snprintf(sql, sizeof(sql), "SELECT (SELECT id FROM audit WHERE action = 'request.submit' AND object = '%s') < "
	    "(SELECT id FROM audit WHERE action = 'certificate.issue' AND object = '%s')", req.id, req.cert_serial);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	db_request_free_fields(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_commit_per_issuance),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
