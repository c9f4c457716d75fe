/*
 * Unit tests of the publisher (ca/publish.c, ca/ocsp_table.c,
 * ca/crl_sched.c) with a running publisher thread over a file store:
 *  - dropping a serial's OCSP answers touches only that serial's bucket,
 *    not the whole table;
 *  - a maintenance pass with many answers due works in bounded slices, and
 *    a revocation made while it runs reaches the CRLs (full and delta)
 *    before the pass ends, within crl_max_delay_ms.
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

#include <openssl/x509.h>
#include <sqlite3.h>

#include "db/db_int.h"

#include "ca/publish_int.h"
#include "ca_fixture.h"
#include "ocsp_table_test.h"
#include "test_util.h"

#define N_CERTS 150
#define SLICE 4
#define MAX_DELAY_MS 100
#define N_VICTIMS 4            /* rounds of the slices test (one revocation each) */

struct t {
	struct ca_fixture f;
	struct ca_publisher *pub;
	char serials[N_CERTS][65];
	int n;
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A file store (the thread opens its own connection), a publisher with small slices. */
static int
setup(void **state)
{
	static struct t t;
	struct ca_publish_conf pc;
	struct pechat_error e;

	memset(&t, 0, sizeof(t));
	if (ca_fixture_init(&t.f, "pub") != 0)
		return -1;
	t.f.file_store = 1;
	if (ca_fixture_start(&t.f) != 0)
		return -1;
	ca_fixture_publish_conf(&t.f, &pc);
	pc.crl_max_delay_ms = MAX_DELAY_MS;
	pc.maint_slice_answers = SLICE;
	pc.maint_slice_ms = 1000;
	pechat_error_clear(&e);
	if (ca_publisher_start(t.f.ca, t.f.db, &pc, &t.pub, &e) != PECHAT_OK) {
		fprintf(stderr, "publisher: %s %s\n", e.code, e.detail);
		return -1;
	}
	t.f.pub = t.pub;        /* the fixture's issue and revoke helpers tell it from ca/'s reports, as ra/ does */
	*state = &t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	t->f.pub = NULL;
	ca_publisher_stop(t->pub);
	return ca_fixture_teardown(&t->f);
}

/* Issues certificates (their answers pre-signed: the fixture tells the publisher) until t->n == n. */
static void
issue_up_to(struct t *t, int n)
{
	X509 *cert;
	char cn[32];

	for (; t->n < n; t->n++) {
		snprintf(cn, sizeof(cn), "cert %d", t->n);
		cert = ca_fixture_issue(&t->f, "qualified", "ec-p256.pem", cn);
		assert_non_null(cert);
		assert_int_equal(ca_serial_hex(X509_get0_serialNumber(cert), t->serials[t->n],
		    sizeof(t->serials[0])), 0);
		X509_free(cert);
	}
}

/* 1 for any entry (ocsp_table_walk's fn). */
static size_t
any_entry(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	(void)pub;
	(void)en;
	(void)arg;
	return 1;
}

/* Entries in the whole OCSP table (test only: takes every shard's read lock). */
static size_t
table_size(struct ca_publisher *pub)
{
	return ocsp_table_walk(pub, any_entry, NULL);
}

struct expired_arg {
	time_t now;
	const char *serial;
};

/* 1 if en's certificate expired before now and en is past its nextUpdate, or en is of serial. */
static size_t
expired_or_serial(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	const struct expired_arg *a = arg;

	(void)pub;
	return (en->cert_not_after != 0 && en->cert_not_after < a->now && en->next_update <= a->now) ||
	    ocsp_entry_is(en, a->serial);
}

/* Entries whose certificate expired before now and which are past their nextUpdate, or of serial (test only). */
static size_t
table_expired(struct ca_publisher *pub, time_t now, const char *serial)
{
	struct expired_arg a = { now, serial };

	return ocsp_table_walk(pub, expired_or_serial, &a);
}

/* 1 if the issuer's current CRL (full or delta) lists serial. */
static int
crl_lists(struct ca_publisher *pub, const char *issuer, int delta, const char *serial)
{
	struct pechat_error e;
	struct ca_blob *blob = NULL;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	STACK_OF(X509_REVOKED) *rev;
	char hex[65];
	int i, found = 0;

	pechat_error_clear(&e);
	if (ca_crl_current(pub, issuer, delta, &blob, &e) != PECHAT_OK)
		return 0;
	p = blob->data;
	crl = d2i_X509_CRL(NULL, &p, (long)blob->len);
	ca_blob_release(blob);
	assert_non_null(crl);
	rev = X509_CRL_get_REVOKED(crl);
	for (i = 0; i < sk_X509_REVOKED_num(rev) && !found; i++)
		found = ca_serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, i)), hex,
		    sizeof(hex)) == 0 && strcmp(hex, serial) == 0;
	X509_CRL_free(crl);
	return found;
}

