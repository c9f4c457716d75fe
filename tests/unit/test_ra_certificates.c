/*
 * Unit tests for the RA's entries to status changes (ra/certificates.c,
 * ra/operators.c): a certificate's revoke / hold / release by an officer
 * (the event names the actor; a portal or auditor is refused with nothing
 * written); an operator's disable / enable (flag + audit in one
 * transaction, unknown name refused) and revoke (event under the operators
 * CA, audited with the actor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal", "portal", "" };
static const struct ra_actor auditor = { "auditor1", "auditor", "" };
static const struct ra_actor cli = { "cli:root", "admin", "" };

static int
setup(void **state)
{
	(void)state;
	return ca_fixture_setup(&F, "ra-certs");
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

static const char *
status(const char *serial)
{
	struct db_revocation ev;
	struct db_cert c;
	const char *st;

	assert_int_equal(db_cert_get(F.db, serial, &c, NULL), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &c, F.now, &st, &ev, NULL), PECHAT_OK);
	db_cert_free_fields(&c);
	return st;
}

static void
test_certificate_changes(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;
	char serial[65];
	int64_t audit;

	(void)state;
	ca_fixture_issue_subscriber(&F, "alice", serial);
	audit = ca_fixture_audit_count(&F);
	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_revoke(RA_CA(F), F.db, &portal, serial, "keyCompromise", 0, NULL, &ev, &e),
	    PECHAT_E_FORBIDDEN);
	assert_string_equal(e.code, "role_forbidden");
	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_hold(RA_CA(F), F.db, &auditor, serial, NULL, &ev, &e), PECHAT_E_FORBIDDEN);
	assert_int_equal(ca_fixture_audit_count(&F), audit);
	assert_string_equal(status(serial), "valid");

	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_hold(RA_CA(F), F.db, &officer, serial, "lost", &ev, &e), PECHAT_OK);
	assert_string_equal(ev.kind, "hold");
	assert_string_equal(ev.actor, "officer1");
	assert_string_equal(status(serial), "on_hold");
	assert_int_equal(ra_certificate_release(RA_CA(F), F.db, &officer, serial, "found", &ev, &e), PECHAT_OK);
	assert_string_equal(status(serial), "valid");
	assert_int_equal(ra_certificate_release(RA_CA(F), F.db, &officer, serial, NULL, &ev, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "not_on_hold");
	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_revoke(RA_CA(F), F.db, &officer, serial, "keyCompromise", 0, NULL, &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.reason, "keyCompromise");
	assert_string_equal(status(serial), "revoked");
	assert_int_equal(ca_fixture_audit_count(&F), audit + 3);
}

static void
test_operators(void **state)
{
	struct db_revocation ev;
	struct db_operator op;
	struct pechat_error e;
	int64_t audit;

	(void)state;
	audit = ca_fixture_audit_count(&F);
	pechat_error_clear(&e);
	assert_int_equal(ra_operator_set_enabled(F.db, &cli, F.now, "nobody", 0, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "operator_unknown");
	assert_int_equal(ca_fixture_audit_count(&F), audit);
	assert_int_equal(ra_operator_set_enabled(F.db, &cli, F.now, "portal", 0, &e), PECHAT_OK);
	assert_int_equal(db_operator_by_name(F.db, "portal", &op, NULL), PECHAT_OK);
	assert_int_equal(op.enabled, 0);
	assert_int_equal(ra_operator_set_enabled(F.db, &cli, F.now, "portal", 1, &e), PECHAT_OK);
	assert_int_equal(db_operator_by_name(F.db, "portal", &op, NULL), PECHAT_OK);
	assert_int_equal(op.enabled, 1);
	assert_int_equal(ca_fixture_audit_count(&F), audit + 2);

	pechat_error_clear(&e);
	assert_int_equal(ra_operator_revoke(F.db, &F.clock, &cli, "nobody", NULL, NULL, &ev, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "operator_unknown");
	pechat_error_clear(&e);
	assert_int_equal(ra_operator_revoke(F.db, &F.clock, &cli, "portal", "affiliationChanged", "left", &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.kind, "revoke");
	assert_string_equal(ev.issuer, CA_OPERATORS_ISSUER);
	assert_string_equal(ev.actor, "cli:root");
	assert_int_equal(ca_fixture_audit_count(&F), audit + 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_certificate_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
