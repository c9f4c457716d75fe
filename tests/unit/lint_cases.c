/*
 * tests/unit/lint_cases.c — the linter's test cases (test_ca_lint_rules):
 * keys and CA certificates, a good qualified certificate and a good CRL
 * built with OpenSSL's API, and one mutation per rule of ca/lint.c's table
 * that breaks exactly what the rule checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ca_fixture.h"
#include "lint_cases.h"

char lc_tmpdir[128];
EVP_PKEY *lc_ca_key, *lc_other_key, *lc_leaf_key, *lc_ec_key, *lc_crl_ca_key;
X509 *lc_ca_cert, *lc_other_cert, *lc_crl_ca_cert;
time_t lc_now;
struct pechat_profile_conf lc_prof;

/* ------------------------------------------------------------ builders */

EVP_PKEY *
lc_gost_key(const char *paramset)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_256, NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_ctrl_str(ctx, "paramset", paramset) > 0);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void
add_ext_der(X509 *x, const char *oid, int crit, const unsigned char *der, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_non_null(o);
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, len), 1);
	assert_non_null(ext = X509_EXTENSION_create_by_OBJ(NULL, o, crit, os));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

/* Removes every extension of nid (or dotted oid). */
static void
del_ext(X509 *x, int nid, const char *oid)
{
	ASN1_OBJECT *o = oid != NULL ? OBJ_txt2obj(oid, 1) : OBJ_nid2obj(nid);
	int i;

	while ((i = X509_get_ext_by_OBJ(x, o, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	if (oid != NULL)
		ASN1_OBJECT_free(o);
}

void
lc_add_ku(X509 *x, unsigned bits, int crit)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int n;

	for (n = 0; n < 8; n++)
		if (bits & (0x80u >> n))
			ASN1_BIT_STRING_set_bit(ku, n, 1);
	assert_int_equal(X509_add1_ext_i2d(x, NID_key_usage, ku, crit, X509V3_ADD_APPEND), 1);
	ASN1_BIT_STRING_free(ku);
}

void
lc_add_bc(X509 *x, int ca, int crit)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

	bc->ca = ca ? 0xff : 0;
	assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, crit, X509V3_ADD_APPEND), 1);
	BASIC_CONSTRAINTS_free(bc);
}

static void
add_policies(X509 *x, const char *a, const char *b)
{
	CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
	const char *oids[2] = { a, b };
	int i;

	for (i = 0; i < 2; i++) {
		POLICYINFO *pi;

		if (oids[i] == NULL)
			continue;
		pi = POLICYINFO_new();
		ASN1_OBJECT_free(pi->policyid);
		pi->policyid = OBJ_txt2obj(oids[i], 1);
		sk_POLICYINFO_push(cp, pi);
	}
	assert_int_equal(X509_add1_ext_i2d(x, NID_certificate_policies, cp, 0, X509V3_ADD_APPEND), 1);
	sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
}

static void
set_sigalg(X509 *x, int nid, int ptype)
{
	const X509_ALGOR *outer = NULL;

	X509_get0_signature(NULL, &outer, x);
	assert_int_equal(X509_ALGOR_set0((X509_ALGOR *)X509_get0_tbs_sigalg(x), OBJ_nid2obj(nid), ptype, NULL), 1);
	assert_int_equal(X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(nid), ptype, NULL), 1);
}

void
lc_add_ski(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();

	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &len), 1);
	ASN1_OCTET_STRING_set(ski, md, (int)len);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_APPEND), 1);
	ASN1_OCTET_STRING_free(ski);
}

static void
add_aki(X509 *x, X509 *issuer)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

	akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(issuer));
	assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_APPEND), 1);
	AUTHORITY_KEYID_free(akid);
}

void
lc_set_serial_hex(X509 *x, const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;

	assert_true(BN_hex2bn(&bn, hex) > 0);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
}

void
lc_set_validity(X509 *x, time_t nb, time_t na)
{
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, nb), *t2 = ASN1_TIME_set(NULL, na);

	X509_set1_notBefore(x, t1);
	X509_set1_notAfter(x, t2);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
}

