/* common/clock.c — injectable clock and RFC 3339 formatting. */
#include "common.h"

#include <stdio.h>
#include <string.h>

time_t
pechat_clock_now(const struct pechat_clock *clock)
{
	if (clock != NULL && clock->now != NULL)
		return clock->now(clock->arg);
	return time(NULL);
}

char *
pechat_time_rfc3339(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (bufsz > 0)
			buf[0] = '\0';
	}
	return buf;
}

int
pechat_time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 20 || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

char *
pechat_time_http(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, bufsz, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0) {
		if (bufsz > 0)
			buf[0] = '\0';
	}
	return buf;
}
