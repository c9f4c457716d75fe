/*
 * ca/succession.c — issuer generations (key rollover): which generation of
 * a configured issuer takes new requests, and the checks and store writes of
 * a new succession (issuer_successions, append-only). Making the new key and
 * certificate is the ceremony's business (`pechat ceremony rollover`).
 */
#include "ca_int.h"

#include <stdio.h>
#include <string.h>

/* See ca.h. */
const char *
ca_issuer_current(const struct ca *ca, const char *name)
{
	const struct ca_issuer *is = ca_issuer_find(ca, name), *next;
	int depth;

	if (is == NULL)
		return name;
	for (depth = 0; depth < CA_MAX_GENERATIONS && is->successor[0] != '\0'; depth++) {
		if ((next = ca_issuer_find(ca, is->successor)) == NULL)
			break;
		is = next;
	}
	return is->name;
}

/* 1 if s ends with suffix. */
static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* See ca.h. */
int
ca_issuer_name_ok(const char *name, int issuing)
{
	size_t i;

	if (name == NULL || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= 63 || !((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-'))
			return 0;
	return !issuing || (strcmp(name, CA_OPERATORS_ISSUER) != 0 && !ends_with(name, "-root") &&
	    !ends_with(name, "-delta") && !ends_with(name, "-chain"));
}

/* The newest generation from `name` on into out (name itself when it has no successor). */
static enum pechat_err
newest_of(struct db *db, const char *name, char *out, size_t outsz, struct pechat_error *e)
{
	char next[64];
	enum pechat_err err;
	int depth;

	pechat_strlcpy(out, name, outsz);
	for (depth = 0; depth < CA_MAX_GENERATIONS; depth++) {
		if ((err = db_issuer_successor(db, out, next, sizeof(next), e)) == PECHAT_E_NOT_FOUND) {
			pechat_error_clear(e);
			return PECHAT_OK;
		}
		if (err != PECHAT_OK)
			return err;
		pechat_strlcpy(out, next, outsz);
	}
	return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_newest", "issuer %s has more than %d generations",
	    name, CA_MAX_GENERATIONS);
}

/* predecessor: a stored issuing CA and the newest generation; its parent into root. */
static enum pechat_err
predecessor_check(struct db *db, const char *predecessor, char *root, size_t rootsz, struct pechat_error *e)
{
	struct db_issuer row;
	char newest[64];
	enum pechat_err err;

	memset(&row, 0, sizeof(row));
	if ((err = db_issuer_get(db, predecessor, &row, e)) != PECHAT_OK) {
		if (err == PECHAT_E_NOT_FOUND)
			pechat_fail(e, err, "issuer_unknown", "no issuer named \"%s\" in the store", predecessor);
		goto out;
	}
	if (strcmp(row.kind, "issuing") != 0) {
		err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_issuing", "\"%s\" is a %s CA: only an issuing CA "
		    "is rolled over", predecessor, row.kind);
		goto out;
	}
	if ((err = newest_of(db, predecessor, newest, sizeof(newest), e)) != PECHAT_OK)
		goto out;
	if (strcmp(newest, predecessor) != 0) {
		err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_newest", "issuer %s was already rolled over: its "
		    "newest generation is %s (roll over that one)", predecessor, newest);
		goto out;
	}
	pechat_strlcpy(root, row.parent, rootsz);
out:
	db_issuer_free_fields(&row);
	return err;
}

/* See ca.h. */
enum pechat_err
ca_succession_precheck(struct db *db, const char *predecessor, const char *successor, char *root, size_t rootsz,
    struct pechat_error *e)
{
	struct db_issuer row;
	enum pechat_err err;

	if (!ca_issuer_name_ok(successor, 1))
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_name_invalid", "a new issuer name is "
		    "[a-z0-9][a-z0-9-], at most 63 bytes, not \"operators\" and not ending in -root, -delta or -chain");
	if ((err = predecessor_check(db, predecessor, root, rootsz, e)) != PECHAT_OK)
		return err;
	memset(&row, 0, sizeof(row));
	err = db_issuer_get(db, successor, &row, e);
	db_issuer_free_fields(&row);
	if (err == PECHAT_OK)
		return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_exists", "the name %s is taken: an issuer of that name "
		    "exists", successor);
	if (err != PECHAT_E_NOT_FOUND)
		return err;
	pechat_error_clear(e);
	return PECHAT_OK;
}

/* See ca.h. */
enum pechat_err
ca_succession_record(struct db *db, const char *predecessor, const char *successor, const char *actor, time_t now,
    struct pechat_error *e)
{
	struct db_issuer row;
	char root[64], other[64], detail[96];
	enum pechat_err err;

	memset(&row, 0, sizeof(row));
	if (!ca_issuer_name_ok(successor, 1))
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_name_invalid", "\"%s\" cannot name a new issuer",
		    successor != NULL ? successor : "");
	if ((err = predecessor_check(db, predecessor, root, sizeof(root), e)) != PECHAT_OK)
		return err;
	if ((err = db_issuer_get(db, successor, &row, e)) != PECHAT_OK)
		goto out;
	if (strcmp(row.kind, "issuing") != 0 || strcmp(successor, predecessor) == 0) {
		err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_issuing", "\"%s\" is not a new issuing CA",
		    successor);
		goto out;
	}
	/* a successor starts a generation: it neither succeeds nor was succeeded yet */
	if ((err = db_issuer_predecessor(db, successor, other, sizeof(other), e)) == PECHAT_OK ||
	    (err != PECHAT_E_NOT_FOUND) ||
	    (err = db_issuer_successor(db, successor, other, sizeof(other), e)) != PECHAT_E_NOT_FOUND) {
		if (err == PECHAT_OK)
			err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_newest", "issuer %s already belongs to "
			    "another succession", successor);
		goto out;
	}
	pechat_error_clear(e);
	snprintf(detail, sizeof(detail), "succeeds %s", predecessor);
	if ((err = db_issuer_succession_insert(db, predecessor, successor, now, actor, e)) != PECHAT_OK ||
	    (err = db_audit_append(db, now, actor, "issuer.rollover", successor, detail, e)) != PECHAT_OK)
		goto out;
	log_info("ca: issuer %s succeeds %s (new requests go to %s after pechatd restarts)", successor, predecessor,
	    successor);
out:
	db_issuer_free_fields(&row);
	return err;
}
