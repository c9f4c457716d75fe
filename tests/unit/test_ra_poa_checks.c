/*
 * Unit tests for the checks of a legal entity's request and the CSR key
 * checks (docs/REGISTRATION.md, "Legal-entity requests", "Key checks"):
 * the name normalisation; every power-of-attorney check of ra_poa_check on
 * tests/data/poa/representative.xml (principal, revocation, dates,
 * representative, power, head); the canonical key hash (an EC key hashes
 * alike compressed or not); the key checks through ra_request_submit on a
 * real store (another subject's key, a key revoked keyCompromise, nothing
 * stored on refusal); the backfill of certificate_keys when an older store
 * is opened; a legal entity's request through ra_request_submit (the
 * employee under the POA, the head without one — refused until its
 * appointment document is recorded and verified —, the refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_int.h"
#include "ra/poa.h"
#include "ra/poa_store.h"
#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"
#include "test_util.h"

static struct ca_fixture F;
static struct ra_poa *poa;      /* representative.xml, 32 KiB: on the heap */
static unsigned char *poa_xml;  /* its bytes */
static size_t poa_xml_len;
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor officer = { "officer1", "ra_officer", "" };

/* 2026-06-01 and the POA's own dates, as UTC times. */
#define T_2025_01_14 ((time_t)1736812800)
#define T_2025_01_15 ((time_t)1736899200)
#define T_2026_06_01 ((time_t)1780272000)
#define T_2099_12_31 ((time_t)4102358400)
#define T_2100_01_01 ((time_t)4102444800)

static int
group_setup(void **state)
{
	unsigned char *xml = NULL;
	size_t len = 0;
	struct pechat_error e;

	(void)state;
	if ((poa = calloc(1, sizeof(*poa))) == NULL || ca_fixture_init(&F, "poachk") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	/* "org": an organisation's representatives, auto-approved, power 02.01.001 required */
	F.profiles[1] = F.profiles[0];
	pechat_strlcpy(F.profiles[1].name, "org", sizeof(F.profiles[1].name));
	F.profiles[1].subject_registry = 1;
	pechat_strlcpy(F.profiles[1].subject_kind, "legal_entity", sizeof(F.profiles[1].subject_kind));
	pechat_strlcpy(F.profiles[1].requires_power, "02.01.001", sizeof(F.profiles[1].requires_power));
	F.conf.n_profiles = 2;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0 || ca_fixture_read("poa/representative.xml", &xml, &len) != 0)
		return -1;
	pechat_error_clear(&e);
	if (ra_poa_from_xml((const char *)xml, len, poa, &e) != PECHAT_OK) {
		fprintf(stderr, "representative.xml: %s\n", e.detail);
		free(xml);
		return -1;
	}
	poa_xml = xml;
	poa_xml_len = len;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(poa);
	free(poa_xml);
	return ca_fixture_teardown(&F);
}

/* ------------------------------------------------------------ names */

