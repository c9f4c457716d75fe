/*
 * ca/ocsp_answer.c — signing OCSP answers (RFC 6960, RFC 5019, RFC 8954):
 * the status of a serial from the store, pre-signing of a certificate's
 * answers (SHA-1 and SHA-256 CertIDs; SHA-1 and Streebog-256 for a GOST
 * issuer; memory + ocsp_cache), the slow path (nonces, several CertIDs,
 * serials we never issued, other CertID hashes) with its per-issuer token
 * bucket, answers kept after the slow path and their re-signing, and the
 * start-up load of stored answers.
 */
#include "ca/publish_int.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>
#include <string.h>

/* The CertID digests answers are pre-signed for: what clients send in practice. */
const char *const presign_mds[N_PRESIGN_MDS] = { "SHA1", "SHA256" };
/* A GOST issuer's relying parties hash with Streebog (RFC 9215); SHA-1 stays for RFC 5019 clients. */
const char *const presign_mds_gost[N_PRESIGN_MDS] = { "SHA1", SN_id_GostR3411_2012_256 };

/* See publish_int.h. Without gost-engine's Streebog a GOST issuer keeps the default set. */
const char *const *
presign_set_for(const struct ca_issuer *is)
{
	EVP_PKEY *pk = is != NULL && is->cert != NULL ? X509_get0_pubkey(is->cert) : NULL;
	int id = pk != NULL ? EVP_PKEY_get_base_id(pk) : NID_undef;

	if ((id == NID_id_GostR3410_2012_256 || id == NID_id_GostR3410_2012_512) &&
	    EVP_get_digestbyname(presign_mds_gost[1]) != NULL)
		return presign_mds_gost;
	return presign_mds;
}

/* See publish_int.h. */
int
is_presigned_md(const struct pub_issuer *pi, const char *md)
{
	size_t i;

	for (i = 0; i < N_PRESIGN_MDS; i++)
		if (strcmp(pi->presign[i], md) == 0)
			return 1;
	return 0;
}

/* See publish_int.h. */
const char *
certid_md_name(OCSP_CERTID *id)
{
	ASN1_OBJECT *obj = NULL;
	const EVP_MD *md;

	if (OCSP_id_get0_info(NULL, &obj, NULL, NULL, id) != 1 || (md = EVP_get_digestbyobj(obj)) == NULL)
		return NULL;
	return EVP_MD_get0_name(md);
}


/*
 * The OCSP status (RFC 6960 §2.2) of serial, a certificate of the issuer
 * asked about whose notAfter is not_after, from its status events alone:
 * revoked (time, reason) for a revoke or a hold (certificateHold), good
 * otherwise. *meta says which event the status reflects, so that a newer
 * answer is never replaced by an older.
 */
static enum pechat_err
cert_status(struct db *db, const char *serial, time_t not_after, struct ca_ocsp_single *s,
    struct status_meta *meta, struct pechat_error *e)
{
	struct db_revocation ev;
	enum ca_cert_state st;
	enum pechat_err err;

	memset(meta, 0, sizeof(*meta));
	meta->not_after = not_after;
	s->status = V_OCSP_CERTSTATUS_GOOD;
	s->reason = -1;
	s->revoked_at = 0;
	/* OCSP answers past expiry too (now 0): expired is no OCSP status */
	if ((err = ca_serial_status(db, serial, -1, not_after, 0, &st, &ev, e)) != PECHAT_OK)
		return err;
	meta->event_id = ev.id;
	if (st == CA_STATE_REVOKED || st == CA_STATE_ON_HOLD) {
		s->status = V_OCSP_CERTSTATUS_REVOKED;
		s->reason = ca_crl_reason_from_name(ev.reason);
		s->revoked_at = ev.revoked_at;
	}
	return PECHAT_OK;
}

/*
 * The OCSP status of serial under issuer: unknown when we never issued it
 * there, else cert_status's (its issuer and notAfter read, not its row with
 * the DER). *meta may be NULL.
 */
static enum pechat_err
serial_status(struct db *db, const char *issuer, const char *serial, struct ca_ocsp_single *s,
    struct status_meta *meta, struct pechat_error *e)
{
	struct status_meta ignored;
	char cert_issuer[64];
	time_t not_after;
	enum pechat_err err;

	if (meta == NULL)
		meta = &ignored;
	memset(meta, 0, sizeof(*meta));
	s->status = V_OCSP_CERTSTATUS_UNKNOWN;
	s->reason = -1;
	s->revoked_at = 0;
	err = db_cert_issuer_expiry(db, serial, cert_issuer, sizeof(cert_issuer), &not_after, e);
	if (err == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		return PECHAT_OK;
	}
	if (err != PECHAT_OK || strcmp(cert_issuer, issuer) != 0)
		return err;
	return cert_status(db, serial, not_after, s, meta, e);
}