/* Dropping one serial's answers examines that serial's bucket only, not the table. */
static void
test_drop_touches_one_bucket(void **state)
{
	struct t *t = *state;
	uint64_t before, visited;
	int idx, i;
	size_t size;

	issue_up_to(t, 40);
	assert_non_null(pub_issuer_find(t->pub, "ecdsa", &idx));
	size = table_size(t->pub);
	assert_true(size >= 80);        /* SHA-1 and SHA-256 answers of 40 certificates, and more */
	for (i = 0; i < N_PRESIGN_MDS; i++)
		assert_int_equal(cache_has(t->pub, idx, t->serials[7], presign_mds[i]), 1);
	before = atomic_load(&t->pub->drop_visited);
	cache_drop_serial(t->pub, idx, t->serials[7]);
	visited = atomic_load(&t->pub->drop_visited) - before;
	/* the two answers of the serial, and at most a few bucket neighbours */
	print_message("drop examined %llu of %zu entries\n", (unsigned long long)visited, size);
	assert_true(visited >= N_PRESIGN_MDS);
	assert_true(visited <= 8);
	for (i = 0; i < N_PRESIGN_MDS; i++) {
		assert_int_equal(cache_has(t->pub, idx, t->serials[7], presign_mds[i]), 0);
		assert_int_equal(cache_has(t->pub, idx, t->serials[8], presign_mds[i]), 1);
	}
	assert_int_equal(table_size(t->pub), size - N_PRESIGN_MDS);
	/* a drop of a serial with no answers examines no more than its bucket either */
	before = atomic_load(&t->pub->drop_visited);
	cache_drop_serial(t->pub, idx, "0123456789ABCDEF");
	assert_true(atomic_load(&t->pub->drop_visited) - before <= 6);
}

/*
 * An entry holds no serial of its own: entry_serial reads its key's CertID
 * (a high bit gets no sign octet, a leading zero nibble is kept), and a drop
 * finds it whatever hex form the serial is named in. A name that is not a
 * positive hex serial drops nothing and examines nothing.
 */
static void
test_entry_serial_from_certid(void **state)
{
	static const char *const serials[] = { "80AB01", "0F2A", "7F" };
	static const char *const named[] = { "0080ab01", "f2a", "007F" };
	static const unsigned char der[] = "stands for an answer";
	struct t *t = *state;
	OCSP_CERTID *id;
	struct ocsp_entry *en;
	char hex[65];
	uint64_t before;
	time_t now = time(NULL);
	size_t i, size;
	int idx;

	assert_non_null(pub_issuer_find(t->pub, "ecdsa", &idx));
	size = table_size(t->pub);
	for (i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		id = NULL;
		assert_int_equal(ca_ocsp_certid_new(t->pub->ca, "ecdsa", serials[i], EVP_sha1(), &id, NULL), PECHAT_OK);
		assert_non_null(en = entry_new(t->pub, idx, id, "SHA1", der, sizeof(der), now, now + 3600, NULL));
		assert_int_equal(entry_serial(en, hex), 0);
		assert_string_equal(hex, serials[i]);
		assert_string_equal(entry_md(en), "SHA1");
		cache_put(t->pub, en);
		OCSP_CERTID_free(id);
	}
	assert_int_equal(table_size(t->pub), size + 3);
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		cache_drop_serial(t->pub, idx, named[i]);
	assert_int_equal(table_size(t->pub), size);
	before = atomic_load(&t->pub->drop_visited);
	cache_drop_serial(t->pub, idx, "not hex");
	cache_drop_serial(t->pub, idx, "00");
	cache_drop_serial(t->pub, idx, "");
	assert_true(atomic_load(&t->pub->drop_visited) == before);
}

