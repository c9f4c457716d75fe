/*
 * ceremony/root_crl.c — the CRL of a root kept offline: `pechat ceremony
 * revoke` and `pechat ceremony crl` on the offline machine (revoke an
 * issuing CA the root signed; a full CRL signed with the root's key, built
 * by ca/'s CRL builder), and `pechat ceremony import-crl` on the online
 * machine (every check, then the CRL stored for pechatd to serve and its
 * entries recorded as the issuing CAs' revocation events, so that their
 * standing follows). docs/OPERATIONS.md "The offline root's CRL".
 */
#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca_make.h"
#include "db/db.h"


/* The issuers row `root` of this store, a root. */
static enum pechat_err
root_row(struct db *db, const char *root, struct db_issuer *row, struct pechat_error *e)
{
	enum pechat_err rc;

	memset(row, 0, sizeof(*row));
	if ((rc = db_issuer_get(db, root, row, e)) == PECHAT_E_NOT_FOUND)
		return pechat_fail(e, rc, "issuer_unknown", "this store has no root %s", root);
	if (rc != PECHAT_OK)
		return rc;
	if (strcmp(row->kind, "root") != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_not_root", "%s is a %s CA, not a root", root, row->kind);
	return PECHAT_OK;
}

/* The store's serial form of bn (upper case, whole octets, as ca_cert_serial_hex): 0 or -1. */
static int
bn_serial(const BIGNUM *bn, char out[65])
{
	char *hex = NULL;
	int rc = -1;

	if (bn != NULL && !BN_is_zero(bn) && !BN_is_negative(bn) && (hex = BN_bn2hex(bn)) != NULL &&
	    pechat_strlcpy(out, hex, 65) < 65)
		rc = 0;
	OPENSSL_free(hex);
	return rc;
}

/* A hex serial from the command line in the store's form: 0 or -1. */
static int
serial_norm(const char *in, char out[65])
{
	BIGNUM *bn = NULL;
	int rc = -1;

	if (pechat_is_hex(in, 64) && BN_hex2bn(&bn, in) == (int)strlen(in))
		rc = bn_serial(bn, out);
	BN_free(bn);
	return rc;
}

/* A CRL entry's serial in the store's form: 0 or -1. */
static int
entry_serial(const ASN1_INTEGER *ai, char out[65])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	int rc = bn_serial(bn, out);

	BN_free(bn);
	ERR_clear_error();
	return rc;
}

/* The status change of cer_revoke, in its transaction. */
struct revoke_arg {
	const struct cer_env *env;
	struct ca_status_change c;
	struct db_revocation ev;
};

static enum pechat_err
revoke_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct revoke_arg *a = arg;

	return ca_status_change_in_txn(db, a->env->now, &a->c, &a->ev, e);
}

/* See ceremony.h. */
enum pechat_err
cer_revoke(const struct cer_env *env, const char *root, const char *serial, const char *reason, const char *comment,
    struct db_revocation *out, struct pechat_error *e)
{
	struct db_issuer row;
	struct db_cert cert;
	struct revoke_arg a;
	char sn[65];
	enum pechat_err rc;

