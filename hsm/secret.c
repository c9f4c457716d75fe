/*
 * hsm/secret.c — reading PINs and key passphrases from a file or an
 * environment variable (see secret.h), shared by pkcs11: PIN sources and
 * file: passphrase sources.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/common.h"

/* See secret.h. */
int
secret_source_parse(const char *v, const char *prefix, char *file, size_t filesz,
    char *env, size_t envsz)
{
	const char *p;
	size_t pl = strlen(prefix);

	file[0] = '\0';
	env[0] = '\0';
	if (strncmp(v, "file:", 5) == 0 && v[5] == '/')
		return pechat_strlcpy(file, v + 5, filesz) < filesz ? 0 : -1;
	if (strncmp(v, "env:", 4) == 0 && strncmp(v + 4, prefix, pl) == 0 && v[4 + pl] != '\0') {
		for (p = v + 4; *p != '\0'; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
				return -1;
		return pechat_strlcpy(env, v + 4, envsz) < envsz ? 0 : -1;
	}
	return -1;
}

/*
 * Reads a secret file: a regular file owned by this user with no group or
 * other permission bits (0600 or stricter), opened without following a
 * symlink, at most bufsz-2 bytes, one trailing newline dropped. 0 or -1 with why.
 */
static int
secret_from_file(const char *path, const char *what, char *buf, size_t bufsz, char *why, size_t whysz)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(why, whysz, "%s file %.256s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		snprintf(why, whysz, "%s file %.256s refused: must be a regular file owned by this user, "
		    "mode 0600 or stricter", what, path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= bufsz - 1) {
		snprintf(why, whysz, "%s file %.256s: empty, unreadable or longer than %zu bytes", what, path,
		    bufsz - 2);
		return -1;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n == 0 || memchr(buf, '\n', (size_t)n) != NULL || strlen(buf) != (size_t)n) {
		snprintf(why, whysz, "%s file %.256s: empty or more than one line", what, path);
		return -1;
	}
	return 0;
}

/* See secret.h. */
int
secret_read(const char *file, const char *env, const char *what, char *buf, size_t bufsz,
    char *why, size_t whysz)
{
	const char *v;

	if (file[0] != '\0') {
		if (secret_from_file(file, what, buf, bufsz, why, whysz) != 0)
			goto fail;
		return 0;
	}
	if ((v = getenv(env)) == NULL || v[0] == '\0' ||
	    pechat_strlcpy(buf, v, bufsz) >= bufsz) {
		snprintf(why, whysz, "%s variable %s unset, empty or too long", what, env);
		goto fail;
	}
	return 0;
fail:
	OPENSSL_cleanse(buf, bufsz);
	return -1;
}

/* See secret.h. */
int
secret_pin_is_default(const char *pin)
{
	static const char *const defaults[] = { "12345678", "1234567890", "0000", "1234", "87654321" };
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(pin, defaults[i]) == 0)
			return 1;
	return 0;
}