/* A self-signed GOST CA (really signed: its SKI is what leaves name in AKI). */
X509 *
lc_ca_make(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_NID(n, NID_countryName, V_ASN1_PRINTABLESTRING, (const unsigned char *)"RU", -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	lc_set_serial_hex(x, "01");
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	lc_set_validity(x, lc_now - 86400, lc_now + 86400 * 365);
	X509_set_pubkey(x, key);
	lc_add_bc(x, 1, 1);
	lc_add_ku(x, PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN, 1);
	lc_add_ski(x);
	assert_true(X509_sign(x, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? EVP_sha256() :
	    EVP_get_digestbyname("md_gost12_256")) > 0);
	X509_NAME_free(n);
	return x;
}

/* The individual's subject; drop: an attribute left out; nid/type/val: one replaced or added. */
static X509_NAME *
qual_name(int drop, int nid, int type, const char *val)
{
	static const struct { int nid, type; const char *v; } std[] = {
		{ NID_commonName, V_ASN1_UTF8STRING, "Иванов Иван Иванович" },
		{ NID_surname, V_ASN1_UTF8STRING, "Иванов" },
		{ NID_givenName, V_ASN1_UTF8STRING, "Иван Иванович" },
		{ NID_SNILS, V_ASN1_NUMERICSTRING, "11223344595" },
		{ NID_INN, V_ASN1_NUMERICSTRING, "500100732259" },
		{ NID_countryName, V_ASN1_PRINTABLESTRING, "RU" },
		{ NID_pkcs9_emailAddress, V_ASN1_IA5STRING, "ivanov@example.ru" },
	};
	X509_NAME *n = X509_NAME_new();
	size_t i;
	int replaced = 0;

	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		int t = std[i].type;
		const char *v = std[i].v;

		if (std[i].nid == drop)
			continue;
		if (std[i].nid == nid) {
			t = type;
			v = val;
			replaced = 1;
		}
		assert_int_equal(X509_NAME_add_entry_by_NID(n, std[i].nid, t, (const unsigned char *)v, -1, -1, 0), 1);
	}
	if (nid != NID_undef && !replaced)
		assert_int_equal(X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)val, -1, -1, 0), 1);
	return n;
}

static const unsigned char sst_der[] = { 0x0c, 0x08, 'C', 'r', 'y', 'p', 't', 'o', 'P', 'r' };
/* SEQUENCE { UTF8 "a", UTF8 "b", UTF8 "c", UTF8 "d" } */
static const unsigned char ist_der[] = { 0x30, 0x0c, 0x0c, 0x01, 'a', 0x0c, 0x01, 'b', 0x0c, 0x01, 'c', 0x0c, 0x01, 'd' };
static const unsigned char ik_der[] = { 0x02, 0x01, 0x00 };

/* A good qualified individual's certificate from lc_ca_cert (GOST 2012-256, parameters absent). */
X509 *
lc_qual_cert(void)
{
	X509 *x = X509_new();
	X509_NAME *n = qual_name(NID_undef, NID_undef, 0, NULL);

	X509_set_version(x, X509_VERSION_3);
	lc_set_serial_hex(x, "5A0102030405060708090A0B0C0D0E0F");
	X509_set_issuer_name(x, X509_get_subject_name(lc_ca_cert));
	X509_set_subject_name(x, n);
	lc_set_validity(x, lc_now, lc_now + 86400 * 30);
	X509_set_pubkey(x, lc_leaf_key);
	lc_add_bc(x, 0, 1);
	lc_add_ku(x, PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION, 1);
	lc_add_ski(x);
	add_aki(x, lc_ca_cert);
	add_policies(x, "1.2.643.100.113.1", NULL);
	add_ext_der(x, "1.2.643.100.111", 0, sst_der, sizeof(sst_der));
	add_ext_der(x, "1.2.643.100.112", 0, ist_der, sizeof(ist_der));
	add_ext_der(x, "1.2.643.100.114", 0, ik_der, sizeof(ik_der));
	set_sigalg(x, NID_id_tc26_signwithdigest_gost3410_2012_256, V_ASN1_UNDEF);
	X509_NAME_free(n);
	return x;
}

/* ------------------------------------------------ certificate mutations */


static void
subject_set(X509 *x, X509_NAME *n)
{
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
}

