/*
 * Unit tests (issue 10 item 3, no back-pointer): ca/ reports what an
 * issuance or a status change changed and ra/ tells the publisher it is
 * given (struct ra_ca) before its own call returns, with a running
 * publisher over a file store:
 *  - ra_request_submit of an auto-approved request: the new certificate's
 *    OCSP answers are in the publisher's table when the call returns;
 *  - ra_certificate_revoke: its answers say revoked (reflect the event)
 *    when the call returns;
 *  - the same with ra_ca.pub NULL: both succeed and nothing is published.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "ra/ra.h"

#include "ca_fixture.h"
#include "ocsp_table_test.h"
#include "test_util.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static struct ca_publisher *running;    /* the publisher; F.pub is it or NULL, as a test gives ra/ */
static const struct ra_actor portal = { "portal", "portal", "" };
static const struct ra_actor officer = { "officer1", "ra_officer", "" };

/*
 * Profile "qualified" auto-approved, the store in a file (the publisher
 * thread opens its own connection), a publisher whose start-up warm-up is
 * over: from then on only a caller that tells it adds a certificate's
 * answers (maintenance re-signs only answers already there).
 */
static int
group_setup(void **state)
{
	struct ca_publish_conf pc;
	struct pechat_error e;
	int64_t deadline;

	(void)state;
	if (ca_fixture_init(&F, "rpub") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	ca_fixture_publish_conf(&F, &pc);
	pechat_error_clear(&e);
	if (ca_publisher_start(F.ca, F.db, &pc, &running, &e) != PECHAT_OK) {
		print_error("publisher: %s %s\n", e.code, e.detail);
		return -1;
	}
	deadline = test_mono_ms() + 30000;
	while (!atomic_load(&running->warm_done) && test_mono_ms() < deadline) {
		struct timespec ts = { 0, 1000000L };

		nanosleep(&ts, NULL);
	}
	return atomic_load(&running->warm_done) ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	F.pub = NULL;
	ca_publisher_stop(running);
	return ca_fixture_teardown(&F);
}

/* An auto-approved request by the portal through ra/ as F.pub is; issued; its serial into serial. */
static void
submit(const char *cn, char serial[65])
{
	struct db_request req;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ra_fixture_submit_cn(&F, &portal, F.profiles[0].name, cn, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	pechat_strlcpy(serial, req.cert_serial, 65);
	assert_true(serial[0] != '\0');
	db_request_free_fields(&req);
}

/* With the publisher in struct ra_ca: issuance and revocation published before each call returns. */
static void
test_published_when_call_returns(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;
	char serial[65];
	int at_event;

	(void)state;
	F.pub = running;
	submit("Published", serial);
	ca_fixture_owed_drain(&F);      /* owed when the call returns (ca/ocsp_owed.c), then signed */
	assert_int_equal(ocsp_table_serial_answers(running, serial, 0, &at_event), N_PRESIGN_MDS);
	assert_int_equal(at_event, N_PRESIGN_MDS);      /* no status event yet: good */

	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_revoke(RA_CA(F), F.db, &officer, serial, "keyCompromise", 0, NULL, &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.serial, serial);
	assert_true(ev.id > 0);
	ca_fixture_owed_drain(&F);
	assert_int_equal(ocsp_table_serial_answers(running, serial, ev.id, &at_event), N_PRESIGN_MDS);
	assert_int_equal(at_event, N_PRESIGN_MDS);      /* every answer says revoked by this event */
	F.pub = NULL;
}

/* With pub NULL in struct ra_ca: the same calls succeed and publish nothing. */
static void
test_nothing_published_without_publisher(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;
	char serial[65];
	int at_event;

	(void)state;
	F.pub = NULL;
	submit("Unpublished", serial);
	assert_int_equal(ocsp_table_serial_answers(running, serial, 0, &at_event), 0);
	pechat_error_clear(&e);
	assert_int_equal(ra_certificate_revoke(RA_CA(F), F.db, &officer, serial, "superseded", 0, NULL, &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.kind, "revoke");
	assert_int_equal(ocsp_table_serial_answers(running, serial, ev.id, &at_event), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_when_call_returns),
		cmocka_unit_test(test_nothing_published_without_publisher),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
