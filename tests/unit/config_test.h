/*
 * tests/unit/config_test.h — loading a config from text for the config/
 * unit tests (header only: every unit test is its own executable).
 */
#ifndef PECHAT_CONFIG_TEST_H
#define PECHAT_CONFIG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

/* Writes text to a temp file and loads it; returns the config or NULL with err filled. */
static inline struct pechat_config *
test_config_load_text(const char *text, char *err, size_t errsz)
{
	char path[64] = "/tmp/pechat-config-XXXXXX";
	struct pechat_config *conf;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	conf = pechat_config_load(path, err, errsz);
	unlink(path);
	return conf;
}

#endif