static void m_version(X509 **x, struct lc_ctxs *c) { (void)c; X509_set_version(*x, X509_VERSION_1); }
static void m_serial_neg(X509 **x, struct lc_ctxs *c) { ASN1_INTEGER *ai = ASN1_INTEGER_new(); (void)c; ASN1_INTEGER_set(ai, -7); X509_set_serialNumber(*x, ai); ASN1_INTEGER_free(ai); }
static void m_serial_long(X509 **x, struct lc_ctxs *c) { (void)c; lc_set_serial_hex(*x, "7F0102030405060708090A0B0C0D0E0F1011121314"); }
static void m_validity_order(X509 **x, struct lc_ctxs *c) { (void)c; lc_set_validity(*x, lc_now, lc_now); }
static void m_validity_issuer(X509 **x, struct lc_ctxs *c) { (void)c; lc_set_validity(*x, lc_now, lc_now + 86400 * 400); }
static void m_subject_empty(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, X509_NAME_new()); }
static void m_issuer_empty(X509 **x, struct lc_ctxs *c) { X509_NAME *n = X509_NAME_new(); (void)c; X509_set_issuer_name(*x, n); X509_NAME_free(n); }

/* The subjectPublicKey's point bytes overwritten (no longer on the curve), through DER. */
static void
m_pubkey(X509 **x, struct lc_ctxs *c)
{
	unsigned char *der = NULL, *spki = NULL, *at;
	const unsigned char *p;
	int len, slen;

	(void)c;
	X509_set_pubkey(*x, lc_ec_key);
	assert_true((len = i2d_X509(*x, &der)) > 0);
	assert_true((slen = i2d_PUBKEY(lc_ec_key, &spki)) > 0);
	assert_non_null(at = memmem(der, (size_t)len, spki, (size_t)slen));
	memset(at + slen - 32, 0x01, 32);       /* the point's y */
	X509_free(*x);
	p = der;
	assert_non_null(*x = d2i_X509(NULL, &p, len));
	OPENSSL_free(der);
	OPENSSL_free(spki);
}

static void m_sigalg_match(X509 **x, struct lc_ctxs *c)
{
	const X509_ALGOR *outer = NULL;

	(void)c;
	X509_get0_signature(NULL, &outer, *x);
	X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_id_tc26_signwithdigest_gost3410_2012_512), V_ASN1_UNDEF, NULL);
}