/* The id of serial's last status event (0: none), what status_meta.event_id holds. */
static enum pechat_err
last_event_id(struct db *db, const char *serial, int64_t *id, struct pechat_error *e)
{
	struct db_revocation ev;
	enum pechat_err err;

	*id = 0;
	err = db_revocation_last(db, serial, -1, &ev, e);
	if (err == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		return PECHAT_OK;
	}
	if (err == PECHAT_OK)
		*id = ev.id;
	return err;
}

/*
 * Signs with an issuer's current responder (held under its read lock).
 * *next_update is clipped to the responder's notAfter: no answer outlives
 * the certificate that signed it.
 */
static enum pechat_err
sign_with(struct pub_issuer *pi, const struct ca_ocsp_single *s, size_t n, time_t this_update,
    time_t *next_update, OCSP_REQUEST *nonce_req, unsigned char **der, size_t *len, struct pechat_error *e)
{
	enum pechat_err err;

	pthread_rwlock_rdlock(&pi->resp_lock);
	if (pi->responder == NULL)
		err = pechat_fail(e, PECHAT_E_UNAVAILABLE, "responder_unavailable", "no OCSP responder");
	else {
		if (*next_update > ca_responder_not_after(pi->responder))
			*next_update = ca_responder_not_after(pi->responder);
		err = ca_ocsp_response_sign(pi->responder, s, n, this_update, *next_update, nonce_req, der, len, e);
		ocsp_signed_here++;
	}
	pthread_rwlock_unlock(&pi->resp_lock);
	return err;
}

/* Signs the answer of (issuer, serial) for one CertID digest; *out is a new cache entry. */
static enum pechat_err
presign_one(struct ca_publisher *pub, int idx, const char *serial, const char *md,
    const struct ca_ocsp_single *status, const struct status_meta *meta, struct ocsp_entry **out,
    struct pechat_error *e)
{
	struct pub_issuer *pi = &pub->issuers[idx];
	struct ca_ocsp_single s = *status;
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	time_t now = pechat_clock_now(pub->ca->clock);
	time_t next = now + pub->conf.ocsp_validity_s;
	enum pechat_err err;

	*out = NULL;
	if ((err = ca_ocsp_certid_new(pub->ca, pi->name, serial, EVP_get_digestbyname(md), &id, e)) != PECHAT_OK)
		goto out;
	s.id = id;
	if ((err = sign_with(pi, &s, 1, now, &next, NULL, &der, &len, e)) != PECHAT_OK)
		goto out;
	if ((*out = entry_new(pub, idx, id, md, der, len, now, next, meta)) == NULL)
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
out:
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	return err;
}

/*
 * Pre-signs all digests of one serial from its current status and puts them
 * in memory; their ocsp_cache rows are queued (store_queue: written later in
 * one transaction with others, never before the answer serves).
 */
enum pechat_err
presign_serial(struct ca_publisher *pub, struct db *db, int idx, const char *serial, time_t not_after,
    struct pechat_error *e)
{
	struct ocsp_entry *entries[N_PRESIGN_MDS] = { NULL };
	struct ca_ocsp_single s;
	struct status_meta meta;
	int64_t now_event;
	enum pechat_err err;
	size_t i;
	int attempt;

	if ((err = ca_issuer_check_cert_standing(pub->ca, pub->issuers[idx].name, e)) != PECHAT_OK)
		return err;     /* revoked or on hold: signs nothing (ca/standing.c) */
	for (attempt = 0; attempt < 3; attempt++) {
		memset(&s, 0, sizeof(s));
		if ((err = not_after != 0 ? cert_status(db, serial, not_after, &s, &meta, e) :
		    serial_status(db, pub->issuers[idx].name, serial, &s, &meta, e)) != PECHAT_OK)
			return err;
		for (i = 0; i < N_PRESIGN_MDS; i++)
			if ((err = presign_one(pub, idx, serial, pub->issuers[idx].presign[i], &s, &meta, &entries[i],
			    e)) != PECHAT_OK)
				goto out;
		store_queue(pub, serial, entries, N_PRESIGN_MDS);
		for (i = 0; i < N_PRESIGN_MDS; i++) {
			cache_put(pub, entries[i]);
			entries[i] = NULL;
		}
		/*
		 * A status change that committed while we signed has already put
		 * (or will put) its newer answers; if ours went in without one
		 * to stop it, do it again from the new status. Only the last
		 * event can have changed (certificate rows are never edited);
		 * a serial that is no certificate of this issuer has none.
		 */
		if (s.status == V_OCSP_CERTSTATUS_UNKNOWN)
			return PECHAT_OK;
		if ((err = last_event_id(db, serial, &now_event, e)) != PECHAT_OK)
			return err;
		if (now_event == meta.event_id)
			return PECHAT_OK;
		cache_drop_serial(pub, idx, serial);
	}
	log_warn("ocsp: status of %s/%s kept changing; left to the slow path", pub->issuers[idx].name, serial);
	return PECHAT_OK;
out:
	for (i = 0; i < N_PRESIGN_MDS; i++)
		entry_free(entries[i]);
	return err;
}