	memset(&cert, 0, sizeof(cert));
	memset(&a, 0, sizeof(a));
	if ((rc = root_row(env->db, root, &row, e)) != PECHAT_OK)
		goto out;
	if (serial_norm(serial, sn) != 0) {
		rc = pechat_fail(e, PECHAT_E_INVALID, "serial_invalid", "--serial is the certificate's serial in hex "
		    "(openssl x509 -noout -serial)");
		goto out;
	}
	if ((rc = db_cert_get(env->db, sn, &cert, e)) == PECHAT_E_NOT_FOUND) {
		rc = pechat_fail(e, rc, "certificate_unknown", "this store has no certificate with serial %s", sn);
		goto out;
	}
	if (rc != PECHAT_OK)
		goto out;
	if (strcmp(cert.issuer, root) != 0 || strcmp(cert.profile, CA_PROFILE_ISSUING) != 0) {
		rc = pechat_fail(e, PECHAT_E_INVALID, "certificate_not_issuing_ca", "certificate %s (%s) is not an "
		    "issuing CA certificate signed by root %s (pechat ceremony sign)", sn, cert.subject_dn, root);
		goto out;
	}
	a.env = env;
	a.c.serial = sn;
	a.c.action = CA_REVOKE;
	a.c.reason = reason;
	a.c.actor = env->actor;
	a.c.comment = comment;
	a.c.audit_action = "ceremony.revoke";
	a.c.audit_object = sn;
	if (reason != NULL && (rc = ca_revoke_reason_check("--reason", reason, e)) != PECHAT_OK)
		goto out;
	if ((rc = db_txn_run(env->db, revoke_txn, &a, e)) != PECHAT_OK)
		goto out;
	*out = a.ev;
out:
	db_cert_free_fields(&cert);
	db_issuer_free_fields(&row);
	return rc;
}

/* ------------------------------------------------------------ ceremony crl */

/* The entries of a CRL being made: the last status of each serial of the root. */
struct entries {
	struct ca_crl_entry *v;
	size_t n, cap;
	int failed;
};

/* db_revocation_last_at callback: revoke and hold events become entries; a release none. */
static int
collect(void *arg, const struct db_revocation *ev)
{
	struct entries *l = arg;
	struct ca_crl_entry *en, *nv;

	if (strcmp(ev->kind, "release") == 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
			l->failed = 1;
			return 1;
		}
		l->v = nv;
	}
	en = &l->v[l->n++];
	memset(en, 0, sizeof(*en));
	pechat_strlcpy(en->serial, ev->serial, sizeof(en->serial));
	en->reason = strcmp(ev->kind, "hold") == 0 ? CRL_REASON_CERTIFICATE_HOLD : ca_crl_reason_from_name(ev->reason);
	if (en->reason < 0)
		en->reason = CRL_REASON_NONE;
	en->revoked_at = ev->revoked_at;
	en->invalidity_date = ev->invalidity_date;
	return 0;
}

/* The CRL row and its audit entry, in one transaction. */
struct crl_store_arg {
	const struct cer_env *env;
	struct db_crl row;
	const char *action;
	char detail[160];
};

static enum pechat_err
crl_store_txn(struct db *db, void *arg, struct pechat_error *e)
{
	const struct crl_store_arg *a = arg;
	char object[96];
	enum pechat_err rc;

	snprintf(object, sizeof(object), "%s/%lld", a->row.issuer, (long long)a->row.number);
	if ((rc = db_crl_insert(db, &a->row, e)) != PECHAT_OK)
		return rc;
	return db_audit_append(db, a->env->now, a->env->actor, a->action, object, a->detail, e);
}

/* Above every stored number of root and never below the clock in ms (ca/crl_sched.c's rule). */
static enum pechat_err
crl_number_next(struct db *db, const char *root, int64_t *number, struct pechat_error *e)
{
	struct timeval tv;
	int64_t max = 0, floor_ms;
	enum pechat_err rc;

	gettimeofday(&tv, NULL);
	floor_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if ((rc = db_crl_max_number(db, root, &max, e)) != PECHAT_OK)
		return rc;
	*number = max + 1 > floor_ms ? max + 1 : floor_ms;
	return PECHAT_OK;
}

