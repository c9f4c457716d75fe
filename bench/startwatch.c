/*
 * bench/startwatch.c — pechat-startwatch: how long pechatd takes from its
 * start to ready, and its idle RSS, measured without disturbing it.
 *
 *   pechat-startwatch PECHATD CONFIG READY_FILE
 *
 * Starts PECHATD --config CONFIG --ready-file READY_FILE (its output to
 * /dev/null), polls READY_FILE with stat(2) every millisecond — no process
 * per poll, unlike a shell loop of `sleep`s, whose forks take CPU from the
 * daemon on a small machine —, then reads VmRSS 0.5 s after ready and stops
 * the daemon with SIGTERM. Prints "ready_ms=X rss_kb=Y" (exit 0), or a message
 * and exit 1 when the daemon exits or is not ready within 30 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 30000.0

/* CLOCK_MONOTONIC in milliseconds. */
static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The child: pechatd with its output sent to /dev/null. Never returns. */
static void
run_daemon(const char *bin, const char *conf, const char *ready)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execl(bin, bin, "--config", conf, "--ready-file", ready, (char *)NULL);
	_exit(127);
}

/* VmRSS of pid in kB, or -1. */
static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* 0 once ready is a non-empty file, -1 when the daemon exited or the deadline passed. */
static int
wait_ready(pid_t pid, const char *ready, double t0)
{
	struct timespec pause = { 0, 1000000L };
	struct stat st;

	while (stat(ready, &st) != 0 || st.st_size == 0) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "pechat-startwatch: pechatd exited before it was ready\n");
			return -1;
		}
		if (now_ms() - t0 > READY_TIMEOUT_MS) {
			fprintf(stderr, "pechat-startwatch: pechatd not ready in %.0f ms\n", READY_TIMEOUT_MS);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	double t0, t1;
	pid_t pid;
	long kb;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: pechat-startwatch PECHATD CONFIG READY_FILE\n");
		return 2;
	}
	if (unlink(argv[3]) != 0 && errno != ENOENT) {
		perror(argv[3]);
		return 1;
	}
	t0 = now_ms();
	if ((pid = fork()) < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		run_daemon(argv[1], argv[2], argv[3]);
	rc = wait_ready(pid, argv[3], t0);
	t1 = now_ms();
	if (rc == 0) {
		usleep(500000);
		kb = rss_kb(pid);
		printf("ready_ms=%.1f rss_kb=%ld\n", t1 - t0, kb);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return rc == 0 ? 0 : 1;
}
