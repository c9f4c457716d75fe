/*
 * Unit tests of the OCSP warm-up (ca/ocsp_warm.c), issue 10 item 2:
 *  - ca_publisher_start returns before any answer is signed (the warm-up
 *    is held by its test seam): pechatd is ready at once;
 *  - during warm-up a certificate without an answer in memory is answered
 *    by the slow path (good), or from its stored row byte for byte (a read,
 *    no signature) after a restart; a revocation made during warm-up
 *    answers revoked at once and stays revoked once the warm-up has ended
 *    (never a stored or loaded "good" in its place);
 *  - once warm, every certificate has its pre-signed answers in memory and
 *    their ocsp_cache rows are written (batched, one transaction);
 *  - each answer in memory keeps only its own octets: the responder's
 *    certificate is one shared tail per issuer, and what is served (own +
 *    tail) is a whole OCSPResponse that verifies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ca/publish_int.h"
#include "ca_fixture.h"
#include "ocsp_table_test.h"

#define N_CERTS 40
#define WAIT_MS 60000

static struct ca_fixture F;
static char serials[N_CERTS][65];

static int
setup(void **state)
{
	char cn[32];
	int i;

	(void)state;
	if (ca_fixture_init(&F, "warm") != 0)
		return -1;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	/* no publisher yet: nothing pre-signed, nothing stored */
	for (i = 0; i < N_CERTS; i++) {
		snprintf(cn, sizeof(cn), "warm %d", i);
		ca_fixture_issue_subscriber(&F, cn, serials[i]);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* A publisher told of F's issuances and revocations as ra/ tells it, its warm-up held (hold 1) or free. */
static struct ca_publisher *
start(int hold)
{
	struct ca_publish_conf pc;
	struct ca_publisher *pub = NULL;
	struct pechat_error e;

	ca_fixture_publish_conf(&F, &pc);
	atomic_store(&warm_test_hold, hold);
	pechat_error_clear(&e);
	if (ca_publisher_start(F.ca, F.db, &pc, &pub, &e) != PECHAT_OK)
		fail_msg("publisher: %s %s", e.code, e.detail);
	F.pub = pub;    /* the fixture's issue and revoke helpers tell it from ca/'s reports */
	return pub;
}

static void
stop(struct ca_publisher *pub)
{
	F.pub = NULL;
	ca_publisher_stop(pub);
	atomic_store(&warm_test_hold, 0);
}

/* 1 for any entry (ocsp_table_walk). */
static size_t
any_entry(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	(void)pub;
	(void)en;
	(void)arg;
	return 1;
}

/* Entries in the whole OCSP table. */
static size_t
table_size(struct ca_publisher *pub)
{
	return ocsp_table_walk(pub, any_entry, NULL);
}

static int
count_row(void *arg, const char *issuer, const char *serial, const char *md, time_t next_update,
    const unsigned char *der, size_t len)
{
	(void)issuer, (void)serial, (void)md, (void)next_update, (void)der, (void)len;
	(*(size_t *)arg)++;
	return 0;
}

/* Rows in ocsp_cache. */
static size_t
stored_rows(void)
{
	struct pechat_error e;
	size_t n = 0;

	assert_int_equal(db_ocsp_cache_load(F.db, 0, count_row, &n, &e), PECHAT_OK);
	return n;
}

/* The status of an answer's first SingleResponse. */
static int
der_status(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	int st, reason;

	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	st = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, NULL, NULL, NULL);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return st;
}

/*
 * The answer to a SHA-1 request for serials[i] through pub: its status
 * (V_OCSP_CERTSTATUS_*), the answer's DER in *der (free) when wanted.
 */
static int
cert_status(struct ca_publisher *pub, int i, unsigned char **der, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = NULL;
	struct ca_ocsp_reply out;
	struct pechat_error e;
	unsigned char *rd = NULL;
	int rlen, st;

	pechat_error_clear(&e);
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", serials[i], EVP_sha1(), &id, &e), PECHAT_OK);
	assert_non_null(OCSP_request_add0_id(req, id));
	assert_true((rlen = i2d_OCSP_REQUEST(req, &rd)) > 0);
	OCSP_REQUEST_free(req);
	pechat_error_clear(&e);
	assert_int_equal(ca_ocsp_answer(pub, F.db, rd, (size_t)rlen, &out, &e), PECHAT_OK);
	OPENSSL_free(rd);
	st = der_status(out.der, out.len);
	if (der != NULL) {
		*der = out.der;
		*len = out.len;
	} else
		free(out.der);
	return st;
}

