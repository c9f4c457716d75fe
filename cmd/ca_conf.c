/* cmd/ca_conf.c — ca/'s configuration filled from the config file: see ca_conf.h. */
#include "cmd/ca_conf.h"

#include <stdlib.h>
#include <string.h>

/* See ca_conf.h. */
int
cmd_ca_conf(const struct pechat_config *conf, struct ca_conf *out)
{
	struct ca_issuer_conf *issuers;
	int i;

	memset(out, 0, sizeof(*out));
	if ((issuers = calloc((size_t)conf->n_issuers + 1, sizeof(*issuers))) == NULL)
		return -1;
	for (i = 0; i < conf->n_issuers; i++) {
		pechat_strlcpy(issuers[i].name, conf->issuers[i].name, sizeof(issuers[i].name));
		issuers[i].tools = conf->issuers[i].tools;
	}
	pechat_strlcpy(out->source, conf->source, sizeof(out->source));
	pechat_strlcpy(out->var_dir, conf->var_dir, sizeof(out->var_dir));
	pechat_strlcpy(out->public_base_url, conf->public_base_url, sizeof(out->public_base_url));
	out->issuers = issuers;
	out->n_issuers = conf->n_issuers;
	out->profiles = conf->profiles;
	out->n_profiles = conf->n_profiles;
	return 0;
}

/* See ca_conf.h. */
void
cmd_ca_conf_clear(struct ca_conf *cc)
{
	if (cc == NULL)
		return;
	free((void *)cc->issuers);
	memset(cc, 0, sizeof(*cc));
}

/* See ca_conf.h. */
void
cmd_publish_conf(const struct pechat_config *conf, struct ca_publish_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->crl_next_update_s = conf->crl.next_update_s;
	pc->crl_full_interval_s = conf->crl.full_interval_s;
	pc->crl_delta_next_update_s = conf->crl.delta_next_update_s;
	pc->crl_delta_rebase_s = conf->crl.delta_rebase_s;
	pc->crl_coalesce_ms = conf->crl.coalesce_ms;
	pc->crl_max_delay_ms = conf->crl.max_delay_ms;
	pc->ocsp_validity_s = conf->ocsp.validity_s;
	pc->ocsp_refresh_before_s = conf->ocsp.refresh_before_s;
	pc->ocsp_honour_nonce = conf->ocsp.honour_nonce;
	pc->ocsp_max_certids = conf->ocsp.max_certids;
	pc->ocsp_on_demand_per_s = conf->ocsp.on_demand_per_s;
	pc->ocsp_responder_validity_days = conf->ocsp.responder_validity_days;
	pc->ocsp_responder_renew_days = conf->ocsp.responder_renew_days;
	pechat_strlcpy(pc->store_path, conf->store_path, sizeof(pc->store_path));
}
