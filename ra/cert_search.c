/*
 * ra/cert_search.c — the rules of certificate search and of the certificate
 * owner (docs/API.md, GET /api/v1/certificates): every query parameter
 * validated and normalised (SNILS and INN through validators.c), a portal
 * scoped to its own certificates, the owner composed from the registry
 * version a certificate was issued from, else from its own subject. Reads
 * only: the store is queried through db/cert_search.c.
 */
#include "ra/ra.h"

#include <ctype.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Normalised copies of the parameters a filter points into. */
struct query_buf {
	char subject_id[37];
	char snils[12];
	char inn[13];
	char cursor[65];
};

static int
is_portal(const struct ra_actor *actor)
{
	return strcmp(actor->role, "portal") == 0;
}

/* 1 if s is 1..max bytes; else a "length" field error is added. */
static int
length_ok(const char *name, const char *s, size_t max, struct pechat_error *e)
{
	size_t n = strlen(s);

	if (n >= 1 && n <= max)
		return 1;
	pechat_error_add_field(e, name, "length", "1 to %zu bytes", max);
	return 0;
}

/* A UUID (8-4-4-4-12 hex digits) into out, lower case; -1 if s is not one. */
static int
uuid_lower(const char *s, char out[37])
{
	size_t i;

	if (strlen(s) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (!isxdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[36] = '\0';
	return 0;
}

/* s when it is a configuration name (1..63 of [A-Za-z0-9._-]); NULL, with a field error when given. */
static const char *
config_name(const char *s, const char *param, struct pechat_error *e)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

	if (s == NULL || !length_ok(param, s, 63, e))
		return NULL;
	if (strspn(s, chars) != strlen(s)) {
		pechat_error_add_field(e, param, "format", "a name of the configuration: letters, digits, '.', '_', '-'");
		return NULL;
	}
	return s;
}

/* The owner identifiers: SNILS (any written form) and a person's INN, check digits included. */
static void
parse_ids(const struct ra_cert_query *q, struct db_cert_filter *f, struct query_buf *b, struct pechat_error *e)
{
	if (q->snils != NULL && length_ok("snils", q->snils, 32, e)) {
		if (pechat_snils_normalize(q->snils, b->snils, sizeof(b->snils)) != 0)
			pechat_error_add_field(e, "snils", "format",
			    "11 digits, optionally written 112-233-445 95");
		else if (!pechat_snils_check(b->snils))
			pechat_error_add_field(e, "snils", "check_digit", "the SNILS check number does not match");
		else
			f->snils = b->snils;
	}
	if (q->inn != NULL && length_ok("inn", q->inn, 12, e)) {
		if (strlen(q->inn) != 12 || strspn(q->inn, "0123456789") != 12)
			pechat_error_add_field(e, "inn", "format",
			    "a person's INN: 12 digits (an organisation's INN is not an owner's INN)");
		else if (!pechat_inn12_check(q->inn))
			pechat_error_add_field(e, "inn", "check_digit", "the INN check digits do not match");
		else {
			memcpy(b->inn, q->inn, sizeof(b->inn));
			f->inn = b->inn;
		}
	}
}

/* status, issuer, profile, expires_before. */
static void
parse_attrs(const struct ra_cert_query *q, struct db_cert_filter *f, struct pechat_error *e)
{
	static const char *const statuses[] = { "valid", "revoked", "on_hold", "expired", NULL };
	int64_t days;
	time_t t;
	int i;

	if (q->status != NULL) {
		for (i = 0; statuses[i] != NULL && strcmp(statuses[i], q->status) != 0; i++)
			;
		if (statuses[i] == NULL)
			pechat_error_add_field(e, "status", "enum", "one of: valid, revoked, on_hold, expired");
		else
			f->status = statuses[i];
	}
	f->issuer = config_name(q->issuer, "issuer", e);
	f->profile = config_name(q->profile, "profile", e);
	if (q->expires_before != NULL) {
		if (pechat_time_parse_rfc3339(q->expires_before, &t) == 0)
			f->expires_before = t;
		else if (pechat_date_parse(q->expires_before, 1970, &days) == 0)
			f->expires_before = (time_t)(days * 86400);
		else {
			pechat_error_add_field(e, "expires_before", "format",
			    "a date YYYY-MM-DD (midnight UTC) or a time YYYY-MM-DDTHH:MM:SSZ");
			return;
		}
		f->has_expires_before = 1;
	}
}

/* subject_id, limit, cursor. */
static void
parse_paging(const struct ra_cert_query *q, struct db_cert_filter *f, struct query_buf *b, struct pechat_error *e)
{
	char *end = NULL;
	long n;
	size_t i;

	if (q->subject_id != NULL) {
		if (uuid_lower(q->subject_id, b->subject_id) != 0)
			pechat_error_add_field(e, "subject_id", "format", "a subject id (UUID)");
		else
			f->subject_id = b->subject_id;
	}
	f->limit = RA_CERT_LIMIT_DEFAULT;
	if (q->limit != NULL) {
		n = strtol(q->limit, &end, 10);
		if (q->limit[0] < '0' || q->limit[0] > '9' || *end != '\0' || n < 1 || n > RA_CERT_LIMIT_MAX)
			pechat_error_add_field(e, "limit", "range", "1 to %d", RA_CERT_LIMIT_MAX);
		else
			f->limit = (int)n;
	}
	if (q->cursor != NULL) {
		if (!pechat_is_hex(q->cursor, 64))
			pechat_error_add_field(e, "cursor", "format", "the next_cursor of an earlier page");
		else {
			for (i = 0; q->cursor[i] != '\0'; i++)
				b->cursor[i] = (char)toupper((unsigned char)q->cursor[i]);
			b->cursor[i] = '\0';
			f->after_serial = b->cursor;
		}
	}
}

enum pechat_err
ra_cert_search(struct db *db, const struct ra_actor *actor, const struct ra_cert_query *q, time_t now,
    char (*serials)[65], int *count, int *more, struct pechat_error *e)
{
	struct db_cert_filter f;
	struct query_buf b;
	enum pechat_err err;
	int limit;

	memset(&f, 0, sizeof(f));
	*count = *more = 0;
	parse_ids(q, &f, &b, e);
	parse_attrs(q, &f, e);
	parse_paging(q, &f, &b, e);
	if (e != NULL && e->nfields > 0)
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the query has invalid parameters");
	if (is_portal(actor))
		f.portal = actor->name;
	f.now = now;
	limit = f.limit;
	f.limit = limit + 1;    /* one more tells whether a next page exists */
	if ((err = db_cert_search(db, &f, serials, count, e)) == PECHAT_OK && *count > limit) {
		*count = limit;
		*more = 1;
	}
	return err;
}

enum pechat_err
ra_cert_visible(struct db *db, const struct ra_actor *actor, const struct db_cert *c, int *visible,
    struct pechat_error *e)
{
	*visible = 1;
	if (!is_portal(actor))
		return PECHAT_OK;
	return db_cert_of_portal(db, c->serial, actor->name, visible, e);
}

/* "a b c" of the present parts into out ("" when none). */
static void
join_name(char *out, size_t sz, const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	size_t n;
	int i;

	out[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (parts[i] == NULL || parts[i][0] == '\0')
			continue;
		n = strlen(out);
		snprintf(out + n, sz - n, "%s%s", n > 0 ? " " : "", parts[i]);
	}
}

/* Copies src into dst when it is present (not NULL, not empty). */
static void
set_if(char *dst, size_t sz, const char *src)
{
	if (src != NULL && src[0] != '\0')
		pechat_strlcpy(dst, src, sz);
}

/* The owner as the certificate's own subject names it. */
static void
owner_from_cert(const struct pechat_subject *s, const struct db_cert *c, struct ra_cert_owner *o)
{
	join_name(o->name, sizeof(o->name), s->v[PSF_SURNAME], s->v[PSF_GIVEN_NAME], s->v[PSF_PATRONYMIC]);
	if (o->name[0] == '\0')
		set_if(o->name, sizeof(o->name), s->v[PSF_COMMON_NAME]);
	set_if(o->snils, sizeof(o->snils), s->v[PSF_SNILS]);
	set_if(o->inn, sizeof(o->inn), s->v[PSF_INN]);
	set_if(o->org_name, sizeof(o->org_name), s->v[PSF_ORGANIZATION]);
	set_if(o->innle, sizeof(o->innle), s->v[PSF_INNLE]);
	set_if(o->ogrn, sizeof(o->ogrn), s->v[PSF_OGRN]);
	set_if(o->ogrnip, sizeof(o->ogrnip), s->v[PSF_OGRNIP]);
	set_if(o->email, sizeof(o->email), c->email);
	set_if(o->email, sizeof(o->email), s->v[PSF_EMAIL]);
}

/* The value of a registry field (NULL when the version has none). */
static const char *
reg_field(const struct db_subject *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->field[i], name) == 0)
			return s->value[i];
	return NULL;
}