/*
 * An answer served from memory (its own octets + the responder's shared
 * certificate) is a valid OCSPResponse: DER that re-encodes to itself,
 * signed by the delegated responder, whose certificate (the shared tail)
 * chains to the issuer; its table entry holds the tail by reference.
 */
static void
served_whole(struct ca_publisher *pub, int i)
{
	X509_STORE *store = X509_STORE_new();
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	unsigned char *der, *again = NULL;
	const unsigned char *p;
	size_t len;
	int n, idx;

	assert_non_null(pub_issuer_find(pub, "ecdsa", &idx));
	assert_int_equal(cert_status(pub, i, &der, &len), V_OCSP_CERTSTATUS_GOOD);
	p = der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_int_equal(n = i2d_OCSP_RESPONSE(resp, &again), (int)len);
	assert_memory_equal(again, der, len);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	assert_int_equal(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0),
	    ca_responder_get0_cert(pub->issuers[idx].responder)), 0);
	X509_STORE_add_cert(store, ca_issuer_get0_cert(F.ca, "ecdsa"));
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	assert_int_equal(OCSP_basic_verify(bs, NULL, store, 0), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	X509_STORE_free(store);
	OPENSSL_free(again);
	free(der);
}

/* One entry holds its issuer's tail, not its own copy of the responder certificate (ocsp_table_walk). */
static size_t
tail_shared(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	(void)arg;
	assert_ptr_equal(en->tail, pub->issuers[en->issuer_idx].tail);
	assert_true(entry_bytes(en) + en->tail->len - sizeof(*en) <= en->len + en->keylen);
	assert_true(entry_bytes(en) <= sizeof(*en) + en->len - en->tail->len);  /* key inside */
	return 1;
}

/* Every entry of the table holds its issuer's tail, and there are some. */
static void
tails_shared(struct ca_publisher *pub)
{
	assert_true(ocsp_table_walk(pub, tail_shared, NULL) > 0);
}

static void
revoke(int i)
{
	struct db_revocation ev;
	struct pechat_error e;

	pechat_error_clear(&e);
	if (ca_fixture_revoke(&F, serials[i], CA_REVOKE, "keyCompromise", &ev, &e) != PECHAT_OK)
		fail_msg("revoke: %s %s", e.code, e.detail);
	ca_fixture_owed_drain(&F);      /* its answers owed, then signed by the re-signer */
}

