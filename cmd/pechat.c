/*
 * pechat — the admin CLI. Wiring only.
 *   pechat init [--config FILE] [--force]
 *   pechat operator enable|disable NAME [--config FILE]
 *   pechat operator add NAME ROLE [--config FILE]
 *   pechat operator list [--config FILE]
 *   pechat operator revoke NAME [--reason R] [--comment C] [--config FILE]   (cmd/ceremony.c)
 *   pechat ceremony revoke-ca|hold-ca|release-ca ISSUER [...]                (cmd/ceremony.c)
 *   pechat ceremony keygen|root|csr|sign|import [...]                      (cmd/ceremony_keys.c)
 *   pechat ceremony rollover ISSUER --new-name NAME [...]                    (cmd/rollover.c)
 *   pechat lint [--issuer CERT] FILE                                         (cmd/lint.c)
 *   pechat --version
 * Exit codes: 0 done, 1 refused or failed, 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ca/ca.h"
#include "ceremony/init.h"
#include "cmd/version.h"
#include "cmd/ceremony.h"
#include "cmd/lint.h"
#include "cmd/rollover.h"
#include "config/config.h"
#include "db/db.h"
#include "hsm/hsm.h"
#include "ra/ra.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: pechat init [--config FILE] [--force]\n"
	    "       pechat operator enable|disable NAME [--config FILE]\n"
	    "       pechat operator add NAME admin|ra_officer|auditor|portal [--config FILE]\n"
	    "       pechat operator list [--config FILE]\n"
	    "       pechat operator revoke NAME [--reason R] [--comment TEXT] [--config FILE]\n"
	    "       pechat ceremony keygen|root|csr|sign|import ...   (pechat ceremony keygen --help)\n"
	    "       pechat ceremony revoke-ca|hold-ca|release-ca ISSUER [--reason R] [--comment TEXT] [--config FILE]\n"
	    "       pechat ceremony rollover ISSUER --new-name NAME [--key REF] [--algorithm ALG] [--days N] [--config FILE]\n"
	    "       pechat lint [--issuer CERT] FILE   (exit 0 clean, 1 errors, 2 unreadable)\n"
	    "       pechat --version\n");
}

struct init_tally {
	int created, existed, restored;
};

/* One line of init's report: what it found or made, and where. */
static void
init_report(void *arg, enum ceremony_boot_state state, const char *what, const char *name, const char *path,
    const char *detail)
{
	struct init_tally *t = arg;
	const char *word = "exists";

	if (state == CEREMONY_BOOT_KEY_FOUND) {
		/* a configured key certified as it is: its public key, so the operator can check it */
		printf("  %-8s %-20s %-14s %s\n%s", "key", what, name, path, detail != NULL ? detail : "");
		return;
	}
	if (state == CEREMONY_BOOT_CREATED) {
		word = "created";
		t->created++;
	} else if (state == CEREMONY_BOOT_FILE_RESTORED) {
		word = "restored";
		t->restored++;
	} else
		t->existed++;
	printf("  %-8s %-20s %-14s %s\n", word, what, name, path);
}