/*
 * A maintenance pass with every answer due re-signs at most SLICE
 * certificates per slice, and a revocation made while it runs is in the
 * full and delta CRL before the pass has finished. "While it runs" is
 * checked through state, not time: the pass's progress is read right after
 * the revocation returns; a round where a loaded machine let the whole pass
 * finish first proves nothing and is played again with the next victim.
 */
static void
test_maintenance_slices_let_crls_through(void **state)
{
	struct t *t = *state;
	struct pechat_error e;
	struct db_revocation ev;
	const char *victim;
	uint64_t queued0, refreshed0, queued, at_revoke, at_crl;
	int64_t deadline;
	size_t left = 0;
	int idx, round, proved = 0;

	issue_up_to(t, N_CERTS - N_VICTIMS);
	/* the last ones are a subscriber's: the ones the revocation API may act on */
	while (t->n < N_CERTS)
		ca_fixture_issue_subscriber(&t->f, "victim", t->serials[t->n++]);
	assert_non_null(pub_issuer_find(t->pub, "ecdsa", &idx));
	for (round = 0; round < N_VICTIMS && !proved; round++) {
		victim = t->serials[N_CERTS - N_VICTIMS + round];
		assert_int_equal(crl_lists(t->pub, "ecdsa", 0, victim), 0);
		queued0 = atomic_load(&t->pub->maint_queued);
		refreshed0 = atomic_load(&t->pub->maint_refreshed);

		/* every answer now inside the refresh window (the mutex in maintain_now publishes the write) */
		t->f.now += 14400 - 3600 + 60;
		publisher_maintain_now(t->pub);
		/* wait for THIS pass (a pass begun before the clock moved may still be refreshing) */
		deadline = test_mono_ms() + 30000;
		while ((atomic_load(&t->pub->maint_queued) - queued0 < N_CERTS ||
		    atomic_load(&t->pub->maint_refreshed) == refreshed0) && test_mono_ms() < deadline)
			sleep_ms(1);
		queued = atomic_load(&t->pub->maint_queued) - queued0;
		assert_true(queued >= N_CERTS);
		assert_true(atomic_load(&t->pub->maint_refreshed) > refreshed0);

		/* a revocation while the pass runs */
		pechat_error_clear(&e);
		if (ca_fixture_revoke(&t->f, victim, CA_REVOKE, "keyCompromise", &ev, &e) != PECHAT_OK)
			fail_msg("revoke: %s %s", e.code, e.detail);
		at_revoke = atomic_load(&t->pub->maint_refreshed) - refreshed0;
		deadline = test_mono_ms() + MAX_DELAY_MS + 30000;    /* only a bound: what is asserted is the order */
		while (!(crl_lists(t->pub, "ecdsa", 0, victim) && crl_lists(t->pub, "ecdsa", 1, victim)) &&
		    test_mono_ms() < deadline)
			sleep_ms(1);
		/* progress of the pass when the thread published that pair (this thread may have slept long) */
		at_crl = atomic_load(&t->pub->maint_at_crl) - refreshed0;
		print_message("round %d: revoked at %llu, CRL at %llu of %llu certificates refreshed, slices of <= %llu\n",
		    round, (unsigned long long)at_revoke, (unsigned long long)at_crl, (unsigned long long)queued,
		    (unsigned long long)atomic_load(&t->pub->maint_slice_max));
		assert_true(crl_lists(t->pub, "ecdsa", 0, victim));
		assert_true(crl_lists(t->pub, "ecdsa", 1, victim));
		/* bounded work per slice */
		assert_true(atomic_load(&t->pub->maint_slice_max) <= SLICE);
		/* the pass was under way when the change was scheduled: its CRLs came in between, not after it */
		if (at_revoke + 1 < queued) {
			assert_true(at_crl < queued);
			proved = 1;
		}

		/* the pass still finishes: every answer re-signed, none left due */
		deadline = test_mono_ms() + 60000;
		while (atomic_load(&t->pub->maint_refreshed) - refreshed0 < queued && test_mono_ms() < deadline)
			sleep_ms(10);
		assert_int_equal(atomic_load(&t->pub->maint_refreshed) - refreshed0, queued);
		assert_true(atomic_load(&t->pub->maint_slice_max) <= SLICE);
		assert_true(atomic_load(&t->pub->maint_slices) >= queued / SLICE);
		free(collect_stale(t->pub, pechat_clock_now(t->f.ca->clock) + 3600, &left));
		assert_int_equal(left, 0);
	}
	if (!proved)
		skip();         /* every round's pass ended before its revocation: nothing shown either way */
}

