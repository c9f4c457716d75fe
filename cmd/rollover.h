/* cmd/rollover.h — `pechat ceremony rollover` (ceremony/rollover.c does the work). */
#ifndef PECHAT_CMD_ROLLOVER_H
#define PECHAT_CMD_ROLLOVER_H

/* argv[0] = "rollover": ISSUER --new-name NAME [--key REF] [--algorithm ALG] [--days N] [--config FILE]. */
int pechat_rollover_main(int argc, char **argv);

#endif
