/*
 * ceremony/init_int.h — private to ceremony/init.c, credentials.c and
 * files.c: the state of one `pechat init` or `pechat operator add` run.
 */
#ifndef PECHAT_CEREMONY_INIT_INT_H
#define PECHAT_CEREMONY_INIT_INT_H

#include <sys/types.h>
#include <time.h>

#include <openssl/x509.h>

#include "ca/ca_make.h"
#include "ceremony/init.h"

#define BOOT_ACTOR "pechat-init"

struct boot {
	const struct pechat_config *conf;
	struct db *db;
	int force;
	ceremony_boot_report_fn report; /* may be NULL */
	void *report_arg;
	time_t now;
	char base[256];                 /* public_base_url without trailing '/' */
	struct ca_signer ops;           /* the operators CA, loaded or created */
};

/* ------------------------------------------------------------ init.c */

/* Tells the caller of ceremony_bootstrap_report about one item (detail may be NULL). */
void boot_report(const struct boot *b, enum ceremony_boot_state st, const char *what, const char *name,
    const char *path, const char *detail);

/*
 * A new file key at path; an existing file is never overwritten: with force
 * it is reused (opened), without force it is CONFLICT "key_exists" with the fix.
 */
enum pechat_err boot_key_obtain(const struct boot *b, const char *path, const char *alg,
    struct hsm_key **out, struct pechat_error *e);

/* Validity from now for `days`, clipped to the parent's notAfter (parent may be NULL). */
void boot_validity(const struct boot *b, const struct ca_signer *parent, int days, time_t *nb, time_t *na);

/* The operators CA loaded into b->ops, or created (self-signed EC P-256, pathlen 0). */
enum pechat_err boot_operators_ensure(struct boot *b, struct pechat_error *e);

/*
 * The state shared by `pechat init` and `pechat operator add`: config,
 * store, clock, the public base URL without a trailing '/', crypto set up
 * (engines, our OIDs); *issuers gets the number of issuers in the store.
 */
enum pechat_err boot_init(struct boot *b, const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, int *issuers, struct pechat_error *e);

/* ------------------------------------------------------------ credentials.c */

/* The API listener's certificate (serverAuth; SANs: api_hostnames, 127.0.0.1, ::1), unless both files exist. */
enum pechat_err boot_tls_ensure(struct boot *b, struct pechat_error *e);

/* var/credentials/<name>.{key,crt,p12,p12.pass} and the operator row, unless the operator exists. */
enum pechat_err boot_credential_ensure(struct boot *b, const char *name, const char *role,
    struct pechat_error *e);

/* ------------------------------------------------------------ files.c */

/* snprintf for paths: a truncated path is logged and left empty (every later use then fails). 0 or -1. */
int boot_pathf(char *buf, size_t bufsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Does path exist (stat)? */
int boot_file_exists(const char *path);

/* Writes data (not a key: keys go through hsm/) to path with mode, replacing it; parents made. */
enum pechat_err boot_write_file(const char *path, const void *data, size_t len, int mode,
    struct pechat_error *e);

/* cert as PEM into path (0644). */
enum pechat_err boot_write_cert_pem(const char *path, X509 *cert, struct pechat_error *e);

/* var_dir and its keys/ (0700), certs/, tls/, credentials/ (0700). */
enum pechat_err boot_dirs_make(const struct pechat_config *c, struct pechat_error *e);

#endif
