/*
 * Unit tests of OCSP answers owed after a status change (ca/ocsp_owed.c,
 * ca/publish.c, ca/ocsp_answer.c) with a running publisher over a file store:
 *  - a status change drops the serial's answers and leaves it owed, with no
 *    signature made on the calling thread; the re-signer signs it afterwards;
 *  - an owed revoked serial is answered "revoked" on demand with the slow
 *    path's rate-limit bucket empty (other serials still get tryLater);
 *  - a status change while the re-signer signs the serial never leaves the
 *    older answer: the serial stays owed and is signed again;
 *  - over the owed set's cap, a status change signs in place as before.
 * The re-signer is held at a stage through owed_test_hook.
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

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca/publish_int.h"
#include "ca_fixture.h"
#include "ocsp_table_test.h"
#include "test_util.h"

#define WAIT_MS 30000

static struct ca_fixture F;
static struct ca_publisher *pub;

/* The re-signer waits at hold_stage while hold is set; held says it does. */
static atomic_int hold, hold_stage, held;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* owed_test_hook: the re-signer stops at hold_stage until released. */
static void
hook(struct ca_publisher *p, int idx, const char *serial, int stage)
{
	(void)p;
	(void)idx;
	(void)serial;
	if (!atomic_load(&hold) || stage != atomic_load(&hold_stage))
		return;
	atomic_store(&held, 1);
	while (atomic_load(&hold))
		sleep_ms(1);
	atomic_store(&held, 0);
}

/* Holds the re-signer at stage (it signs nothing past it until release()). */
static void
hold_at(int stage)
{
	atomic_store(&hold_stage, stage);
	atomic_store(&held, 0);
	atomic_store(&hold, 1);
}

static void
release(void)
{
	atomic_store(&hold, 0);
}

/* Waits until the re-signer stands at the held stage. */
static void
wait_held(void)
{
	int64_t deadline = test_mono_ms() + WAIT_MS;

	while (!atomic_load(&held) && test_mono_ms() < deadline)
		sleep_ms(1);
	assert_true(atomic_load(&held));
}

static int
setup(void **state)
{
	struct ca_publish_conf pc;
	struct pechat_error e;
	int64_t deadline;

	(void)state;
	if (ca_fixture_init(&F, "owed") != 0)
		return -1;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	owed_test_hook = hook;
	ca_fixture_publish_conf(&F, &pc);
	pc.ocsp_on_demand_per_s = 1;    /* tiny: an empty bucket is easy to reach */
	pechat_error_clear(&e);
	if (ca_publisher_start(F.ca, F.db, &pc, &pub, &e) != PECHAT_OK) {
		print_error("publisher: %s %s\n", e.code, e.detail);
		return -1;
	}
	deadline = test_mono_ms() + WAIT_MS;
	while (!atomic_load(&pub->warm_done) && test_mono_ms() < deadline)
		sleep_ms(1);
	F.pub = pub;    /* the fixture's issue helpers tell it, then wait for the re-signer */
	return atomic_load(&pub->warm_done) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	release();
	F.pub = NULL;
	ca_publisher_stop(pub);
	owed_test_hook = NULL;
	return ca_fixture_teardown(&F);
}

/* A subscriber's certificate, its answers signed (the fixture waits for the re-signer). */
static void
issued(const char *cn, char serial[65])
{
	int at;

	ca_fixture_issue_subscriber(&F, cn, serial);
	assert_int_equal(ocsp_table_serial_answers(pub, serial, 0, &at), N_PRESIGN_MDS);
}

/* Revokes serial (keyCompromise) and tells the publisher, without waiting for the re-signer. */
static int64_t
revoke(const char *serial)
{
	struct db_revocation ev;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ca_fixture_revoke(&F, serial, CA_REVOKE, "keyCompromise", &ev, &e), PECHAT_OK);
	return ev.id;
}

/* What an OCSP answer for serial (SHA-1 CertID of issuer ecdsa) says. */
struct answer {
	int resp_status;        /* OCSP_RESPONSE_STATUS_* */
	int status;             /* V_OCSP_CERTSTATUS_*, -1 without a successful answer */
};