static int
cmd_init(const struct pechat_config *conf, int force)
{
	struct init_tally tally = { 0, 0, 0 };
	struct pechat_error e;
	struct db *db = NULL;
	int rc = 1;

	pechat_error_clear(&e);
	if (mkdir(conf->var_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "pechat: cannot create %s: %s\n", conf->var_dir, strerror(errno));
		return 1;
	}
	if (db_open(conf->store_path, 1, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: cannot open the store %s: %s\n", conf->store_path, e.detail);
		return 1;
	}
	printf("pechat init: config %s, store %s\n", conf->source, conf->store_path);
	if (ceremony_bootstrap_report(conf, db, NULL, force, init_report, &tally, &e) != PECHAT_OK) {
		fflush(stdout);
		fprintf(stderr, "pechat: init stopped: %s (%s)\n", e.detail, e.code);
		fprintf(stderr, "pechat: what is listed above is in the store; run init again once fixed\n");
		goto out;
	}
	printf("%d created, %d already there", tally.created, tally.existed);
	if (tally.restored > 0)
		printf(", %d certificate file(s) rewritten from the store", tally.restored);
	printf("\n  keys under %s/keys/ (0600), credentials under %s/credentials/\n", conf->var_dir,
	    conf->var_dir);
	rc = 0;
out:
	db_close(db);
	return rc;
}

static int
cmd_operator(const struct pechat_config *conf, const char *verb, const char *name)
{
	struct ra_actor actor = { "cli", "admin", "" };
	struct pechat_error e;
	struct db *db = NULL;
	int enable, rc = 1;

	pechat_error_clear(&e);
	if (strcmp(verb, "enable") != 0 && strcmp(verb, "disable") != 0) {
		usage(stderr);
		return 2;
	}
	enable = strcmp(verb, "enable") == 0;
	if (db_open(conf->store_path, 0, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: %s\n", e.detail);
		return 1;
	}
	if (ra_operator_set_enabled(db, &actor, time(NULL), name, enable, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: %s\n", e.detail);
		goto out;
	}
	printf("operator %s %sd\n", name, verb);
	rc = 0;
out:
	db_close(db);
	return rc;
}

static int
cmd_operator_add(const struct pechat_config *conf, const char *name, const char *role)
{
	struct pechat_error e;
	struct db *db = NULL;
	int rc = 1;

	pechat_error_clear(&e);
	if (db_open(conf->store_path, 0, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: %s\n", e.detail);
		return 1;
	}
	if (ceremony_operator_create(conf, db, NULL, name, role, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: operator add refused: %s (%s)\n", e.detail, e.code);
		rc = e.err == PECHAT_E_INVALID ? 2 : 1;
		goto out;
	}
	printf("operator %s (%s): %s/credentials/%s.{crt,key,p12} (password in %s.p12.pass)\n", name, role,
	    conf->var_dir, name, name);
	rc = 0;
out:
	db_close(db);
	return rc;
}

/* One row of `operator list`. */
static int
operator_row_print(void *arg, const struct db_operator *op)
{
	char created[32];

	(void)arg;
	printf("%-16s %-10s %-7s %-64s %s\n", op->name, op->role, op->enabled ? "yes" : "no", op->fingerprint,
	    pechat_time_rfc3339(op->created_at, created, sizeof(created)));
	return 0;
}

/* `pechat operator list`: every operator and portal in the store, by name. */
static int
cmd_operator_list(const struct pechat_config *conf)
{
	struct pechat_error e;
	struct db *db = NULL;
	int rc = 1;

	pechat_error_clear(&e);
	if (db_open(conf->store_path, 0, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: %s\n", e.detail);
		return 1;
	}
	printf("%-16s %-10s %-7s %-64s %s\n", "NAME", "ROLE", "ENABLED", "FINGERPRINT (SHA-256 of the certificate)",
	    "CREATED");
	if (db_operator_each(db, operator_row_print, NULL, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: %s\n", e.detail);
		goto out;
	}
	rc = 0;
out:
	db_close(db);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct pechat_config *conf;
	char errbuf[512];
	int c, force = 0, rc;

	/* commands with their own options (cmd/ceremony.c) */
	if (argc > 2 && strcmp(argv[1], "ceremony") == 0 && strcmp(argv[2], "rollover") == 0)
		return pechat_rollover_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "ceremony") == 0)
		return pechat_ceremony_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "lint") == 0)
		return pechat_lint_main(argc - 1, argv + 1);
	if (argc > 2 && strcmp(argv[1], "operator") == 0 && strcmp(argv[2], "revoke") == 0)
		return pechat_operator_revoke_main(argc - 2, argv + 2);
	while ((c = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'f': force = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': cmd_print_version(stdout, "pechat", NULL, NULL); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if ((conf = pechat_config_load(config_path, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechat: configuration error: %s\n", errbuf);
		return 2;
	}
	if (hsm_global_init() != 0)
		fprintf(stderr, "pechat: warning: engines could not be loaded; GOST issuers are unavailable\n");
	if (strcmp(argv[optind], "init") == 0 && optind + 1 == argc)
		rc = cmd_init(conf, force);
	else if (strcmp(argv[optind], "operator") == 0 && optind + 2 == argc &&
	    strcmp(argv[optind + 1], "list") == 0)
		rc = cmd_operator_list(conf);
	else if (strcmp(argv[optind], "operator") == 0 && optind + 4 == argc &&
	    strcmp(argv[optind + 1], "add") == 0)
		rc = cmd_operator_add(conf, argv[optind + 2], argv[optind + 3]);
	else if (strcmp(argv[optind], "operator") == 0 && optind + 3 == argc)
		rc = cmd_operator(conf, argv[optind + 1], argv[optind + 2]);
	else {
		usage(stderr);
		rc = 2;
	}
	pechat_config_free(conf);
	return rc;
}
