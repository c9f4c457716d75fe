/*
 * config/config_int.h — the JSON walker shared by config/config.c (the
 * sections), config/profile.c (the profiles) and config/walk.c (typed
 * readers that record the first error as "<file>: <path>.<key>: <rule>").
 * Private to config/.
 */
#ifndef PECHAT_CONFIG_INT_H
#define PECHAT_CONFIG_INT_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"

/* Validation state: the JSON path being read and the first error. */
struct cfg_ctx {
	const char *file;
	char path[256];
	char *err;
	size_t errsz;
	int failed;
};

/* Records "<file>: <path>.<key>: <rule>" once; returns -1 for `return cfg_error(...)`. */
int cfg_error(struct cfg_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a path segment; returns the old length, for cfg_pop. */
size_t cfg_push(struct cfg_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Cuts the path back to len (cfg_push's return). */
void cfg_pop(struct cfg_ctx *c, size_t len);
/* Every key of obj must be in allowed (NULL-terminated). */
int cfg_known_keys(struct cfg_ctx *c, json_t *obj, const char *const *allowed);
/* Optional string (1..dstsz-1 bytes); absent leaves dst untouched. */
int cfg_str(struct cfg_ctx *c, json_t *obj, const char *key, char *dst, size_t dstsz);
/* Optional integer in [min, max]; absent leaves *dst untouched. */
int cfg_int(struct cfg_ctx *c, json_t *obj, const char *key, int *dst, long long min, long long max);
/* Optional boolean as 0/1; absent leaves *dst untouched. */
int cfg_bool(struct cfg_ctx *c, json_t *obj, const char *key, int *dst);
/* Short names for issuers and profiles: [a-z0-9-]+, as they appear in URLs. */
int cfg_name_ok(const char *s);
/* A required [a-z0-9-]+ name. */
int cfg_name(struct cfg_ctx *c, json_t *obj, const char *key, char *dst, size_t dstsz);
/* Array of strings; each mapped through fn (returns 0 on unknown) and OR-ed into *bits. */
int cfg_flags(struct cfg_ctx *c, json_t *obj, const char *key, unsigned *bits, int (*fn)(const char *),
    const char *what);
/* The bit of a subject field name (1 << its PSF_ index), 0 if unknown. */
int subject_field_bit(const char *name);
/* Array of short strings (OIDs, EKU names) into a fixed table. */
int cfg_str_list(struct cfg_ctx *c, json_t *obj, const char *key, char (*dst)[64], int max, int *n);
/* A dotted OID: digits separated by single dots, at least two arcs. */
int cfg_oid_ok(const char *s);
/* Extended key usage short names (RFC 5280 §4.2.1.12) a profile may use. */
int eku_name_ok(const char *name);

/* The "profiles" array of root into conf (config/profile.c); the issuers are read first. */
int cfg_profiles(struct cfg_ctx *c, json_t *root, struct pechat_config *conf);

/* An issuer's "sign_tools" object into is->tools (config/qualified.c); absent leaves it empty. */
int cfg_issuer_sign_tools(struct cfg_ctx *c, json_t *v, struct pechat_issuer_conf *is);
/* A profile's "qualified" and "sign_tool" keys (config/qualified.c). */
int cfg_profile_qualified(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p);
/* The load-time rules of a qualified profile (its other keys read); 0 at once when not qualified. */
int cfg_profile_qualified_check(struct cfg_ctx *c, const struct pechat_profile_conf *p,
    const struct pechat_config *conf);

#endif
