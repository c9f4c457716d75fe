/*
 * cmd/ceremony.h — `pechat ceremony` (status of CA certificates) and
 * `pechat operator revoke` (an operator's client certificate): the status
 * changes the subscriber API refuses. Each takes the argument vector from
 * its command word on and returns the process exit code.
 */
#ifndef PECHAT_CMD_CEREMONY_H
#define PECHAT_CMD_CEREMONY_H

#include <stddef.h>

/* argv[0] = "ceremony": VERB ISSUER [--reason R] [--comment C] [--config FILE]. */
int pechat_ceremony_main(int argc, char **argv);

/*
 * argv[0] = "ceremony", argv[1] one of keygen, root, csr, sign, import
 * (cmd/ceremony_keys.c): the exit code; -1 if argv[1] is none of them.
 */
int pechat_ceremony_keys_main(int argc, char **argv);

/* "cli:<OS user name>" (the uid when it has no name): the actor of CLI audit entries. */
void pechat_os_actor(char *buf, size_t bufsz);

/* argv[0] = "revoke" (after "operator"): NAME [--reason R] [--comment C] [--config FILE]. */
int pechat_operator_revoke_main(int argc, char **argv);

#endif