/* Token bucket per issuer: capacity and refill = ocsp_on_demand_per_s. 1 if a signature may be made. */
static int
rate_take(struct ca_publisher *pub, struct pub_issuer *pi)
{
	struct timespec now;
	double elapsed, cap = pub->conf.ocsp_on_demand_per_s;
	int ok;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&pi->rl_lock);
	elapsed = (double)(now.tv_sec - pi->rl_last.tv_sec) + (double)(now.tv_nsec - pi->rl_last.tv_nsec) / 1e9;
	pi->rl_last = now;
	pi->tokens += elapsed * cap;
	if (pi->tokens > cap)
		pi->tokens = cap;
	ok = pi->tokens >= 1.0;
	if (ok)
		pi->tokens -= 1.0;
	pthread_mutex_unlock(&pi->rl_lock);
	return ok;
}

/*
 * See publish_int.h: a pre-signed digest with NULL hash parameters.
 * Anything else (another digest, parameters absent) is a kept answer.
 */
int
is_presign_key(struct ca_publisher *pub, int idx, const char *serial, const char *md, const struct ocsp_entry *en)
{
	unsigned char key[OCSP_KEY_MAX];
	OCSP_CERTID *id = NULL;
	size_t keylen = 0;
	uint32_t slot;
	int same;

	if (!is_presigned_md(&pub->issuers[idx], md) ||
	    ca_ocsp_certid_new(pub->ca, pub->issuers[idx].name, serial, EVP_get_digestbyname(md), &id, NULL) !=
	    PECHAT_OK)
		return 0;
	same = certid_key(id, key, &keylen, &slot) == 0 && keylen == en->keylen &&
	    memcmp(key, entry_key(en), keylen) == 0;
	OCSP_CERTID_free(id);
	return same;
}

/*
 * See publish_int.h. Like the slow path for one nonce-less CertID, without
 * its rate limit (maintenance and status changes re-sign a bounded set);
 * the serial's answers are dropped when its status changed meanwhile. A
 * serial that is no longer ours (unknown) is not re-signed.
 */
enum pechat_err
kept_resign(struct ca_publisher *pub, struct db *db, int idx, const char *serial, const unsigned char *certid,
    size_t certid_len, struct pechat_error *e)
{
	struct pub_issuer *pi = &pub->issuers[idx];
	const unsigned char *p = certid;
	struct ca_ocsp_single s, again;
	struct status_meta meta, now_meta;
	struct ocsp_entry *en;
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL;
	const char *md;
	size_t len = 0;
	time_t now = pechat_clock_now(pub->ca->clock), next = now + pub->conf.ocsp_validity_s;
	enum pechat_err err;

	memset(&s, 0, sizeof(s));
	if ((id = d2i_OCSP_CERTID(NULL, &p, (long)certid_len)) == NULL || (md = certid_md_name(id)) == NULL) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "a kept CertID does not decode");
		goto out;
	}
	if ((err = serial_status(db, pi->name, serial, &s, &meta, e)) != PECHAT_OK ||
	    s.status == V_OCSP_CERTSTATUS_UNKNOWN)
		goto out;
	s.id = id;
	if ((err = sign_with(pi, &s, 1, now, &next, NULL, &der, &len, e)) != PECHAT_OK)
		goto out;
	if ((en = entry_new(pub, idx, id, md, der, len, now, next, &meta)) == NULL) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	en->kept = 1;
	cache_put(pub, en);
	memset(&again, 0, sizeof(again));
	if (serial_status(db, pi->name, serial, &again, &now_meta, NULL) != PECHAT_OK ||
	    now_meta.event_id != meta.event_id)
		cache_drop_serial(pub, idx, serial);
out:
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	return err;
}