static void
test_name_normalize(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(ra_name_normalize("  ПЕТРОВА\t Анна  ", out, sizeof(out)), 0);
	assert_string_equal(out, "петрова анна");
	assert_int_equal(ra_name_normalize("Ёлкин Семёновна", out, sizeof(out)), 0);
	assert_string_equal(out, "елкин семеновна");
	assert_int_equal(ra_name_normalize("ЂЯ O'Brien-SMITH", out, sizeof(out)), 0);
	assert_string_equal(out, "ђя o'brien-smith");
	assert_int_equal(ra_name_normalize("Анна\xc2\xa0Мария", out, sizeof(out)), 0);   /* no-break space */
	assert_string_equal(out, "анна мария");
	assert_int_equal(ra_name_normalize("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(ra_name_normalize("bad \xff byte", out, sizeof(out)), -1);
	assert_int_equal(ra_name_normalize("Константинопольская", out, 8), -1);           /* does not fit */
	assert_true(ra_names_equal("Семёновна", "СЕМЕНОВНА"));
	assert_true(ra_names_equal(" Петрова ", "петрова"));
	assert_true(ra_names_equal(NULL, ""));
	assert_false(ra_names_equal("Петрова", "Петров"));
	assert_false(ra_names_equal("Анна Мария", "АннаМария"));
	assert_false(ra_names_equal("Петрова", NULL));
}

/* ------------------------------------------------------ POA checks */

struct recorded {
	char names[512];
};

static void
record(void *arg, const char *name, const char *detail)
{
	struct recorded *r = arg;

	assert_non_null(detail);
	if (r->names[0] != '\0')
		strcat(r->names, ",");
	strcat(r->names, name);
}

/* An input on which every check of representative.xml passes on 2026-06-01. */
static void
good_input(struct ra_poa_check_input *in)
{
	memset(in, 0, sizeof(*in));
	in->poa = poa;
	in->now = T_2026_06_01;
	in->principal_is_org = 1;
	in->org_innle = "7707083893";
	in->org_kpp = "770701001";
	in->representative = (struct ra_poa_person){ "Петрова", "Анна", "Семёновна", "08765430300", "771234567859" };
	in->nheads = 2;
	in->heads[0] = (struct ra_poa_person){ "Сидоров", "Пётр", NULL, "22233344416", NULL };
	in->heads[1] = (struct ra_poa_person){ "ИВАНОВ", "Иван", "Иванович", "11223344595", "500100732259" };
	in->requires_power = "02.01.001";
}

/* ra_poa_check on in: its code ("" when it passes) and the passed checks into r. */
static const char *
run(const struct ra_poa_check_input *in, struct recorded *r)
{
	static struct pechat_error e;

	memset(r, 0, sizeof(*r));
	pechat_error_clear(&e);
	if (ra_poa_check(in, record, r, &e) == PECHAT_OK)
		return "";
	assert_int_equal(e.err, PECHAT_E_POLICY);
	return e.code;
}

static void
test_poa_all_pass(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;

	(void)state;
	good_input(&in);
	assert_string_equal(run(&in, &r), "");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked,poa_in_force,poa_representative,poa_power,poa_head");
	/* no power required: no poa_power check */
	in.requires_power = NULL;
	assert_string_equal(run(&in, &r), "");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked,poa_in_force,poa_representative,poa_head");
}

static void
test_poa_principal(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;

	(void)state;
	good_input(&in);
	in.principal_is_org = 0;                /* imported for another organisation */
	assert_string_equal(run(&in, &r), "poa_principal_mismatch");
	assert_string_equal(r.names, "");
	good_input(&in);
	in.org_kpp = "770702001";               /* the organisation's KPP changed since */
	assert_string_equal(run(&in, &r), "poa_principal_mismatch");
	good_input(&in);
	in.org_innle = "7736050003";
	assert_string_equal(run(&in, &r), "poa_principal_mismatch");
}

static void
test_poa_revoked_and_dates(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;

	(void)state;
	good_input(&in);
	in.revoked = 1;
	assert_string_equal(run(&in, &r), "poa_revoked");
	assert_string_equal(r.names, "poa_principal");
	good_input(&in);
	in.now = T_2025_01_14 + 86399;          /* the day before its issue date */
	assert_string_equal(run(&in, &r), "poa_not_yet_valid");
	in.now = T_2025_01_15;                  /* its first day */
	assert_string_equal(run(&in, &r), "");
	in.now = T_2099_12_31 + 86399;          /* its last day */
	assert_string_equal(run(&in, &r), "");
	in.now = T_2100_01_01;                  /* the day after */
	assert_string_equal(run(&in, &r), "poa_expired");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked");
}

static void
test_poa_representative(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;
	struct pechat_error e;

	(void)state;
	good_input(&in);
	in.representative.snils = "22233344416";
	assert_string_equal(run(&in, &r), "poa_representative_mismatch");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked,poa_in_force");
	good_input(&in);
	in.representative.inn = "500100732259";
	assert_string_equal(run(&in, &r), "poa_representative_mismatch");
	good_input(&in);
	in.representative.inn = NULL;           /* the registry has no INN: cannot be the same person */
	assert_string_equal(run(&in, &r), "poa_representative_mismatch");
	good_input(&in);
	in.representative.surname = "Петров";
	assert_string_equal(run(&in, &r), "poa_representative_mismatch");
	good_input(&in);
	in.representative.patronymic = NULL;
	assert_string_equal(run(&in, &r), "poa_representative_mismatch");
	/* case, "ё" and spaces do not matter (the POA writes ПЕТРОВА / Семеновна) */
	good_input(&in);
	in.representative.surname = " петрова ";
	in.representative.given_name = "АННА";
	assert_string_equal(run(&in, &r), "");
	pechat_error_clear(&e);
	in.representative.snils = "08765430301";
	assert_int_equal(ra_poa_check(&in, record, &r, &e), PECHAT_E_POLICY);
	assert_non_null(strstr(e.detail, "SNILS"));     /* the detail says what differs */
}

static void
test_poa_power(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;

	(void)state;
	good_input(&in);
	in.requires_power = "02.09.999";
	assert_string_equal(run(&in, &r), "poa_power_missing");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked,poa_in_force,poa_representative");
	in.requires_power = "02.01";            /* codes compare exactly, no prefixes */
	assert_string_equal(run(&in, &r), "poa_power_missing");
}

static void
test_poa_head(void **state)
{
	struct ra_poa_check_input in;
	struct recorded r;

	(void)state;
	good_input(&in);
	in.nheads = 1;                          /* only Сидоров: the POA's Иванов is no longer a head */
	assert_string_equal(run(&in, &r), "poa_head_mismatch");
	assert_string_equal(r.names, "poa_principal,poa_not_revoked,poa_in_force,poa_representative,poa_power");
	good_input(&in);
	in.heads[1].snils = "11223344596";
	assert_string_equal(run(&in, &r), "poa_head_mismatch");
	good_input(&in);
	in.heads[1].given_name = "Иоанн";
	assert_string_equal(run(&in, &r), "poa_head_mismatch");
	good_input(&in);
	in.heads[1].inn = "771234567859";       /* both have an INN and they differ */
	assert_string_equal(run(&in, &r), "poa_head_mismatch");
	good_input(&in);
	in.heads[1].inn = NULL;                 /* the registry has none: SNILS and name decide */
	assert_string_equal(run(&in, &r), "");
	good_input(&in);
	in.nheads = 0;
	assert_string_equal(run(&in, &r), "poa_head_mismatch");
}

/* ------------------------------------------------------- key hashes */

/* A fresh P-256 key. */
static EVP_PKEY *
new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* The SPKI DER of key k with its EC point in form ("compressed" / "uncompressed"); *len set. */
static unsigned char *
spki_der(EVP_PKEY *k, const char *form, int *len)
{
	unsigned char *der = NULL;

	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form), 1);
	*len = i2d_PUBKEY(k, &der);
	assert_true(*len > 0);
	return der;
}

