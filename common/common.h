/*
 * common/ — error codes, logging, clock, hex/base64, subject field names.
 * The only public header of pechat_common. Links OpenSSL and libc only.
 */
#ifndef PECHAT_COMMON_H
#define PECHAT_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ------------------------------------------------------------------ errors */

/*
 * One error enum for the whole code base. Only web/ maps it to HTTP.
 * "Their" errors (bad input, policy) and "our" errors (internal) are
 * distinct kinds so that the log can tell them apart.
 */
enum pechat_err {
	PECHAT_OK = 0,
	PECHAT_E_INVALID,        /* their input is malformed (400/422) */
	PECHAT_E_POLICY,         /* well-formed but not allowed (422) */
	PECHAT_E_NOT_FOUND,      /* 404 */
	PECHAT_E_CONFLICT,       /* state conflict, duplicate (409) */
	PECHAT_E_TOO_LARGE,      /* 413 */
	PECHAT_E_UNAUTHENTICATED,/* 401 */
	PECHAT_E_FORBIDDEN,      /* 403 */
	PECHAT_E_BUSY,           /* store busy after retries (503 + Retry-After) */
	PECHAT_E_UNAVAILABLE,    /* store or key unavailable (503 + Retry-After) */
	PECHAT_E_NOMEM,          /* out of memory (500) */
	PECHAT_E_INTERNAL,       /* our bug or environment failure (500) */
};

#define PECHAT_MAX_FIELD_ERRORS 16

/* One offending field of a validation error (RFC 9457 "errors" member). */
struct pechat_field_error {
	char field[64];
	char rule[32];
	char detail[160];
};

/*
 * An error as the caller may show it: `code` is a stable snake_case string
 * (e.g. "csr_signature_invalid"), `detail` is safe to send to the client.
 * Internal details never go here: log them at the failure site.
 */
struct pechat_error {
	enum pechat_err err;
	char code[48];
	char detail[256];
	int nfields;
	struct pechat_field_error fields[PECHAT_MAX_FIELD_ERRORS];
};