/* The owner as the registry version names it, over what the certificate said. */
static void
owner_from_registry(const struct db_subject *s, struct ra_cert_owner *o)
{
	char name[sizeof(o->name)];

	pechat_strlcpy(o->subject_id, s->id, sizeof(o->subject_id));
	o->subject_version = s->version;
	set_if(o->email, sizeof(o->email), reg_field(s, "email"));
	if (strcmp(s->kind, "legal_entity") == 0) {
		set_if(o->org_name, sizeof(o->org_name), reg_field(s, "short_name"));
		set_if(o->org_name, sizeof(o->org_name), reg_field(s, "full_name"));
		set_if(o->innle, sizeof(o->innle), reg_field(s, "innle"));
		set_if(o->ogrn, sizeof(o->ogrn), reg_field(s, "ogrn"));
		return;
	}
	join_name(name, sizeof(name), reg_field(s, "surname"), reg_field(s, "given_name"),
	    reg_field(s, "patronymic"));
	set_if(o->name, sizeof(o->name), name);
	set_if(o->snils, sizeof(o->snils), reg_field(s, "snils"));
	set_if(o->inn, sizeof(o->inn), reg_field(s, "inn"));
	set_if(o->ogrnip, sizeof(o->ogrnip), reg_field(s, "ogrnip"));
}

