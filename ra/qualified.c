/*
 * ra/qualified.c — what a request for a qualified profile carries
 * (docs/PROFILES.md): the owner's crypto tool (subjectSignTool: the
 * request's "sign_tool", else the profile's) and the identificationKind of
 * the owner's identity document verification in force at submission (the
 * individual, or a legal entity's head), both recorded as checks and kept
 * with the request so that a later approval issues the same.
 */
#include "ra/ra.h"
#include "ra/ra_int.h"

#include <stdio.h>
#include <string.h>

/* The newest verification (at or before `at`) among a person's identity documents. */
struct ident {
	time_t at;
	int found;
	struct db_id_document doc;
};

/* db_id_document_each callback: keeps the newest verified document. */
static int
ident_pick(void *arg, const struct db_id_document *doc)
{
	struct ident *id = arg;

	if (doc->verified && doc->verified_at <= id->at &&
	    (!id->found || doc->verified_at > id->doc.verified_at ||
	    (doc->verified_at == id->doc.verified_at && doc->id > id->doc.id))) {
		id->doc = *doc;
		id->found = 1;
	}
	return 0;
}

/* The sign tool: the request's (1..200 characters) or the profile's, recorded as a check. */
static enum pechat_err
sign_tool_pick(const struct pechat_profile_conf *profile, const struct ra_submission *sub, struct db_request *req,
    struct pechat_error *e)
{
	if (sub->sign_tool != NULL) {
		if (!pechat_sign_tool_ok(sub->sign_tool, PECHAT_SIGN_TOOL_CHARS)) {
			pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
			pechat_error_add_field(e, "sign_tool", "format", "must be 1 to %d characters of text without "
			    "control or format characters", PECHAT_SIGN_TOOL_CHARS);
			return PECHAT_E_INVALID;
		}
		pechat_strlcpy(req->sign_tool, sub->sign_tool, sizeof(req->sign_tool));
		ra_add_check(req, "sign_tool", 1, "subjectSignTool named by the request");
		return PECHAT_OK;
	}
	if (profile->sign_tool[0] == '\0')
		return pechat_fail(e, PECHAT_E_POLICY, "sign_tool_missing", "profile %s issues qualified certificates "
		    "and names no crypto tool: send sign_tool (the owner's crypto tool, 1 to %d characters)",
		    profile->name, PECHAT_SIGN_TOOL_CHARS);
	ra_add_check(req, "sign_tool", 1, "subjectSignTool of the profile");
	return PECHAT_OK;
}

/* See ra_int.h. */
enum pechat_err
ra_qualified_compose(struct db *db, const struct pechat_profile_conf *profile, const struct ra_submission *sub,
    struct db_request *req, struct pechat_error *e)
{
	const char *owner = req->representative_id[0] != '\0' ? req->representative_id : req->subject_id;
	struct ident id;
	enum pechat_err err;
	char detail[160];

	if (!profile->qualified) {
		if (sub->sign_tool == NULL)
			return PECHAT_OK;
		pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		pechat_error_add_field(e, "sign_tool", "not_allowed", "profile %s does not issue qualified certificates",
		    profile->name);
		return PECHAT_E_INVALID;
	}
	if (sub->poa_id != 0) {
		pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		pechat_error_add_field(e, "power_of_attorney_id", "not_allowed", "a qualified legal entity certificate "
		    "is its head's, acting without a power of attorney; an employee gets an individual one");
		return PECHAT_E_INVALID;
	}
	if ((err = sign_tool_pick(profile, sub, req, e)) != PECHAT_OK)
		return err;
	memset(&id, 0, sizeof(id));
	id.at = req->created_at;
	if ((err = db_id_document_each(db, owner, ident_pick, &id, e)) != PECHAT_OK)
		return err;
	if (!id.found)
		return pechat_fail(e, PECHAT_E_POLICY, "identification_kind_missing", "subject %s has no verified identity "
		    "document: an officer must verify one (its method is the certificate's identificationKind)", owner);
	req->has_identification_kind = 1;
	req->identification_kind = id.doc.method;
	snprintf(detail, sizeof(detail), "identificationKind %d: document %lld of %s verified by %.60s", id.doc.method,
	    (long long)id.doc.id, owner, id.doc.verified_by);
	ra_add_check(req, "identification_kind", 1, detail);
	return PECHAT_OK;
}
