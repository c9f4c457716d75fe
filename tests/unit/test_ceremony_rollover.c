/*
 * Unit tests for issuer generations (key rollover): ceremony_rollover
 * (ceremony/rollover.c) and its refusals, the succession checks
 * (ca/succession.c), and the generation resolution of ca_new / ca_issue:
 * a profile naming "ecdsa" issues from its newest generation, never from an
 * older one. Real store (":memory:") after ca_bootstrap, fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "ceremony/rollover.h"

#include "ca_fixture.h"

static struct ca_fixture F;

static int
setup(void **state)
{
	(void)state;
	return ca_fixture_setup(&F, "rollover");
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* ceremony_rollover of `issuer` to `new_name` (key_ref may be NULL); the result code, e filled. */
static enum pechat_err
roll(const char *issuer, const char *new_name, const char *key_ref, struct pechat_error *e)
{
	struct ceremony_rollover r;
	struct ceremony_rollover_result res;

	memset(&r, 0, sizeof(r));
	r.issuer = issuer;
	r.new_name = new_name;
	r.key_ref = key_ref;
	r.actor = "cli:test";
	pechat_error_clear(e);
	return ceremony_rollover(&F.conf, F.db, &F.clock, &r, &res, e);
}

/* pechatd's restart: a new struct ca from the store. */
static void
restart(void)
{
	struct pechat_error e;

	ca_free(F.ca);
	F.ca = NULL;
	pechat_error_clear(&e);
	if (ca_new(&F.cconf, F.db, &F.clock, &F.ca, &e) != PECHAT_OK)
		fail_msg("ca_new: %s (%s)", e.detail, e.code);
}

/* ca_issue for profile "qualified" with a fresh key; the result code, *out the certificate. */
static enum pechat_err
issue(X509 **out, struct pechat_error *e)
{
	struct pechat_subject s;
	struct ca_issue_params p;
	struct ca_csr *req = NULL;
	unsigned char *pem;
	size_t len;
	enum pechat_err rc;

	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, "subscriber");
	pem = ca_fixture_new_csr_pem(&len);
	assert_int_equal(ca_csr_read(pem, len, &req, e), PECHAT_OK);
	memset(&p, 0, sizeof(p));
	p.profile = "qualified";
	p.subject = &s;
	p.csr = req;
	p.actor = "officer1";
	*out = NULL;
	pechat_error_clear(e);
	rc = ca_issue(F.ca, F.db, &p, out, NULL, e);
	ca_csr_free(req);
	free(pem);
	pechat_subject_clear(&s);
	return rc;
}

/* The struct ca's view of `name`; fails the test when it is not loaded. */
static void
view_of(const char *name, struct ca_issuer_view *v)
{
	int i;

	for (i = 0; ca_issuer_at(F.ca, i, v) == 0; i++)
		if (strcmp(v->name, name) == 0)
			return;
	fail_msg("issuer %s not loaded", name);
}

/* Generations resolve to the newest; each certificate comes from it and verifies to the root. */
static void
test_newest_generation_issues(void **state)
{
	struct pechat_error e;
	struct ca_issuer_view v;
	X509 *cert = NULL;

	(void)state;
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa"), "ecdsa");
	assert_int_equal(roll("ecdsa", "ecdsa-2", NULL, &e), PECHAT_OK);
	/* a running CA keeps its generations until it is restarted */
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa"), "ecdsa");
	restart();
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa"), "ecdsa-2");
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa-2"), "ecdsa-2");
	assert_string_equal(ca_issuer_current(F.ca, "rsa"), "rsa");
	assert_string_equal(ca_issuer_current(F.ca, "nosuch"), "nosuch");
	view_of("ecdsa", &v);
	assert_string_equal(v.successor, "ecdsa-2");
	assert_string_equal(v.predecessor, "");
	view_of("ecdsa-2", &v);
	assert_string_equal(v.predecessor, "ecdsa");
	assert_string_equal(v.successor, "");
	assert_string_equal(v.parent, "ecdsa-root");
	assert_int_equal(issue(&cert, &e), PECHAT_OK);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca_issuer_get0_cert(F.ca,
	    "ecdsa-2"))), 0);
	assert_int_equal(ca_fixture_verify(cert, ca_issuer_get0_cert(F.ca, "ecdsa-root"),
	    ca_issuer_get0_cert(F.ca, "ecdsa-2"), 0, 0), 1);
	assert_int_equal(ca_fixture_verify(cert, ca_issuer_get0_cert(F.ca, "ecdsa-root"),
	    ca_issuer_get0_cert(F.ca, "ecdsa"), 0, 0), 0);
	X509_free(cert);
	/* a third generation: the chain is followed to its end */
	assert_int_equal(roll("ecdsa-2", "ecdsa-3", NULL, &e), PECHAT_OK);
	restart();
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa"), "ecdsa-3");
	assert_string_equal(ca_issuer_current(F.ca, "ecdsa-2"), "ecdsa-3");
	assert_int_equal(issue(&cert, &e), PECHAT_OK);
	assert_int_equal(ca_fixture_verify(cert, ca_issuer_get0_cert(F.ca, "ecdsa-root"),
	    ca_issuer_get0_cert(F.ca, "ecdsa-3"), 0, 0), 1);
	X509_free(cert);
}