static void
test_ready_before_warm(void **state)
{
	struct ca_publish_stats st0, st1;
	struct ca_publisher *pub;
	struct pechat_error e;
	unsigned char *served, *row;
	size_t slen, rlen, all;
	time_t next;

	(void)state;
	/* first start: nothing stored; ready (start returned) with nothing signed */
	pub = start(1);
	assert_int_equal(table_size(pub), 0);
	assert_int_equal(atomic_load(&pub->warm_done), 0);
	/* a certificate not warm yet: the slow path signs it, good */
	ca_publisher_stats(pub, &st0);
	assert_int_equal(cert_status(pub, 0, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	ca_publisher_stats(pub, &st1);
	assert_int_equal(st1.ocsp_on_demand_signed, st0.ocsp_on_demand_signed + 1);
	/* revoked during warm-up: revoked at once */
	revoke(1);
	assert_int_equal(cert_status(pub, 1, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	/* the warm-up goes on: every certificate's two answers in memory, the revoked one still revoked */
	atomic_store(&warm_test_hold, 0);
	assert_int_equal(ca_publisher_warm_wait(pub, WAIT_MS), 1);
	assert_true(table_size(pub) >= 2 * N_CERTS);
	/* the fixture's other certificates too; not the revoked one: signed already */
	all = (size_t)atomic_load(&pub->warm_signed) + 1;
	assert_true(all >= N_CERTS);
	assert_int_equal(cert_status(pub, 1, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(cert_status(pub, 2, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	served_whole(pub, 2);
	tails_shared(pub);
	stop(pub);
	/* the rows were written (batched; the stop writes what is left) */
	assert_int_equal(stored_rows(), 2 * all);

	/* a restart: ready with nothing in memory; answers come from the stored rows, byte for byte */
	pub = start(1);
	assert_int_equal(table_size(pub), 0);
	ca_publisher_stats(pub, &st0);
	assert_int_equal(cert_status(pub, 2, &served, &slen), V_OCSP_CERTSTATUS_GOOD);
	pechat_error_clear(&e);
	assert_int_equal(db_ocsp_cache_get(F.db, "ecdsa", serials[2], "SHA1", &next, &row, &rlen, &e), PECHAT_OK);
	assert_int_equal(slen, rlen);
	assert_memory_equal(served, row, rlen);
	free(served);
	free(row);
	assert_int_equal(cert_status(pub, 1, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	ca_publisher_stats(pub, &st1);
	assert_int_equal(st1.ocsp_on_demand_signed, st0.ocsp_on_demand_signed);  /* no signature */
	assert_int_equal(atomic_load(&pub->stored_hits), 2);
	/* the second time from memory */
	assert_int_equal(cert_status(pub, 2, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(atomic_load(&pub->stored_hits), 2);
	/* revoked during this warm-up: its stored "good" rows went with the revocation */
	revoke(3);
	assert_int_equal(cert_status(pub, 3, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	pechat_error_clear(&e);
	if (db_ocsp_cache_get(F.db, "ecdsa", serials[3], "SHA1", &next, &row, &rlen, &e) == PECHAT_OK) {
		assert_int_equal(der_status(row, rlen), V_OCSP_CERTSTATUS_REVOKED);     /* the new one, written */
		free(row);
	}
	atomic_store(&warm_test_hold, 0);
	assert_int_equal(ca_publisher_warm_wait(pub, WAIT_MS), 1);
	assert_true(table_size(pub) >= 2 * N_CERTS);
	assert_int_equal(atomic_load(&pub->warm_signed), 0);     /* all loaded or signed by the revocation */
	assert_int_equal(cert_status(pub, 3, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(cert_status(pub, 1, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	served_whole(pub, 4);
	tails_shared(pub);     /* answers loaded from the store share it too */
	stop(pub);
	assert_int_equal(stored_rows(), 2 * all);
	assert_int_equal(db_ocsp_cache_get(F.db, "ecdsa", serials[3], "SHA256", &next, &row, &rlen, &e), PECHAT_OK);
	assert_int_equal(der_status(row, rlen), V_OCSP_CERTSTATUS_REVOKED);
	free(row);
}

/* The status of serials[i]'s stored row for digest md. */
static int
stored_status(int i, const char *md)
{
	struct pechat_error e;
	unsigned char *row = NULL;
	size_t rlen = 0;
	time_t next;
	int st;

	pechat_error_clear(&e);
	assert_int_equal(db_ocsp_cache_get(F.db, "ecdsa", serials[i], md, &next, &row, &rlen, &e), PECHAT_OK);
	st = der_status(row, rlen);
	free(row);
	return st;
}

/*
 * One flush of rows of two serials, one of them revoked after its rows were
 * queued and queued again (A good, B, A revoked): each serial's last event
 * decides for its own rows (read once per run of a serial's rows, again
 * when the serial comes back), so A's stored rows are the revoked ones and
 * B's are written.
 */
static void
test_flush_rows_by_serial(void **state)
{
	const int a = N_CERTS - 1, b = N_CERTS - 2;
	struct ca_publisher *pub;
	struct pechat_error e;
	int idx;

	(void)state;
	pub = start(1);
	assert_non_null(pub_issuer_find(pub, "ecdsa", &idx));
	pechat_error_clear(&e);
	assert_int_equal(presign_serial(pub, F.db, idx, serials[a], 0, &e), PECHAT_OK);
	assert_int_equal(presign_serial(pub, F.db, idx, serials[b], 0, &e), PECHAT_OK);
	revoke(a);      /* drops a's stored rows, queues its revoked answers after b's */
	store_flush(pub, F.db);
	assert_int_equal(stored_status(a, "SHA1"), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(stored_status(a, "SHA256"), V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(stored_status(b, "SHA1"), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(stored_status(b, "SHA256"), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(cert_status(pub, a, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	stop(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_before_warm),
		cmocka_unit_test(test_flush_rows_by_serial),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