/*
 * Issue 10 item 3: the debounce deadline is on the monotonic clock (the one
 * the thread waits on), not the wall clock; and mono_at maps the CA's clock
 * (what goes into CRLs) onto it.
 */
static void
test_debounce_is_monotonic(void **state)
{
	struct t *t = *state;
	int64_t before, after, deadline, at;
	time_t now = pechat_clock_now(t->f.ca->clock);

	before = test_mono_ms();
	pthread_mutex_lock(&t->pub->lock);
	t->pub->dirty_since_ms = 0;
	crl_schedule(t->pub);
	deadline = t->pub->dirty_deadline_ms;
	pthread_mutex_unlock(&t->pub->lock);
	after = test_mono_ms();
	assert_true(deadline >= before);
	assert_true(deadline <= after + MAX_DELAY_MS);
	at = mono_at(t->pub, now + 5);
	assert_true(at >= before + 4000 && at <= test_mono_ms() + 5000);
	assert_true(mono_at(t->pub, now - 3600) <= test_mono_ms());
	assert_true(now_ms() >= after && now_ms() <= test_mono_ms());
}

/* Issue 10 item 2: ca/ gives the served bytes' fingerprint (web/ makes the ETag): SHA-256's first 8 octets. */
static void
test_fingerprint(void **state)
{
	(void)state;
	/* SHA-256("abc") = ba7816bf8f01cfea 414140de... (FIPS 180-2 B.1) */
	assert_true(ca_der_fingerprint((const unsigned char *)"abc", 3) == UINT64_C(0xba7816bf8f01cfea));
}

/*
 * Issue 10 item 4: once their certificates have expired and the answers
 * are past nextUpdate (no longer served, no longer refreshed), maintenance
 * evicts them (fake clock moved past every end-entity notAfter); answers of
 * certificates still valid (the CA and responder certificates) stay.
 */
