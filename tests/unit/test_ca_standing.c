/*
 * Unit tests for what the subscriber API may touch (ca_cert_classify,
 * ca_revoke's refusals and input rules) and for the key ceremony
 * (ca_ceremony_issuer, ca_operator_revoke) with its consequence: an issuer
 * whose certificate, or its root's, is revoked or on hold signs nothing
 * (ca/standing.c). Real store (":memory:") after ceremony_bootstrap, fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <sqlite3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "db/db_int.h"

#include "ca_fixture.h"

static struct ca_fixture F;

static int
setup(void **state)
{
	(void)state;
	return ca_fixture_setup(&F, "standing");
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* Serial of a certificate. */
static void
serial_of(X509 *x, char serial[65])
{
	assert_non_null(x);
	assert_int_equal(ca_cert_serial_hex(x, serial, 65), 0);
}

/* Serial of a PEM certificate file under the fixture's var dir. */
static void
file_serial(const char *rel, char serial[65])
{
	char path[512];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel);
	assert_non_null(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	serial_of(x, serial);
	X509_free(x);
}

/* A subscriber certificate of F (ca_fixture_issue_subscriber). */
#define issue_subscriber(cn, serial) ca_fixture_issue_subscriber(&F, (cn), (serial))

/* ca_issue of a fresh request for profile "qualified": the error (code into e). */
static enum pechat_err
try_issue(struct pechat_error *e)
{
	struct pechat_subject s;
	struct ca_issue_params p;
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	X509 *cert = NULL;
	enum pechat_err err;

	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, "someone");
	memset(&p, 0, sizeof(p));
	p.profile = "qualified";
	p.subject = &s;
	p.csr = parts;
	p.actor = "officer1";
	pechat_error_clear(e);
	err = ca_issue(F.ca, F.db, &p, &cert, NULL, e);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
	return err;
}

static enum ca_cert_class
class_of(const char *serial)
{
	struct db_cert_role role;
	struct db_cert cert;
	struct pechat_error e;
	enum ca_cert_class cls = CA_CERT_OTHER;

	assert_int_equal(db_cert_get(F.db, serial, &cert, &e), PECHAT_OK);
	assert_int_equal(ca_cert_classify(F.db, &cert, &cls, &role, &e), PECHAT_OK);
	db_cert_free_fields(&cert);
	return cls;
}

/* ca_revoke and ca_revoke(hold) of serial are refused with not_subscriber_certificate, detail containing want. */
static void
refused(const char *serial, const char *want)
{
	struct pechat_error e;
	int64_t audits = ca_fixture_audit_count(&F);

	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, serial, CA_REVOKE, "keyCompromise", 0, "admin", NULL, NULL, &e),
	    PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "not_subscriber_certificate");
	if (strstr(e.detail, want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", e.detail, want);
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, serial, CA_HOLD, NULL, 0, "admin", NULL, NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "not_subscriber_certificate");
	assert_int_equal(ca_fixture_audit_count(&F), audits);
}

/* Every certificate the CA makes for itself is classified and refused; a subscriber's is revoked. */
static void
test_subscriber_only(void **state)
{
	char root[65], issuing[65], ops[65], tls[65], admin[65], resp[65], sub[65], other[65];
	struct ca_responder *r = NULL;
	struct pechat_error e;
	X509 *x;

	(void)state;
	serial_of(ca_issuer_get0_cert(F.ca, "ecdsa-root"), root);
	serial_of(ca_issuer_get0_cert(F.ca, "ecdsa"), issuing);
	serial_of(ca_issuer_get0_cert(F.ca, "operators"), ops);
	file_serial("tls/server.crt", tls);
	file_serial("credentials/admin.crt", admin);
	assert_int_equal(ca_responder_ensure(F.ca, F.db, "ecdsa", F.now, 7, 2, &r, &e), PECHAT_OK);
	pechat_strlcpy(resp, ca_responder_serial(r), sizeof(resp));
	ca_responder_free(r);
	issue_subscriber("alice", sub);
	x = ca_fixture_issue(&F, "qualified", "ec-p256.pem", "no request");
	serial_of(x, other);
	X509_free(x);

	assert_int_equal(class_of(root), CA_CERT_ROOT);
	assert_int_equal(class_of(issuing), CA_CERT_ISSUING_CA);
	assert_int_equal(class_of(ops), CA_CERT_OPERATORS_CA);
	assert_int_equal(class_of(tls), CA_CERT_API_TLS);
	assert_int_equal(class_of(admin), CA_CERT_OPERATOR);
	assert_int_equal(class_of(resp), CA_CERT_OCSP_RESPONDER);
	assert_int_equal(class_of(sub), CA_CERT_SUBSCRIBER);
	assert_int_equal(class_of(other), CA_CERT_OTHER);

	refused(root, "root CA certificate of issuer \"ecdsa-root\"");
	refused(issuing, "pechat ceremony revoke-ca|hold-ca|release-ca ecdsa");
	refused(ops, "operators CA");
	refused(tls, "TLS certificate");
	refused(admin, "pechat operator revoke admin");
	refused(resp, "OCSP responder certificate of issuer \"ecdsa\"");
	refused(other, "not issued for a request");
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, sub, CA_REVOKE, "superseded", 0, "officer1", NULL, NULL, &e), PECHAT_OK);
}