static void
test_spki_hash_canonical(void **state)
{
	EVP_PKEY *k = new_key(), *other = new_key();
	unsigned char *c, *u, *o;
	char hc[65], hu[65], ho[65], plain[65];
	int lc, lu, lo;

	(void)state;
	c = spki_der(k, "compressed", &lc);
	u = spki_der(k, "uncompressed", &lu);
	o = spki_der(other, "uncompressed", &lo);
	assert_true(lc < lu);
	assert_int_equal(pechat_spki_sha256_hex(c, (size_t)lc, hc), 0);
	assert_int_equal(pechat_spki_sha256_hex(u, (size_t)lu, hu), 0);
	assert_int_equal(pechat_spki_sha256_hex(o, (size_t)lo, ho), 0);
	assert_string_equal(hc, hu);            /* one key, one hash */
	assert_string_not_equal(hu, ho);
	assert_int_equal(pechat_sha256_hex(u, (size_t)lu, plain), 0);
	assert_string_equal(hu, plain);         /* = SHA-256 of the usual (uncompressed) SPKI */
	/* the same SPKI with a BER (non-minimal) outer length: not DER, so not hashed as it is */
	{
		unsigned char ber[256];

		assert_true(lu < 128 && u[0] == 0x30 && u[1] == (unsigned char)(lu - 2));
		ber[0] = 0x30;
		ber[1] = 0x81;
		memcpy(ber + 2, u + 1, (size_t)lu - 1);
		assert_int_equal(pechat_spki_sha256_hex(ber, (size_t)lu + 1, plain), 0);
		assert_string_equal(plain, hu);
	}
	assert_int_equal(pechat_spki_sha256_hex(u, 0, hu), -1);
	OPENSSL_free(c);
	OPENSSL_free(u);
	OPENSSL_free(o);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* --------------------------------------------------- key checks (store) */

/* An inline request for CN=cn with CSR (pem, len); *out as ra_request_submit leaves it. */
static enum pechat_err
submit(const char *cn, const unsigned char *pem, size_t len, struct db_request *out, struct pechat_error *e)
{
	struct pechat_subject s;
	struct ra_submission sub;
	enum pechat_err err;
	int replayed;

	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(e);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, cn), 0);
	sub.profile = "qualified";
	sub.subject = &s;
	sub.csr = pem;
	sub.csr_len = len;
	sub.body_hash = "0000";
	err = ra_request_submit(RA_CA(F), F.db, &portal, &sub, out, &replayed, e);
	pechat_subject_clear(&s);
	return err;
}

