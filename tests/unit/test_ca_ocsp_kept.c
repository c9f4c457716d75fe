/*
 * Unit tests of the OCSP table's CertID hash kinds (ca/ocsp_table.c,
 * ca/ocsp_answer.c, ca/publish.c) with a GOST R 34.10-2012 issuer and a
 * running publisher over a file store:
 *  - a GOST issuer pre-signs SHA-1 and Streebog-256 answers (two per
 *    certificate, as an ECDSA issuer's SHA-1 and SHA-256), each one GOST-signed;
 *  - SHA-256, SHA-384 and Streebog-512 CertIDs are signed on the first
 *    request and then served from the table ("kept");
 *  - maintenance re-signs kept answers with the pre-signed ones;
 *  - a revocation drops and re-signs them (revoked at once, no slow path);
 *  - kept answers are bounded per shard, evicted CLOCK-wise (a served answer
 *    gets a second chance), pre-signed answers never evicted;
 *  - the bytes a certificate's answers take in memory (printed).
 * Skipped without gost-engine.
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

#define VALIDITY_S 14400
#define REFRESH_S 3600

struct t {
	struct ca_fixture f;
	struct ca_publisher *pub;
};

static struct t T;

/* What one answer says. */
struct answer {
	int status;             /* V_OCSP_CERTSTATUS_* */
	time_t this_update;
	int sig_nid;            /* the response's signatureAlgorithm */
	int md_nid;             /* the echoed CertID's hash */
	int hit;                /* served from the table (hits counter moved) */
	int on_demand;          /* signed on demand (on_demand counter moved) */
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static time_t
asn1_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

/* A publisher with kept_max kept answers (0: the default) over the group's store. */
static void
pub_start(int kept_max)
{
	struct ca_publish_conf pc;
	struct pechat_error e;

	ca_fixture_publish_conf(&T.f, &pc);
	pc.ocsp_validity_s = VALIDITY_S;
	pc.ocsp_refresh_before_s = REFRESH_S;
	pc.ocsp_on_demand_per_s = 100000;       /* the limit is not what these tests are about */
	pc.ocsp_kept_max = kept_max;
	pechat_error_clear(&e);
	if (ca_publisher_start(T.f.ca, T.f.db, &pc, &T.pub, &e) != PECHAT_OK)
		fail_msg("publisher: %s %s", e.code, e.detail);
	T.f.pub = T.pub;        /* the fixture's issue helpers tell it from ca_issue's report, as ra/ does */
}

static void
pub_stop(void)
{
	T.f.pub = NULL;
	ca_publisher_stop(T.pub);
	T.pub = NULL;
}

/* The fixture with a second profile "gost" (issuer gost, GOST 2012-256 keys). */
static int
group_setup(void **state)
{
	struct pechat_profile_conf *p;

	memset(&T, 0, sizeof(T));
	if (ca_fixture_init(&T.f, "kept") != 0)
		return -1;
	*state = &T;
	if (!T.f.have_gost)
		return 0;
	p = &T.f.profiles[1];
	T.f.profiles[1] = T.f.profiles[0];
	pechat_strlcpy(p->name, "gost", sizeof(p->name));
	pechat_strlcpy(p->issuer, "gost", sizeof(p->issuer));
	p->key_algorithms = PECHAT_KEYALG_GOST2012_256;
	T.f.conf.n_profiles = 2;
	T.f.file_store = 1;
	return ca_fixture_start(&T.f);
}

static int
group_teardown(void **state)
{
	(void)state;
	pub_stop();
	return ca_fixture_teardown(&T.f);
}

static int
need_gost(void **state)
{
	(void)state;
	if (!T.f.have_gost)
		skip();
	return 0;
}

/* A certificate of profile (its answers pre-signed when the fixture tells the publisher); its serial into serial. */
static void
issue(const char *profile, const char *csr, const char *cn, char serial[65])
{
	X509 *cert = ca_fixture_issue(&T.f, profile, csr, cn);

	assert_non_null(cert);
	assert_int_equal(ca_serial_hex(X509_get0_serialNumber(cert), serial, 65), 0);
	X509_free(cert);
}

/* Asks the publisher about (issuer, serial) with a CertID hashed with md; the answer verified. */
static void
ask(const char *issuer, const char *serial, const char *md, struct answer *a)
{
	const struct ca_issuer *is = ca_issuer_find(T.f.ca, issuer);
	const struct ca_issuer *root;
	char root_name[80];
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	OCSP_SINGLERESP *single;
	ASN1_OBJECT *mdo = NULL;
	ASN1_GENERALIZEDTIME *tu = NULL;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *sig;
	X509_STORE *store = X509_STORE_new();
	uint64_t hits = atomic_load(&T.pub->hits), od = atomic_load(&T.pub->on_demand);

	snprintf(root_name, sizeof(root_name), "%s-root", issuer);
	assert_non_null(is);
	assert_non_null(root = ca_issuer_find(T.f.ca, root_name));
	resp = ca_fixture_ocsp_ask(&T.f, T.pub, issuer, serial, EVP_get_digestbyname(md));
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	assert_int_equal(X509_STORE_add_cert(store, root->cert), 1);
	assert_int_equal(X509_STORE_add_cert(store, is->cert), 1);
	assert_int_equal(OCSP_basic_verify(bs, NULL, store, 0), 1);
	assert_int_equal(OCSP_resp_count(bs), 1);
	single = OCSP_resp_get0(bs, 0);
	assert_int_equal(OCSP_id_get0_info(NULL, &mdo, NULL, NULL, (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)), 1);
	a->md_nid = OBJ_obj2nid(mdo);
	a->status = OCSP_single_get0_status(single, NULL, NULL, &tu, NULL);
	a->this_update = asn1_time(tu);
	alg = OCSP_resp_get0_tbs_sigalg(bs);
	X509_ALGOR_get0(&sig, NULL, NULL, alg);
	a->sig_nid = OBJ_obj2nid(sig);
	a->hit = atomic_load(&T.pub->hits) > hits;
	a->on_demand = atomic_load(&T.pub->on_demand) > od;
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

struct serial_arg {
	const char *serial;
	size_t bytes;           /* out: their entry_bytes */
};

/* 1 for an entry of a->serial (ocsp_table_walk's fn), adding up its bytes. */
static size_t
entry_of(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	struct serial_arg *a = arg;

	(void)pub;
	if (!ocsp_entry_is(en, a->serial))
		return 0;
	a->bytes += entry_bytes(en);
	return 1;
}

/* Entries of one serial in the table and the bytes they take (entry + DER). */
static size_t
serial_entries(const char *serial, size_t *bytes)
{
	struct serial_arg a = { serial, 0 };
	size_t n = ocsp_table_walk(T.pub, entry_of, &a);

	*bytes = a.bytes;
	return n;
}

/*
 * A GOST issuer pre-signs SHA-1 and Streebog-256 (an ECDSA issuer SHA-1 and
 * SHA-256): both served from the table at once, GOST-signed; two answers per
 * certificate either way (the bytes printed: the memory note of docs/PERFORMANCE.md).
 */
static void
test_presigned_sets(void **state)
{
	char gost[65], ecdsa[65];
	struct answer a;
	size_t bytes, ebytes;
	int gidx, eidx;

	(void)state;
	pub_start(0);
	issue("gost", "gost2012-256.pem", "gost presigned", gost);
	issue("qualified", "ec-p256.pem", "ecdsa presigned", ecdsa);
	assert_non_null(pub_issuer_find(T.pub, "gost", &gidx));
	assert_non_null(pub_issuer_find(T.pub, "ecdsa", &eidx));
	assert_int_equal(cache_has(T.pub, gidx, gost, "SHA1"), 1);
	assert_int_equal(cache_has(T.pub, gidx, gost, "md_gost12_256"), 1);
	assert_int_equal(cache_has(T.pub, gidx, gost, "SHA256"), 0);
	assert_int_equal(cache_has(T.pub, eidx, ecdsa, "SHA1"), 1);
	assert_int_equal(cache_has(T.pub, eidx, ecdsa, "SHA256"), 1);
	assert_int_equal(cache_has(T.pub, eidx, ecdsa, "md_gost12_256"), 0);
	assert_int_equal(serial_entries(gost, &bytes), N_PRESIGN_MDS);
	assert_int_equal(serial_entries(ecdsa, &ebytes), N_PRESIGN_MDS);
	print_message("pre-signed answers per certificate: GOST issuer %zu bytes, ECDSA issuer %zu bytes "
	    "(each: struct ocsp_entry %zu + the answer's DER without the responder certificate, shared; "
	    "its echoed CertID is the key)\n", bytes, ebytes, offsetof(struct ocsp_entry, data));
	/* the fields of an entry stay small (no fixed-size key buffer) and a GOST issuer costs no more */
	/* no serial or digest name held: both are read from the key (entry_serial, entry_md) */
	assert_true(offsetof(struct ocsp_entry, data) <= 84);
	assert_true(bytes <= ebytes + 64);
	/* issue 10: 1,000,000 certificates in <= 1 GB: the responder certificate is not in each answer */
	assert_true(ebytes <= 850);

	ask("gost", gost, "SHA1", &a);
	assert_true(a.hit && !a.on_demand);
	assert_int_equal(a.status, V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(a.md_nid, NID_sha1);
	assert_int_equal(a.sig_nid, NID_id_tc26_signwithdigest_gost3410_2012_256);
	ask("gost", gost, "md_gost12_256", &a);
	assert_true(a.hit && !a.on_demand);
	assert_int_equal(a.md_nid, NID_id_GostR3411_2012_256);
	assert_int_equal(a.sig_nid, NID_id_tc26_signwithdigest_gost3410_2012_256);
	pub_stop();
}

/*
 * Every other CertID hash: signed on demand the first time (GOST-signed,
 * its own CertID echoed), then served from the table; re-signed by
 * maintenance when due, with the pre-signed ones; after a revocation
 * re-signed at once and served revoked from the table.
 */
static void
test_kept_lookup_refresh_revoke(void **state)
{
	static const char *const mds[] = { "SHA256", "SHA384", "md_gost12_512" };
	static const int nids[] = { NID_sha256, NID_sha384, NID_id_GostR3411_2012_512 };
	struct ca_status_change c;
	struct db_revocation ev;
	struct pechat_error e;
	struct answer a;
	char serial[65];
	time_t moved;
	uint64_t od, refreshed0;
	int64_t deadline;
	size_t i, kept0;

	(void)state;
	pub_start(0);
	issue("gost", "gost2012-256.pem", "gost kept", serial);
	kept0 = cache_kept_count(T.pub);
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		ask("gost", serial, mds[i], &a);
		assert_true(a.on_demand && !a.hit);
		assert_int_equal(a.status, V_OCSP_CERTSTATUS_GOOD);
		assert_int_equal(a.md_nid, nids[i]);
		assert_int_equal(a.sig_nid, NID_id_tc26_signwithdigest_gost3410_2012_256);
		ask("gost", serial, mds[i], &a);
		assert_true(a.hit && !a.on_demand);
		assert_int_equal(a.md_nid, nids[i]);
		assert_int_equal(a.sig_nid, NID_id_tc26_signwithdigest_gost3410_2012_256);
	}
	assert_int_equal(cache_kept_count(T.pub), kept0 + 3);

	/* refresh: every answer inside the refresh window; the pass re-signs the kept ones too */
	od = atomic_load(&T.pub->on_demand);
	refreshed0 = atomic_load(&T.pub->maint_refreshed);
	T.f.now += VALIDITY_S - REFRESH_S + 60;
	moved = T.f.now;
	publisher_maintain_now(T.pub);
	deadline = (int64_t)time(NULL) + 30;
	for (;;) {
		ask("gost", serial, "md_gost12_512", &a);
		if (a.this_update >= moved || time(NULL) > deadline)
			break;
		sleep_ms(10);
	}
	assert_true(a.this_update >= moved);
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		while (ask("gost", serial, mds[i], &a), a.this_update < moved && time(NULL) <= deadline)
			sleep_ms(10);
		assert_true(a.hit && a.this_update >= moved);
		assert_int_equal(a.md_nid, nids[i]);
	}
	while (ask("gost", serial, "md_gost12_256", &a), a.this_update < moved && time(NULL) <= deadline)
		sleep_ms(10);
	assert_true(a.hit && a.this_update >= moved);
	assert_int_equal(atomic_load(&T.pub->on_demand), od);   /* no request took the slow path */
	assert_true(atomic_load(&T.pub->maint_refreshed) > refreshed0);
	assert_int_equal(cache_kept_count(T.pub), kept0 + 3);

	/* revoke: the kept answers are dropped with the others and re-signed revoked */
	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.action = CA_REVOKE;
	c.reason = "keyCompromise";
	c.actor = "officer1";
	pechat_error_clear(&e);
	assert_int_equal(ca_status_change_apply(T.f.db, pechat_clock_now(&T.f.clock), &c, &ev, &e), PECHAT_OK);
	assert_int_equal(ca_publisher_status_changed(T.pub, T.f.db, "gost", serial, 1, &e), PECHAT_OK);
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		ask("gost", serial, mds[i], &a);
		assert_true(a.hit && !a.on_demand);
		assert_int_equal(a.status, V_OCSP_CERTSTATUS_REVOKED);
		assert_int_equal(a.sig_nid, NID_id_tc26_signwithdigest_gost3410_2012_256);
	}
	ask("gost", serial, "SHA1", &a);
	assert_true(a.hit);
	assert_int_equal(a.status, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(cache_kept_count(T.pub), kept0 + 3);
	pub_stop();
}

/*
 * Bound and eviction: 128 kept answers = 2 per shard. One serial's three
 * kinds share its shard: the third evicts the one not served since it was
 * signed; the served one stays. Pre-signed answers are never evicted.
 */
static void
test_kept_bound_eviction(void **state)
{
	struct answer a;
	char serial[65], others[40][65];
	uint64_t ev0;
	int idx, i;

	(void)state;
	pub_start(128);
	issue("gost", "gost2012-256.pem", "gost bound", serial);
	assert_non_null(pub_issuer_find(T.pub, "gost", &idx));
	ev0 = atomic_load(&T.pub->kept_evicted);
	ask("gost", serial, "SHA256", &a);              /* A: slot 1 of 2 */
	assert_true(a.on_demand);
	ask("gost", serial, "SHA384", &a);              /* B: slot 2 of 2 */
	assert_true(a.on_demand);
	ask("gost", serial, "SHA256", &a);              /* A served: a second chance */
	assert_true(a.hit);
	ask("gost", serial, "md_gost12_512", &a);       /* C: full, B evicted */
	assert_true(a.on_demand);
	assert_int_equal(atomic_load(&T.pub->kept_evicted) - ev0, 1);
	ask("gost", serial, "SHA256", &a);
	assert_true(a.hit && !a.on_demand);
	ask("gost", serial, "md_gost12_512", &a);
	assert_true(a.hit && !a.on_demand);
	ask("gost", serial, "SHA384", &a);              /* evicted: signed again */
	assert_true(a.on_demand && !a.hit);
	assert_int_equal(cache_has(T.pub, idx, serial, "SHA1"), 1);
	assert_int_equal(cache_has(T.pub, idx, serial, "md_gost12_256"), 1);

	/* many serials: never more than the bound, every pre-signed answer still there */
	for (i = 0; i < 40; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "gost bound %d", i);
		issue("gost", "gost2012-256.pem", cn, others[i]);
		ask("gost", others[i], "SHA256", &a);
		ask("gost", others[i], "md_gost12_512", &a);
		assert_true(cache_kept_count(T.pub) <= 128);
	}
	for (i = 0; i < 40; i++) {
		assert_int_equal(cache_has(T.pub, idx, others[i], "SHA1"), 1);
		assert_int_equal(cache_has(T.pub, idx, others[i], "md_gost12_256"), 1);
	}
	print_message("kept answers: %zu of at most 128, %llu evicted\n", cache_kept_count(T.pub),
	    (unsigned long long)(atomic_load(&T.pub->kept_evicted) - ev0));
	/* dropping a serial takes its kept answers out of the ring */
	for (i = 39; i >= 0; i--) {
		unsigned char keys[4][OCSP_KEY_MAX];
		size_t lens[4], n = cache_kept_keys(T.pub, idx, others[i], keys, lens, 4), before;
		if (n == 0)
			continue;
		before = cache_kept_count(T.pub);
		cache_drop_serial(T.pub, idx, others[i]);
		assert_int_equal(cache_kept_count(T.pub), before - n);
		assert_int_equal(cache_kept_keys(T.pub, idx, others[i], keys, lens, 4), 0);
		break;
	}
	assert_true(i >= 0);
	pub_stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_presigned_sets, need_gost),
		cmocka_unit_test_setup(test_kept_lookup_refresh_revoke, need_gost),
		cmocka_unit_test_setup(test_kept_bound_eviction, need_gost),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