static void m_ext_decode(X509 **x, struct lc_ctxs *c) { static const unsigned char d[] = { 0x05, 0x00 }; (void)c; add_ext_der(*x, "2.5.29.17", 0, d, 2); }
static void m_ext_dup(X509 **x, struct lc_ctxs *c) { (void)c; lc_add_ski(*x); }
static void m_ext_critical(X509 **x, struct lc_ctxs *c) { static const unsigned char d[] = { 0x05, 0x00 }; (void)c; add_ext_der(*x, "1.2.3.4", 1, d, 2); }
static void m_bc_missing(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_basic_constraints, NULL); }
static void m_bc_ca_noncrit(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_basic_constraints, NULL); lc_add_bc(*x, 1, 0); }
static void m_ku_missing(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_key_usage, NULL); }
static void m_ku_noncrit(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_key_usage, NULL); lc_add_ku(*x, PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION, 0); }
static void m_ku_certsign(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_key_usage, NULL); lc_add_ku(*x, PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION | PECHAT_KU_KEY_CERT_SIGN, 1); }
static void m_ca_no_certsign(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_basic_constraints, NULL); lc_add_bc(*x, 1, 1); }
static void m_ski_missing(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_subject_key_identifier, NULL); }
static void m_ca_ski_missing(X509 **x, struct lc_ctxs *c) { m_ca_no_certsign(x, c); del_ext(*x, NID_subject_key_identifier, NULL); }
static void m_aki_missing(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_authority_key_identifier, NULL); }
static void m_aki_other(X509 **x, struct lc_ctxs *c) { (void)x; c->ctx.issuer = lc_other_cert; }
static void m_issuer_name(X509 **x, struct lc_ctxs *c) { X509_NAME *n = X509_NAME_new(); (void)c; X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Other", -1, -1, 0); X509_set_issuer_name(*x, n); X509_NAME_free(n); }
static void m_profile_ext(X509 **x, struct lc_ctxs *c)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();

	(void)c;
	sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
	X509_add1_ext_i2d(*x, NID_ext_key_usage, eku, 0, X509V3_ADD_APPEND);
	sk_ASN1_OBJECT_free(eku);
}
static void m_profile_policy(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_certificate_policies, NULL); add_policies(*x, "1.2.643.100.113.1", "1.2.3.4"); }
static void m_profile_ku(X509 **x, struct lc_ctxs *c) { (void)x; c->prof.key_usage |= PECHAT_KU_KEY_ENCIPHERMENT; }
static void m_gost_params(X509 **x, struct lc_ctxs *c) { (void)c; set_sigalg(*x, NID_id_tc26_signwithdigest_gost3410_2012_256, V_ASN1_NULL); }
static void m_gost_digest(X509 **x, struct lc_ctxs *c) { (void)c; set_sigalg(*x, NID_id_tc26_signwithdigest_gost3410_2012_512, V_ASN1_UNDEF); }
static void m_q_country(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_countryName, V_ASN1_UTF8STRING, "RU")); }
static void m_q_utf8(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_surname, V_ASN1_PRINTABLESTRING, "Ivanov")); }
static void m_q_email(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_pkcs9_emailAddress, V_ASN1_UTF8STRING, "a@b.ru")); }
static void m_q_ogrn_num(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_OGRN, V_ASN1_UTF8STRING, "1027700132195")); }
static void m_q_snils_num(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_SNILS, V_ASN1_UTF8STRING, "11223344595")); }
static void m_q_innle_num(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, ca_nid_innle(), V_ASN1_NUMERICSTRING, "770708389")); }
static void m_q_ogrnip_num(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_OGRNIP, V_ASN1_NUMERICSTRING, "30450011600015")); }
static void m_q_inn_num(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_INN, V_ASN1_NUMERICSTRING, "50010073225")); }
static void m_q_ogrn_chk(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_OGRN, V_ASN1_NUMERICSTRING, "1027700132196")); }
static void m_q_snils_chk(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_SNILS, V_ASN1_NUMERICSTRING, "11223344596")); }
static void m_q_innle_chk(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, ca_nid_innle(), V_ASN1_NUMERICSTRING, "7707083894")); }
static void m_q_ogrnip_chk(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_OGRNIP, V_ASN1_NUMERICSTRING, "304500116000158")); }
static void m_q_inn_chk(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_undef, NID_INN, V_ASN1_NUMERICSTRING, "500100732258")); }
static void m_q_individual(X509 **x, struct lc_ctxs *c) { (void)c; subject_set(*x, qual_name(NID_SNILS, NID_undef, 0, NULL)); }
static void m_q_sole(X509 **x, struct lc_ctxs *c) { (void)x; pechat_strlcpy(c->prof.subject_kind, "sole_proprietor", sizeof(c->prof.subject_kind)); }
static void m_q_legal(X509 **x, struct lc_ctxs *c) { (void)x; pechat_strlcpy(c->prof.subject_kind, "legal_entity", sizeof(c->prof.subject_kind)); }
static void m_q_sst(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, 0, "1.2.643.100.111"); }
static void m_q_ist(X509 **x, struct lc_ctxs *c) { static const unsigned char d[] = { 0x30, 0x09, 0x0c, 0x01, 'a', 0x0c, 0x01, 'b', 0x0c, 0x01, 'c' }; (void)c; del_ext(*x, 0, "1.2.643.100.112"); add_ext_der(*x, "1.2.643.100.112", 0, d, sizeof(d)); }
static void m_q_ik(X509 **x, struct lc_ctxs *c) { static const unsigned char d[] = { 0x02, 0x01, 0x04 }; (void)c; del_ext(*x, 0, "1.2.643.100.114"); add_ext_der(*x, "1.2.643.100.114", 0, d, sizeof(d)); }
static void m_q_policies(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_certificate_policies, NULL); }
static void m_q_ku(X509 **x, struct lc_ctxs *c) { (void)c; del_ext(*x, NID_key_usage, NULL); lc_add_ku(*x, PECHAT_KU_DIGITAL_SIGNATURE, 1); c->prof.key_usage = PECHAT_KU_DIGITAL_SIGNATURE; }
static void m_q_gost(X509 **x, struct lc_ctxs *c) { (void)c; X509_set_pubkey(*x, lc_ec_key); }

/* --------------------------------------------------------------- CRLs */


