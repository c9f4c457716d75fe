/*
 * cmd/rollover.c — `pechat ceremony rollover ISSUER --new-name NAME
 * [--key REF] [--algorithm ALG] [--days N] [--config FILE]`: wiring only
 * (ceremony_rollover). The OS user running it is the audit actor.
 * Exit codes: 0 done, 1 refused or failed, 2 usage or configuration error.
 */
#include "cmd/rollover.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony/rollover.h"
#include "config/config.h"
#include "db/db.h"

static void
rollover_usage(FILE *f)
{
	fprintf(f, "usage: pechat ceremony rollover ISSUER --new-name NAME [--key REF] [--algorithm ALG] [--days N]\n"
	    "                                [--config FILE]\n"
	    "  ISSUER  the newest generation of a configured issuer (e.g. ecdsa)\n"
	    "  NAME    the new issuing CA's name (e.g. ecdsa-2): its URLs are /ca/NAME.crt and /crl/NAME.crl\n"
	    "  REF     an existing key (file:PATH, pkcs11:...); default: a new key file NAME.key in the\n"
	    "          issuer's key_dir (default <var_dir>/keys)\n"
	    "  ALG     for a new key: ec-p256, ec-p384, ec-p521, rsa-BITS, ed25519, gost2012-256,\n"
	    "          gost2012-512 (default: the old key's algorithm)\n"
	    "  N       validity in days (default: the issuer's validity_days), clipped to the root's\n");
}

/* Command line into *r and *config. 0; 2 (usage printed); -1 for --help (printed). */
static int
parse_args(int argc, char **argv, struct ceremony_rollover *r, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "new-name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long days;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:k:a:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'n': r->new_name = optarg; break;
		case 'k': r->key_ref = optarg; break;
		case 'a': r->algorithm = optarg; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || days < 1 || days > 36500) {
				fprintf(stderr, "pechat: --days is 1..36500\n");
				return 2;
			}
			r->days = (int)days;
			break;
		case 'h': rollover_usage(stdout); return -1;
		default: rollover_usage(stderr); return 2;
		}
	}
	if (argc - optind != 1 || r->new_name == NULL || (r->key_ref != NULL && r->algorithm != NULL)) {
		if (r->key_ref != NULL && r->algorithm != NULL)
			fprintf(stderr, "pechat: --algorithm is for a new key; --key names an existing one\n");
		rollover_usage(stderr);
		return 2;
	}
	r->issuer = argv[optind];
	return 0;
}

/* "cli:<OS user name>" (the uid when it has no name). */
static void
os_actor(char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
		snprintf(buf, bufsz, "cli:%s", pw->pw_name);
	else
		snprintf(buf, bufsz, "cli:uid%u", (unsigned)getuid());
}

int
pechat_rollover_main(int argc, char **argv)
{
	struct ceremony_rollover r;
	struct ceremony_rollover_result res;
	struct pechat_config *conf = NULL;
	struct pechat_error e;
	struct db *db = NULL;
	const char *config = NULL;
	char actor[64], errbuf[512], at[32];
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = parse_args(argc, argv, &r, &config)) != 0)
		return rc < 0 ? 0 : rc;
	pechat_error_clear(&e);
	if ((conf = pechat_config_load(config, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechat: configuration error: %s\n", errbuf);
		return 2;
	}
	if (db_open(conf->store_path, 0, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: cannot open the store %s: %s (run `pechat init` first)\n", conf->store_path,
		    e.detail);
		rc = 1;
		goto out;
	}
	os_actor(actor, sizeof(actor));
	r.actor = actor;
	if (ceremony_rollover(conf, db, NULL, &r, &res, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: ceremony rollover %s refused: %s (%s)\n", r.issuer, e.detail, e.code);
		rc = e.err == PECHAT_E_INVALID ? 2 : 1;
		goto out;
	}
	pechat_time_rfc3339(res.not_after, at, sizeof(at));
	printf("issuer %s: new issuing CA, certificate %s signed by %s, valid until %s (audited, by %s)\n",
	    r.new_name, res.serial, res.root, at, actor);
	printf("  key: %s\n", res.key_ref);
	if (res.cert_path[0] != '\0')
		printf("  certificate: %s\n", res.cert_path);
	printf("  it succeeds %s: restart pechatd; new requests then go to %s, and %s keeps signing CRLs\n"
	    "  and OCSP answers for its own certificates until they expire\n", r.issuer, r.new_name, r.issuer);
	rc = 0;
out:
	db_close(db);
	pechat_config_free(conf);
	return rc;
}