/* 1 if req carries the passed check `name`. */
static int
has_check(const struct db_request *req, const char *name)
{
	int i;

	for (i = 0; i < req->nchecks; i++)
		if (strcmp(req->checks[i].name, name) == 0 && req->checks[i].passed)
			return 1;
	return 0;
}

static void
test_key_checks(void **state)
{
	EVP_PKEY *k = new_key();
	struct db_revocation ev;
	struct db_request req;
	struct pechat_error e;
	unsigned char *pem;
	size_t len;
	int64_t requests, certs;
	char serial[65];

	(void)state;
	pem = ca_fixture_csr_pem(k, &len);
	assert_int_equal(submit("Key Owner A", pem, len, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	assert_true(has_check(&req, "key_not_compromised"));
	assert_true(has_check(&req, "key_unique_to_subject"));
	pechat_strlcpy(serial, req.cert_serial, sizeof(serial));
	db_request_free_fields(&req);
	assert_int_equal(ra_fixture_rows(&F, "certificate_keys"), ra_fixture_rows(&F, "certificates"));
	/* the same key for another subject: refused, nothing stored */
	requests = ra_fixture_rows(&F, "requests");
	certs = ra_fixture_rows(&F, "certificates");
	assert_int_equal(submit("Key Owner B", pem, len, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_certified_for_other_subject");
	assert_non_null(strstr(e.detail, serial));
	assert_int_equal(ra_fixture_rows(&F, "requests"), requests);
	assert_int_equal(ra_fixture_rows(&F, "certificates"), certs);
	/* the same key for the same subject: a renewal, issued */
	assert_int_equal(submit("Key Owner A", pem, len, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	db_request_free_fields(&req);
	/* revoked for another reason: still the owner's key */
	memset(&ev, 0, sizeof(ev));
	pechat_strlcpy(ev.serial, serial, sizeof(ev.serial));
	pechat_strlcpy(ev.issuer, "ecdsa", sizeof(ev.issuer));
	pechat_strlcpy(ev.kind, "hold", sizeof(ev.kind));
	pechat_strlcpy(ev.reason, "certificateHold", sizeof(ev.reason));
	pechat_strlcpy(ev.actor, "officer1", sizeof(ev.actor));
	ev.revoked_at = ev.created_at = F.now;
	assert_int_equal(db_revocation_append(F.db, &ev, NULL, &e), PECHAT_OK);
	assert_int_equal(submit("Key Owner A", pem, len, &req, &e), PECHAT_OK);
	db_request_free_fields(&req);
	/* revoked keyCompromise: the key is refused for everyone, nothing stored */
	pechat_strlcpy(ev.kind, "revoke", sizeof(ev.kind));
	pechat_strlcpy(ev.reason, "keyCompromise", sizeof(ev.reason));
	assert_int_equal(db_revocation_append(F.db, &ev, NULL, &e), PECHAT_OK);
	requests = ra_fixture_rows(&F, "requests");
	certs = ra_fixture_rows(&F, "certificates");
	assert_int_equal(submit("Key Owner A", pem, len, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_compromised");
	assert_non_null(strstr(e.detail, serial));
	assert_int_equal(ra_fixture_rows(&F, "requests"), requests);
	assert_int_equal(ra_fixture_rows(&F, "certificates"), certs);
	free(pem);
	EVP_PKEY_free(k);
	/* a fresh key is fine */
	k = new_key();
	pem = ca_fixture_csr_pem(k, &len);
	assert_int_equal(submit("Key Owner B", pem, len, &req, &e), PECHAT_OK);
	db_request_free_fields(&req);
	free(pem);
	EVP_PKEY_free(k);
}

/* A self-signed certificate for key k, DER (malloc'd by OpenSSL); *len set. */
static unsigned char *
cert_der(EVP_PKEY *k, int *len)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_true((*len = i2d_X509(x, &der)) > 0);
	X509_free(x);
	return der;
}

/* A store file at schema version 6 holding one certificate with DER (der, len). */
static void
old_store(const char *path, const unsigned char *der, int len)
{
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	int i;

	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	for (i = 0; i < 6; i++)
		assert_int_equal(sqlite3_exec(raw, db_migrations[i], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 6;"
	    "INSERT INTO serials VALUES ('1234', 'ecdsa', 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "INSERT INTO certificates (serial, issuer, profile, subject_dn,"
	    " fingerprint, not_before, not_after, der, created_at) VALUES ('1234', 'ecdsa', 'p', 'CN=x', 'fp', 1, 2, ?, 1)",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, der, len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(raw);
}

static void
test_backfill_at_migration(void **state)
{
	char path[256], want[65], got[65] = "";
	EVP_PKEY *k = new_key();
	unsigned char *der, *spki, junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct pechat_error e;
	struct db *db = NULL;
	sqlite3 *raw = NULL;
	int len, slen;

	(void)state;
	/* an old store with one certificate: opened, its key hash is there */
	snprintf(path, sizeof(path), "%s/old.db", F.dir);
	der = cert_der(k, &len);
	old_store(path, der, len);
	pechat_error_clear(&e);
	assert_int_equal(db_open(path, 0, &db, &e), PECHAT_OK);
	assert_int_equal(db_schema_version(db), db_schema_version_supported());
	db_close(db);
	spki = spki_der(k, "uncompressed", &slen);
	assert_int_equal(pechat_sha256_hex(spki, (size_t)slen, want), 0);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(test_table_rows(raw, "certificate_keys"), 1);
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(raw, "SELECT spki_sha256 FROM certificate_keys WHERE serial = '1234'",
		    -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		pechat_strlcpy(got, (const char *)sqlite3_column_text(st, 0), sizeof(got));
		sqlite3_finalize(st);
	}
	assert_string_equal(got, want);
	sqlite3_close(raw);
	/* opened again: nothing more to do, nothing doubled */
	assert_int_equal(db_open(path, 0, &db, &e), PECHAT_OK);
	db_close(db);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(test_table_rows(raw, "certificate_keys"), 1);
	sqlite3_close(raw);
	unlink(path);
	/* a certificate that does not parse: the migration fails whole, the store stays at version 6 */
	old_store(path, junk, (int)sizeof(junk));
	assert_int_equal(db_open(path, 0, &db, &e), PECHAT_E_INTERNAL);
	assert_null(db);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 6);
		sqlite3_finalize(st);
	}
	sqlite3_close(raw);
	unlink(path);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/* ----------------------------------------- a legal entity's request (store) */

/* Registers (by the portal) and verifies an individual; its id into id. */
static void
person_verified(const char *sur, const char *given, const char *patr, const char *snils, const char *inn, char id[37])
{
	struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД Тверского района", "770-001", NULL };
	struct ra_subject_input in;
	struct db_id_document doc;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "individual";
	in.v[RSF_SURNAME] = sur;
	in.v[RSF_GIVEN_NAME] = given;
	in.v[RSF_PATRONYMIC] = patr;
	in.v[RSF_BIRTH_DATE] = "1980-05-20";
	in.v[RSF_SNILS] = snils;
	in.v[RSF_INN] = inn;
	in.v[RSF_COUNTRY] = "RU";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(F.db, &portal, F.now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
	assert_int_equal(ra_document_add(F.db, &officer, F.now, id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(F.db, &officer, F.now, id, doc.id, 0, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(F.db, &officer, F.now, id, NULL, &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
}

/* A request for organisation org by rep (poa 0: none) with a fresh key; *out as submitted. */
static enum pechat_err
submit_legal(const char *org, const char *rep, int64_t poa_id, struct db_request *out, struct pechat_error *e)
{
	return ra_fixture_submit(&F, &portal, "org", org, rep, poa_id, out, e);
}

/* The head acts without a POA, the employee under the stored POA; each refusal stores nothing. */
static void
test_legal_request(void **state)
{
	struct ra_subject_input in;
	struct ra_poa_source src = { "xml", NULL, 0, NULL, NULL };
	struct ra_appointment_input appt = { NULL, "order", "1-к", "2024-01-10", "Общее собрание участников", NULL,
		"Генеральный директор" };
	struct db_appointment a;
	struct db_request req;
	struct db_subject s;
	struct db_poa *row = calloc(1, sizeof(*row));
	struct pechat_error e;
	char head[37], emp[37], org[37];
	int64_t requests;

	(void)state;
	assert_non_null(row);
	person_verified("Иванов", "Иван", "Иванович", "11223344595", "500100732259", head);
	person_verified("Петрова", "Анна", "Семёновна", "08765430300", "771234567859", emp);
	memset(&in, 0, sizeof(in));
	in.kind = "legal_entity";
	in.v[RSF_FULL_NAME] = "Общество с ограниченной ответственностью «Ромашка»";
	in.v[RSF_SHORT_NAME] = "ООО «Ромашка»";
	in.v[RSF_INNLE] = "7707083893";
	in.v[RSF_OGRN] = "1027700132195";
	in.v[RSF_KPP] = "770701001";
	in.v[RSF_COUNTRY] = "RU";
	in.v[RSF_STREET] = "ул. Льва Толстого, д. 16";
	in.heads_given = 1;
	in.nheads = 1;
	in.head_id[0] = head;
	in.head_title[0] = "Генеральный директор";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(F.db, &portal, F.now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(org, s.id, sizeof(org));
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_verify(F.db, &officer, F.now, org, "EGRUL extract No 1", &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	src.bytes = (const char *)poa_xml;
	src.len = poa_xml_len;
	assert_int_equal(ra_poa_import(F.db, &officer, F.now, org, &src, row, &e), PECHAT_OK);

	/* the employee under the POA: the subject is the organisation's and the employee's */
	assert_int_equal(submit_legal(org, emp, row->id, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	assert_string_equal(req.representative_id, emp);
	assert_int_equal(req.representative_version, 2);
	assert_int_equal(req.poa_id, row->id);
	assert_string_equal(req.subject.v[PSF_COMMON_NAME], "Петрова Анна Семёновна");
	assert_string_equal(req.subject.v[PSF_ORGANIZATION], "ООО «Ромашка»");
	assert_string_equal(req.subject.v[PSF_INNLE], "7707083893");
	assert_string_equal(req.subject.v[PSF_OGRN], "1027700132195");
	assert_string_equal(req.subject.v[PSF_SNILS], "08765430300");
	assert_string_equal(req.subject.v[PSF_INN], "771234567859");
	assert_string_equal(req.subject.v[PSF_STREET], "ул. Льва Толстого, д. 16");
	assert_null(req.subject.v[PSF_TITLE]);
	assert_true(has_check(&req, "representative_verified"));
	assert_true(has_check(&req, "poa_power"));
	assert_true(has_check(&req, "poa_head"));
	db_request_free_fields(&req);
	assert_int_equal(ra_fixture_rows(&F, "request_representative"), 1);

	/* the head without a POA: refused until its appointment is recorded and verified */
	requests = ra_fixture_rows(&F, "requests");
	assert_int_equal(submit_legal(org, head, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "head_appointment_missing");
	assert_int_equal(ra_fixture_rows(&F, "requests"), requests);
	appt.head_id = head;
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &appt, &a, &e), PECHAT_OK);
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id, "original", &a, &e), PECHAT_OK);
	/* then its title comes along; no POA recorded */
	assert_int_equal(submit_legal(org, head, 0, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	assert_int_equal(req.poa_id, 0);
	assert_string_equal(req.subject.v[PSF_TITLE], "Генеральный директор");
	assert_true(has_check(&req, "representative_is_head"));
	assert_true(has_check(&req, "head_appointment_verified"));
	db_request_free_fields(&req);

	/* refusals: nothing stored */
	requests = ra_fixture_rows(&F, "requests");
	assert_int_equal(submit_legal(org, emp, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "poa_required");
	assert_int_equal(submit_legal(org, org, row->id, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "representative_kind_mismatch");
	assert_int_equal(submit_legal(org, "00000000-0000-4000-8000-000000000000", 0, &req, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "representative_unknown");
	assert_int_equal(submit_legal(org, emp, row->id + 100, &req, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "poa_unknown");
	assert_int_equal(submit_legal(org, head, row->id, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "poa_representative_mismatch");        /* the POA is the employee's */
	assert_int_equal(ra_poa_revoke(F.db, &officer, F.now, row->id, "withdrawn", row, &e), PECHAT_OK);
	assert_int_equal(submit_legal(org, emp, row->id, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "poa_revoked");
	assert_int_equal(ra_fixture_rows(&F, "requests"), requests);
	free(row);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_normalize),
		cmocka_unit_test(test_poa_all_pass),
		cmocka_unit_test(test_poa_principal),
		cmocka_unit_test(test_poa_revoked_and_dates),
		cmocka_unit_test(test_poa_representative),
		cmocka_unit_test(test_poa_power),
		cmocka_unit_test(test_poa_head),
		cmocka_unit_test(test_spki_hash_canonical),
		cmocka_unit_test(test_key_checks),
		cmocka_unit_test(test_backfill_at_migration),
		cmocka_unit_test(test_legal_request),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
