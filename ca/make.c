/*
 * ca/make.c — a stored issuer loaded for the CLI's ceremony/ module
 * (ca/ca_make.h), through the daemon's own issuer load.
 */
#include "ca_int.h"

#include <string.h>

/* See ca_make.h. */
enum pechat_err
ca_signer_load(struct db *db, const char *name, struct ca_signer *out, struct pechat_error *e)
{
	struct ca_issuer is;
	enum pechat_err rc;

	memset(out, 0, sizeof(*out));
	memset(&is, 0, sizeof(is));
	if ((rc = ca_issuer_load(db, name, &is, e)) != PECHAT_OK)
		goto out;
	pechat_strlcpy(out->name, is.name, sizeof(out->name));
	pechat_strlcpy(out->kind, is.kind, sizeof(out->kind));
	pechat_strlcpy(out->parent, is.parent, sizeof(out->parent));
	pechat_strlcpy(out->serial, is.serial, sizeof(out->serial));
	pechat_strlcpy(out->key_problem, is.key_problem, sizeof(out->key_problem));
	out->not_before = is.not_before;
	out->not_after = is.not_after;
	out->cert = is.cert;    /* ownership moves to out */
	out->key = is.key;
	is.cert = NULL;
	is.key = NULL;
out:
	ca_issuer_clear(&is);
	return rc;
}

/* See ca_make.h. */
void
ca_signer_clear(struct ca_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	hsm_key_free(s->key);
	memset(s, 0, sizeof(*s));
}

/* See ca_make.h. */
enum pechat_err
ca_issuer_row_store(struct db *db, const struct ca_issuer_row *r, const struct db_cert *cert, struct pechat_error *e)
{
	struct db_issuer row;

	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.name, r->name, sizeof(row.name));
	pechat_strlcpy(row.kind, r->kind, sizeof(row.kind));
	pechat_strlcpy(row.parent, r->parent != NULL ? r->parent : "", sizeof(row.parent));
	pechat_strlcpy(row.key_ref, r->key_ref, sizeof(row.key_ref));
	row.cert_der = cert->der;
	row.cert_len = cert->der_len;
	row.created_at = cert->created_at;
	return db_issuer_insert(db, &row, e);
}

/* See ca_make.h. */
enum pechat_err
ca_issuer_row_extra(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e)
{
	return ca_issuer_row_store(db, arg, cert, e);
}
