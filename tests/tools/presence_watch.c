/*
 * tests/tools/presence_watch.c READER [SECONDS] — follows READER through
 * hsm/'s presence watcher (real PC/SC) and prints the reader's state on each
 * change ("present", "absent", "unknown"), one line each, flushed; exits 0
 * after SECONDS (default 60), or ends on SIGTERM. For the integration test
 * pcsc_presence (pcscd with the vsmartcard vpcd driver).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hsm/presence.h"

static const char *reader;

/* Prints the reader's state (the watcher's thread). */
static void
print_state(void *arg)
{
	(void)arg;
	printf("%s\n", hsm_presence_name(presence_of("", "", reader)));
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct pechat_error e;
	time_t end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: presence_watch READER [SECONDS]\n");
		return 2;
	}
	reader = argv[1];
	end = time(NULL) + (argc == 3 ? atoi(argv[2]) : 60);
	if (presence_watch(reader) != 0 || hsm_presence_start(print_state, NULL, &e) != PECHAT_OK) {
		fprintf(stderr, "presence_watch: cannot follow %s\n", reader);
		return 1;
	}
	while (time(NULL) < end)
		usleep(200000);
	hsm_presence_stop();
	return 0;
}
