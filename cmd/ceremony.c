/*
 * cmd/ceremony.c — the CLI side of the key ceremony and of operator
 * credential revocation. Wiring only: ca_ceremony_issuer and
 * ra_operator_revoke (ra/operators.c) do the work in one audited transaction each; the OS
 * user running the command is the actor ("cli:<user>").
 *   pechat ceremony revoke-ca ISSUER [--reason R] [--comment C] [--config FILE]
 *   pechat ceremony hold-ca ISSUER [--comment C] [--config FILE]
 *   pechat ceremony release-ca ISSUER [--comment C] [--config FILE]
 *   pechat operator revoke NAME [--reason R] [--comment C] [--config FILE]
 * Exit codes: 0 done, 1 refused or failed, 2 usage or configuration error.
 */
#include "cmd/ceremony.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "config/config.h"
#include "db/db.h"
#include "ra/ra.h"

/* Parsed command line of both commands. */
struct cli_args {
	const char *config;
	const char *reason;
	const char *comment;
	const char *verb;       /* ceremony only */
	const char *name;       /* issuer or operator */
};

static void
ceremony_usage(FILE *f)
{
	fprintf(f, "usage: pechat ceremony keygen|root|csr|sign|import|revoke|crl|import-crl ... (pechat ceremony keygen --help)\n"
	    "       pechat ceremony revoke-ca ISSUER [--reason R] [--comment TEXT] [--config FILE]\n"
	    "       pechat ceremony hold-ca|release-ca ISSUER [--comment TEXT] [--config FILE]\n"
	    "       pechat operator revoke NAME [--reason R] [--comment TEXT] [--config FILE]\n"
	    "R: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded,\n"
	    "   cessationOfOperation, privilegeWithdrawn, aACompromise (default unspecified)\n");
}

/* Options and `npos` positional words after argv[0]. 0; 2 (usage printed); -1 for --help (printed). */
static int
parse_args(int argc, char **argv, int npos, struct cli_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "reason", required_argument, NULL, 'r' },
		{ "comment", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:r:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'm': a->comment = optarg; break;
		case 'h': ceremony_usage(stdout); return -1;
		default: ceremony_usage(stderr); return 2;
		}
	}
	if (argc - optind != npos) {
		ceremony_usage(stderr);
		return 2;
	}
	if (npos == 2)
		a->verb = argv[optind++];
	a->name = argv[optind];
	return 0;
}

/* See cmd/ceremony.h. */
void
pechat_os_actor(char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
		snprintf(buf, bufsz, "cli:%s", pw->pw_name);
	else
		snprintf(buf, bufsz, "cli:uid%u", (unsigned)getuid());
}

/* Loads the configuration and opens the existing store. 0, 1 or 2. */
static int
open_store(const struct cli_args *a, struct pechat_config **conf, struct db **db)
{
	struct pechat_error e;
	char errbuf[512];

	pechat_error_clear(&e);
	if ((*conf = pechat_config_load(a->config, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechat: configuration error: %s\n", errbuf);
		return 2;
	}
	if (db_open((*conf)->store_path, 0, db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: cannot open the store %s: %s (run `pechat init` first)\n", (*conf)->store_path,
		    e.detail);
		return 1;
	}
	return 0;
}

/* Prints the recorded event and what follows from it. */
static void
print_issuer_event(const char *issuer, const struct db_revocation *ev)
{
	char at[32];

	pechat_time_rfc3339(ev->revoked_at, at, sizeof(at));
	printf("issuer %s: certificate %s %s%s%s%s at %s by %s (audited)\n", issuer, ev->serial,
	    strcmp(ev->kind, "revoke") == 0 ? "revoked" : strcmp(ev->kind, "hold") == 0 ? "on hold" : "released",
	    ev->reason[0] != '\0' && strcmp(ev->kind, "revoke") == 0 ? " (" : "",
	    strcmp(ev->kind, "revoke") == 0 ? ev->reason : "", ev->reason[0] != '\0' && strcmp(ev->kind, "revoke") == 0 ?
	    ")" : "", at, ev->actor);
	if (strcmp(ev->issuer, issuer) != 0)
		printf("  recorded under %s: its CRLs and OCSP answers publish it\n", ev->issuer);
	else
		printf("  %s is a root (trust anchor): no CRL can list it; remove it from relying parties' "
		    "trust stores\n", issuer);
	if (strcmp(ev->kind, "release") == 0)
		printf("  a running pechatd signs with %s again within a second\n", issuer);
	else
		printf("  a running pechatd stops signing with %s (and every issuer below it) within a second;\n"
		    "  /readyz reports it\n", issuer);
}

int
pechat_ceremony_main(int argc, char **argv)
{
	struct pechat_config *conf = NULL;
	struct pechat_error e;
	struct db_revocation ev;
	struct cli_args a;
	struct db *db = NULL;
	enum ca_revoke_action action;
	char actor[64];
	int rc;

	if (argc > 1 && (rc = pechat_ceremony_keys_main(argc, argv)) >= 0)
		return rc;      /* keygen, root, csr, sign, import: cmd/ceremony_keys.c */
	if ((rc = parse_args(argc, argv, 2, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if (strcmp(a.verb, "revoke-ca") == 0)
		action = CA_REVOKE;
	else if (strcmp(a.verb, "hold-ca") == 0)
		action = CA_HOLD;
	else if (strcmp(a.verb, "release-ca") == 0)
		action = CA_RELEASE;
	else {
		ceremony_usage(stderr);
		return 2;
	}
	if (action != CA_REVOKE && a.reason != NULL) {
		fprintf(stderr, "pechat: --reason applies to revoke-ca only (a hold's reason is certificateHold)\n");
		return 2;
	}
	if ((rc = open_store(&a, &conf, &db)) != 0)
		goto out;
	pechat_os_actor(actor, sizeof(actor));
	pechat_error_clear(&e);
	if (ca_ceremony_issuer(db, NULL, a.name, action, a.reason, a.comment, actor, &ev, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: ceremony %s %s refused: %s (%s)\n", a.verb, a.name, e.detail, e.code);
		rc = e.err == PECHAT_E_INVALID ? 2 : 1;
		goto out;
	}
	print_issuer_event(a.name, &ev);
	rc = 0;
out:
	db_close(db);
	pechat_config_free(conf);
	return rc;
}

int
pechat_operator_revoke_main(int argc, char **argv)
{
	struct pechat_config *conf = NULL;
	struct pechat_error e;
	struct db_revocation ev;
	struct ra_actor ra_actor;
	struct cli_args a;
	struct db *db = NULL;
	int rc;

	if ((rc = parse_args(argc, argv, 1, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = open_store(&a, &conf, &db)) != 0)
		goto out;
	memset(&ra_actor, 0, sizeof(ra_actor));
	pechat_os_actor(ra_actor.name, sizeof(ra_actor.name));
	pechat_strlcpy(ra_actor.role, "admin", sizeof(ra_actor.role));
	pechat_error_clear(&e);
	if (ra_operator_revoke(db, NULL, &ra_actor, a.name, a.reason, a.comment, &ev, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: operator revoke %s refused: %s (%s)\n", a.name, e.detail, e.code);
		rc = e.err == PECHAT_E_INVALID ? 2 : 1;
		goto out;
	}
	printf("operator %s: client certificate %s revoked (%s) by %s (audited); the API refuses it from now on\n",
	    a.name, ev.serial, ev.reason, ev.actor);
	rc = 0;
out:
	db_close(db);
	pechat_config_free(conf);
	return rc;
}
