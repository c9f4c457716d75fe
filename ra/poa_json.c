/*
 * ra/poa_json.c — a power of attorney entered as JSON (keys in
 * docs/REGISTRATION.md). Same field table and checks as the XML entry;
 * every bad, missing or unknown member is reported, not just the first.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ra/poa_int.h"

/* "prefix.key" (or "key") into out. */
static void
field_name(char *out, size_t outsz, const char *prefix, const char *key)
{
	snprintf(out, outsz, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", key);
}

/* 1 if key is a JSON key of the table or one of the NULL-ended extra names. */
static int
key_known(const struct poa_field *tab, const char *const *extra, const char *key)
{
	const struct poa_field *f;

	for (f = tab; !poa_field_end(f); f++)
		if (f->key != NULL && strcmp(f->key, key) == 0)
			return 1;
	for (; extra != NULL && *extra != NULL; extra++)
		if (strcmp(*extra, key) == 0)
			return 1;
	return 0;
}

/* One member of the table from obj into base; a field error if it is bad. */
static void
pj_field(const json_t *obj, const struct poa_field *f, void *base, const char *prefix,
    struct pechat_error *e)
{
	json_t *v = json_object_get(obj, f->key);
	const char *why;
	char name[64];

	field_name(name, sizeof(name), prefix, f->key);
	if (v == NULL || json_is_null(v)) {
		if (f->required)
			pechat_error_add_field(e, name, "required", "is required");
	} else if (!json_is_string(v)) {
		pechat_error_add_field(e, name, "type", "must be a string");
	} else if (strlen(json_string_value(v)) != json_string_length(v)) {
		pechat_error_add_field(e, name, "format", "must not contain NUL");
	} else if (poa_field_set(f, base, json_string_value(v), &why) != 0) {
		pechat_error_add_field(e, name, "format", "%s", why);
	}
}

/*
 * A group object: every table member, unknown keys refused (extra: the names
 * of nested members the caller reads). 0, or -1 if obj is not an object.
 */
static int
pj_group(json_t *obj, const struct poa_field *tab, const char *const *extra, void *base,
    const char *prefix, struct pechat_error *e)
{
	const struct poa_field *f;
	const char *key;
	json_t *v;
	char name[64];

	if (!json_is_object(obj)) {
		pechat_error_add_field(e, prefix[0] != '\0' ? prefix : "power_of_attorney", "type",
		    obj == NULL ? "is required" : "must be an object");
		return -1;
	}
	json_object_foreach(obj, key, v) {
		if (key_known(tab, extra, key))
			continue;
		field_name(name, sizeof(name), prefix, key);
		pechat_error_add_field(e, name, "unknown", "is not a field of a power of attorney");
	}
	for (f = tab; !poa_field_end(f); f++)
		if (f->key != NULL)
			pj_field(obj, f, base, prefix, e);
	return 0;
}

/* An array member of 1..max objects; returns its size, or -1 (field error added). */
static int
pj_array(json_t *obj, const char *key, const char *field, size_t max, struct pechat_error *e)
{
	json_t *a = json_object_get(obj, key);

	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max) {
		pechat_error_add_field(e, field, a == NULL ? "required" : "length",
		    "must be an array of 1 to %zu objects", max);
		return -1;
	}
	return (int)json_array_size(a);
}

/* principal: organisation fields and heads[]. */
static void
pj_principal(json_t *top, struct ra_poa *poa, struct pechat_error *e)
{
	static const char *const extra[] = { "heads", NULL };
	json_t *obj = json_object_get(top, "principal");
	char prefix[64];
	int i, n;

	if (pj_group(obj, poa_fields_org, extra, &poa->principal, "principal", e) != 0)
		return;
	if ((n = pj_array(obj, "heads", "principal.heads", RA_POA_MAX_HEADS, e)) < 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(prefix, sizeof(prefix), "principal.heads[%d]", i);
		pj_group(json_array_get(json_object_get(obj, "heads"), (size_t)i), poa_fields_head, NULL,
		    &poa->heads[i], prefix, e);
	}
	poa->nheads = n;
}

/* representative: person fields and identity_document. */
static void
pj_representative(json_t *top, struct ra_poa *poa, struct pechat_error *e)
{
	static const char *const extra[] = { "identity_document", NULL };
	json_t *obj = json_object_get(top, "representative");

	if (pj_group(obj, poa_fields_rep, extra, &poa->representative, "representative", e) != 0)
		return;
	pj_group(json_object_get(obj, "identity_document"), poa_fields_doc, NULL,
	    &poa->representative.doc, "representative.identity_document", e);
}

/* powers[]: { code, text } objects. */
static void
pj_powers(json_t *top, struct ra_poa *poa, struct pechat_error *e)
{
	char prefix[64];
	int i, n;

	if ((n = pj_array(top, "powers", "powers", RA_POA_MAX_POWERS, e)) < 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(prefix, sizeof(prefix), "powers[%d]", i);
		pj_group(json_array_get(json_object_get(top, "powers"), (size_t)i), poa_fields_power, NULL,
		    &poa->powers[i], prefix, e);
	}
	poa->npowers = n;
}

/* Cross-check complaints become field errors under their JSON names (once per name). */
static void
pj_report(void *arg, const char *key, const char *xml, const char *why)
{
	struct pechat_error *e = arg;
	int i;

	(void)xml;
	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, key) == 0)
			return;
	pechat_error_add_field(e, key, "invalid", "%s", why);
}

/* JSON object → *out (ra/poa.h). */
enum pechat_err
ra_poa_from_json(const struct json_t *json, struct ra_poa *out, struct pechat_error *e)
{
	static const char *const extra[] = { "principal", "representative", "powers", NULL };
	struct pechat_error local;
	json_t *top = (json_t *)json; /* jansson's iterators take non-const; nothing is changed */

	if (e == NULL)
		e = &local;
	pechat_error_clear(e);
	memset(out, 0, sizeof(*out));
	if (pj_group(top, poa_fields_top, extra, out, "", e) == 0) {
		pj_principal(top, out, e);
		pj_representative(top, out, e);
		pj_powers(top, out, e);
		poa_cross_check(out, pj_report, e);
	}
	if (e->nfields == 0)
		return PECHAT_OK;
	memset(out, 0, sizeof(*out));
	return pechat_fail(e, PECHAT_E_INVALID, "poa_invalid",
	    "the power of attorney has %d invalid field(s)", e->nfields);
}