/* A good full CRL of lc_crl_ca_cert (EC P-256, really signed), number 10, two entries. */
X509_CRL *
lc_good_crl(const struct lc_crl_opts *o)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, lc_now), *t2 = ASN1_TIME_set(NULL, lc_now + 86400);
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	X509_REVOKED *rev;
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	int i;

	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(lc_crl_ca_cert));
	X509_CRL_set1_lastUpdate(crl, t1);
	if (o == NULL || !o->no_next)
		X509_CRL_set1_nextUpdate(crl, t2);
	for (i = 1; i <= 2; i++) {
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, i);
		rev = X509_REVOKED_new();
		X509_REVOKED_set_serialNumber(rev, s);
		X509_REVOKED_set_revocationDate(rev, t1);
		if (i == 1) {
			ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE);
			X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, X509V3_ADD_DEFAULT);
		}
		X509_CRL_add0_revoked(crl, rev);
		ASN1_INTEGER_free(s);
	}
	akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(lc_crl_ca_cert));
	X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT);
	ASN1_INTEGER_set(num, 10);
	X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT);
	idp->onlyuser = 0;
	X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, X509V3_ADD_DEFAULT);
	assert_true(X509_CRL_sign(crl, lc_crl_ca_key, EVP_sha256()) > 0);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	ISSUING_DIST_POINT_free(idp);
	ASN1_ENUMERATED_free(reason);
	return crl;
}


static void
crl_del(X509_CRL *crl, int nid)
{
	int i;

	while ((i = X509_CRL_get_ext_by_NID(crl, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_CRL_delete_ext(crl, i));
}

static void
crl_add_int(X509_CRL *crl, int nid, long v, int crit)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();

	ASN1_INTEGER_set(ai, v);
	assert_int_equal(X509_CRL_add1_ext_i2d(crl, nid, ai, crit, X509V3_ADD_APPEND), 1);
	ASN1_INTEGER_free(ai);
}

/* An extra entry with serial s and reason r (-1: none). */
static void
crl_entry(X509_CRL *crl, long s, int r)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, lc_now);
	ASN1_ENUMERATED *en = ASN1_ENUMERATED_new();

	ASN1_INTEGER_set(ai, s);
	X509_REVOKED_set_serialNumber(rev, ai);
	X509_REVOKED_set_revocationDate(rev, t);
	if (r >= 0) {
		ASN1_ENUMERATED_set(en, r);
		X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, en, 0, X509V3_ADD_DEFAULT);
	}
	X509_CRL_add0_revoked(crl, rev);
	ASN1_INTEGER_free(ai);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(en);
}

static void c_version(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; X509_CRL_set_version(*c, 0); }
static void c_number(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_del(*c, NID_crl_number); }
static void c_increasing(X509_CRL **c, struct ca_lint_ctx *x) { (void)c; x->prev_number = 10; }
static void c_no_next(X509_CRL **c, struct ca_lint_ctx *x) { struct lc_crl_opts o = { 1 }; (void)x; X509_CRL_free(*c); *c = lc_good_crl(&o); }
static void c_next_order(X509_CRL **c, struct ca_lint_ctx *x) { ASN1_TIME *t = ASN1_TIME_set(NULL, lc_now - 60); (void)x; X509_CRL_set1_nextUpdate(*c, t); ASN1_TIME_free(t); }
static void c_aki(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_del(*c, NID_authority_key_identifier); }
static void c_aki_other(X509_CRL **c, struct ca_lint_ctx *x) { (void)c; x->issuer = lc_other_cert; }
static void c_issuer(X509_CRL **c, struct ca_lint_ctx *x) { X509_NAME *n = X509_NAME_new(); (void)x; X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Other", -1, -1, 0); X509_CRL_set_issuer_name(*c, n); X509_NAME_free(n); }
static void c_sigalg(X509_CRL **c, struct ca_lint_ctx *x)
{
	const X509_ALGOR *outer = NULL;

	(void)x;
	X509_CRL_get0_signature(*c, NULL, &outer);
	X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_ecdsa_with_SHA384), V_ASN1_UNDEF, NULL);
}
static void c_dup(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_add_int(*c, NID_crl_number, 11, 0); }
static void c_unspecified(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_entry(*c, 3, 0); }
static void c_reason7(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_entry(*c, 3, 7); }
static void c_remove(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_entry(*c, 3, CRL_REASON_REMOVE_FROM_CRL); }
static void c_serial_dup(X509_CRL **c, struct ca_lint_ctx *x) { (void)x; crl_entry(*c, 2, -1); }
static void c_delta_noncrit(X509_CRL **c, struct ca_lint_ctx *x) { x->crl_kind = 0; crl_add_int(*c, NID_delta_crl, 5, 0); }
static void c_delta_base(X509_CRL **c, struct ca_lint_ctx *x) { x->crl_kind = CA_LINT_CRL_DELTA; crl_add_int(*c, NID_delta_crl, 10, 1); }
static void c_kind(X509_CRL **c, struct ca_lint_ctx *x) { (void)c; x->crl_kind = CA_LINT_CRL_DELTA; }
static void c_freshest(X509_CRL **c, struct ca_lint_ctx *x)
{
	CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();

	x->crl_kind = CA_LINT_CRL_DELTA;
	crl_add_int(*c, NID_delta_crl, 5, 1);
	sk_DIST_POINT_push(cdp, DIST_POINT_new());
	assert_int_equal(X509_CRL_add1_ext_i2d(*c, NID_freshest_crl, cdp, 0, X509V3_ADD_APPEND), 1);
	CRL_DIST_POINTS_free(cdp);
}
static void c_idp(X509_CRL **c, struct ca_lint_ctx *x)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

	(void)x;
	crl_del(*c, NID_issuing_distribution_point);
	X509_CRL_add1_ext_i2d(*c, NID_issuing_distribution_point, idp, 0, X509V3_ADD_DEFAULT);
	ISSUING_DIST_POINT_free(idp);
}

