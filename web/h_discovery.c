/*
 * web/h_discovery.c — GET /api/v1/profiles and GET /api/v1/issuers: what a
 * client may ask for (profiles: issuer, keys, subject fields, validity,
 * approval) and where relying parties find each CA (URLs, validity,
 * readiness). Read-only views of the config and the loaded issuers.
 */
#include "web/web_int.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>

/* JSON array of the key algorithm names in a pechat_keyalg mask (new reference). */
static json_t *
keyalgs_json(unsigned mask)
{
	json_t *a = json_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit != 0 && bit <= PECHAT_KEYALG_GOST2012_512; bit <<= 1)
		if ((mask & bit) && pechat_keyalg_name((enum pechat_keyalg)bit) != NULL)
			json_array_append_new(a, json_string(pechat_keyalg_name((enum pechat_keyalg)bit)));
	return a;
}

/* JSON array of the subject field names in a (1u << PSF_x) mask (new reference). */
static json_t *
fields_json(unsigned mask)
{
	json_t *a = json_array();
	int f;

	for (f = 0; a != NULL && f < PSF_COUNT; f++)
		if (mask & (1u << f))
			json_array_append_new(a, json_string(pechat_subject_field_name((enum pechat_subject_field)f)));
	return a;
}

/* JSON array of n strings of a fixed-width table (new reference). */
static json_t *
strings_json(const char (*v)[64], int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* One profile as API.md describes it (new reference) or NULL. */
static json_t *
profile_json(const struct pechat_profile_conf *p)
{
	json_t *ku = json_array();
	unsigned bit;

	/* in the config table's order: digitalSignature (0x80) down to cRLSign (0x02) */
	for (bit = PECHAT_KU_DIGITAL_SIGNATURE; ku != NULL && bit >= PECHAT_KU_CRL_SIGN; bit >>= 1)
		if ((p->key_usage & bit) && pechat_key_usage_name((enum pechat_key_usage)bit) != NULL)
			json_array_append_new(ku, json_string(pechat_key_usage_name((enum pechat_key_usage)bit)));
	return json_pack("{s:s, s:s, s:o, s:i, s:{s:o, s:o}, s:i, s:b, s:s, s:i, s:o, s:o, s:o}",
	    "name", p->name, "issuer", p->issuer,
	    "key_algorithms", keyalgs_json(p->key_algorithms),
	    "rsa_min_bits", p->rsa_min_bits > 2048 ? p->rsa_min_bits : 2048,
	    "subject", "required", fields_json(p->subject_required),
	    "allowed", fields_json(p->subject_allowed | p->subject_required),
	    "validity_days", p->validity_days, "auto_approve", p->auto_approve,
	    "approval", p->auto_approve ? "auto" : "officer", "approvals", p->approvals,
	    "key_usage", ku, "ext_key_usage", strings_json(p->ext_key_usage, p->n_ext_key_usage),
	    "policies", strings_json(p->policies, p->n_policies));
}

/*
 * A profile allowing GOST keys: o gets "gost_paramsets", the parameter sets
 * it accepts (its gost_paramsets, else every set of its GOST sizes). o may
 * be NULL; returns it.
 */
static json_t *
profile_gost_json(json_t *o, const struct pechat_profile_conf *p)
{
	unsigned sets = p->gost_paramsets != 0 ? p->gost_paramsets : pechat_gost_paramsets_of(p->key_algorithms);
	const struct pechat_gost_paramset_info *ps;
	json_t *a;
	unsigned bit;

	if (o == NULL || sets == 0 || (a = json_array()) == NULL)
		return o;
	for (bit = 1; bit != 0 && bit <= sets; bit <<= 1)
		if ((sets & bit) != 0 && (ps = pechat_gost_paramset_by_flag(bit)) != NULL)
			json_array_append_new(a, json_string(ps->name));
	json_object_set_new(o, "gost_paramsets", a);
	return o;
}

/*
 * Where a profile's subject comes from and whether it is qualified: o gets
 * "subject_source" ("inline" | "registry"), "subject_kind" (registry only),
 * "qualified" and, when the profile has one, "sign_tool" (the subjectSignTool
 * of requests that name none). o may be NULL; returns o (new reference) or NULL.
 */
static json_t *
profile_source_json(json_t *o, const struct pechat_profile_conf *p)
{
	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "subject_source", json_string(p->subject_registry ? "registry" : "inline")) != 0 ||
	    (p->subject_registry && json_object_set_new(o, "subject_kind", json_string(p->subject_kind)) != 0) ||
	    json_object_set_new(o, "qualified", json_boolean(p->qualified)) != 0 ||
	    (p->sign_tool[0] != '\0' && json_object_set_new(o, "sign_tool", json_string(p->sign_tool)) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

MHD_Result_t
h_profiles_list(struct web_req *r)
{
	const struct pechat_config *c = r->w->conf;
	json_t *list = json_array();
	int i;

	for (i = 0; list != NULL && i < c->n_profiles; i++)
		if (json_array_append_new(list, profile_source_json(profile_gost_json(profile_json(&c->profiles[i]),
		    &c->profiles[i]), &c->profiles[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	return web_reply_json(r, MHD_HTTP_OK, list != NULL ? json_pack("{s:o}", "profiles", list) : NULL, NULL);
}

/* The configured issuer an issuer belongs to ("ecdsa" for "ecdsa" and "ecdsa-root"), or NULL. */
static const struct pechat_issuer_conf *
issuer_conf(const struct pechat_config *c, const struct ca_issuer_view *v)
{
	const char *name = strcmp(v->kind, "root") == 0 ? NULL : v->name;
	size_t n;
	int i;

	for (i = 0; i < c->n_issuers; i++) {
		n = strlen(c->issuers[i].name);
		if (name != NULL ? strcmp(name, c->issuers[i].name) == 0 :
		    strncmp(v->name, c->issuers[i].name, n) == 0 && strcmp(v->name + n, "-root") == 0)
			return &c->issuers[i];
	}
	return NULL;
}

/*
 * The key algorithm of an issuer certificate's key as a pechat_keyalg flag
 * (0: none of ours): for later generations (key rollover), whose key may
 * differ from the config's key_algorithm.
 */
static enum pechat_keyalg
cert_keyalg(X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	char curve[64] = "";
	int id = pub != NULL ? EVP_PKEY_get_base_id(pub) : 0;

	if (id == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL) == 1)
		return strcmp(curve, "prime256v1") == 0 ? PECHAT_KEYALG_EC_P256 :
		    strcmp(curve, "secp384r1") == 0 ? PECHAT_KEYALG_EC_P384 :
		    strcmp(curve, "secp521r1") == 0 ? PECHAT_KEYALG_EC_P521 : 0;
	ERR_clear_error();
	return id == EVP_PKEY_RSA ? PECHAT_KEYALG_RSA : id == EVP_PKEY_ED25519 ? PECHAT_KEYALG_ED25519 :
	    id == NID_id_GostR3410_2012_256 ? PECHAT_KEYALG_GOST2012_256 :
	    id == NID_id_GostR3410_2012_512 ? PECHAT_KEYALG_GOST2012_512 : 0;
}

/* "https://<host>/..." URL objects of an issuer (new reference). */
static json_t *
urls_json(const struct ca *ca, const char *name)
{
	char base[256], cert[400], chain[400], crl[400], delta[400], ocsp[300], api[200];

	if (ca_base_url(ca, base, sizeof(base)) != 0)
		return NULL;
	snprintf(cert, sizeof(cert), "%s/ca/%s.crt", base, name);
	snprintf(chain, sizeof(chain), "%s/ca/%s-chain.pem", base, name);
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base, name);
	snprintf(delta, sizeof(delta), "%s/crl/%s-delta.crl", base, name);
	snprintf(ocsp, sizeof(ocsp), "%s/ocsp", base);
	snprintf(api, sizeof(api), "/api/v1/issuers/%s/chain", name);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "certificate", cert, "chain", chain,
	    "api_chain", api, "crl", crl, "delta_crl", delta, "ocsp", ocsp);
}

/*
 * Readiness of one issuer: its key makes a test signature, it is within its
 * validity, its own certificate (row, when found in the store) is neither
 * revoked nor on hold. Adds "ready" (bool) and "not_ready_reasons" to o.
 */
static void
readiness(struct web_req *r, const struct ca_issuer_view *v, const struct db_cert *row, json_t *o)
{
	json_t *reasons = json_array();
	struct pechat_error e;
	struct db_revocation ev;
	const char *status = NULL;
	time_t now = pechat_clock_now(r->w->clock);

	pechat_error_clear(&e);
	if (ca_issuer_key_ready(r->w->ca, v->name, &e) != PECHAT_OK)
		json_array_append_new(reasons, json_string("the issuer's key cannot sign"));
	if (now < v->not_before)
		json_array_append_new(reasons, json_string("the issuer's certificate is not valid yet"));
	if (now >= v->not_after)
		json_array_append_new(reasons, json_string("the issuer's certificate has expired"));
	if (row == NULL)
		json_array_append_new(reasons, json_string("the issuer's certificate is not in the store"));
	else if (ca_cert_status(r->db, row, now, &status, &ev, &e) != PECHAT_OK)
		json_array_append_new(reasons, json_string("the issuer's status cannot be read"));
	else if (strcmp(status, "revoked") == 0 || strcmp(status, "on_hold") == 0)
		json_array_append_new(reasons, json_string(strcmp(status, "revoked") == 0 ?
		    "the issuer's certificate is revoked" : "the issuer's certificate is on hold"));
	json_object_set_new(o, "ready", json_boolean(json_array_size(reasons) == 0));
	json_object_set_new(o, "not_ready_reasons", reasons);
}

/* One issuer as API.md describes it (new reference) or NULL. */
static json_t *
issuer_json(struct web_req *r, const struct ca_issuer_view *v)
{
	const struct pechat_issuer_conf *ic = issuer_conf(r->w->conf, v);
	struct pechat_error e;
	struct db_cert row;
	char serial[65] = "";
	json_t *o = NULL;
	int sig = X509_get_signature_nid(v->cert), found;
	enum pechat_keyalg alg = v->predecessor[0] != '\0' ? cert_keyalg(v->cert) :
	    ic != NULL ? ic->key_algorithm : 0;

	pechat_error_clear(&e);
	memset(&row, 0, sizeof(row));
	ca_cert_serial_hex(v->cert, serial, sizeof(serial));
	found = serial[0] != '\0' && db_cert_get(r->db, serial, &row, &e) == PECHAT_OK;
	o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o}",
	    "name", v->name, "kind", v->kind,
	    "parent", v->parent[0] != '\0' ? json_string(v->parent) : json_null(),
	    "key_algorithm", alg != 0 && pechat_keyalg_name(alg) != NULL ? pechat_keyalg_name(alg) : "unknown",
	    "rsa_bits", alg == PECHAT_KEYALG_RSA ?
	    json_integer(EVP_PKEY_get_bits(X509_get0_pubkey(v->cert))) : json_null(),
	    "signature_algorithm", OBJ_nid2ln(sig) != NULL ? OBJ_nid2ln(sig) : "unknown",
	    "serial", serial, "subject_dn", found ? json_string(row.subject_dn) : json_null(),
	    "not_before", web_json_time(v->not_before), "not_after", web_json_time(v->not_after),
	    "urls", urls_json(r->w->ca, v->name));
	if (o != NULL) {
		/* key rollover: the generation it succeeds and the one that took over its new requests */
		json_object_set_new(o, "predecessor", v->predecessor[0] != '\0' ? json_string(v->predecessor) :
		    json_null());
		json_object_set_new(o, "successor", v->successor[0] != '\0' ? json_string(v->successor) : json_null());
		readiness(r, v, found ? &row : NULL, o);
	}
	db_cert_free_fields(&row);
	return o;
}

MHD_Result_t
h_issuers_list(struct web_req *r)
{
	struct ca_issuer_view v;
	json_t *list = json_array();
	int i;

	for (i = 0; list != NULL && ca_issuer_at(r->w->ca, i, &v) == 0; i++) {
		/* the operators CA is internal: not published (as /ca/ and /crl/) */
		if (strcmp(v.name, CA_OPERATORS_ISSUER) == 0)
			continue;
		if (json_array_append_new(list, issuer_json(r, &v)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return web_reply_json(r, MHD_HTTP_OK, list != NULL ? json_pack("{s:o}", "issuers", list) : NULL, NULL);
}
