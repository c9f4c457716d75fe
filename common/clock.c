/* common/clock.c — injectable clock and RFC 3339 formatting. */
#include "common.h"

#include <stdint.h>
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

/* n decimal digits at s into *out; -1 if any is not a digit. */
static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* Days in a month of the proleptic Gregorian calendar. */
static int
month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a valid civil date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The "YYYY-MM-DD" at s (exactly those 10 characters; what follows is the
 * caller's): a real calendar date in min_year..9999, nothing normalised.
 * Days since 1970-01-01 into *days. 0 or -1.
 */
static int
date_at(const char *s, int min_year, int64_t *days)
{
	int y, mo, d;

	if (s[4] != '-' || s[7] != '-' || digits(s, 4, &y) != 0 || digits(s + 5, 2, &mo) != 0 ||
	    digits(s + 8, 2, &d) != 0)
		return -1;
	if (y < min_year || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	*days = days_from_civil(y, mo, d);
	return 0;
}

int
pechat_date_parse(const char *s, int min_year, int64_t *days)
{
	if (s == NULL || strlen(s) != 10)
		return -1;
	return date_at(s, min_year, days);
}

/*
 * Strict: exactly "YYYY-MM-DDTHH:MM:SSZ", a real calendar date between
 * 1970 and 9999, hours 00..23, minutes and seconds 00..59. Nothing is
 * normalised (no 31 February, no 24:00); a leap second (:60) is refused
 * because time_t cannot hold it. The value is computed here, not by
 * strptime/timegm, which accept and silently normalise such dates.
 */
int
pechat_time_parse_rfc3339(const char *s, time_t *out)
{
	int h, mi, sec;
	int64_t days;

	if (s == NULL || strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	    date_at(s, 1970, &days) != 0 || digits(s + 11, 2, &h) != 0 || digits(s + 14, 2, &mi) != 0 ||
	    digits(s + 17, 2, &sec) != 0)
		return -1;
	if (h > 23 || mi > 59 || sec > 59)
		return -1;
	*out = (time_t)(days * 86400 + h * 3600 + mi * 60 + sec);
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