static void
test_expired_answers_evicted(void **state)
{
	struct t *t = *state;
	X509 *cert;
	time_t not_after;
	int64_t deadline;
	char serial[65];
	size_t size, left;

	cert = ca_fixture_issue(&t->f, "qualified", "ec-p256.pem", "expires");
	assert_non_null(cert);
	assert_int_equal(ca_asn1_time_to_time(X509_get0_notAfter(cert), &not_after), 0);
	assert_int_equal(ca_serial_hex(X509_get0_serialNumber(cert), serial, sizeof(serial)), 0);
	X509_free(cert);
	assert_int_equal(table_expired(t->pub, pechat_clock_now(t->f.ca->clock), serial), N_PRESIGN_MDS);
	size = table_size(t->pub);
	/* the newest certificate's notAfter is the latest; its last answer covers it, then expires */
	t->f.now = not_after + 14400 + 3600;
	publisher_maintain_now(t->pub);
	deadline = test_mono_ms() + 30000;
	while ((left = table_expired(t->pub, t->f.now, serial)) > 0 && test_mono_ms() < deadline)
		sleep_ms(10);
	print_message("%zu answers before the pass, %zu after, %zu of expired certificates left, %llu evicted\n",
	    size, table_size(t->pub), left, (unsigned long long)atomic_load(&t->pub->expired_evicted));
	assert_int_equal(left, 0);
	assert_true(table_size(t->pub) < size);
}

/* Runs of the prepared statement whose SQL contains needle, 0 if never prepared. */
static int
stmt_runs(struct db *db, const char *needle)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(db->conn, st)) != NULL)
		if (strstr(sqlite3_sql(st), needle) != NULL)
			return sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
	return 0;
}

/* Reads of a certificate's store row by serial: whole (db_cert_get) + issuer and notAfter. */
static int
cert_row_reads(struct db *db)
{
	return stmt_runs(db, " der, created_at FROM certificates WHERE serial = ?") +
	    stmt_runs(db, "SELECT issuer, not_after FROM certificates WHERE serial = ?");
}

/*
 * Lane R: the pre-signing after a status change does not read the
 * certificate's row again (its issuer and notAfter come from the answers it
 * replaces; the caller has just read the row), and still puts both digests'
 * answers, reflecting the new event, in the table before the call returns.
 */
static void
test_presign_reads_no_cert_row(void **state)
{
	struct t *t = *state;
	struct pechat_error e;
	struct db_revocation ev;
	char serial[65];
	int before, at_event;

	ca_fixture_issue_subscriber(&t->f, "presign", serial);
	pechat_error_clear(&e);
	assert_int_equal(ca_status_change_apply(t->f.db, time(NULL), &(struct ca_status_change){ .serial = serial,
	    .action = CA_REVOKE, .reason = "superseded", .actor = "officer1", .subscriber_only = 1 }, &ev, &e),
	    PECHAT_OK);
	before = cert_row_reads(t->f.db);
	t->pub->owed_cap = 0;           /* the owed set "full": signed in place, on this connection */
	assert_int_equal(ca_publisher_status_changed(t->pub, t->f.db, "ecdsa", serial, 1, &e), PECHAT_OK);
	t->pub->owed_cap = OWED_MAX;
	assert_int_equal(cert_row_reads(t->f.db), before);
	assert_int_equal(ocsp_table_serial_answers(t->pub, serial, ev.id, &at_event), N_PRESIGN_MDS);
	assert_int_equal(at_event, N_PRESIGN_MDS);
}


/*
 * Issue 10 item 3 (no back-pointer): ca_issue reports what it changed (the
 * issuer and the serial it stored, no CRL change) and the caller tells the
 * publisher from the report: the certificate has no answer in the table
 * until then (ca/ publishes nothing itself; maintenance re-signs only
 * answers already there) and has them when that call returns. ca_revoke's
 * report is its stored event, told the same way. A failed issuance reports
 * nothing; no publisher: nothing done, nothing fails.
 */
