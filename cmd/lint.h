/* cmd/lint.h — `pechat lint [--issuer CERT] FILE` (ca/lint.h does the work). */
#ifndef PECHAT_CMD_LINT_H
#define PECHAT_CMD_LINT_H

/* argv[0] = "lint". Exit 0: no error finding; 1: errors; 2: usage, unreadable input. */
int pechat_lint_main(int argc, char **argv);

#endif
