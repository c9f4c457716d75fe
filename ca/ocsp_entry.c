/*
 * ca/ocsp_entry.c — one answer of the in-memory OCSP table in its compact
 * form (struct ocsp_entry, publish_int.h): the answer's own octets in one
 * allocation with the fields, its lookup key the CertID it echoes, its
 * serial read from that key, its digest an index, the responder
 * certificate it ends with one shared reference-counted tail. Also the
 * key's hash and a serial's place (slot), which ocsp_table.c files it by.
 * docs/PERFORMANCE.md ("Memory").
 */
#include "ca/publish_int.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* See publish_int.h. FNV-1a: the table only ever holds our own answers, so flooding it gains nothing. */
uint32_t
ocsp_key_hash(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* Where a serial's answers live: FNV-1a of its magnitude, leading zero octets skipped. */
static uint32_t
serial_slot(const unsigned char *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return ocsp_key_hash(p, n);
}

/*
 * The lookup key of a CertID: its exact DER (hash AlgorithmIdentifier with
 * its parameters, both hashes, the serial with its sign), so that an answer
 * is only ever served to requests naming the very CertID it echoes; *slot is
 * where the serial's answers live. -1 if it does not fit (slow path).
 */
int
certid_key(OCSP_CERTID *id, unsigned char key[OCSP_KEY_MAX], size_t *keylen, uint32_t *slot)
{
	ASN1_INTEGER *serial = NULL;
	unsigned char *p = key;
	int n = i2d_OCSP_CERTID(id, NULL);

	if (n <= 0 || n > OCSP_KEY_MAX || OCSP_id_get0_info(NULL, NULL, NULL, &serial, id) != 1 ||
	    serial == NULL || i2d_OCSP_CERTID(id, &p) != n) {
		ERR_clear_error();
		return -1;
	}
	*keylen = (size_t)n;
	*slot = serial_slot(ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial));
	return 0;
}