/* -------------------------------------------------------------- lc_cases */


const struct lc_rule_case lc_cases[] = {
	{ "e_cert_version_v3", m_version, NULL },
	{ "e_serial_positive", m_serial_neg, NULL },
	{ "e_serial_max_20_octets", m_serial_long, NULL },
	{ "e_validity_order", m_validity_order, NULL },
	{ "e_validity_inside_issuer", m_validity_issuer, NULL },
	{ "e_subject_not_empty", m_subject_empty, NULL },
	{ "e_issuer_not_empty", m_issuer_empty, NULL },
	{ "e_public_key_decodes", m_pubkey, NULL },
	{ "e_signature_alg_match", m_sigalg_match, NULL },
	{ "e_ext_decodes", m_ext_decode, NULL },
	{ "e_ext_duplicate", m_ext_dup, NULL },
	{ "e_ext_unknown_critical", m_ext_critical, NULL },
	{ "w_basic_constraints_missing", m_bc_missing, NULL },
	{ "e_basic_constraints_critical_ca", m_bc_ca_noncrit, NULL },
	{ "e_key_usage_present", m_ku_missing, NULL },
	{ "w_key_usage_not_critical", m_ku_noncrit, NULL },
	{ "e_key_cert_sign_needs_ca", m_ku_certsign, NULL },
	{ "e_ca_needs_key_cert_sign", m_ca_no_certsign, NULL },
	{ "w_ski_missing", m_ski_missing, NULL },
	{ "e_ski_present_ca", m_ca_ski_missing, NULL },
	{ "e_aki_present", m_aki_missing, NULL },
	{ "e_aki_matches_issuer", m_aki_other, NULL },
	{ "e_issuer_name_matches", m_issuer_name, NULL },
	{ "e_profile_ext_allowed", m_profile_ext, NULL },
	{ "e_profile_policy_allowed", m_profile_policy, NULL },
	{ "e_profile_key_usage", m_profile_ku, NULL },
	{ "e_gost_sigalg_params_absent", m_gost_params, NULL },
	{ "e_gost_digest_matches_key", m_gost_digest, NULL },
	{ "e_qual_country_ru", m_q_country, NULL },
	{ "e_qual_text_utf8", m_q_utf8, NULL },
	{ "e_qual_email_ia5", m_q_email, NULL },
	{ "e_qual_ogrn_numeric", m_q_ogrn_num, NULL },
	{ "e_qual_snils_numeric", m_q_snils_num, NULL },
	{ "e_qual_innle_numeric", m_q_innle_num, NULL },
	{ "e_qual_ogrnip_numeric", m_q_ogrnip_num, NULL },
	{ "e_qual_inn_numeric", m_q_inn_num, NULL },
	{ "e_qual_ogrn_check", m_q_ogrn_chk, NULL },
	{ "e_qual_snils_check", m_q_snils_chk, NULL },
	{ "e_qual_innle_check", m_q_innle_chk, NULL },
	{ "e_qual_ogrnip_check", m_q_ogrnip_chk, NULL },
	{ "e_qual_inn_check", m_q_inn_chk, NULL },
	{ "e_qual_subject_individual", m_q_individual, NULL },
	{ "e_qual_subject_sole_proprietor", m_q_sole, NULL },
	{ "e_qual_subject_legal_entity", m_q_legal, NULL },
	{ "e_qual_subject_sign_tool", m_q_sst, NULL },
	{ "e_qual_issuer_sign_tool", m_q_ist, NULL },
	{ "e_qual_identification_kind", m_q_ik, NULL },
	{ "e_qual_policies_tool_class", m_q_policies, NULL },
	{ "e_qual_key_usage", m_q_ku, NULL },
	{ "w_qual_not_gost", m_q_gost, NULL },
	{ "e_crl_version_v2", NULL, c_version },
	{ "e_crl_number_present", NULL, c_number },
	{ "e_crl_number_increasing", NULL, c_increasing },
	{ "e_crl_next_update_present", NULL, c_no_next },
	{ "e_crl_next_after_this", NULL, c_next_order },
	{ "e_crl_aki_present", NULL, c_aki },
	{ "e_crl_aki_matches_issuer", NULL, c_aki_other },
	{ "e_crl_issuer_name_matches", NULL, c_issuer },
	{ "e_crl_signature_alg_match", NULL, c_sigalg },
	{ "e_crl_ext_duplicate", NULL, c_dup },
	{ "e_crl_reason_not_unspecified", NULL, c_unspecified },
	{ "e_crl_reason_valid", NULL, c_reason7 },
	{ "e_crl_remove_from_crl_delta_only", NULL, c_remove },
	{ "e_crl_serials_unique", NULL, c_serial_dup },
	{ "e_crl_delta_indicator_critical", NULL, c_delta_noncrit },
	{ "e_crl_delta_base_below_number", NULL, c_delta_base },
	{ "e_crl_kind_matches", NULL, c_kind },
	{ "e_crl_delta_no_freshest", NULL, c_freshest },
	{ "e_crl_idp_critical", NULL, c_idp },
};

