/*
 * Unit tests for the one certificate-status rule (ca/status.c): the rule
 * itself over event sequences, and through the store for a subscriber
 * certificate: valid, on hold, released after a hold, revoked after a
 * hold, revoked, expired (and that a revoked one stays revoked past expiry);
 * the status derived from a change's own event (ca_cert_status_of) is the
 * store's after each change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ca/ca.h"

#include "ca_fixture.h"

static struct ca_fixture F;

static int
setup(void **state)
{
	(void)state;
	return ca_fixture_setup(&F, "status-rule");
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* An event of `kind` with a non-zero id. */
static struct db_revocation
event(const char *kind)
{
	struct db_revocation ev;

	memset(&ev, 0, sizeof(ev));
	ev.id = 7;
	pechat_strlcpy(ev.kind, kind, sizeof(ev.kind));
	return ev;
}

/* The rule alone: last event and expiry. */
static void
test_rule(void **state)
{
	struct db_revocation none = event(""), rev = event("revoke"), hold = event("hold"), rel = event("release");

	(void)state;
	none.id = 0;
	assert_int_equal(ca_status_rule(NULL, 1000, 500), CA_STATE_VALID);
	assert_int_equal(ca_status_rule(&none, 1000, 500), CA_STATE_VALID);
	assert_int_equal(ca_status_rule(&rel, 1000, 500), CA_STATE_VALID);
	assert_int_equal(ca_status_rule(&hold, 1000, 500), CA_STATE_ON_HOLD);
	assert_int_equal(ca_status_rule(&rev, 1000, 500), CA_STATE_REVOKED);
	/* expiry: only a valid certificate expires; now 0 ignores it */
	assert_int_equal(ca_status_rule(NULL, 1000, 1001), CA_STATE_EXPIRED);
	assert_int_equal(ca_status_rule(&rel, 1000, 1001), CA_STATE_EXPIRED);
	assert_int_equal(ca_status_rule(NULL, 1000, 1000), CA_STATE_VALID);
	assert_int_equal(ca_status_rule(NULL, 1000, 0), CA_STATE_VALID);
	assert_int_equal(ca_status_rule(&rev, 1000, 1001), CA_STATE_REVOKED);
	assert_int_equal(ca_status_rule(&hold, 1000, 1001), CA_STATE_ON_HOLD);
	assert_string_equal(ca_cert_state_name(CA_STATE_VALID), "valid");
	assert_string_equal(ca_cert_state_name(CA_STATE_ON_HOLD), "on_hold");
	assert_string_equal(ca_cert_state_name(CA_STATE_REVOKED), "revoked");
	assert_string_equal(ca_cert_state_name(CA_STATE_EXPIRED), "expired");
}

/* Status of serial through the store at F.now: the API name and the event's kind ("" = none). */
static void
expect(const char *serial, const char *status, const char *ev_kind)
{
	struct pechat_error e;
	struct db_revocation ev;
	struct db_cert c;
	const char *st;

	pechat_error_clear(&e);
	assert_int_equal(db_cert_get(F.db, serial, &c, &e), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &c, F.now, &st, &ev, &e), PECHAT_OK);
	assert_string_equal(st, status);
	assert_string_equal(ev.kind, ev_kind);
	db_cert_free_fields(&c);
}

/*
 * A status change of serial; then the status ca_cert_status_of derives from
 * the event the change reported (what a reply shows) is the store's.
 */
static void
change(const char *serial, enum ca_revoke_action action, const char *reason)
{
	struct db_revocation made, shown, stored;
	struct pechat_error e;
	struct db_cert c;
	const char *st;

	pechat_error_clear(&e);
	if (ca_revoke(F.ca, F.db, serial, action, reason, 0, "officer1", NULL, &made, &e) != PECHAT_OK)
		fail_msg("status change: %s %s", e.code, e.detail);
	assert_int_equal(db_cert_get(F.db, serial, &c, &e), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &c, F.now, &st, &stored, &e), PECHAT_OK);
	assert_string_equal(ca_cert_status_of(&c, &made, F.now, &shown), st);
	assert_int_equal(shown.id, stored.id);
	assert_string_equal(shown.kind, stored.kind);
	assert_string_equal(shown.reason, stored.reason);
	assert_string_equal(shown.actor, stored.actor);
	assert_int_equal(shown.revoked_at, stored.revoked_at);
	db_cert_free_fields(&c);
}

/* Through the store: every transition of the rule. */
static void
test_through_store(void **state)
{
	char a[65], b[65], c[65], d[65];
	struct db_cert cert;

	(void)state;
	ca_fixture_issue_subscriber(&F, "a", a);
	ca_fixture_issue_subscriber(&F, "b", b);
	ca_fixture_issue_subscriber(&F, "c", c);
	ca_fixture_issue_subscriber(&F, "d", d);
	expect(a, "valid", "");
	change(a, CA_HOLD, NULL);
	expect(a, "on_hold", "hold");
	change(a, CA_RELEASE, NULL);
	expect(a, "valid", "");                 /* released after a hold: no revocation to show */
	change(b, CA_HOLD, NULL);
	change(b, CA_REVOKE, "keyCompromise");
	expect(b, "revoked", "revoke");         /* revoked after a hold */
	change(c, CA_REVOKE, "superseded");
	expect(c, "revoked", "revoke");
	assert_int_equal(db_cert_get(F.db, d, &cert, NULL), PECHAT_OK);
	F.now = cert.not_after + 1;
	db_cert_free_fields(&cert);
	expect(d, "expired", "");
	expect(c, "revoked", "revoke");         /* revoked stays revoked past expiry */
	expect(a, "expired", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test_setup_teardown(test_through_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
