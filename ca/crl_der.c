/*
 * ca/crl_der.c — the CRL writer: a CRL of any size assembled from parts
 * OpenSSL encodes, without one X509_REVOKED object per entry
 * (docs/REVOCATION.md, "How a CRL is assembled").
 *
 * ca/crl.c builds the header (an X509_CRL without entries: version, issuer,
 * times, extensions), signs it with the throw-away lint key and lints it;
 * then each entry is encoded by i2d_X509_REVOKED from a reused X509_REVOKED
 * (one per reasonCode, the extension encoded once) straight into one
 * growing buffer; at the end the TBSCertList is put together in that buffer
 * (version, signature AlgorithmIdentifier, issuer, times and extensions
 * re-encoded from the header by OpenSSL's i2d functions, SEQUENCE headers by
 * ASN1_put_object), signed by hsm_sign_data (verified there) and wrapped
 * into the CertificateList. Entries arrive in ascending serial order from
 * the store (checked as they come: a duplicate is e_crl_serials_unique);
 * any other order is sorted at the end.
 *
 * OpenSSL ownership: the writer owns every object it holds; the header is
 * handed in (owned from then on), the key and issuer are borrowed.
 */
#include "ca_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* An entry's DER is at most this long (serial <= 32 octets, time, reasonCode); see reserve(). */
#define ENTRY_MAX 256
/* Room for a SEQUENCE header (tag + 5 length octets) */
#define SEQ_HDR_MAX 6
/* Templates: index = reasonCode 0..10 (8 = removeFromCRL), 11 = no reasonCode */
#define N_TMPL 12
#define TMPL_NONE 11

struct ca_crl_writer {
	X509_CRL *hdr;                  /* TBS fields and extensions, no entries (owned) */
	struct hsm_key *key;            /* signs the TBS (borrowed) */
	int delta;
	int64_t number;
	unsigned char *buf;             /* [0, prefix): room for the header; then the entries */
	size_t prefix, len, cap;
	size_t n;
	int unsorted;                   /* an entry came below its predecessor: sort at the end */
	int duplicate;                  /* a serial came twice */
	char dup_serial[65];
	X509_REVOKED *tmpl[N_TMPL];     /* reused entries, one per reasonCode (lazily made) */
	time_t tmpl_t[N_TMPL];          /* the revocationDate each template holds (made with 0) */
	BIGNUM *bn;
	ASN1_INTEGER *serial, *prev;
};

/* Grows the buffer to hold `more` octets after len; 0 or -1. */
static int
reserve(struct ca_crl_writer *w, size_t more)
{
	unsigned char *grown;
	size_t cap;

	if (w->buf != NULL && w->cap - w->len >= more)
		return 0;
	cap = w->cap ? w->cap : 65536;
	while (cap < w->len || cap - w->len < more)
		cap *= 2;
	if ((grown = OPENSSL_realloc(w->buf, cap)) == NULL)
		return -1;
	w->buf = grown;
	w->cap = cap;
	return 0;
}

/*
 * The TBSCertList's fields before revokedCertificates (version, signature,
 * issuer, thisUpdate, nextUpdate) encoded from the header at *pp (pp NULL:
 * length only, as i2d); their length, or -1.
 */
static int
head_parts(X509_CRL *hdr, unsigned char **pp)
{
	const X509_ALGOR *alg = NULL;
	ASN1_INTEGER *ver = ASN1_INTEGER_new();
	int n = -1, a, b, c, d, v;

	X509_CRL_get0_signature(hdr, NULL, &alg);
	if (ver == NULL || alg == NULL || ASN1_INTEGER_set(ver, X509_CRL_get_version(hdr)) != 1)
		goto out;
	/* version, signature (the lint key's, same algorithm and digest as the CA key), issuer, times */
	if ((v = i2d_ASN1_INTEGER(ver, pp)) <= 0 || (a = i2d_X509_ALGOR(alg, pp)) <= 0 ||
	    (b = i2d_X509_NAME(X509_CRL_get_issuer(hdr), pp)) <= 0 ||
	    (c = i2d_ASN1_TIME(X509_CRL_get0_lastUpdate(hdr), pp)) <= 0 ||
	    (d = i2d_ASN1_TIME(X509_CRL_get0_nextUpdate(hdr), pp)) <= 0)
		goto out;
	n = v + a + b + c + d;
out:
	ASN1_INTEGER_free(ver);
	return n;
}

