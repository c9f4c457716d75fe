/*
 * Shared fixture for the ca/ (and hsm/) unit tests: a temp dir, a test
 * configuration (issuers + profiles), a fake clock, a ":memory:" store
 * after `pechat init` (ceremony_bootstrap), and a struct ca from ca_new
 * with the ca/ configuration cmd/ makes of it (cmd_ca_conf).
 *
 * Two ways in: ca_fixture_setup() for the default configuration, or
 * ca_fixture_init() + edits to f->conf / f->issuers / f->profiles +
 * ca_fixture_start(). Functions that return an int or a pointer never
 * assert (they serve group setups); ca_fixture_csr() and the _count()
 * helpers assert with cmocka (for test bodies).
 */
#ifndef PECHAT_TESTS_CA_FIXTURE_H
#define PECHAT_TESTS_CA_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "ca/ca.h"
#include "config/config.h"

#define CA_FIXTURE_MAX_ISSUERS 3
#define CA_FIXTURE_MAX_PROFILES 2

struct ca_fixture {
	char dir[128];                  /* "/tmp/pechat-<tag>-XXXXXX"; var_dir is <dir>/var */
	struct pechat_config conf;
	struct ca_conf cconf;           /* ca/'s configuration made of conf by ca_fixture_start (cmd_ca_conf) */
	struct pechat_issuer_conf issuers[CA_FIXTURE_MAX_ISSUERS];
	struct pechat_profile_conf profiles[CA_FIXTURE_MAX_PROFILES];
	int have_gost;                  /* gost-engine loaded (Streebog digests available) */
	int file_store;                 /* set before ca_fixture_start: the store is the file
	                                 * conf.store_path = <dir>/pechat.db, not ":memory:" (for code
	                                 * that opens its own connection, e.g. the publisher thread) */
	time_t now;                     /* what clock returns; tests may move it */
	struct pechat_clock clock;
	struct db *db;
	struct ca *ca;
	struct ca_publisher *pub;       /* NULL, or a test's running publisher: the ca_fixture_issue* and
	                                 * ca_fixture_revoke helpers tell it from what ca/ reports, as ra/ does */
};

/* mkdtemp "/tmp/pechat-<tag>-XXXXXX" into buf. 0 or -1. */
int ca_fixture_tmpdir(char *buf, size_t bufsz, const char *tag);

/* Removes dir and everything below it (links are not followed). 0 or -1. */
int ca_fixture_rmtree(const char *dir);

/* An issuer: rsa_bits 2048, O "Печать", C "RU", 7300/3650 days. */
void ca_fixture_issuer(struct pechat_issuer_conf *ic, const char *name, enum pechat_keyalg alg,
    const char *cn);

/*
 * Quiet logs, hsm_global_init, a temp dir, the fake clock at time(NULL) and
 * the default configuration: public_base_url "http://ca.test/", API host
 * "localhost"; issuers "ecdsa" (P-256), "rsa" and, with gost-engine,
 * "gost" (GOST 2012-256); one profile "qualified" (issuer "ecdsa", 365
 * days, P-256 keys, digitalSignature + nonRepudiation, CN required, every
 * subject field allowed). No store yet. 0 or -1.
 */
int ca_fixture_init(struct ca_fixture *f, const char *tag);

/* db_open(":memory:" or the file, see file_store) + ceremony_bootstrap with f->conf + ca_new with
 * f->cconf (made of f->conf) and f->clock. 0 or -1. */
int ca_fixture_start(struct ca_fixture *f);

/* ca_fixture_init + ca_fixture_start. 0 or -1. */
int ca_fixture_setup(struct ca_fixture *f, const char *tag);

/* Frees what setup made (any part may be missing) and removes the temp dir. 0 or -1. */
int ca_fixture_teardown(struct ca_fixture *f);

/* Reads $PECHAT_TEST_DATA/<relpath> (at most 1 MiB) into *buf (free()). 0 or -1. */
int ca_fixture_read(const char *relpath, unsigned char **buf, size_t *len);

