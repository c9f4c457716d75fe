/* common/file.c — bounded whole-file reads, atomic (and exclusive) writes, strlcpy. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t
pechat_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
pechat_file_read(const char *path, size_t maxlen, unsigned char **out, size_t *outlen)
{
	FILE *f = NULL;
	unsigned char *buf = NULL;
	size_t n;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if ((buf = malloc(maxlen + 1)) == NULL)
		goto out;
	n = fread(buf, 1, maxlen + 1, f);
	if (ferror(f))
		goto out;
	if (n > maxlen) {
		errno = EFBIG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Temp file in the same directory, fsync, then rename (or link, for
 * exclusive: link() fails with EEXIST instead of replacing the target).
 */
int
pechat_file_write(const char *path, const void *data, size_t len, int mode, int flags)
{
	char tmp[4096];
	int fd = -1, rc = -1, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 ||
	    (!(flags & PECHAT_FILE_NO_SYNC) && fsync(fd) != 0))
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (flags & PECHAT_FILE_EXCLUSIVE) {
		if (link(tmp, path) != 0)
			goto out;
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	errno = saved;
	return rc;
}