/* reason_invalid lists the reasons; invalidity_date within [notBefore - 24 h, now]. */
static void
test_revoke_inputs(void **state)
{
	struct pechat_error e;
	char sub[65];

	(void)state;
	issue_subscriber("bob", sub);
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, sub, CA_REVOKE, "bored", 0, "admin", NULL, NULL, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "reason_invalid");
	assert_non_null(strstr(e.detail, "keyCompromise"));
	assert_non_null(strstr(e.detail, "aACompromise"));
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, sub, CA_REVOKE, "keyCompromise", F.now - 86400 - 1, "admin", NULL, NULL,
	    &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "invalidity_date_invalid");
	assert_non_null(strstr(e.detail, "notBefore"));
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, sub, CA_REVOKE, "keyCompromise", F.now + 1, "admin", NULL, NULL, &e),
	    PECHAT_E_INVALID);
	assert_string_equal(e.code, "invalidity_date_invalid");
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, sub, CA_REVOKE, NULL, F.now - 86400, "admin", NULL, NULL, &e), PECHAT_OK);
}

/* Two changes in one caller transaction: both commit together, or a refused second rolls back the first. */
struct two_changes {
	const char *first, *second;
	struct db_revocation ev[2];
};

/* db_txn_run callback: revoke first, then second (keyCompromise, by "officer1"). */
static enum pechat_err
two_changes_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct two_changes *t = arg;
	struct ca_status_change c;
	enum pechat_err err;

	memset(&c, 0, sizeof(c));
	c.action = CA_REVOKE;
	c.reason = "keyCompromise";
	c.actor = "officer1";
	c.subscriber_only = 1;
	c.serial = t->first;
	if ((err = ca_status_change_in_txn(db, F.now, &c, &t->ev[0], e)) != PECHAT_OK)
		return err;
	c.serial = t->second;
	return ca_status_change_in_txn(db, F.now, &c, &t->ev[1], e);
}

/* The last event of serial is a revocation (1) or there is none (0). */
static int
is_revoked(const char *serial)
{
	struct db_revocation ev;
	struct pechat_error e;

	pechat_error_clear(&e);
	return db_revocation_last(F.db, serial, -1, &ev, &e) == PECHAT_OK && strcmp(ev.kind, "revoke") == 0;
}

static void
test_changes_in_one_txn(void **state)
{
	struct two_changes t;
	struct pechat_error e;
	char a[65], b[65], root[65];
	int audits;

	(void)state;
	ca_fixture_issue_subscriber(&F, "carol", a);
	ca_fixture_issue_subscriber(&F, "dave", b);
	serial_of(ca_issuer_get0_cert(F.ca, "ecdsa-root"), root);
	audits = ca_fixture_audit_count(&F);

	memset(&t, 0, sizeof(t));
	t.first = a;
	t.second = root;        /* refused: not a subscriber certificate */
	pechat_error_clear(&e);
	assert_int_equal(db_txn_run(F.db, two_changes_txn, &t, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "not_subscriber_certificate");
	assert_false(is_revoked(a));
	assert_int_equal(ca_fixture_audit_count(&F), audits);

	t.second = b;
	pechat_error_clear(&e);
	assert_int_equal(db_txn_run(F.db, two_changes_txn, &t, &e), PECHAT_OK);
	ca_status_change_publish(F.pub, F.db, &t.ev[0]);
	ca_status_change_publish(F.pub, F.db, &t.ev[1]);
	assert_true(is_revoked(a));
	assert_true(is_revoked(b));
	assert_string_equal(t.ev[1].reason, "keyCompromise");
	assert_int_equal(ca_fixture_audit_count(&F), audits + 2);
}

/* hold-ca stops the issuer (and only it); release-ca lets it sign again; the event is under the root. */
static void
test_ceremony_hold_release(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 0;
	struct ca_crl_params p;
	char issuing[65];

	(void)state;
	serial_of(ca_issuer_get0_cert(F.ca, "ecdsa"), issuing);
	pechat_error_clear(&e);
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa", CA_HOLD, NULL, "audit", "cli:test", &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.issuer, "ecdsa-root");
	assert_string_equal(ev.serial, issuing);
	assert_string_equal(ev.reason, "certificateHold");
	/* the running CA has not looked yet: ca_issue re-reads the store */
	assert_int_equal(try_issue(&e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "issuer_on_hold");
	assert_non_null(strstr(e.detail, "\"ecdsa\""));
	pechat_error_clear(&e);
	assert_int_equal(ca_standing_ready(F.ca, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "issuer ecdsa: certificate on hold"));
	/* no CRL from the held issuer; its root still signs */
	memset(&p, 0, sizeof(p));
	p.issuer = "ecdsa";
	p.number = 1;
	p.base_number = -1;
	p.this_update = F.now;
	p.next_update = F.now + 3600;
	pechat_error_clear(&e);
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "issuer_on_hold");
	p.issuer = "ecdsa-root";
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_OK);
	OPENSSL_free(der);
	assert_int_equal(ca_issuer_check_standing(F.ca, "rsa", &e), PECHAT_OK);
	/* a second hold, a release of a valid certificate: refused */
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa", CA_HOLD, NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "already_on_hold");
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa", CA_RELEASE, NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_OK);
	assert_int_equal(try_issue(&e), PECHAT_OK);
	assert_int_equal(ca_standing_ready(F.ca, &e), PECHAT_OK);
}

