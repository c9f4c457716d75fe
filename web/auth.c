/*
 * web/auth.c — client-certificate authentication for the API listener.
 * The TLS layer (GnuTLS inside libmicrohttpd) proves the client holds the
 * key; we verify the chain against the operators CA (validity included) and
 * then look the certificate up by SHA-256 fingerprint among registered
 * operators and portals. Unknown, unverifiable or disabled → 401.
 * The chain verification is remembered for the keep-alive connection (the
 * same certificate, up to AUTH_VERIFIED_S and never past its notAfter);
 * the operator, its state and the certificate's revocation are read from
 * the store on every request: one lookup for the operator with its
 * certificate's serial and notAfter (db_operator_auth, no DER), one for the
 * serial's last status event.
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
 * certificate less than AUTH_VERIFIED_S ago. 0 or -1.
 */
static int
peer_fingerprint(struct web_req *r, time_t now, char fp[65])
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
	if (web_guard_peer_verified(r->conn, fp, now))
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

int
web_authenticate(struct web_req *r, MHD_Result_t *ret)
{
	struct db_operator op;
	struct pechat_error e;
	enum pechat_err err;
	time_t now = time(NULL), not_after = 0;
	char fp[65], serial[65];

	pechat_error_clear(&e);
	if (peer_fingerprint(r, now, fp) != 0) {
		*ret = web_reply_problem(r, MHD_HTTP_UNAUTHORIZED, "client_certificate_required",
		    "a client certificate issued by this CA's operators CA is required");
		return -1;
	}
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
	/* the chain verified (now or before): trusted on this connection for a while, never past notAfter */
	web_guard_peer_remember(r->conn, fp, now + AUTH_VERIFIED_S < not_after ? now + AUTH_VERIFIED_S : not_after);
	pechat_strlcpy(r->actor.name, op.name, sizeof(r->actor.name));
	pechat_strlcpy(r->actor.role, op.role, sizeof(r->actor.role));
	pechat_strlcpy(r->actor.fingerprint, fp, sizeof(r->actor.fingerprint));
	r->role = role_bit(op.role);
	return 0;
}