/* tests/data/csr/<name> through ca_csr_parse; asserts that both succeed. */
X509_REQ *ca_fixture_csr(const char *name);
/* req read again as ca_issue takes it (ca_csr_read of its DER); asserts. Owned: ca_csr_free. */
struct ca_csr *ca_fixture_csr_parts(const X509_REQ *req);

/* A PEM CSR (subject CN=ignored) for key, signed with it; malloc'd (free()), *len set. Asserts. */
unsigned char *ca_fixture_csr_pem(EVP_PKEY *key, size_t *len);
/* The same for a fresh P-256 key: requests whose keys must differ (the key checks of ra/). */
unsigned char *ca_fixture_new_csr_pem(size_t *len);
/* ca_issue by "officer1" of tests/data/csr/<csr_file> with subject s; NULL (and a message) on failure. */
X509 *ca_fixture_issue_subject(struct ca_fixture *f, const char *profile, const char *csr_file,
    const struct pechat_subject *s);

/* The same with a subject of just CN=cn. */
X509 *ca_fixture_issue(struct ca_fixture *f, const char *profile, const char *csr_file, const char *cn);

/*
 * A subscriber certificate (what the revocation API acts on): a request row
 * by "portal" for profile "qualified", then ca_issue for it with CN=cn and
 * tests/data/csr/ec-p256.pem. Its serial (upper-case hex) into serial.
 */
void ca_fixture_issue_subscriber(struct ca_fixture *f, const char *cn, char serial[65]);

/*
 * Waits (30 s at most, then fails the test) until f->pub owes no OCSP
 * answer: the re-signer signed what the status changes told it left owed
 * (ca/ocsp_owed.c). No publisher: returns at once. The issuance helpers
 * call it, so that their certificates' answers are in the table after them.
 */
void ca_fixture_owed_drain(struct ca_fixture *f);

/*
 * pub's answer (ca_ocsp_answer on f's store) to a request for (issuer,
 * serial) whose CertID is hashed with md: the OCSPResponse parsed, owned by
 * the caller (OCSP_RESPONSE_free). A refused call fails the test.
 */
OCSP_RESPONSE *ca_fixture_ocsp_ask(struct ca_fixture *f, struct ca_publisher *pub, const char *issuer,
    const char *serial, const EVP_MD *md);

/*
 * *pc zeroed, then the publisher settings the unit tests share: CRLs every
 * 12 h (full every hour, deltas of 1 h rebased daily, published within
 * 100 ms), OCSP answers valid 4 h and refreshed 1 h before, 10 CertIDs per
 * request, 50 on-demand signatures a second, responders of 7 days renewed
 * 2 days before, f's store. A test changes what it is about.
 */
void ca_fixture_publish_conf(const struct ca_fixture *f, struct ca_publish_conf *pc);

/*
 * ca_revoke of serial by "officer1" (no invalidity date, no comment), then
 * f->pub told from the event it reports (crl_changed 1), as ra/ does. *ev
 * (may be NULL) gets the event. ca_revoke's result; a publisher failure
 * fails the test.
 */
enum pechat_err ca_fixture_revoke(struct ca_fixture *f, const char *serial, enum ca_revoke_action action,
    const char *reason, struct db_revocation *ev, struct pechat_error *e);

/*
 * X509_verify_cert of leaf with trusted as the trust anchor and mid (or
 * NULL) as an untrusted intermediate; purpose > 0 is set; at != 0 is the
 * verification time. Asserts the store/context setup; returns 1 if valid.
 */
int ca_fixture_verify(X509 *leaf, X509 *trusted, X509 *mid, int purpose, time_t at);

/* Rows in the store's certificates / audit log; assert that the count succeeds. */
int64_t ca_fixture_cert_count(struct ca_fixture *f);
int64_t ca_fixture_audit_count(struct ca_fixture *f);

#endif
