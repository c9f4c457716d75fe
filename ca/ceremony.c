/*
 * ca/ceremony.c — status changes the subscriber API may not make: the
 * certificates of issuers (the key ceremony, `pechat ceremony`) and the
 * client certificates of operators (`pechat operator revoke`). Both run in
 * the CLI, audited with the OS user as actor; a running pechatd notices the
 * issuer's new standing on its own (ca/standing.c).
 */
#include "ca/ca_int.h"

#include <string.h>

/* The certificate row of an issuer, found by the SHA-256 of its stored DER. */
static enum pechat_err
issuer_cert(struct db *db, const struct db_issuer *row, struct db_cert *cert, struct pechat_error *e)
{
	char fp[65];

	if (pechat_sha256_hex(row->cert_der, row->cert_len, fp) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot hash the issuer certificate");
	return db_cert_by_fingerprint(db, fp, cert, e);
}

enum pechat_err
ca_ceremony_issuer(struct db *db, const struct pechat_clock *clock, const char *issuer, enum ca_revoke_action action,
    const char *reason, const char *comment, const char *actor, struct db_revocation *out, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_issuer row;
	struct db_cert cert;
	const char *act = action == CA_REVOKE ? "ca.revoke" : action == CA_HOLD ? "ca.hold" : "ca.release";
	enum pechat_err err;

	memset(&row, 0, sizeof(row));
	memset(&cert, 0, sizeof(cert));
	if ((err = db_issuer_get(db, issuer, &row, e)) != PECHAT_OK) {
		if (err == PECHAT_E_NOT_FOUND)
			pechat_fail(e, err, "issuer_unknown", "no issuer named \"%s\" in the store", issuer);
		goto out;
	}
	if (strcmp(row.kind, "root") != 0 && strcmp(row.kind, "issuing") != 0) {
		err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_revocable", "\"%s\" is the %s CA: it authenticates "
		    "API clients and publishes no CRL; it is not revocable", issuer, row.kind);
		goto out;
	}
	if ((err = issuer_cert(db, &row, &cert, e)) != PECHAT_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.serial = cert.serial;
	c.action = action;
	c.reason = reason;
	c.actor = actor;
	c.comment = comment;
	c.audit_action = act;
	c.audit_object = row.name;
	err = ca_status_change_apply(db, pechat_clock_now(clock), &c, out, e);
out:
	db_cert_free_fields(&cert);
	db_issuer_free_fields(&row);
	return err;
}

enum pechat_err
ca_operator_revoke(struct db *db, const struct pechat_clock *clock, const char *name, const char *reason,
    const char *comment, const char *actor, struct db_revocation *out, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_operator op;
	struct db_cert cert;
	enum pechat_err err;

	memset(&cert, 0, sizeof(cert));
	if ((err = db_operator_by_name(db, name, &op, e)) != PECHAT_OK) {
		if (err == PECHAT_E_NOT_FOUND)
			pechat_fail(e, err, "operator_unknown", "no operator named \"%s\"", name);
		return err;
	}
	if ((err = db_cert_by_fingerprint(db, op.fingerprint, &cert, e)) != PECHAT_OK)
		return err;
	memset(&c, 0, sizeof(c));
	c.serial = cert.serial;
	c.action = CA_REVOKE;
	c.reason = reason;
	c.actor = actor;
	c.comment = comment;
	c.audit_action = "operator.revoke";
	c.audit_object = op.name;
	err = ca_status_change_apply(db, pechat_clock_now(clock), &c, out, e);
	db_cert_free_fields(&cert);
	return err;
}