/* The registry version c's request was composed from, if any: *found = 1 and *s filled. */
static enum pechat_err
registry_source(struct db *db, const struct db_cert *c, struct db_subject *s, int *found, struct pechat_error *e)
{
	char subject_id[sizeof(((struct db_request *)0)->subject_id)];
	int64_t version;
	enum pechat_err err;
	int linked;

	*found = 0;
	if (c->request_id[0] == '\0')
		return PECHAT_OK;
	/* the request's registry link only, not the whole request (its checks, subject, ...) */
	if ((err = db_request_registry_link(db, c->request_id, subject_id, sizeof(subject_id), &version, &linked,
	    e)) != PECHAT_OK || !linked)
		return err;
	if ((err = db_subject_get(db, subject_id, version, s, e)) == PECHAT_OK)
		*found = 1;
	return err;
}

enum pechat_err
ra_cert_owner(struct db *db, const struct db_cert *c, const struct pechat_subject *subject,
    struct ra_cert_owner *out, struct pechat_error *e)
{
	struct db_subject reg;
	enum pechat_err err;
	int found = 0;

	memset(out, 0, sizeof(*out));
	owner_from_cert(subject, c, out);
	if ((err = registry_source(db, c, &reg, &found, e)) != PECHAT_OK)
		return err;
	if (found) {
		owner_from_registry(&reg, out);
		db_subject_free_fields(&reg);
	}
	return PECHAT_OK;
}