static void
test_issue_reports_change(void **state)
{
	struct t *t = *state;
	struct ca_issue_params p;
	struct ca_change changed;
	struct pechat_subject s;
	struct db_revocation ev;
	struct db_cert row;
	struct pechat_error e;
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	X509 *cert = NULL;
	char serial[65];
	int64_t deadline = test_mono_ms() + 30000;
	int at_event;

	/* the start-up warm-up (it signs what has no answer yet) is over: only a caller adds answers now */
	while (!atomic_load(&t->pub->warm_done) && test_mono_ms() < deadline)
		sleep_ms(1);
	assert_true(atomic_load(&t->pub->warm_done));
	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, "reported");
	memset(&p, 0, sizeof(p));
	p.profile = "qualified";
	p.subject = &s;
	p.csr = parts;
	p.actor = "officer1";
	pechat_error_clear(&e);
	assert_int_equal(ca_issue(t->f.ca, t->f.db, &p, &cert, &changed, &e), PECHAT_OK);
	assert_int_equal(ca_cert_serial_hex(cert, serial, sizeof(serial)), 0);
	assert_string_equal(changed.issuer, "ecdsa");
	assert_string_equal(changed.serial, serial);
	assert_int_equal(changed.crl_changed, 0);
	/* the serial reported is the stored certificate's, of that issuer */
	assert_int_equal(db_cert_get(t->f.db, changed.serial, &row, &e), PECHAT_OK);
	assert_string_equal(row.issuer, changed.issuer);
	/* and so are its DER and validity, reported for the caller's reply */
	assert_non_null(changed.der);
	assert_int_equal(changed.der_len, row.der_len);
	assert_memory_equal(changed.der, row.der, row.der_len);
	assert_int_equal(changed.not_before, row.not_before);
	assert_int_equal(changed.not_after, row.not_after);
	db_cert_free_fields(&row);
	assert_int_equal(ocsp_table_serial_answers(t->pub, serial, 0, &at_event), 0);
	assert_int_equal(ca_publisher_status_changed(t->pub, t->f.db, changed.issuer, changed.serial,
	    changed.crl_changed, &e), PECHAT_OK);
	ca_fixture_owed_drain(&t->f);   /* owed when the call returns, signed by the re-signer */
	assert_int_equal(ocsp_table_serial_answers(t->pub, serial, 0, &at_event), N_PRESIGN_MDS);
	ca_change_clear(&changed);
	assert_null(changed.der);

	/* revocation (of a subscriber certificate): the event is the report; the answers say so once told */
	ca_fixture_issue_subscriber(&t->f, "revoked", serial);
	assert_int_equal(ca_revoke(t->f.ca, t->f.db, serial, CA_REVOKE, "superseded", 0, "officer1", NULL, &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.issuer, "ecdsa");
	assert_string_equal(ev.serial, serial);
	assert_int_equal(ocsp_table_serial_answers(t->pub, serial, ev.id, &at_event), N_PRESIGN_MDS);
	assert_int_equal(at_event, 0);  /* told of nothing yet: the answers still say good */
	assert_int_equal(ca_publisher_status_changed(t->pub, t->f.db, ev.issuer, ev.serial, 1, &e), PECHAT_OK);
	ca_fixture_owed_drain(&t->f);
	assert_int_equal(ocsp_table_serial_answers(t->pub, serial, ev.id, &at_event), N_PRESIGN_MDS);
	assert_int_equal(at_event, N_PRESIGN_MDS);

	/* nothing issued: nothing reported (and no publisher: nothing done, nothing fails) */
	p.profile = "no-such-profile";
	memset(&changed, 'x', sizeof(changed));
	assert_int_equal(ca_issue(t->f.ca, t->f.db, &p, NULL, &changed, &e), PECHAT_E_INVALID);
	assert_string_equal(changed.serial, "");
	assert_string_equal(changed.issuer, "");
	assert_null(changed.der);
	assert_int_equal(ca_publisher_status_changed(NULL, t->f.db, "ecdsa", serial, 1, &e), PECHAT_OK);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_touches_one_bucket),
		cmocka_unit_test(test_entry_serial_from_certid),
		cmocka_unit_test(test_maintenance_slices_let_crls_through),
		cmocka_unit_test(test_debounce_is_monotonic),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_issue_reports_change),
		cmocka_unit_test(test_expired_answers_evicted),
		cmocka_unit_test(test_presign_reads_no_cert_row),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