/* See ceremony.h. */
enum pechat_err
cer_crl(const struct cer_env *env, const char *root, int days, unsigned char **der, size_t *len,
    struct cer_crl_result *out, struct pechat_error *e)
{
	struct ca_signer rs;
	struct entries l;
	struct ca_crl_params p;
	struct crl_store_arg sa;
	int64_t mark = 0;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	memset(&rs, 0, sizeof(rs));
	memset(&l, 0, sizeof(l));
	memset(&p, 0, sizeof(p));
	memset(&sa, 0, sizeof(sa));
	memset(out, 0, sizeof(*out));
	if (days < 1 || days > CER_CRL_DAYS_MAX)
		return pechat_fail(e, PECHAT_E_INVALID, "days_invalid", "--days is 1 to %d", CER_CRL_DAYS_MAX);
	if ((rc = cer_root_load(env, root, &rs, e)) != PECHAT_OK ||
	    (rc = db_revocation_mark(env->db, root, &mark, e)) != PECHAT_OK ||
	    (rc = db_revocation_last_at(env->db, root, mark, collect, &l, e)) != PECHAT_OK)
		goto out;
	if (l.failed) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = crl_number_next(env->db, root, &p.number, e)) != PECHAT_OK)
		goto out;
	p.issuer = root;
	p.base_number = -1;
	p.this_update = env->now;
	p.next_update = env->now + (time_t)days * 86400;
	p.entries = l.v;
	p.n_entries = l.n;
	if ((rc = ca_crl_make_offline(rs.cert, rs.key, &p, der, len, e)) != PECHAT_OK)
		goto out;
	sa.env = env;
	pechat_strlcpy(sa.row.issuer, root, sizeof(sa.row.issuer));
	sa.row.number = p.number;
	pechat_strlcpy(sa.row.kind, "full", sizeof(sa.row.kind));
	sa.row.base_number = -1;
	sa.row.event_mark = mark;
	sa.row.this_update = p.this_update;
	sa.row.next_update = p.next_update;
	sa.row.entries = (int)l.n;
	sa.row.der = *der;
	sa.row.der_len = *len;
	sa.row.created_at = env->now;
	sa.action = "ceremony.crl";
	snprintf(sa.detail, sizeof(sa.detail), "entries=%zu next_update_days=%d", l.n, days);
	if ((rc = db_txn_run(env->db, crl_store_txn, &sa, e)) != PECHAT_OK)
		goto out;
	out->number = p.number;
	out->entries = (int)l.n;
	out->this_update = p.this_update;
	out->next_update = p.next_update;
out:
	if (rc != PECHAT_OK) {
		OPENSSL_free(*der);
		*der = NULL;
		*len = 0;
	}
	free(l.v);
	ca_signer_clear(&rs);
	return rc;
}

/* ------------------------------------------------------ ceremony import-crl */

/* One CRL from PEM ("X509 CRL", only whitespace around) or DER (no trailing bytes). *out owned. */
static enum pechat_err
crl_parse(const unsigned char *data, size_t len, X509_CRL **out, struct pechat_error *e)
{
	const unsigned char *der, *q;
	unsigned char *pem_der = NULL;
	size_t der_len;
	enum pechat_err rc;

	*out = NULL;
	if ((rc = cer_der_input(data, len, PEM_STRING_X509_CRL, "--crl", "crl_invalid", &pem_der, &der, &der_len,
	    e)) != PECHAT_OK)
		return rc;
	q = der;
	if ((*out = d2i_X509_CRL(NULL, &q, (long)der_len)) == NULL || q != der + der_len) {
		X509_CRL_free(*out);
		*out = NULL;
		ERR_clear_error();
		rc = pechat_fail(e, PECHAT_E_INVALID, "crl_invalid", "--crl: not one DER CRL");
	}
	OPENSSL_free(pem_der);
	return rc;
}

/* What cer_import_crl checked: the CRL's fields. */
struct crl_facts {
	int64_t number;
	time_t this_update, next_update;
};