/* The newest generation without its key: key_unavailable, never the older generation's key. */
static void
test_no_fallback(void **state)
{
	struct pechat_error e;
	char path[512], moved[520];
	int64_t certs;
	X509 *cert = NULL;

	(void)state;
	assert_int_equal(roll("ecdsa", "ecdsa-2", NULL, &e), PECHAT_OK);
	snprintf(path, sizeof(path), "%s/var/keys/ecdsa-2.key", F.dir);
	snprintf(moved, sizeof(moved), "%s.away", path);
	assert_int_equal(rename(path, moved), 0);
	restart();
	certs = ca_fixture_cert_count(&F);
	assert_int_equal(issue(&cert, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_non_null(strstr(e.detail, "ecdsa-2"));
	assert_null(cert);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(rename(moved, path), 0);
}

/* Refusals: each with its code, nothing stored, no key file left behind. */
static void
test_refusals(void **state)
{
	struct pechat_error e;
	struct db_issuer row;
	char path[512], ref[600];
	int before, after;

	(void)state;
	assert_int_equal(db_issuer_count(F.db, &before, &e), PECHAT_OK);
	assert_int_equal(roll("nosuch", "x-2", NULL, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_unknown");
	assert_int_equal(roll("ecdsa-root", "x-2", NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_issuing");
	assert_int_equal(roll("operators", "x-2", NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_issuing");
	assert_int_equal(roll("ecdsa", "rsa", NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_exists");
	assert_int_equal(roll("ecdsa", "Ecdsa2", NULL, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "issuer_name_invalid");
	assert_int_equal(roll("ecdsa", "ecdsa-delta", NULL, &e), PECHAT_E_INVALID);
	assert_int_equal(roll("ecdsa", "x-root", NULL, &e), PECHAT_E_INVALID);
	assert_int_equal(roll("ecdsa", "operators", NULL, &e), PECHAT_E_INVALID);
	/* the old issuer's own key is no rollover */
	memset(&row, 0, sizeof(row));
	assert_int_equal(db_issuer_get(F.db, "ecdsa", &row, &e), PECHAT_OK);
	snprintf(ref, sizeof(ref), "%s", row.key_ref);
	db_issuer_free_fields(&row);
	assert_int_equal(roll("ecdsa", "ecdsa-2", ref, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "key_reused");
	/* the root's key away from this machine */
	snprintf(path, sizeof(path), "%s/var/keys/rsa-root.key", F.dir);
	snprintf(ref, sizeof(ref), "%s.away", path);
	assert_int_equal(rename(path, ref), 0);
	assert_int_equal(roll("rsa", "rsa-2", NULL, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "root_key_unavailable");
	assert_non_null(strstr(e.detail, "rsa-root"));
	assert_int_equal(rename(ref, path), 0);
	/* a revoked root certifies nothing */
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "rsa-root", CA_REVOKE, "keyCompromise", NULL, "cli:test",
	    &(struct db_revocation){ 0 }, &e), PECHAT_OK);
	assert_int_equal(roll("rsa", "rsa-2", NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_revoked");
	assert_non_null(strstr(e.detail, "rsa-root"));
	snprintf(path, sizeof(path), "%s/var/keys/rsa-2.key", F.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/var/keys/ecdsa-2.key", F.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(db_issuer_count(F.db, &after, &e), PECHAT_OK);
	assert_int_equal(after, before);
	/* after a rollover the old generation is not the newest any more */
	assert_int_equal(roll("ecdsa", "ecdsa-2", NULL, &e), PECHAT_OK);
	assert_int_equal(roll("ecdsa", "ecdsa-3", NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_newest");
	assert_non_null(strstr(e.detail, "ecdsa-2"));
}

/* ca_succession_record (the import's way in): every check again inside the transaction. */
static void
test_succession_record(void **state)
{
	struct pechat_error e;
	char other[64];

	(void)state;
	pechat_error_clear(&e);
	/* the import's case: the successor's issuers row already stored (here the issuing CA "rsa") */
	assert_int_equal(ca_succession_record(F.db, "ecdsa", "ecdsa-root", "t", F.now, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "issuer_name_invalid");
	assert_int_equal(ca_succession_record(F.db, "ecdsa", "nosuch", "t", F.now, &e), PECHAT_E_NOT_FOUND);
	assert_int_equal(ca_succession_record(F.db, "ecdsa", "ecdsa", "t", F.now, &e), PECHAT_E_CONFLICT);
	assert_int_equal(ca_succession_record(F.db, "ecdsa", "rsa", "t", F.now, &e), PECHAT_OK);
	assert_int_equal(db_issuer_successor(F.db, "ecdsa", other, sizeof(other), &e), PECHAT_OK);
	assert_string_equal(other, "rsa");
	assert_int_equal(db_issuer_predecessor(F.db, "rsa", other, sizeof(other), &e), PECHAT_OK);
	assert_string_equal(other, "ecdsa");
	assert_int_equal(db_issuer_successor(F.db, "rsa", other, sizeof(other), &e), PECHAT_E_NOT_FOUND);
	/* ecdsa has its successor; rsa already succeeds one */
	assert_int_equal(ca_succession_record(F.db, "ecdsa", "rsa", "t", F.now, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_newest");
	/* the table is append-only */
	assert_int_not_equal(db_issuer_succession_insert(F.db, "ecdsa", "rsa", F.now, "t", &e), PECHAT_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newest_generation_issues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_succession_record, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
