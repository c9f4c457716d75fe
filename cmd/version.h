/* cmd/version.h — `--version` of pechat and pechatd. */
#ifndef PECHAT_CMD_VERSION_H
#define PECHAT_CMD_VERSION_H

#include <stdio.h>

/*
 * Prints "<prog> <Pechat version>" and the versions of the libraries the
 * program links: OpenSSL, gost-engine (or "not available"), SQLite,
 * jansson, and libmicrohttpd + GnuTLS when mhd/gnutls are not NULL (only
 * pechatd links the HTTP server).
 */
void cmd_print_version(FILE *f, const char *prog, const char *mhd, const char *gnutls);

#endif