/* See publish_int.h. */
int
serial_canon(const char *serial, uint32_t *slot, char canon[65])
{
	unsigned char bin[64];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	size_t len = strlen(serial);
	int n = -1;

	if (len > 0 && len <= 2 * sizeof(bin) && (size_t)BN_hex2bn(&bn, serial) == len &&
	    BN_num_bytes(bn) <= (int)sizeof(bin) && (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
	    ca_serial_hex(ai, canon, 65) == 0)
		n = BN_bn2bin(bn, bin);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	if (n <= 0) {
		ERR_clear_error();
		return -1;
	}
	*slot = serial_slot(bin, (size_t)n);
	return 0;
}

/* See publish_int.h: the serial of the CertID the key is, in ca_serial_hex form. */
int
entry_serial(const struct ocsp_entry *en, char buf[65])
{
	const unsigned char *p = entry_key(en);
	OCSP_CERTID *id = d2i_OCSP_CERTID(NULL, &p, en->keylen);
	ASN1_INTEGER *serial = NULL;
	int rc = -1;

	if (id != NULL && OCSP_id_get0_info(NULL, NULL, NULL, &serial, id) == 1 &&
	    ca_serial_hex(serial, buf, 65) == 0)
		rc = 0;
	else
		ERR_clear_error();
	OCSP_CERTID_free(id);
	return rc;
}

/* See publish_int.h: [0] EXPLICIT SEQUENCE OF Certificate, headers by ASN1_put_object. */
struct ocsp_tail *
tail_new(X509 *cert)
{
	struct ocsp_tail *t;
	unsigned char *p;
	int clen = i2d_X509(cert, NULL), slen, tlen;

	if (clen <= 0 || (slen = ASN1_object_size(1, clen, V_ASN1_SEQUENCE)) <= 0 ||
	    (tlen = ASN1_object_size(1, slen, 0)) <= 0 || (t = malloc(sizeof(*t) + (size_t)tlen)) == NULL)
		return NULL;
	p = t->der;
	ASN1_put_object(&p, 1, slen, 0, V_ASN1_CONTEXT_SPECIFIC);
	ASN1_put_object(&p, 1, clen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	if (i2d_X509(cert, &p) != clen) {
		free(t);
		return NULL;
	}
	t->len = (size_t)tlen;
	atomic_init(&t->refs, 1);
	return t;
}

void
tail_unref(struct ocsp_tail *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1)
		free(t);
}

void
entry_free(struct ocsp_entry *en)
{
	if (en == NULL)
		return;
	tail_unref(en->tail);
	free(en);
}

size_t
entry_bytes(const struct ocsp_entry *en)
{
	size_t own = en->len - (en->tail != NULL ? en->tail->len : 0);

	return offsetof(struct ocsp_entry, data) + own + (en->key_off >= own ? en->keylen : 0);
}

/*
 * The issuer's current tail (a new reference) when der ends with it, else
 * NULL: the answer is kept whole (signed by an older responder, or without
 * certs). The comparison is what makes the bytes served those signed.
 */
static struct ocsp_tail *
tail_of(struct ca_publisher *pub, int issuer_idx, const unsigned char *der, size_t len)
{
	struct pub_issuer *pi = &pub->issuers[issuer_idx];
	struct ocsp_tail *t;

	pthread_rwlock_rdlock(&pi->resp_lock);
	t = pi->tail;
	if (t != NULL && len > t->len && memcmp(der + len - t->len, t->der, t->len) == 0)
		atomic_fetch_add(&t->refs, 1);
	else
		t = NULL;
	pthread_rwlock_unlock(&pi->resp_lock);
	return t;
}

/*
 * The digest names a CertID may carry: an entry holds the index of its one
 * (md_idx) instead of a copy or a pointer.
 */
static const char *const md_names[] = { "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA512-224",
	"SHA512-256", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512", SN_id_GostR3411_2012_256,
	SN_id_GostR3411_2012_512 };

/* md's index in md_names, or -1 for another name: such an answer is served but not kept in memory. */
static int
md_index(const char *md)
{
	size_t i;

	for (i = 0; md != NULL && i < sizeof(md_names) / sizeof(md_names[0]); i++)
		if (strcmp(md_names[i], md) == 0)
			return (int)i;
	return -1;
}

/* See publish_int.h. */
const char *
entry_md(const struct ocsp_entry *en)
{
	return md_names[en->md_idx];
}

/* See publish_int.h. */
struct ocsp_entry *
entry_new(struct ca_publisher *pub, int issuer_idx, OCSP_CERTID *id, const char *md, const unsigned char *der,
    size_t len, time_t this_update, time_t next_update, const struct status_meta *meta)
{
	unsigned char key[OCSP_KEY_MAX];
	struct ocsp_entry *en;
	struct ocsp_tail *tail;
	size_t keylen, own, keyextra;
	uint32_t slot;
	const unsigned char *in;
	int md_idx = md_index(md);

	if (md_idx < 0 || len > UINT32_MAX || certid_key(id, key, &keylen, &slot) != 0)
		return NULL;
	tail = tail_of(pub, issuer_idx, der, len);
	own = len - (tail != NULL ? tail->len : 0);
	/* the answer echoes the CertID (RFC 6960 §4.2.1): the key is those octets, not a copy */
	in = memmem(der, own, key, keylen);
	keyextra = in == NULL ? keylen : 0;
	if (own + keyextra > UINT16_MAX ||
	    (en = calloc(1, offsetof(struct ocsp_entry, data) + own + keyextra)) == NULL) {
		tail_unref(tail);
		return NULL;
	}
	en->tail = tail;
	en->key_off = (uint16_t)(in != NULL ? (size_t)(in - der) : own);
	en->keylen = (uint16_t)keylen;
	en->slot = slot;
	memcpy(en->data, der, own);
	if (in == NULL)
		memcpy(en->data + own, key, keylen);
	en->issuer_idx = issuer_idx;
	en->kept_slot = -1;
	en->md_idx = (unsigned char)md_idx;
	en->this_update = this_update;
	en->next_update = next_update;
	if (meta != NULL) {
		en->event_id = meta->event_id;
		en->cert_not_after = meta->not_after;
	}
	en->fingerprint = ca_der_fingerprint(der, len);
	en->len = (uint32_t)len;
	return en;
}
