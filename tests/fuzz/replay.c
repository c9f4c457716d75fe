/*
 * tests/fuzz/replay.c — runs a fuzz target's LLVMFuzzerTestOneInput over
 * corpus files without libFuzzer, so that gcc builds (and every ctest run)
 * re-check the corpora: `replay DIR|FILE...`. Directories are read in
 * strcmp order of their entries (not recursive; dot files skipped), each
 * file is passed as an exact-size heap copy (ASan sees over-reads). An
 * invariant failure aborts with the file name already printed; an empty or
 * unreadable argument is an error (a mistyped corpus path must not pass).
 */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_FILE (1L << 20)

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long len;
	size_t got;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > REPLAY_MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, f == NULL ? strerror(errno) : "cannot size");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	got = fread(buf, 1, (size_t)len, f);
	fclose(f);
	if (got != (size_t)len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Returns the number of files run, or -1. */
static int
run_dir(const char *dir)
{
	struct dirent **names = NULL;
	struct stat st;
	char path[4096];
	int i, n, ran = 0, rc = 0;

	if ((n = scandir(dir, &names, not_dot, by_name)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				rc = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return rc != 0 ? -1 : ran;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, n, total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			n = run_dir(argv[i]);
		else
			n = run_file(argv[i]) == 0 ? 1 : -1;
		if (n <= 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], n == 0 ? "no input files" : "failed");
			return 1;
		}
		total += n;
	}
	printf("replay: %d inputs, all invariants hold\n", total);
	return 0;
}