static struct answer
ask(const char *serial)
{
	struct answer a = { -1, -1 };
	OCSP_RESPONSE *resp = ca_fixture_ocsp_ask(&F, pub, "ecdsa", serial, EVP_sha1());
	OCSP_BASICRESP *bs;

	a.resp_status = OCSP_response_status(resp);
	if (a.resp_status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		assert_non_null(bs = OCSP_response_get1_basic(resp));
		assert_int_equal(OCSP_resp_count(bs), 1);
		a.status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, NULL);
		OCSP_BASICRESP_free(bs);
	}
	OCSP_RESPONSE_free(resp);
	return a;
}

/*
 * An issuance told to the publisher: the call returns with the serial owed,
 * no answer of it in the table and no signature made on the calling thread;
 * the re-signer (held, then released) signs its pre-signed answers.
 */
static void
test_status_change_owes(void **state)
{
	struct ca_publish_stats st0, st;
	struct pechat_error e;
	char serial[65];
	uint64_t signed0;
	X509 *cert;
	int at;

	(void)state;
	F.pub = NULL;           /* issued without telling: told below, as ra/ does */
	cert = ca_fixture_issue(&F, "qualified", "ec-p256.pem", "owed");
	F.pub = pub;
	assert_non_null(cert);
	assert_int_equal(ca_serial_hex(X509_get0_serialNumber(cert), serial, sizeof(serial)), 0);
	X509_free(cert);
	ca_publisher_stats(pub, &st0);
	hold_at(0);
	signed0 = ocsp_signed_here;
	pechat_error_clear(&e);
	assert_int_equal(ca_publisher_status_changed(pub, F.db, "ecdsa", serial, 0, &e), PECHAT_OK);
	assert_true(ocsp_signed_here == signed0);       /* nothing signed on this thread */
	assert_int_equal(ocsp_table_serial_answers(pub, serial, 0, &at), 0);
	ca_publisher_stats(pub, &st);
	assert_int_equal(st.ocsp_owed, 1);
	assert_int_equal(st.ocsp_owed_total, st0.ocsp_owed_total + 1);
	assert_int_equal(st.ocsp_owed_inline, st0.ocsp_owed_inline);
	wait_held();
	release();
	ca_fixture_owed_drain(&F);
	assert_int_equal(ocsp_table_serial_answers(pub, serial, 0, &at), N_PRESIGN_MDS);
	assert_int_equal(at, N_PRESIGN_MDS);
	ca_publisher_stats(pub, &st);
	assert_true(st.ocsp_owed_resigned > st0.ocsp_owed_resigned);
	assert_true(ocsp_signed_here == signed0);
}

/*
 * A revoked serial still owed (the re-signer held) with the rate limit's
 * bucket empty: an unknown serial gets tryLater, the revoked one its
 * "revoked" answer, signed on demand (no slow-path signature), then served
 * from the table.
 */