/* The fields every imported CRL needs: full (no deltaCRLIndicator), cRLNumber, nextUpdate > thisUpdate. */
static enum pechat_err
crl_fields(X509_CRL *crl, struct crl_facts *f, struct pechat_error *e)
{
	ASN1_INTEGER *num = NULL, *delta = NULL;
	int dcrit = -1, ncrit = -1;
	enum pechat_err rc = PECHAT_OK;

	memset(f, 0, sizeof(*f));
	delta = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &dcrit, NULL);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &ncrit, NULL);
	if (delta != NULL || dcrit == -2 || ncrit == -2)
		rc = pechat_fail(e, PECHAT_E_INVALID, "crl_invalid", "--crl is a delta CRL or has a repeated "
		    "extension; an offline root publishes full CRLs");
	else if (num == NULL || ASN1_INTEGER_get_int64(&f->number, num) != 1 || f->number < 0)
		rc = pechat_fail(e, PECHAT_E_INVALID, "crl_invalid", "--crl has no usable cRLNumber");
	else if (X509_CRL_get0_nextUpdate(crl) == NULL ||
	    ca_asn1_time_to_time(X509_CRL_get0_lastUpdate(crl), &f->this_update) != 0 ||
	    ca_asn1_time_to_time(X509_CRL_get0_nextUpdate(crl), &f->next_update) != 0)
		rc = pechat_fail(e, PECHAT_E_INVALID, "crl_invalid", "--crl has no nextUpdate or an unreadable time");
	else if (f->next_update <= f->this_update)
		rc = pechat_fail(e, PECHAT_E_INVALID, "crl_invalid", "--crl: nextUpdate is not after thisUpdate");
	ERR_clear_error();
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(delta);
	return rc;
}

/* The checks against the stored root: issuer name, signature, number, thisUpdate. */
static enum pechat_err
crl_against_root(const struct cer_env *env, const char *root, X509_CRL *crl, X509 *rcert,
    const struct crl_facts *f, struct pechat_error *e)
{
	char rdesc[700];
	int64_t last = 0;
	enum pechat_err rc;

	cer_cert_describe(rcert, rdesc, sizeof(rdesc));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(rcert)) != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "crl_issuer_mismatch", "--crl is not issued by root %s "
		    "(its certificate: %s)", root, rdesc);
	if (X509_CRL_verify(crl, X509_get0_pubkey(rcert)) != 1) {
		ERR_clear_error();
		return pechat_fail(e, PECHAT_E_INVALID, "crl_signature_invalid", "--crl is not signed by the key of "
		    "root %s (%s)", root, rdesc);
	}
	if ((rc = db_crl_max_number(env->db, root, &last, e)) != PECHAT_OK)
		return rc;
	if (f->number <= last)
		return pechat_fail(e, PECHAT_E_CONFLICT, "crl_number_not_newer", "--crl has number %lld; this store "
		    "already has CRL number %lld of %s (an older or the same CRL)", (long long)f->number, (long long)last,
		    root);
	if (f->this_update > env->now + CER_CRL_SKEW_S)
		return pechat_fail(e, PECHAT_E_INVALID, "crl_not_yet_valid", "--crl's thisUpdate is in the future "
		    "(more than %d s ahead of this machine's clock)", CER_CRL_SKEW_S);
	return PECHAT_OK;
}

/* The import's transaction: status events of the listed certificates, the CRL row, the audit entry. */
struct import_arg {
	const struct cer_env *env;
	const char *root;
	X509_CRL *crl;
	struct crl_store_arg sa;
	int recorded;
};

/* One CRL entry as a status event of a certificate of this store signed by the root (else nothing). */
static enum pechat_err
entry_record(struct import_arg *a, struct db *db, X509_REVOKED *rev, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_revocation ev;
	struct db_cert cert;
	ASN1_ENUMERATED *reason;
	char sn[65], comment[128];
	int crit = -1, code = CRL_REASON_NONE;
	enum pechat_err rc;

	memset(&cert, 0, sizeof(cert));
	if (entry_serial(X509_REVOKED_get0_serialNumber(rev), sn) != 0)
		return PECHAT_OK;       /* not a serial of ours (zero, negative, too long) */
	if ((rc = db_cert_get(db, sn, &cert, e)) == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		return PECHAT_OK;
	}
	if (rc != PECHAT_OK || strcmp(cert.issuer, a->root) != 0)
		goto out;
	if ((reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL)) != NULL) {
		code = (int)ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
	}
	ERR_clear_error();
	memset(&c, 0, sizeof(c));
	snprintf(comment, sizeof(comment), "CRL %lld of offline root %s", (long long)a->sa.row.number, a->root);
	c.serial = sn;
	c.action = code == CRL_REASON_CERTIFICATE_HOLD ? CA_HOLD : CA_REVOKE;
	c.reason = code == CRL_REASON_CERTIFICATE_HOLD || ca_crl_reason_name(code) == NULL ? NULL :
	    ca_crl_reason_name(code);
	c.actor = a->env->actor;
	c.comment = comment;
	c.audit_action = "ceremony.import-crl.entry";
	c.audit_object = sn;
	rc = ca_status_change_in_txn(db, a->env->now, &c, &ev, e);
	if (rc == PECHAT_E_CONFLICT) {  /* already revoked, already on hold: the store says so already */
		pechat_error_clear(e);
		rc = PECHAT_OK;
	} else if (rc == PECHAT_OK)
		a->recorded++;
