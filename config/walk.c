/*
 * config/walk.c — typed readers over the jansson tree for config/config.c:
 * each checks one value, and the first failure is recorded with the file,
 * the JSON path and the rule (unknown keys are errors).
 */
#include "config/config_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records "<file>: <path>.<key>: <rule>" once; returns -1 for `return cfg_error(...)`. */
int
cfg_error(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
	char rule[256];
	va_list ap;

	if (c->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errsz, "%s: %s%s%s: %s", c->file, c->path,
	    key != NULL ? "." : "", key != NULL ? key : "", rule);
	c->failed = 1;
	return -1;
}

/* Appends a path segment; returns the old length, for cfg_pop. */
size_t
cfg_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t len = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + len, sizeof(c->path) - len, fmt, ap);
	va_end(ap);
	return len;
}

void
cfg_pop(struct cfg_ctx *c, size_t len)
{
	c->path[len] = '\0';
}

/* Every key of obj must be in allowed (NULL-terminated). */
int
cfg_known_keys(struct cfg_ctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			return cfg_error(c, key, "unknown key");
	}
	return 0;
}

/* Optional string (1..dstsz-1 bytes); absent leaves dst untouched. */
int
cfg_str(struct cfg_ctx *c, json_t *obj, const char *key, char *dst, size_t dstsz)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return cfg_error(c, key, "must be a string");
	if (json_string_length(v) == 0 || json_string_length(v) >= dstsz)
		return cfg_error(c, key, "must be 1 to %zu bytes long", dstsz - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cfg_error(c, key, "must not contain NUL");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Optional integer in [min, max]; absent leaves *dst untouched. */
int
cfg_int(struct cfg_ctx *c, json_t *obj, const char *key, int *dst, long long min, long long max)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return cfg_error(c, key, "must be an integer from %lld to %lld", min, max);
	*dst = (int)json_integer_value(v);
	return 0;
}

int
cfg_bool(struct cfg_ctx *c, json_t *obj, const char *key, int *dst)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return cfg_error(c, key, "must be true or false");
	*dst = json_is_true(v);
	return 0;
}

/* Short names for issuers and profiles: [a-z0-9-]+, as they appear in URLs. */
int
cfg_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* A required [a-z0-9-]+ name. */
int
cfg_name(struct cfg_ctx *c, json_t *obj, const char *key, char *dst, size_t dstsz)
{
	if (json_object_get(obj, key) == NULL)
		return cfg_error(c, key, "is required");
	if (cfg_str(c, obj, key, dst, dstsz) != 0)
		return -1;
	if (!cfg_name_ok(dst))
		return cfg_error(c, key, "must match [a-z0-9-]+");
	return 0;
}

/* Array of strings; each mapped through fn (returns 0 on unknown) and OR-ed into *bits. */
int
cfg_flags(struct cfg_ctx *c, json_t *obj, const char *key, unsigned *bits, int (*fn)(const char *),
    const char *what)
{
	json_t *arr = json_object_get(obj, key), *v;
	size_t i, mark;
	int bit;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return cfg_error(c, key, "must be an array of %s names", what);
	*bits = 0;
	json_array_foreach(arr, i, v) {
		mark = cfg_push(c, ".%s[%zu]", key, i);
		if (!json_is_string(v) || (bit = fn(json_string_value(v))) == 0) {
			cfg_error(c, NULL, "unknown %s", what);
			return -1;
		}
		cfg_pop(c, mark);
		*bits |= (unsigned)bit;
	}
	return 0;
}

int
subject_field_bit(const char *name)
{
	int f = pechat_subject_field_lookup(name);

	return f < 0 ? 0 : (int)(1u << f);
}

/* Array of short strings (OIDs, EKU names) into a fixed table. */
int
cfg_str_list(struct cfg_ctx *c, json_t *obj, const char *key, char (*dst)[64], int max, int *n)
{
	json_t *arr = json_object_get(obj, key), *v;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > (size_t)max)
		return cfg_error(c, key, "must be an array of at most %d strings", max);
	*n = 0;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= 64) {
			cfg_push(c, ".%s[%zu]", key, i);
			return cfg_error(c, NULL, "must be a string of 1 to 63 bytes");
		}
		pechat_strlcpy(dst[(*n)++], json_string_value(v), 64);
	}
	return 0;
}

/* A dotted OID: digits separated by single dots, at least two arcs. */
int
cfg_oid_ok(const char *s)
{
	int arcs = 1, digits = 0;

	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (digits == 0)
				return 0;
			arcs++;
			digits = 0;
		} else if (isdigit((unsigned char)*s))
			digits++;
		else
			return 0;
	}
	return arcs >= 2 && digits > 0;
}

/* Extended key usage short names (RFC 5280 §4.2.1.12) a profile may use. */
int
eku_name_ok(const char *name)
{
	static const char *const names[] = { "serverAuth", "clientAuth", "codeSigning", "emailProtection",
		"timeStamping", "OCSPSigning" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}