/* The crlExtensions field ([0] EXPLICIT Extensions) written at *pp (NULL: length only); length or -1. */
static int
ext_part(X509_CRL *hdr, unsigned char **pp)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(hdr);
	int n;

	if (sk_X509_EXTENSION_num(exts) <= 0)
		return 0;
	if ((n = i2d_X509_EXTENSIONS((X509_EXTENSIONS *)exts, NULL)) <= 0)
		return -1;
	if (pp != NULL) {
		ASN1_put_object(pp, 1, n, 0, V_ASN1_CONTEXT_SPECIFIC);
		if (i2d_X509_EXTENSIONS((X509_EXTENSIONS *)exts, pp) != n)
			return -1;
	}
	return ASN1_object_size(1, n, 0);
}

/* See ca_int.h. */
enum pechat_err
ca_crl_writer_new(X509_CRL *hdr, struct hsm_key *key, int64_t number, int delta, struct ca_crl_writer **out,
    struct pechat_error *e)
{
	struct ca_crl_writer *w;
	int head;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		X509_CRL_free(hdr);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	w->hdr = hdr;
	w->key = key;
	w->number = number;
	w->delta = delta;
	if ((head = head_parts(hdr, NULL)) <= 0 || (w->bn = BN_new()) == NULL ||
	    (w->serial = ASN1_INTEGER_new()) == NULL || (w->prev = ASN1_INTEGER_new()) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: header parts");
		ca_crl_writer_free(w);
		return pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
	}
	/* outer and TBS SEQUENCE headers, the head, the revokedCertificates SEQUENCE header */
	w->prefix = w->len = 3 * SEQ_HDR_MAX + (size_t)head;
	if (reserve(w, 0) != 0) {
		ca_crl_writer_free(w);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	*out = w;
	return PECHAT_OK;
}

/* See ca_int.h. */
void
ca_crl_writer_free(struct ca_crl_writer *w)
{
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < N_TMPL; i++)
		X509_REVOKED_free(w->tmpl[i]);
	X509_CRL_free(w->hdr);
	BN_free(w->bn);
	ASN1_INTEGER_free(w->serial);
	ASN1_INTEGER_free(w->prev);
	OPENSSL_free(w->buf);
	free(w);
}

/* The reused entry with reasonCode code (TMPL_NONE: without), made on first use; NULL on failure. */
static X509_REVOKED *
tmpl_get(struct ca_crl_writer *w, int code)
{
	struct ca_crl_entry en;

	if (w->tmpl[code] != NULL)
		return w->tmpl[code];
	memset(&en, 0, sizeof(en));
	pechat_strlcpy(en.serial, "01", sizeof(en.serial));
	en.reason = code == TMPL_NONE ? CRL_REASON_NONE : code;
	en.remove_from_crl = code == CRL_REASON_REMOVE_FROM_CRL;
	return w->tmpl[code] = ca_crl_entry_build(&en);
}

/* Tracks order and duplicates: the serial just encoded against the previous one. */
static void
order_track(struct ca_crl_writer *w, const char *hex)
{
	ASN1_INTEGER *t;
	int c;

	if (w->n > 0) {
		c = ASN1_INTEGER_cmp(w->serial, w->prev);
		if (c < 0)
			w->unsorted = 1;
		else if (c == 0 && !w->duplicate) {
			w->duplicate = 1;
			pechat_strlcpy(w->dup_serial, hex, sizeof(w->dup_serial));
		}
	}
	t = w->prev;
	w->prev = w->serial;
	w->serial = t;
}

/*
 * The entry's serial into w->serial; 0, or -1 when not 1..64 hex digits or
 * zero. Whole octets (what the store holds: BN_bn2hex) are decoded by
 * OPENSSL_hexstr2buf_ex straight into the INTEGER's magnitude; an odd
 * number of digits through a BIGNUM.
 */