/* An unsigned error answer (RFC 6960 §2.3). */
static enum pechat_err
reply_error(int status, struct ca_ocsp_reply *out, struct pechat_error *e)
{
	unsigned char *der = NULL;
	size_t len = 0;

	if (ca_ocsp_response_error(status, &der, &len) != 0 || (out->der = malloc(len)) == NULL) {
		OPENSSL_free(der);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot encode an OCSP error response");
	}
	memcpy(out->der, der, len);
	out->len = len;
	OPENSSL_free(der);
	return PECHAT_OK;
}

/*
 * The slow path: every CertID matched to one issuer of ours, then the
 * issuer's standing and its rate limit (before any store read: a flood over
 * the budget costs no query), then statuses read from the store and one
 * on-demand signature, nonce echoed when honoured. A single nonce-less
 * CertID of a certificate we issued is cached.
 */
static enum pechat_err
answer_slow(struct ca_publisher *pub, struct db *db, OCSP_REQUEST *req, int nonce, int have_token,
    struct ca_ocsp_reply *out, struct pechat_error *e)
{
	struct ca_ocsp_single s[64];
	struct ca_ocsp_certid_info info;
	struct status_meta meta;
	struct pub_issuer *pi = NULL;
	struct ocsp_entry *en;
	unsigned char *der = NULL;
	size_t len = 0;
	int n = OCSP_request_onereq_count(req), i, idx = -1, k;
	time_t now = pechat_clock_now(pub->ca->clock), next;
	enum pechat_err err;

	if (n < 1 || n > pub->conf.ocsp_max_certids || n > (int)(sizeof(s) / sizeof(s[0])))
		return reply_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, out, e);
	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if ((err = ca_ocsp_certid_match(pub->ids, s[i].id, &info, e)) != PECHAT_OK)
			return err;
		if (!info.issuer_found || pub_issuer_find(pub, info.issuer, &k) == NULL || (idx >= 0 && k != idx)) {
			log_reject("ocsp: CertID for an issuer we do not serve");
			return reply_error(OCSP_RESPONSE_STATUS_UNAUTHORIZED, out, e);
		}
		idx = k;
	}
	pi = &pub->issuers[idx];
	if (ca_issuer_check_cert_standing(pub->ca, pi->name, NULL) != PECHAT_OK)
		return reply_error(OCSP_RESPONSE_STATUS_UNAUTHORIZED, out, e);  /* revoked or on hold */
	if (!have_token && !rate_take(pub, pi)) {
		atomic_fetch_add(&pub->try_later, 1);
		return reply_error(OCSP_RESPONSE_STATUS_TRYLATER, out, e);
	}
	/* within the budget: now the store (info holds the last CertID's serial, the one cached below) */
	for (i = 0; i < n; i++)
		if ((err = ca_ocsp_certid_match(pub->ids, s[i].id, &info, e)) != PECHAT_OK ||
		    (err = serial_status(db, info.issuer, info.serial, &s[i], &meta, e)) != PECHAT_OK)
			return err;
	next = now + pub->conf.ocsp_validity_s;
	if ((err = sign_with(pi, s, (size_t)n, now, &next, nonce ? req : NULL, &der, &len, e)) != PECHAT_OK) {
		if (err != PECHAT_E_UNAVAILABLE)
			return err;
		/* the responder's key cannot sign now (its token out): a polite "try later" (RFC 6960 §2.3) */
		atomic_fetch_add(&pub->try_later, 1);
		return reply_error(OCSP_RESPONSE_STATUS_TRYLATER, out, e);
	}
	atomic_fetch_add(&pub->on_demand, 1);
	if (n == 1 && !nonce && s[0].status != V_OCSP_CERTSTATUS_UNKNOWN) {
		const char *md = certid_md_name(s[0].id);
		if (md != NULL && (en = entry_new(pub, idx, s[0].id, md, der, len, now, next, &meta)) != NULL) {
			struct ca_ocsp_single again;
			struct status_meta now_meta;
			/* outside the pre-signed set: kept (bounded) and re-signed by maintenance */
			en->kept = !is_presign_key(pub, idx, info.serial, md, en);
			cache_put(pub, en);
			/* a status change that committed while we signed: never leave our answer behind */
			memset(&again, 0, sizeof(again));
			if (serial_status(db, info.issuer, info.serial, &again, &now_meta, NULL) != PECHAT_OK ||
			    now_meta.event_id != meta.event_id)
				cache_drop_serial(pub, idx, info.serial);
		}
		out->cacheable = 1;
		out->this_update = now;
		out->next_update = next;
		out->fingerprint = ca_der_fingerprint(der, len);
	}
	if ((out->der = malloc(len)) == NULL) {
		OPENSSL_free(der);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	memcpy(out->der, der, len);
	out->len = len;
	OPENSSL_free(der);
	return PECHAT_OK;
}

