/*
 * common/log.c — one-line log records on stderr, escaped by the writer;
 * client-caused rejections rate-limited by a token bucket; OpenSSL error
 * queue draining.
 */
#include "common.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MSG_MAX 1024
/* worst case: every byte becomes a 4-character "\xNN" */
#define LOG_OUT_MAX (4 * LOG_MSG_MAX + 8)

static enum pechat_log_level log_level = PECHAT_LOG_INFO;
static FILE *log_out;                   /* NULL: stderr */

/* The reject bucket; everything below is guarded by reject_lock. */
static pthread_mutex_t reject_lock = PTHREAD_MUTEX_INITIALIZER;
static double reject_per_s = 5.0, reject_burst = 20.0;
static double reject_tokens = -1.0;     /* < 0: not started (full on first use) */
static double reject_last;
static unsigned long long reject_suppressed;
static double reject_suppressed_since;
static const struct pechat_clock *reject_clock;
static int reject_atexit;

void
pechat_log_set_level(enum pechat_log_level level)
{
	log_level = level;
}

void
pechat_log_set_output(FILE *file)
{
	log_out = file;
}

/* Seconds on the bucket's clock: CLOCK_MONOTONIC unless a test injected one. */
static double
bucket_now(void)
{
	struct timespec ts;

	if (reject_clock != NULL)
		return (double)pechat_clock_now(reject_clock);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes one escaped record. */
static void
emit(enum pechat_log_level level, const char *msg, int cut)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char ts[32], out[LOG_OUT_MAX];

	pechat_time_rfc3339(time(NULL), ts, sizeof(ts));
	pechat_text_escape(msg, out, sizeof(out));
	/* one fprintf per record: stdio locks the stream, lines never interleave */
	fprintf(log_out != NULL ? log_out : stderr, "%s pechat[%s] %s%s\n", ts, names[level], out,
	    cut ? "..." : "");
}

void
pechat_vlog(enum pechat_log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int n;

	if (level < log_level || level > PECHAT_LOG_ERROR)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		msg[0] = '\0';
	emit(level, msg, n >= (int)sizeof(msg));
}

void
pechat_log(enum pechat_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pechat_vlog(level, fmt, ap);
	va_end(ap);
}

/* The "suppressed" line (caller holds reject_lock); resets the count. */
static void
report_suppressed(double now)
{
	double span = now - reject_suppressed_since;

	if (reject_suppressed == 0)
		return;
	if (span < 1)
		span = 1;
	pechat_log(PECHAT_LOG_WARN, "reject: %llu rejection(s) not logged in the last %.0f s (limit %.0f/s)",
	    reject_suppressed, span, reject_per_s);
	reject_suppressed = 0;
}

static void
flush_at_exit(void)
{
	pechat_log_flush();
}

/*
 * Token bucket (caller holds reject_lock): 1 if a record may be written
 * now. The "suppressed" summary is written here, at most once a second
 * while a flood lasts, and takes a token of its own: at most burst +
 * per_s * t lines appear in t seconds, and some are real records.
 */
static int
reject_admit(void)
{
	double now = bucket_now();

	if (reject_tokens < 0)
		reject_tokens = reject_burst;
	else if (now > reject_last)
		reject_tokens += (now - reject_last) * reject_per_s;
	reject_last = now;
	if (reject_tokens > reject_burst)
		reject_tokens = reject_burst;
	if (reject_suppressed > 0 && reject_tokens >= 1.0 && now - reject_suppressed_since >= 1.0) {
		report_suppressed(now);
		reject_tokens -= 1.0;
	}
	if (reject_tokens >= 1.0) {
		reject_tokens -= 1.0;
		return 1;
	}
	if (reject_suppressed++ == 0)
		reject_suppressed_since = now;
	if (!reject_atexit) {
		reject_atexit = 1;
		atexit(flush_at_exit);
	}
	return 0;
}

void
pechat_log_reject(const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;
	int n, admit;

	if (PECHAT_LOG_WARN < log_level)
		return;
	pthread_mutex_lock(&reject_lock);
	admit = reject_admit();
	pthread_mutex_unlock(&reject_lock);
	if (!admit)
		return;
	memcpy(msg, "reject: ", 8);
	va_start(ap, fmt);
	n = vsnprintf(msg + 8, sizeof(msg) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[8] = '\0';
	emit(PECHAT_LOG_WARN, msg, n >= (int)sizeof(msg) - 8);
}

void
pechat_log_set_reject_limit(double per_s, double burst)
{
	if (!(per_s > 0) || !(burst >= 1))
		return;
	pthread_mutex_lock(&reject_lock);
	reject_per_s = per_s;
	reject_burst = burst;
	reject_tokens = -1.0;
	pthread_mutex_unlock(&reject_lock);
}

void
pechat_log_set_clock(const struct pechat_clock *clock)
{
	pthread_mutex_lock(&reject_lock);
	reject_clock = clock;
	reject_tokens = -1.0;
	reject_suppressed = 0;
	pthread_mutex_unlock(&reject_lock);
}

void
pechat_log_flush(void)
{
	pthread_mutex_lock(&reject_lock);
	report_suppressed(bucket_now());
	pthread_mutex_unlock(&reject_lock);
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

void
pechat_log_openssl_reject(const char *what)
{
	const char *reason = NULL;
	unsigned long first = ERR_peek_error();

	if (first != 0)
		reason = ERR_reason_error_string(first);
	if (log_level <= PECHAT_LOG_DEBUG)
		pechat_log_openssl(PECHAT_LOG_DEBUG, what);
	else
		ERR_clear_error();
	if (reason != NULL)
		log_reject("%s (%s)", what, reason);
	else
		log_reject("%s", what);
}
