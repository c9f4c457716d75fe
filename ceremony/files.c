/*
 * ceremony/files.c — the files of `pechat init`: directories under var_dir
 * (keys and credentials 0700), certificate PEM files, atomic writes. Keys
 * are never written here: they go through hsm/.
 */
#include "ceremony/init_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

/* See init_int.h. */
int
boot_pathf(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz) {
		log_err("init: path too long (%.60s...)", buf);
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* See init_int.h. */
int
boot_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* mkdir -p; only the last component gets `mode`, parents 0755. 0 or -1 (logged). */
static int
mkdirs(const char *path, mode_t mode)
{
	char buf[PECHAT_PATH_MAX + 80];
	char *p;

	if (pechat_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		goto fail;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	log_err("init: mkdir %s: %s", path, strerror(errno));
	return -1;
}

/* mkdirs of path's parent directory (0755). 0 or -1. */
static int
mkdir_parent(const char *path)
{
	char buf[PECHAT_PATH_MAX + 80];
	char *slash;

	if (pechat_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strrchr(buf, '/')) == NULL || slash == buf)
		return 0;
	*slash = '\0';
	return mkdirs(buf, 0755);
}

/* See init_int.h. */
enum pechat_err
boot_write_file(const char *path, const void *data, size_t len, int mode, struct pechat_error *e)
{
	if (mkdir_parent(path) != 0 || pechat_file_write(path, data, len, mode, 0) != 0) {
		log_err("init: write %s: %s", path, strerror(errno));
		return pechat_fail(e, PECHAT_E_INTERNAL, "write_failed", "cannot write %s", path);
	}
	return PECHAT_OK;
}

/* See init_int.h. */
enum pechat_err
boot_write_cert_pem(const char *path, X509 *cert, struct pechat_error *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	enum pechat_err rc;

	if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "init: PEM");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "PEM encoding");
	} else
		rc = boot_write_file(path, data, (size_t)n, 0644, e);
	BIO_free(bio);
	return rc;
}

/* See init_int.h. */
enum pechat_err
boot_dirs_make(const struct pechat_config *c, struct pechat_error *e)
{
	static const struct { const char *sub; mode_t mode; } dirs[] = {
		{ "", 0755 }, { "/keys", 0700 }, { "/certs", 0755 }, { "/tls", 0755 },
		{ "/credentials", 0700 },
	};
	char path[PECHAT_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		boot_pathf(path, sizeof(path), "%s%s", c->var_dir, dirs[i].sub);
		if (mkdirs(path, dirs[i].mode) != 0)
			return pechat_fail(e, PECHAT_E_INTERNAL, "write_failed", "cannot create %s", path);
	}
	return PECHAT_OK;
}
