/*
 * web/auth.c — client-certificate authentication for the API listener.
 * The TLS layer (GnuTLS inside libmicrohttpd) proves the client holds the
 * key; we verify the chain against the operators CA (validity included) and
 * then look the certificate up by SHA-256 fingerprint among registered
 * operators and portals. Unknown, unverifiable or disabled → 401.
 *
 * What a keep-alive connection remembers (struct web_peer, freed with the
 * connection, never shared between connections):
 *   - the chain verification: the same certificate, up to AUTH_VERIFIED_S
 *     after the last success and never past its notAfter;
 *   - the last successful lookup (operator, role, enabled, the certificate's
 *     status), tagged with the store's auth epoch read BEFORE that lookup.
 * Each request reads the auth epoch (one row, db_auth_epoch). Store
 * triggers move it in the same transaction as any change that could alter
 * the lookup's answer (operators inserted/updated/deleted, a status event
 * of an operator's certificate), whichever process commits it (pechatd or
 * the `pechat` CLI). Same certificate, same epoch, within the time bounds:
 * the remembered operator is used. Otherwise the full lookup runs as before:
 * db_operator_auth (operator with its certificate's serial and notAfter, no
 * DER), then the serial's last status event. A change committed between the
 * epoch read and the lookup moves the epoch past the remembered one, so the
 * next request looks again. Refusals are never remembered; when the epoch
 * cannot be read every request does the full lookup.
 */
#include "web/web_int.h"

#include <gnutls/gnutls.h>
#include <string.h>
#include <time.h>

/* How long a verified client chain is trusted on one connection without verifying it again. */
#define AUTH_VERIFIED_S 60

/*
 * The peer certificate's SHA-256 fingerprint, after chain verification (by
 * GnuTLS, validity included) or when this connection verified the same
 * certificate before peer->until (peer may be NULL). 0 or -1.
 */
static int
peer_fingerprint(struct web_req *r, const struct web_peer *peer, time_t now, char fp[65])
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned int ncerts = 0, status = 0;
	gnutls_session_t session;

	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return -1;
	session = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(session, &ncerts);
	if (certs == NULL || ncerts == 0 || pechat_sha256_hex(certs[0].data, certs[0].size, fp) != 0)
		return -1;
	if (peer != NULL && peer->fp[0] != '\0' && now < peer->until && strcmp(peer->fp, fp) == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
		log_reject("client certificate does not verify against the operators CA (status 0x%x)", status);
		return -1;
	}
	return 0;
}

/*
 * 1 when the client certificate (its serial and notAfter from
 * db_operator_auth) is revoked or on hold — or cannot be checked, such as
 * when the store has no certificate of that fingerprint (serial "").
 */
static int
client_cert_revoked(struct web_req *r, const char *serial, time_t not_after)
{
	enum ca_cert_state st;

	if (serial[0] == '\0')
		return 1;
	/* expiry is GnuTLS's check (now 0): here only the status events */
	return ca_serial_status(r->db, serial, -1, not_after, 0, &st, NULL, NULL) != PECHAT_OK ||
	    st != CA_STATE_VALID;
}

static unsigned
role_bit(const char *role)
{
	if (strcmp(role, "admin") == 0)
		return ROLE_ADMIN;
	if (strcmp(role, "ra_officer") == 0)
		return ROLE_RA_OFFICER;
	if (strcmp(role, "auditor") == 0)
		return ROLE_AUDITOR;
	if (strcmp(role, "portal") == 0)
		return ROLE_PORTAL;
	return 0;
}

/* How long the chain of a certificate expiring at not_after stays trusted after a success at now. */
static time_t
verified_until(time_t now, time_t not_after)
{
	return now + AUTH_VERIFIED_S < not_after ? now + AUTH_VERIFIED_S : not_after;
}

/* The request's actor from an authenticated operator. */
static void
set_actor(struct web_req *r, const struct ra_actor *actor, unsigned role)
{
	r->actor = *actor;
	r->role = role;
}

/*
 * 1 and r's actor set when the connection's last success was the same
 * certificate (fp, chain still trusted at now) looked up at this epoch.
 */
static int
reuse_peer(struct web_req *r, struct web_peer *peer, const char *fp, time_t now, int64_t epoch)
{
	if (peer == NULL || !peer->known || peer->epoch != epoch || now >= peer->until || strcmp(peer->fp, fp) != 0)
		return 0;
	peer->until = verified_until(now, peer->not_after);
	set_actor(r, &peer->actor, peer->role);
	return 1;
}

/* Remembers a success on the connection (its lookup's operator only when the epoch was read). */
static void
remember_peer(struct web_peer *peer, const char *fp, time_t now, time_t not_after, int have_epoch,
    int64_t epoch, const struct web_req *r)
{
	if (peer == NULL)
		return;
	/* the chain verified (now or before): trusted on this connection for a while, never past notAfter */
	pechat_strlcpy(peer->fp, fp, sizeof(peer->fp));
	peer->until = verified_until(now, not_after);
	peer->known = have_epoch;
	peer->epoch = epoch;
	peer->not_after = not_after;
	peer->actor = r->actor;
	peer->role = r->role;
}

int
web_authenticate(struct web_req *r, MHD_Result_t *ret)
{
	struct web_peer *peer = web_guard_peer(r->conn);
	struct db_operator op;
	struct ra_actor actor;
	struct pechat_error e;
	enum pechat_err err;
	time_t now = time(NULL), not_after = 0;
	int64_t epoch = -1;
	int have_epoch;
	char fp[65], serial[65];

	pechat_error_clear(&e);
	if (peer_fingerprint(r, peer, now, fp) != 0) {
		*ret = web_reply_problem(r, MHD_HTTP_UNAUTHORIZED, "client_certificate_required",
		    "a client certificate issued by this CA's operators CA is required");
		return -1;
	}
	/* the epoch first: a change committed after this read moves it past what is remembered below */
	have_epoch = db_auth_epoch(r->db, &epoch, NULL) == PECHAT_OK;
	if (have_epoch && reuse_peer(r, peer, fp, now, epoch))
		return 0;
	if ((err = db_operator_auth(r->db, fp, &op, serial, &not_after, &e)) != PECHAT_OK) {
		if (err == PECHAT_E_NOT_FOUND) {
			log_reject("unknown client certificate %s", fp);
			*ret = web_reply_problem(r, MHD_HTTP_UNAUTHORIZED, "client_certificate_unknown",
			    "the client certificate is not registered");
		} else
			*ret = web_reply_error(r, &e);
		return -1;
	}
	if (client_cert_revoked(r, serial, not_after)) {
		log_reject("operator %s: client certificate is revoked or on hold", op.name);
		*ret = web_reply_problem(r, MHD_HTTP_UNAUTHORIZED, "client_certificate_revoked",
		    "the client certificate is revoked or on hold");
		return -1;
	}
	if (!op.enabled) {
		log_reject("disabled operator %s tried %s %s", op.name, r->method, r->url);
		*ret = web_reply_problem(r, MHD_HTTP_UNAUTHORIZED, "operator_disabled",
		    "this operator account is disabled");
		return -1;
	}
	memset(&actor, 0, sizeof(actor));
	pechat_strlcpy(actor.name, op.name, sizeof(actor.name));
	pechat_strlcpy(actor.role, op.role, sizeof(actor.role));
	pechat_strlcpy(actor.fingerprint, fp, sizeof(actor.fingerprint));
	set_actor(r, &actor, role_bit(op.role));
	remember_peer(peer, fp, now, not_after, have_epoch, epoch, r);
	return 0;
}