/* sqlite3_trace_v2 callback: counts the statements run on the connection. */
static int
count_stmt(unsigned type, void *arg, void *p, void *x)
{
	(void)type;
	(void)p;
	(void)x;
	(*(int *)arg)++;
	return 0;
}

/* Statements one ca_standing_refresh runs on F's connection (it must succeed). */
static int
refresh_statements(void)
{
	struct pechat_error e;
	int n = 0;

	pechat_error_clear(&e);
	sqlite3_trace_v2(F.db->conn, SQLITE_TRACE_STMT, count_stmt, &n);
	assert_int_equal(ca_standing_refresh(F.ca, F.db, F.pub, &e), PECHAT_OK);
	sqlite3_trace_v2(F.db->conn, 0, NULL, NULL);
	return n;
}

/*
 * With no status event since the last refresh, a refresh is one read of the
 * highest event id (no issuer re-read, no lock); a new event (a hold made by
 * the ceremony, another process) is read by the next refresh.
 */
static void
test_refresh_reads_only_new_events(void **state)
{
	struct pechat_error e;

	(void)state;
	refresh_statements();
	assert_int_equal(refresh_statements(), 1);
	pechat_error_clear(&e);
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa", CA_HOLD, NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_OK);
	assert_true(refresh_statements() > 1);
	assert_int_equal(ca_issuer_check_standing(F.ca, "ecdsa", &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "issuer_on_hold");
}

/* A revoked root stops every issuer below it; the operators CA is not revocable; unknown names are 404. */
static void
test_ceremony_revoke_root(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;

	(void)state;
	pechat_error_clear(&e);
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "operators", CA_REVOKE, "cACompromise", NULL, "cli:test",
	    NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_revocable");
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "nosuch", CA_REVOKE, NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_E_NOT_FOUND);
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa-root", CA_REVOKE, "bored", NULL, "cli:test", NULL,
	    &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "reason_invalid");
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa-root", CA_REVOKE, "cACompromise", NULL, "cli:test",
	    &ev, &e), PECHAT_OK);
	assert_string_equal(ev.issuer, "ecdsa-root");   /* a root has no parent */
	assert_int_equal(try_issue(&e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_revoked");
	assert_non_null(strstr(e.detail, "parent \"ecdsa-root\""));
	assert_int_equal(ca_issuer_check_standing(F.ca, "ecdsa-root", &e), PECHAT_E_CONFLICT);
	assert_int_equal(ca_issuer_check_standing(F.ca, "rsa", &e), PECHAT_OK);
	assert_int_equal(ca_ceremony_issuer(F.db, &F.clock, "ecdsa-root", CA_RELEASE, NULL, NULL, "cli:test", NULL,
	    &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "already_revoked");
}

/* pechat operator revoke: the credential's event, under the operators CA. */
static void
test_operator_revoke(void **state)
{
	struct db_revocation ev;
	struct pechat_error e;
	char admin[65];

	(void)state;
	file_serial("credentials/admin.crt", admin);
	pechat_error_clear(&e);
	assert_int_equal(ca_operator_revoke(F.db, &F.clock, "nobody", NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "operator_unknown");
	assert_int_equal(ca_operator_revoke(F.db, &F.clock, "admin", "keyCompromise", NULL, "cli:test", &ev, &e),
	    PECHAT_OK);
	assert_string_equal(ev.serial, admin);
	assert_string_equal(ev.issuer, "operators");
	assert_int_equal(ca_operator_revoke(F.db, &F.clock, "admin", NULL, NULL, "cli:test", NULL, &e),
	    PECHAT_E_CONFLICT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subscriber_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_in_one_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ceremony_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ceremony_revoke_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_reads_only_new_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