out:
	db_cert_free_fields(&cert);
	return rc;
}

static enum pechat_err
import_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct import_arg *a = arg;
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(a->crl);
	enum pechat_err rc;
	int i;

	a->recorded = 0;
	for (i = 0; i < sk_X509_REVOKED_num(revs); i++)
		if ((rc = entry_record(a, db, sk_X509_REVOKED_value(revs, i), e)) != PECHAT_OK)
			return rc;
	if ((rc = db_revocation_mark(db, a->root, &a->sa.row.event_mark, e)) != PECHAT_OK)
		return rc;
	return crl_store_txn(db, &a->sa, e);
}

/* See ceremony.h. */
enum pechat_err
cer_import_crl(const struct cer_env *env, const char *root, const unsigned char *data, size_t len,
    struct cer_import_crl_result *out, struct pechat_error *e)
{
	struct db_issuer row;
	struct import_arg a;
	struct crl_facts f;
	const unsigned char *p;
	X509 *rcert = NULL;
	unsigned char *der = NULL;
	int dlen;
	enum pechat_err rc;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	if ((rc = root_row(env->db, root, &row, e)) != PECHAT_OK)
		goto out;
	p = row.cert_der;
	if ((rcert = d2i_X509(NULL, &p, (long)row.cert_len)) == NULL) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "issuer_corrupt", "the stored certificate of %s does not parse",
		    root);
		goto out;
	}
	if ((rc = crl_parse(data, len, &a.crl, e)) != PECHAT_OK || (rc = crl_fields(a.crl, &f, e)) != PECHAT_OK ||
	    (rc = crl_against_root(env, root, a.crl, rcert, &f, e)) != PECHAT_OK)
		goto out;
	if ((dlen = i2d_X509_CRL(a.crl, &der)) <= 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "the CRL cannot be encoded");
		goto out;
	}
	a.env = env;
	a.root = root;
	a.sa.env = env;
	pechat_strlcpy(a.sa.row.issuer, root, sizeof(a.sa.row.issuer));
	a.sa.row.number = f.number;
	pechat_strlcpy(a.sa.row.kind, "full", sizeof(a.sa.row.kind));
	a.sa.row.base_number = -1;
	a.sa.row.this_update = f.this_update;
	a.sa.row.next_update = f.next_update;
	a.sa.row.entries = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(a.crl));
	if (a.sa.row.entries < 0)
		a.sa.row.entries = 0;
	a.sa.row.der = der;
	a.sa.row.der_len = (size_t)dlen;
	a.sa.row.created_at = env->now;
	a.sa.action = "ceremony.import-crl";
	snprintf(a.sa.detail, sizeof(a.sa.detail), "entries=%d", a.sa.row.entries);
	if ((rc = db_txn_run(env->db, import_txn, &a, e)) != PECHAT_OK)
		goto out;
	out->number = f.number;
	out->entries = a.sa.row.entries;
	out->recorded = a.recorded;
	out->next_update = f.next_update;
out:
	OPENSSL_free(der);
	X509_CRL_free(a.crl);
	X509_free(rcert);
	db_issuer_free_fields(&row);
	return rc;
}