static int
serial_set(struct ca_crl_writer *w, const char *hex)
{
	unsigned char b[32];
	size_t n = 0, i = 0, len = strnlen(hex, 65);

	if (len == 0 || len > 64)
		return -1;
	if (len % 2 == 0) {
		if (OPENSSL_hexstr2buf_ex(b, sizeof(b), &n, hex, '\0') != 1) {
			ERR_clear_error();
			return -1;
		}
		while (i < n && b[i] == 0)
			i++;
		/* a positive INTEGER's magnitude, leading zero octets dropped (i2d adds the sign octet) */
		return i < n && ASN1_STRING_set(w->serial, b + i, (int)(n - i)) == 1 ? 0 : -1;
	}
	if (!pechat_is_hex(hex, 64) || BN_hex2bn(&w->bn, hex) != (int)len || BN_is_zero(w->bn) ||
	    BN_to_ASN1_INTEGER(w->bn, w->serial) == NULL) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* Encodes one entry from its reused template into the buffer; 0 or -1 (logged). */
static int
entry_encode_fast(struct ca_crl_writer *w, const struct ca_crl_entry *en, int code)
{
	X509_REVOKED *rev = tmpl_get(w, code);
	unsigned char *p;
	int n;

	if (rev == NULL)
		return -1;
	/*
	 * The template's own revocationDate is set in place (the writer owns
	 * the template; X509_REVOKED_set_revocationDate would duplicate it):
	 * no allocation per entry.
	 */
	if (w->tmpl_t[code] != en->revoked_at) {
		if (ASN1_TIME_set((ASN1_TIME *)X509_REVOKED_get0_revocationDate(rev), en->revoked_at) == NULL)
			return -1;
		w->tmpl_t[code] = en->revoked_at;
	}
	/*
	 * ENTRY_MAX bounds what i2d writes: a serial of <= 32 octets (64 hex
	 * digits, serial_set) is an INTEGER of <= 35, a time <= 17, the
	 * reasonCode extension 14, the SEQUENCE header 2.
	 */
	if (X509_REVOKED_set_serialNumber(rev, w->serial) != 1 || reserve(w, ENTRY_MAX) != 0)
		return -1;
	p = w->buf + w->len;
	if ((n = i2d_X509_REVOKED(rev, &p)) <= 0 || n > ENTRY_MAX)
		return -1;
	w->len += (size_t)n;
	return 0;
}

/* Encodes an entry with an invalidityDate: its own X509_REVOKED (rare). 0 or -1. */
static int
entry_encode_slow(struct ca_crl_writer *w, const struct ca_crl_entry *en)
{
	X509_REVOKED *rev = ca_crl_entry_build(en);
	unsigned char *p;
	int n = rev != NULL ? i2d_X509_REVOKED(rev, NULL) : -1;

	if (n <= 0 || reserve(w, (size_t)n) != 0) {
		X509_REVOKED_free(rev);
		return -1;
	}
	p = w->buf + w->len;
	if (i2d_X509_REVOKED(rev, &p) != n)
		n = -1;
	else
		w->len += (size_t)n;
	X509_REVOKED_free(rev);
	return n > 0 ? 0 : -1;
}

/* See ca_int.h. */
enum pechat_err
ca_crl_writer_add(struct ca_crl_writer *w, const struct ca_crl_entry *en, struct pechat_error *e)
{
	int code = en->remove_from_crl ? CRL_REASON_REMOVE_FROM_CRL : en->reason;

	if (en->remove_from_crl && !w->delta) {
		log_err("ca: crl: removeFromCRL in a full CRL (RFC 5280 §5.3.1: delta only)");
		return pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL entry");
	}
	if (!en->remove_from_crl && en->reason != CRL_REASON_NONE && ca_crl_reason_name(en->reason) == NULL) {
		log_err("ca: crl: entry %.64s: reason %d is not a CRLReason", en->serial, en->reason);
		return pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL entry");
	}
	if (serial_set(w, en->serial) != 0) {
		log_err("ca: crl: entry serial \"%.64s\" is not positive hex", en->serial);
		return pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL entry");
	}
	if (code == CRL_REASON_NONE || code == CRL_REASON_UNSPECIFIED)
		code = TMPL_NONE;       /* §5.3.1: no reasonCode rather than unspecified */
	if ((en->invalidity_date != 0 ? entry_encode_slow(w, en) : entry_encode_fast(w, en, code)) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: entry");
		return pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
	}
	order_track(w, en->serial);
	w->n++;
	return PECHAT_OK;
}

/* ----------------------------------------------------------- sorting */

struct span {
	size_t off, len;
	ASN1_INTEGER *serial;
};

/* qsort order of spans: their serials as numbers. */
static int
span_cmp(const void *a, const void *b)
{
	return ASN1_INTEGER_cmp(((const struct span *)a)->serial, ((const struct span *)b)->serial);
}

/* Splits the entries into spans with their serials (decoded by OpenSSL); 0 or -1. */
static int
spans_read(struct ca_crl_writer *w, struct span *s)
{
	const unsigned char *p = w->buf + w->prefix, *q;
	X509_REVOKED *rev;
	size_t i;

	for (i = 0; i < w->n; i++) {
		q = p;
		if ((rev = d2i_X509_REVOKED(NULL, &q, (long)(w->buf + w->len - p))) == NULL)
			return -1;
		s[i].off = (size_t)(p - w->buf);
		s[i].len = (size_t)(q - p);
		s[i].serial = ASN1_INTEGER_dup(X509_REVOKED_get0_serialNumber(rev));
		X509_REVOKED_free(rev);
		if (s[i].serial == NULL)
			return -1;
		p = q;
	}
	return 0;
}

/*
 * Entries that did not come in ascending order: sorted by serial (RFC 5280
 * readers may binary-search; the output is deterministic), duplicates found
 * among neighbours. 0 or -1.
 */
static int
entries_sort(struct ca_crl_writer *w)
{
	struct span *s = calloc(w->n, sizeof(*s));
	unsigned char *out = NULL;
	size_t i, at;
	int rc = -1;

	if (s == NULL || spans_read(w, s) != 0 || (out = OPENSSL_malloc(w->cap)) == NULL)
		goto out;
	qsort(s, w->n, sizeof(*s), span_cmp);
	memcpy(out, w->buf, w->prefix);
	for (i = 0, at = w->prefix; i < w->n; at += s[i].len, i++) {
		memcpy(out + at, w->buf + s[i].off, s[i].len);
		if (i > 0 && !w->duplicate && ASN1_INTEGER_cmp(s[i - 1].serial, s[i].serial) == 0) {
			w->duplicate = 1;
			if (ca_serial_hex(s[i].serial, w->dup_serial, sizeof(w->dup_serial)) != 0)
				pechat_strlcpy(w->dup_serial, "?", sizeof(w->dup_serial));
		}
	}
	OPENSSL_free(w->buf);
	w->buf = out;
	out = NULL;
	rc = 0;
out:
	for (i = 0; s != NULL && i < w->n; i++)
		ASN1_INTEGER_free(s[i].serial);
	free(s);
	OPENSSL_free(out);
	return rc;
}

/* ----------------------------------------------------------- assembly */

/*
 * Writes the TBSCertList's head so that it ends where the entries start
 * (w->prefix); *start is where the TBS begins. tail: the extension octets
 * written after the entries (the buffer's last). 0 or -1.
 */
static int
tbs_head(struct ca_crl_writer *w, size_t tail, size_t *start, size_t *tbs_len)
{
	unsigned char head[3 * SEQ_HDR_MAX + 1024], *p = head, *q, *big = NULL;
	size_t entries = w->len - w->prefix - tail, content, hlen;
	int rc = -1, h;

	if ((h = head_parts(w->hdr, NULL)) <= 0 || entries > 0x7fffffff)
		return -1;
	content = (size_t)h + (w->n > 0 ? (size_t)ASN1_object_size(1, (int)entries, V_ASN1_SEQUENCE) : 0) + tail;
	if (content > 0x7ffffff0)
		return -1;
	hlen = (size_t)ASN1_object_size(1, (int)content, V_ASN1_SEQUENCE) - content + (size_t)h +
	    (w->n > 0 ? (size_t)ASN1_object_size(1, (int)entries, V_ASN1_SEQUENCE) - entries : 0);
	if (hlen > w->prefix)
		return -1;
	if (hlen > sizeof(head) && (p = big = malloc(hlen)) == NULL)
		return -1;
	q = p;
	ASN1_put_object(&q, 1, (int)content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if (head_parts(w->hdr, &q) != h)
		goto out;
	if (w->n > 0)
		ASN1_put_object(&q, 1, (int)entries, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if ((size_t)(q - p) != hlen)
		goto out;
	*start = w->prefix - hlen;
	memcpy(w->buf + *start, p, hlen);
	*tbs_len = hlen + entries + tail;
	rc = 0;
out:
	free(big);
	return rc;
}

/*
 * After the TBS at [start, start + tbs_len): the signature
 * AlgorithmIdentifier and the BIT STRING of sig, then the outer SEQUENCE
 * header before the TBS; the CRL moved to the buffer's start. 0 or -1.
 */
static int
outer_wrap(struct ca_crl_writer *w, size_t start, size_t tbs_len, const unsigned char *sig, size_t siglen,
    size_t *der_len)
{
	const X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
	unsigned char *p;
	size_t content, hlen;
	int a, b, rc = -1;

	X509_CRL_get0_signature(w->hdr, NULL, &alg);
	if (bs == NULL || alg == NULL || ASN1_BIT_STRING_set(bs, (unsigned char *)sig, (int)siglen) != 1)
		goto out;
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;        /* no unused bits */
	if ((a = i2d_X509_ALGOR(alg, NULL)) <= 0 || (b = i2d_ASN1_BIT_STRING(bs, NULL)) <= 0 ||
	    reserve(w, (size_t)a + (size_t)b) != 0)
		goto out;
	p = w->buf + w->len;
	if (i2d_X509_ALGOR(alg, &p) != a || i2d_ASN1_BIT_STRING(bs, &p) != b)
		goto out;
	w->len += (size_t)a + (size_t)b;
	content = tbs_len + (size_t)a + (size_t)b;
	if (content > 0x7ffffff0)
		goto out;
	hlen = (size_t)ASN1_object_size(1, (int)content, V_ASN1_SEQUENCE) - content;
	if (hlen > start)
		goto out;
	p = w->buf + start - hlen;
	ASN1_put_object(&p, 1, (int)content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memmove(w->buf, w->buf + start - hlen, hlen + content);
	*der_len = hlen + content;
	rc = 0;
out:
	ASN1_BIT_STRING_free(bs);
	return rc;
}

/* See ca_int.h. */
enum pechat_err
ca_crl_writer_finish(struct ca_crl_writer *w, unsigned char **der, size_t *len, struct pechat_error *e)
{
	unsigned char sig[HSM_SIG_MAX], *p;
	size_t siglen = sizeof(sig), start = 0, tbs_len = 0;
	int tail;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	if (w->unsorted && entries_sort(w) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: sorting entries");
		return pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
	}
	if (w->duplicate) {
		log_err("ca: lint: CRL: error e_crl_serials_unique (RFC 5280 §5.1.2.6): serial %s is listed twice",
		    w->dup_serial);
		log_err("ca: crl: CRL %lld NOT signed, NOT published (the previous one is still served): "
		    "lint errors e_crl_serials_unique", (long long)w->number);
		return pechat_fail(e, PECHAT_E_INTERNAL, "lint_failed", "the CRL breaks lint rules: %s",
		    "e_crl_serials_unique");
	}
	if ((tail = ext_part(w->hdr, NULL)) < 0 || reserve(w, (size_t)tail) != 0)
		goto fail;
	p = w->buf + w->len;
	if (ext_part(w->hdr, &p) != tail)
		goto fail;
	w->len += (size_t)tail;
	if (tbs_head(w, (size_t)tail, &start, &tbs_len) != 0)
		goto fail;
	if ((rc = hsm_sign_data(w->key, w->buf + start, tbs_len, sig, &siglen, e)) != PECHAT_OK)
		return rc;
	if (outer_wrap(w, start, tbs_len, sig, siglen, len) != 0)
		goto fail;
	*der = w->buf;
	w->buf = NULL;
	w->len = w->cap = 0;
	return PECHAT_OK;
fail:
	*len = 0;
	pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: assembly");
	return pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
}
