/* common/log.c — one-line log records on stderr, OpenSSL error queue draining. */
#include "common.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static enum pechat_log_level log_level = PECHAT_LOG_INFO;

void
pechat_log_set_level(enum pechat_log_level level)
{
	log_level = level;
}

void
pechat_vlog(enum pechat_log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char ts[32], msg[1024];

	if (level < log_level)
		return;
	pechat_time_rfc3339(time(NULL), ts, sizeof(ts));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one fprintf per record: stdio locks the stream, lines never interleave */
	fprintf(stderr, "%s pechat[%s] %s\n", ts, names[level], msg);
}

void
pechat_log(enum pechat_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pechat_vlog(level, fmt, ap);
	va_end(ap);
}

void
pechat_log_openssl(enum pechat_log_level level, const char *what)
{
	unsigned long code;
	const char *file, *data, *func;
	int line, flags;
	char buf[256];
	int n = 0;

	while ((code = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
		ERR_error_string_n(code, buf, sizeof(buf));
		pechat_log(level, "%s: openssl: %s (%s:%d %s)%s%s", what, buf,
		    file, line, func != NULL ? func : "",
		    (flags & ERR_TXT_STRING) ? " " : "",
		    (flags & ERR_TXT_STRING) ? data : "");
		n++;
	}
	if (n == 0)
		pechat_log(level, "%s", what);
}
