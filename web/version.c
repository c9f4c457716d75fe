/* web/version.c — the versions of the HTTP libraries pechatd links, for `pechatd --version`. */
#include "web/web.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>

/* See web.h. */
const char *
web_mhd_version(void)
{
	return MHD_get_version();
}

/* See web.h. */
const char *
web_gnutls_version(void)
{
	const char *v = gnutls_check_version(NULL);

	return v != NULL ? v : "unknown";
}
