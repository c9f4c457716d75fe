/*
 * cmd/ca_conf.h — ca/'s configuration (struct ca_conf, struct
 * ca_publish_conf) filled from the config file's structs: the one place
 * where config/ meets ca/.
 */
#ifndef PECHAT_CMD_CA_CONF_H
#define PECHAT_CMD_CA_CONF_H

#include "ca/ca.h"
#include "config/config.h"

/* What ca_new needs from conf. Borrows conf->profiles; the issuer names are
 * calloc'd (cmd_ca_conf_clear). 0, or -1 when out of memory. */
int cmd_ca_conf(const struct pechat_config *conf, struct ca_conf *out);
void cmd_ca_conf_clear(struct ca_conf *cc);

/* The publisher's settings from the config's "crl" and "ocsp" sections and the store path. */
void cmd_publish_conf(const struct pechat_config *conf, struct ca_publish_conf *pc);

#endif
