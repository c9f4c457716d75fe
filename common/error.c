/* common/error.c — struct pechat_error helpers. */
#include "common.h"

#include <stdio.h>
#include <string.h>

enum pechat_err
pechat_fail(struct pechat_error *e, enum pechat_err err, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return err;
	e->err = err;
	pechat_strlcpy(e->code, code != NULL ? code : "", sizeof(e->code));
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
		va_end(ap);
	} else
		e->detail[0] = '\0';
	return err;
}

void
pechat_error_add_field(struct pechat_error *e, const char *field,
    const char *rule, const char *fmt, ...)
{
	struct pechat_field_error *f;
	va_list ap;

	if (e == NULL || e->nfields >= PECHAT_MAX_FIELD_ERRORS)
		return;
	f = &e->fields[e->nfields++];
	pechat_strlcpy(f->field, field, sizeof(f->field));
	pechat_strlcpy(f->rule, rule, sizeof(f->rule));
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

void
pechat_error_clear(struct pechat_error *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

const char *
pechat_err_name(enum pechat_err err)
{
	switch (err) {
	case PECHAT_OK: return "ok";
	case PECHAT_E_INVALID: return "invalid";
	case PECHAT_E_POLICY: return "policy";
	case PECHAT_E_NOT_FOUND: return "not_found";
	case PECHAT_E_CONFLICT: return "conflict";
	case PECHAT_E_TOO_LARGE: return "too_large";
	case PECHAT_E_UNAUTHENTICATED: return "unauthenticated";
	case PECHAT_E_FORBIDDEN: return "forbidden";
	case PECHAT_E_BUSY: return "busy";
	case PECHAT_E_UNAVAILABLE: return "unavailable";
	case PECHAT_E_NOMEM: return "nomem";
	case PECHAT_E_INTERNAL: return "internal";
	}
	return "unknown";
}
