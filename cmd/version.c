/* cmd/version.c — `--version`: Pechat's version and the linked libraries' (each asked of its module). */
#include "cmd/version.h"

#include "config/config.h"
#include "db/db.h"
#include "hsm/hsm.h"
#include "ra/poa.h"

#ifndef PECHAT_VERSION
#define PECHAT_VERSION "unknown"
#endif

/* See version.h. */
void
cmd_print_version(FILE *f, const char *prog, const char *mhd, const char *gnutls)
{
	char gost[512];

	hsm_gost_engine_describe(gost, sizeof(gost));
	fprintf(f, "%s %s\n", prog, PECHAT_VERSION);
	fprintf(f, "  OpenSSL        %s\n", hsm_openssl_version());
	fprintf(f, "  gost-engine    %s\n", gost);
	fprintf(f, "  SQLite         %s\n", db_sqlite_version());
	fprintf(f, "  jansson        %s\n", pechat_config_jansson_version());
	fprintf(f, "  libxml2        %s\n", ra_libxml2_version());
	if (mhd != NULL)
		fprintf(f, "  libmicrohttpd  %s\n", mhd);
	else
		fprintf(f, "  libmicrohttpd  not linked by %s (the HTTP server is pechatd's)\n", prog);
	if (gnutls != NULL)
		fprintf(f, "  GnuTLS         %s\n", gnutls);
}