const size_t lc_n_cases = sizeof(lc_cases) / sizeof(lc_cases[0]);

void
lc_base_ctxs(struct lc_ctxs *c)
{
	memset(c, 0, sizeof(*c));
	c->prof = lc_prof;
	c->ctx.issuer = lc_ca_cert;
	c->ctx.profile = &c->prof;
}

void
lc_base_crl_ctx(struct ca_lint_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->issuer = lc_crl_ca_cert;
	ctx->crl_kind = CA_LINT_CRL_FULL;
	ctx->has_prev_number = 1;
	ctx->prev_number = 5;
}

/* See lint_cases.h. */
int
lc_setup(void)
{
	if (hsm_global_init() != 0 || ca_oids_init() != 0 || ca_fixture_tmpdir(lc_tmpdir, sizeof(lc_tmpdir), "lintr") != 0)
		return -1;
	lc_now = time(NULL);
	lc_ca_key = lc_gost_key("A");
	lc_other_key = lc_gost_key("A");
	lc_leaf_key = lc_gost_key("TCA");
	lc_ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	lc_crl_ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	lc_ca_cert = lc_ca_make(lc_ca_key, "Test CA");
	lc_other_cert = lc_ca_make(lc_other_key, "Test CA");
	lc_crl_ca_cert = lc_ca_make(lc_crl_ca_key, "CRL CA");
	memset(&lc_prof, 0, sizeof(lc_prof));
	pechat_strlcpy(lc_prof.name, "qualified-individual", sizeof(lc_prof.name));
	pechat_strlcpy(lc_prof.subject_kind, "individual", sizeof(lc_prof.subject_kind));
	lc_prof.qualified = 1;
	lc_prof.key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	return 0;
}

/* See lint_cases.h. */
int
lc_teardown(void)
{
	X509_free(lc_ca_cert);
	X509_free(lc_other_cert);
	X509_free(lc_crl_ca_cert);
	EVP_PKEY_free(lc_ca_key);
	EVP_PKEY_free(lc_other_key);
	EVP_PKEY_free(lc_leaf_key);
	EVP_PKEY_free(lc_ec_key);
	EVP_PKEY_free(lc_crl_ca_key);
	return ca_fixture_rmtree(lc_tmpdir);
}