/* Sets *e (if e != NULL) and returns `err`, so that `return pechat_fail(...)` reads well. */
enum pechat_err pechat_fail(struct pechat_error *e, enum pechat_err err,
    const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds one field error to *e (kept up to PECHAT_MAX_FIELD_ERRORS). NULL-safe. */
void pechat_error_add_field(struct pechat_error *e, const char *field,
    const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resets *e to PECHAT_OK. NULL-safe. */
void pechat_error_clear(struct pechat_error *e);

/* Short stable name of an error kind ("invalid", "busy", ...). */
const char *pechat_err_name(enum pechat_err err);

/* ----------------------------------------------------------------- logging */

enum pechat_log_level {
	PECHAT_LOG_DEBUG = 0,
	PECHAT_LOG_INFO,
	PECHAT_LOG_WARN,    /* their bad input, refused requests */
	PECHAT_LOG_ERROR,   /* our bug or environment failure */
};

/*
 * One record per call: "<time> pechat[<level>] <msg>\n", one write. The
 * formatted message is escaped by the writer (pechat_text_escape), so no
 * client-supplied string can start a line or hide text: callers pass raw
 * values. Messages longer than 1 KiB are cut and end in "...".
 */
void pechat_log_set_level(enum pechat_log_level level);
void pechat_log(enum pechat_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pechat_vlog(enum pechat_log_level level, const char *fmt, va_list ap);

/*
 * A client-caused refusal, at warn level with the prefix "reject: ",
 * rate-limited by one token bucket for the whole process (default 5
 * records per second, bursts of 20): over the limit records are counted,
 * not written, and the next record let through is preceded by one
 * "reject: K rejection(s) suppressed ..." line (also written at exit).
 */
void pechat_log_reject(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The reject bucket: per_s records per second, at most burst at once (both > 0). */
void pechat_log_set_reject_limit(double per_s, double burst);

/* Tests: where records go (NULL: stderr) and the bucket's clock (NULL: CLOCK_MONOTONIC). */
struct pechat_clock;
void pechat_log_set_output(FILE *file);
void pechat_log_set_clock(const struct pechat_clock *clock);

/* Writes the pending "suppressed" line now, if any. */
void pechat_log_flush(void);

#define log_debug(...) pechat_log(PECHAT_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) pechat_log(PECHAT_LOG_INFO, __VA_ARGS__)
/* their bad input: a refusal, not a fault (rate-limited) */
#define log_reject(...) pechat_log_reject(__VA_ARGS__)
#define log_warn(...) pechat_log(PECHAT_LOG_WARN, __VA_ARGS__)
/* our bug or the environment failed */
#define log_err(...) pechat_log(PECHAT_LOG_ERROR, __VA_ARGS__)

/* Logs `what` plus every entry of the OpenSSL error queue, and clears it. */
void pechat_log_openssl(enum pechat_log_level level, const char *what);

/*
 * The client's input made OpenSSL fail: one rejection record, "<what>
 * (<reason of the first queued error>)", the queue drained (its entries
 * at debug level only) — never one line per queued error.
 */
void pechat_log_openssl_reject(const char *what);

/* ---------------------------------------------------------------- text */

/*
 * Decodes one UTF-8 character at s (RFC 3629: shortest form, no
 * surrogates, <= U+10FFFF) into *cp. Returns its length in bytes, 0 if s
 * does not start with a valid character (or len is 0).
 */
size_t pechat_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Characters in the len bytes of UTF-8 at s (pechat_utf8_decode's rules), or -1 if one is invalid. */
long pechat_utf8_chars(const unsigned char *s, size_t len);

/* 1 if cp has general category Cf (format: bidi controls, zero widths, tags...). */
int pechat_unicode_is_format(uint32_t cp);

/* 1 for code points that must not appear in names or log lines: Cc, Cf, Zl, Zp. */
int pechat_unicode_is_hidden(uint32_t cp);

/*
 * Copies in to out (NUL-terminated, cut at a whole escape) with every
 * control character (C0, DEL) and byte of invalid UTF-8 as "\xNN", every
 * other hidden code point (C1, Cf, U+2028/9) as "\u{XXXX}" and "\\" for a
 * backslash. Returns the length written.
 */
size_t pechat_text_escape(const char *in, char *out, size_t outsz);

/* ------------------------------------------------------------------- clock */

/* An injectable clock: tests pass a fake one. NULL means the system clock. */
struct pechat_clock {
	time_t (*now)(void *arg);
	void *arg;
};

time_t pechat_clock_now(const struct pechat_clock *clock);

/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). Returns buf. */
char *pechat_time_rfc3339(time_t t, char *buf, size_t bufsz);

/*
 * Parses RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (exactly that form, strictly:
 * a real calendar date in 1970..9999, no :60 leap second, nothing
 * normalised). 0, or -1 with *out untouched.
 */
int pechat_time_parse_rfc3339(const char *s, time_t *out);

/*
 * Parses a full-date "YYYY-MM-DD" as strictly: a real proleptic Gregorian
 * date with min_year <= year <= 9999, nothing normalised. Days since
 * 1970-01-01 (negative before it) into *days. 0, or -1 with *days untouched.
 */
int pechat_date_parse(const char *s, int min_year, int64_t *days);

/* IMF-fixdate for HTTP headers (RFC 9110 §5.6.7) into buf (>= 30 bytes). Returns buf. */
char *pechat_time_http(time_t t, char *buf, size_t bufsz);

/* ------------------------------------------------------------- hex, base64 */

/* Upper-case hex of len bytes into out (needs 2*len+1). Returns 0 or -1 if too small. */
int pechat_hex_encode(const unsigned char *in, size_t len, char *out, size_t outsz);

/* True if s is 1..maxlen upper/lower-case hex digits. */
int pechat_is_hex(const char *s, size_t maxlen);

/*
 * Standard base64 (RFC 4648 §4, with padding) through OpenSSL's EVP_Encode/Decode.
 * *out is malloc'd and owned by the caller. Returns 0 or -1 (bad input / no memory).
 */
int pechat_base64_encode(const unsigned char *in, size_t len, char **out);
int pechat_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

/* SHA-256 of data as 64 lower-case hex characters (+ NUL) — fingerprints, body hashes. */
int pechat_sha256_hex(const unsigned char *data, size_t len, char out[65]);

/*
 * The key hash of docs/REGISTRATION.md "Key checks" (common/spki.c): SHA-256
 * hex of a SubjectPublicKeyInfo re-encoded canonically (an EC point
 * uncompressed), from the SPKI's DER or from a whole DER certificate. 0 or -1.
 */
int pechat_spki_sha256_hex(const unsigned char *der, size_t len, char out[65]);
int pechat_cert_spki_sha256_hex(const unsigned char *der, size_t len, char out[65]);

/* -------------------------------------------------------- subject fields */

/*
 * The subject fields of docs/SUBJECTS.md, in one order. The JSON names are
 * the API's; ca/ maps them to DN attributes (OIDs, encodings).
 */
enum pechat_subject_field {
	PSF_COMMON_NAME = 0,
	PSF_SURNAME,
	PSF_GIVEN_NAME,
	PSF_PATRONYMIC,
	PSF_ORGANIZATION,
	PSF_ORGANIZATIONAL_UNIT,
	PSF_TITLE,
	PSF_COUNTRY,
	PSF_REGION,
	PSF_LOCALITY,
	PSF_STREET,
	PSF_EMAIL,
	PSF_SNILS,
	PSF_INN,
	PSF_INNLE,
	PSF_OGRN,
	PSF_OGRNIP,
	PSF_KPP,
	PSF_COUNT
};

/* Longest value the API accepts for any subject field, in bytes. */
#define PECHAT_SUBJECT_VALUE_MAX 256

/* A subject as request data: each value is NULL (absent) or a malloc'd UTF-8 string. */
struct pechat_subject {
	char *v[PSF_COUNT];
};

/* JSON name of a field ("common_name"). */
const char *pechat_subject_field_name(enum pechat_subject_field f);
/* Field for a JSON name, or -1 if unknown. */
int pechat_subject_field_lookup(const char *name);
/* Copies value into the field (replacing any old one). 0 or -1 (no memory). */
int pechat_subject_set(struct pechat_subject *s, enum pechat_subject_field f, const char *value);
/* Frees all values and zeroes the struct. NULL-safe. */
void pechat_subject_clear(struct pechat_subject *s);

/* ------------------------------------------------------------- misc utils */

/* strlcpy semantics: always NUL-terminates when size > 0; returns strlen(src). */
size_t pechat_strlcpy(char *dst, const char *src, size_t size);

/* Reads a whole file (at most maxlen bytes) into a malloc'd NUL-terminated buffer. */
int pechat_file_read(const char *path, size_t maxlen, unsigned char **out, size_t *outlen);

/* pechat_file_write flags */
#define PECHAT_FILE_EXCLUSIVE 1 /* refuse (-1, errno EEXIST) when path exists: keys are never overwritten */
#define PECHAT_FILE_NO_SYNC   2 /* no fsync: a file that means nothing after a crash (the ready file) */
/*
 * Writes data to path atomically (temp file + fsync + rename, or link for
 * PECHAT_FILE_EXCLUSIVE) with `mode`. flags: PECHAT_FILE_* or 0. 0 or -1 (errno).
 */
int pechat_file_write(const char *path, const void *data, size_t len, int mode, int flags);

/*
 * A new UUID, version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then
 * 74 random bits. Ids made later sort later (to the millisecond), so the
 * store's id-keyed B-trees grow at their right edge instead of at random
 * pages. Lower-case, 36 characters. 0, or -1 when no randomness.
 */
int pechat_uuid7(char out[37]);

#endif
