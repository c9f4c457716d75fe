/*
 * web/ — the HTTP side: two libmicrohttpd daemons (public plain HTTP, API
 * HTTPS with client certificates), the route table, authentication and
 * roles, JSON and RFC 9457 problem replies. web/ never touches a private
 * key: it asks ca/ and ra/.
 */
#ifndef PECHAT_WEB_H
#define PECHAT_WEB_H

#include "ca/ca.h"
#include "common/common.h"
#include "config/config.h"

struct web;

/*
 * Starts both listeners with a worker thread pool each. conf, ca, pub (the
 * CRL/OCSP publisher) and clock
 * are borrowed and must outlive the web. Reads the API TLS certificate, key
 * and operator CA from conf. Nothing listens if any part fails.
 */
enum pechat_err web_start(const struct pechat_config *conf, struct ca *ca, struct ca_publisher *pub,
    const struct pechat_clock *clock, struct web **out, struct pechat_error *e);

/* Ports actually bound (differ from the config when it asked for port 0). */
int web_public_port(const struct web *w);
int web_api_port(const struct web *w);

/*
 * Graceful stop: stop accepting, wait up to timeout_s for in-flight
 * requests to finish, then stop the daemons and free everything.
 * Returns the number of requests still in flight when it gave up (0 = clean).
 */
int web_shutdown(struct web *w, int timeout_s);

/* The linked libmicrohttpd and GnuTLS versions (MHD_get_version, gnutls_check_version), for --version. */
const char *web_mhd_version(void);
const char *web_gnutls_version(void);

#endif