/*
 * A hot-path miss on a serial whose answers are owed (ca/ocsp_owed.c):
 * signs them now, then serves the one asked for from the table into *out
 * (out->der NULL when it is not there: a nonce, a CertID neither pre-signed
 * nor kept). 1 when the serial was owed (the caller signs without a token),
 * 0 otherwise (nothing done: the slow path and its rate limit as always).
 */
static int
owed_answer(struct ca_publisher *pub, struct db *db, OCSP_CERTID *id, int nonce, struct ca_ocsp_reply *out)
{
	struct ca_ocsp_certid_info info;
	struct pechat_error e;
	unsigned char key[OCSP_KEY_MAX];
	size_t keylen;
	uint32_t slot;
	int idx;

	if (atomic_load(&pub->owed_n) == 0)
		return 0;
	pechat_error_clear(&e);
	if (ca_ocsp_certid_match(pub->ids, id, &info, &e) != PECHAT_OK || !info.issuer_found ||
	    info.serial[0] == '\0' || pub_issuer_find(pub, info.issuer, &idx) == NULL ||
	    ca_issuer_check_cert_standing(pub->ca, info.issuer, NULL) != PECHAT_OK ||
	    !owed_sign_now(pub, db, idx, info.serial))
		return 0;
	if (!nonce && certid_key(id, key, &keylen, &slot) == 0 && cache_get(pub, key, keylen, slot, out, &idx))
		atomic_fetch_add(&pub->hits, 1);
	return 1;
}

enum pechat_err
ca_ocsp_answer(struct ca_publisher *pub, struct db *db, const unsigned char *reqder, size_t reqlen,
    struct ca_ocsp_reply *out, struct pechat_error *e)
{
	OCSP_REQUEST *req = NULL;
	unsigned char key[OCSP_KEY_MAX];
	size_t keylen;
	uint32_t slot;
	int nonce, idx = -1;
	enum pechat_err err;
	struct pechat_error pe;

	int have_token = 0;

	memset(out, 0, sizeof(*out));
	pechat_error_clear(&pe);
	if (ca_ocsp_request_parse(reqder, reqlen, &req, &pe) != PECHAT_OK) {
		/* already logged (once) by the parser */
		return reply_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, out, e);
	}
	nonce = pub->conf.ocsp_honour_nonce && ca_ocsp_request_has_nonce(req);
	/* the hot path: one CertID with a pre-signed answer */
	if (OCSP_request_onereq_count(req) == 1 &&
	    certid_key(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), key, &keylen, &slot) == 0 &&
	    cache_get(pub, key, keylen, slot, out, &idx)) {
		if (ca_issuer_check_cert_standing(pub->ca, pub->issuers[idx].name, NULL) != PECHAT_OK) {
			/* answers signed before the issuer was revoked or held are not served */
			free(out->der);
			memset(out, 0, sizeof(*out));
			OCSP_REQUEST_free(req);
			return reply_error(OCSP_RESPONSE_STATUS_UNAUTHORIZED, out, e);
		}
		if (!nonce || !rate_take(pub, &pub->issuers[idx])) {
			/* RFC 8954 §2.1: over the limit a nonce request gets the answer without a nonce */
			atomic_fetch_add(&pub->hits, 1);
			OCSP_REQUEST_free(req);
			return PECHAT_OK;
		}
		/* a token was taken for the fresh signature below; the cached copy is not used */
		free(out->der);
		memset(out, 0, sizeof(*out));
		have_token = 1;
	} else if (OCSP_request_onereq_count(req) == 1 &&
	    owed_answer(pub, db, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), nonce, out)) {
		/* owed after a status change: signed now, outside the rate limit (once per change) */
		if (out->der != NULL) {
			OCSP_REQUEST_free(req);
			return PECHAT_OK;
		}
		have_token = 1;         /* a nonce, or a CertID outside the pre-signed set: signed below */
	} else if (!nonce && OCSP_request_onereq_count(req) == 1 && !atomic_load(&pub->warm_done) &&
	    stored_answer(pub, db, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), out)) {
		/* warm-up: not in memory yet, but stored before the restart (a read, no signature) */
		OCSP_REQUEST_free(req);
		return PECHAT_OK;
	}
	err = answer_slow(pub, db, req, nonce, have_token, out, e);
	OCSP_REQUEST_free(req);
	return err;
}