static void
test_owed_answered_without_token(void **state)
{
	struct ca_publish_stats st0, st;
	struct pub_issuer *pi;
	struct answer a;
	char serial[65];
	int64_t ev_id;
	int idx, at;

	(void)state;
	issued("on-demand", serial);
	assert_non_null(pi = pub_issuer_find(pub, "ecdsa", &idx));
	hold_at(0);
	ev_id = revoke(serial);
	wait_held();
	/* the bucket emptied (and kept so: far below zero, refilled at 1/s) */
	pthread_mutex_lock(&pi->rl_lock);
	pi->tokens = -1000.0;
	clock_gettime(CLOCK_MONOTONIC, &pi->rl_last);
	pthread_mutex_unlock(&pi->rl_lock);
	ca_publisher_stats(pub, &st0);
	a = ask("7E57AB1E0000000000000001");
	assert_int_equal(a.resp_status, OCSP_RESPONSE_STATUS_TRYLATER);
	a = ask(serial);
	assert_int_equal(a.resp_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(a.status, V_OCSP_CERTSTATUS_REVOKED);
	ca_publisher_stats(pub, &st);
	assert_int_equal(st.ocsp_owed_on_demand, st0.ocsp_owed_on_demand + 1);
	assert_int_equal(st.ocsp_on_demand_signed, st0.ocsp_on_demand_signed);
	assert_int_equal(st.ocsp_try_later, st0.ocsp_try_later + 1);
	assert_int_equal(st.ocsp_owed, 0);      /* signed once, unmarked */
	assert_int_equal(ocsp_table_serial_answers(pub, serial, ev_id, &at), N_PRESIGN_MDS);
	assert_int_equal(at, N_PRESIGN_MDS);
	/* asked again: from the table, nothing signed */
	a = ask(serial);
	assert_int_equal(a.status, V_OCSP_CERTSTATUS_REVOKED);
	ca_publisher_stats(pub, &st0);
	assert_int_equal(st0.ocsp_owed_on_demand, st.ocsp_owed_on_demand);
	assert_int_equal(st0.ocsp_presigned_hits, st.ocsp_presigned_hits + 1);
	release();
	ca_fixture_owed_drain(&F);
	pthread_mutex_lock(&pi->rl_lock);
	pi->tokens = 1.0;
	pthread_mutex_unlock(&pi->rl_lock);
}

/*
 * The serial revoked after the re-signer signed its "good" answers and
 * before it cleared the mark: the serial stays owed and is signed again;
 * its answers end at the revocation's event, never the older one.
 */
static void
test_change_while_signing(void **state)
{
	struct ca_publish_stats st;
	struct pechat_error e;
	char serial[65];
	int64_t ev_id;
	int at;

	(void)state;
	F.pub = NULL;           /* a subscriber's (revocable) certificate, told below */
	ca_fixture_issue_subscriber(&F, "raced", serial);
	F.pub = pub;
	hold_at(1);
	pechat_error_clear(&e);
	assert_int_equal(ca_publisher_status_changed(pub, F.db, "ecdsa", serial, 0, &e), PECHAT_OK);
	wait_held();    /* its "good" answers signed and in the table, the mark not cleared yet */
	assert_int_equal(ocsp_table_serial_answers(pub, serial, 0, &at), N_PRESIGN_MDS);
	ev_id = revoke(serial);
	assert_int_equal(ocsp_table_serial_answers(pub, serial, 0, &at), 0);    /* dropped at once */
	release();
	ca_fixture_owed_drain(&F);
	assert_int_equal(ocsp_table_serial_answers(pub, serial, ev_id, &at), N_PRESIGN_MDS);
	assert_int_equal(at, N_PRESIGN_MDS);
	ca_publisher_stats(pub, &st);
	assert_int_equal(st.ocsp_owed, 0);
	assert_int_equal(ask(serial).status, V_OCSP_CERTSTATUS_REVOKED);
}

/* With the owed set full, a status change signs its answers in place (on this thread), as before. */
static void
test_cap_signs_in_place(void **state)
{
	struct ca_publish_stats st0, st;
	char first[65], second[65];
	uint64_t signed0;
	int64_t ev_id;
	int at;

	(void)state;
	issued("cap-1", first);
	issued("cap-2", second);
	pub->owed_cap = 1;
	hold_at(0);
	revoke(first);          /* owed: the set is full */
	wait_held();
	ca_publisher_stats(pub, &st0);
	signed0 = ocsp_signed_here;
	ev_id = revoke(second); /* over the cap: signed here */
	ca_publisher_stats(pub, &st);
	assert_int_equal(st.ocsp_owed_inline, st0.ocsp_owed_inline + 1);
	assert_int_equal(st.ocsp_owed, 1);
	assert_true(ocsp_signed_here >= signed0 + N_PRESIGN_MDS);
	assert_int_equal(ocsp_table_serial_answers(pub, second, ev_id, &at), N_PRESIGN_MDS);
	assert_int_equal(at, N_PRESIGN_MDS);
	release();
	ca_fixture_owed_drain(&F);
	pub->owed_cap = OWED_MAX;
	assert_int_equal(ask(first).status, V_OCSP_CERTSTATUS_REVOKED);
}

/* After each test: the re-signer released and done, the cap back (a failed test leaves neither behind). */
static int
after(void **state)
{
	(void)state;
	release();
	pub->owed_cap = OWED_MAX;
	return ca_publisher_owed_wait(pub, WAIT_MS) ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_status_change_owes, after),
		cmocka_unit_test_teardown(test_owed_answered_without_token, after),
		cmocka_unit_test_teardown(test_change_while_signing, after),
		cmocka_unit_test_teardown(test_cap_signs_in_place, after),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
