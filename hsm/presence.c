/*
 * hsm/presence.c — token presence: which PC/SC readers hold a card, followed
 * by one watcher thread per process (libpcsclite: SCardEstablishContext,
 * SCardGetStatusChange with a 500 ms timeout so that it can stop), and the
 * test seam that marks names absent without pcscd.
 *
 * The seam: with PECHAT_TEST_TOKEN_PRESENCE=/abs/file in the environment the
 * watcher does not talk to PC/SC at all; every 100 ms it reads that file,
 * whose lines name what is absent (a key reference, a token label or a reader
 * name). Without the variable hsm_presence_set refuses and nothing reads
 * the file: an operator who never sets it cannot reach the seam (pechatd
 * logs a warning at start when it is set). docs/OPERATIONS.md "Token presence".
 */
#include "presence.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#define SEAM_ENV "PECHAT_TEST_TOKEN_PRESENCE"
#define SEAM_POLL_MS 100
#define PCSC_WAIT_MS 500
#define PCSC_RETRY_MS 1000
#define READER_NAME_MAX 128

struct reader {
	char name[READER_NAME_MAX];
	enum hsm_presence state;
};

static struct {
	pthread_mutex_t lock;
	struct reader readers[PRESENCE_READERS_MAX];
	int n_readers;
	char *seam[PRESENCE_SEAM_MAX];  /* names marked absent by the seam (malloc'd) */
	_Atomic int n_seam;            /* changed under lock; read without it by presence_of's fast path */
	hsm_presence_cb cb;
	void *cb_arg;
	/* the watcher */
	pthread_t thread;
	int started;
	int stop;
	pthread_cond_t cond;
	char seam_path[1024];
} P = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static atomic_ulong generation;

const char *
hsm_presence_name(enum hsm_presence p)
{
	switch (p) {
	case HSM_PRESENCE_PRESENT: return "present";
	case HSM_PRESENCE_ABSENT: return "absent";
	case HSM_PRESENCE_UNKNOWN: return "unknown";
	default: return "none";
	}
}

/* The followed reader called name, or NULL. Lock held. */
static struct reader *
reader_find(const char *name)
{
	int i;

	for (i = 0; i < P.n_readers; i++)
		if (strcmp(P.readers[i].name, name) == 0)
			return &P.readers[i];
	return NULL;
}

/* Index of name among the seam's absent names, or -1. Lock held. */
static int
seam_find(const char *name)
{
	int i;

	for (i = 0; i < P.n_seam; i++)
		if (strcmp(P.seam[i], name) == 0)
			return i;
	return -1;
}

/* See presence.h. */
int
presence_watch(const char *reader)
{
	int rc = 0;

	if (reader == NULL || reader[0] == '\0' || strlen(reader) >= READER_NAME_MAX)
		return -1;
	pthread_mutex_lock(&P.lock);
	if (reader_find(reader) == NULL) {
		if (P.n_readers >= PRESENCE_READERS_MAX)
			rc = -1;
		else {
			pechat_strlcpy(P.readers[P.n_readers].name, reader, READER_NAME_MAX);
			P.readers[P.n_readers].state = HSM_PRESENCE_UNKNOWN;
			P.n_readers++;
		}
	}
	pthread_mutex_unlock(&P.lock);
	if (rc != 0)
		log_err("hsm: more than %d PC/SC readers; reader \"%s\" not followed", PRESENCE_READERS_MAX, reader);
	return rc;
}

/* See presence.h. */
enum hsm_presence
presence_of(const char *ref, const char *token, const char *reader)
{
	int has_reader = reader != NULL && reader[0] != '\0';
	enum hsm_presence st = has_reader ? HSM_PRESENCE_UNKNOWN : HSM_PRESENCE_NONE;
	struct reader *r;

	/* the signing path: a key with no reader, the seam off (always in production): no lock */
	if (!has_reader && atomic_load(&P.n_seam) == 0)
		return HSM_PRESENCE_NONE;
	pthread_mutex_lock(&P.lock);
	if ((ref != NULL && ref[0] != '\0' && seam_find(ref) >= 0) ||
	    (token != NULL && token[0] != '\0' && seam_find(token) >= 0) ||
	    (has_reader && seam_find(reader) >= 0))
		st = HSM_PRESENCE_ABSENT;
	else if (has_reader && (r = reader_find(reader)) != NULL)
		st = r->state;
	pthread_mutex_unlock(&P.lock);
	return st;
}

/* See presence.h: a reader gone or unknown, an empty slot or a mute card is absent. */
enum hsm_presence
presence_from_scard(unsigned long ev)
{
	if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE))
		return HSM_PRESENCE_ABSENT;
	if ((ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE))
		return HSM_PRESENCE_PRESENT;
	if (ev & (SCARD_STATE_EMPTY | SCARD_STATE_MUTE))
		return HSM_PRESENCE_ABSENT;
	return HSM_PRESENCE_UNKNOWN;
}

/* Tells the listener about a change (outside the lock). */
static void
changed(void)
{
	hsm_presence_cb cb;
	void *arg;

	atomic_fetch_add(&generation, 1);
	pthread_mutex_lock(&P.lock);
	cb = P.cb;
	arg = P.cb_arg;
	pthread_mutex_unlock(&P.lock);
	if (cb != NULL)
		cb(arg);
}

/* See presence.h. */
int
presence_update(const char *reader, enum hsm_presence st)
{
	struct reader *r;
	enum hsm_presence before;

	pthread_mutex_lock(&P.lock);
	if ((r = reader_find(reader)) == NULL) {
		pthread_mutex_unlock(&P.lock);
		return -1;
	}
	before = r->state;
	r->state = st;
	pthread_mutex_unlock(&P.lock);
	if (before == st)
		return 0;
	if (st == HSM_PRESENCE_ABSENT)
		log_warn("hsm: reader \"%s\": token absent; its keys sign nothing until it returns", reader);
	else if (st == HSM_PRESENCE_PRESENT)
		log_info("hsm: reader \"%s\": token present", reader);
	else
		log_warn("hsm: reader \"%s\": presence unknown (PC/SC not answering)", reader);
	changed();
	return 1;
}

/* Adds (absent) or removes (present) one seam name. 1 changed, 0 not, -1 full. */
static int
seam_set(const char *name, int present)
{
	int i, rc = 0;
	char *copy;

	pthread_mutex_lock(&P.lock);
	i = seam_find(name);
	if (present && i >= 0) {
		free(P.seam[i]);
		P.seam[i] = P.seam[--P.n_seam];
		rc = 1;
	} else if (!present && i < 0) {
		if (P.n_seam >= PRESENCE_SEAM_MAX || (copy = strdup(name)) == NULL)
			rc = -1;
		else {
			P.seam[P.n_seam++] = copy;
			rc = 1;
		}
	}
	pthread_mutex_unlock(&P.lock);
	if (rc == 1)
		log_warn("hsm: test seam: \"%.128s\" %s", name, present ? "present again" : "absent");
	return rc;
}

int
hsm_presence_set(const char *name, int present)
{
	const char *on = getenv(SEAM_ENV);
	int rc;

	if (on == NULL || on[0] == '\0' || name == NULL || name[0] == '\0')
		return -1;
	if ((rc = seam_set(name, present)) < 0)
		return -1;
	if (rc == 1)
		changed();
	return 0;
}

/* 1 if name is one of the n lines in lines[]. */
static int
line_listed(char *const *lines, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i], name) == 0)
			return 1;
	return 0;
}

/* Splits text into its names (in place in buf): blank lines and '#' comments skipped. The count, or -1. */
static int
seam_lines(char *buf, char **lines)
{
	char *line, *save = NULL, *end;
	int n = 0;

	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#' || line_listed(lines, n, line))
			continue;
		if (n >= PRESENCE_SEAM_MAX)
			return -1;
		lines[n++] = line;
	}
	return n;
}

/* See presence.h. */
int
presence_seam_apply(const char *text)
{
	char *buf, *lines[PRESENCE_SEAM_MAX], *gone[PRESENCE_SEAM_MAX];
	int n, i, n_gone = 0, count = 0;

	if ((buf = strdup(text != NULL ? text : "")) == NULL)
		return -1;
	if ((n = seam_lines(buf, lines)) < 0) {
		free(buf);
		return -1;
	}
	pthread_mutex_lock(&P.lock);
	for (i = 0; i < P.n_seam; i++)
		if (!line_listed(lines, n, P.seam[i]) && (gone[n_gone] = strdup(P.seam[i])) != NULL)
			n_gone++;
	pthread_mutex_unlock(&P.lock);
	for (i = 0; i < n_gone; i++) {
		count += seam_set(gone[i], 1) == 1;
		free(gone[i]);
	}
	for (i = 0; i < n; i++)
		count += seam_set(lines[i], 0) == 1;
	free(buf);
	if (count > 0)
		changed();
	return count;
}

unsigned long
presence_generation(void)
{
	return atomic_load(&generation);
}

void
presence_reset(void)
{
	int i;

	pthread_mutex_lock(&P.lock);
	for (i = 0; i < P.n_seam; i++)
		free(P.seam[i]);
	P.n_seam = 0;
	P.n_readers = 0;
	pthread_mutex_unlock(&P.lock);
}

/* ------------------------------------------------------------ the watcher */

/* Waits up to ms or until stop. 1 if the watcher must stop. */
static int
watch_wait(int ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&P.lock);
	while (!P.stop && pthread_cond_timedwait(&P.cond, &P.lock, &ts) != ETIMEDOUT)
		;
	stop = P.stop;
	pthread_mutex_unlock(&P.lock);
	return stop;
}

/* 1 if the watcher must stop. */
static int
watch_stopping(void)
{
	int stop;

	pthread_mutex_lock(&P.lock);
	stop = P.stop;
	pthread_mutex_unlock(&P.lock);
	return stop;
}

/* Reads the seam file (absent or unreadable: nothing absent) and applies it. */
static void
seam_poll(void)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	if (pechat_file_read(P.seam_path, PRESENCE_SEAM_FILE_MAX, &buf, &len) != 0) {
		presence_seam_apply("");
		return;
	}
	if (presence_seam_apply((const char *)buf) < 0)
		log_warn("hsm: test seam: %s names more than %d keys; ignored", P.seam_path, PRESENCE_SEAM_MAX);
	free(buf);
}

/* Every followed reader's state from one PC/SC answer (those marked changed). */
static void
pcsc_apply(SCARD_READERSTATE *rs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!(rs[i].dwEventState & SCARD_STATE_CHANGED))
			continue;
		presence_update(rs[i].szReader, presence_from_scard(rs[i].dwEventState));
		rs[i].dwCurrentState = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	}
}

/* Marks every reader of rs with st. */
static void
pcsc_mark_all(SCARD_READERSTATE *rs, int n, enum hsm_presence st)
{
	int i;

	for (i = 0; i < n; i++)
		presence_update(rs[i].szReader, st);
}

/*
 * One PC/SC session: a context, then SCardGetStatusChange over the followed
 * readers until stop, an error, or a reader added. A reader PC/SC does not
 * know is absent; PC/SC unreachable leaves the readers "unknown".
 */
static void
pcsc_session(void)
{
	static char names[PRESENCE_READERS_MAX][READER_NAME_MAX];
	SCARD_READERSTATE rs[PRESENCE_READERS_MAX];
	SCARDCONTEXT ctx;
	static int logged;      /* "PC/SC unavailable" once until it answers again */
	LONG rc;
	int n, i;

	memset(rs, 0, sizeof(rs));
	pthread_mutex_lock(&P.lock);
	n = P.n_readers;
	for (i = 0; i < n; i++) {
		pechat_strlcpy(names[i], P.readers[i].name, READER_NAME_MAX);
		rs[i].szReader = names[i];
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	pthread_mutex_unlock(&P.lock);
	if ((rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx)) != SCARD_S_SUCCESS) {
		pcsc_mark_all(rs, n, HSM_PRESENCE_UNKNOWN);
		if (!logged++)
			log_warn("hsm: PC/SC unavailable (%s); reader presence unknown", pcsc_stringify_error(rc));
		watch_wait(PCSC_RETRY_MS);
		return;
	}
	logged = 0;
	while (!watch_stopping()) {
		rc = SCardGetStatusChange(ctx, PCSC_WAIT_MS, rs, (DWORD)n);
		if (rc == SCARD_E_TIMEOUT)
			continue;
		if (rc == SCARD_S_SUCCESS) {
			pcsc_apply(rs, n);
			continue;
		}
		if (rc == SCARD_E_UNKNOWN_READER) {
			/* one of them is not plugged in: ask each alone, without waiting */
			for (i = 0; i < n; i++)
				if (SCardGetStatusChange(ctx, 0, &rs[i], 1) == SCARD_E_UNKNOWN_READER)
					presence_update(rs[i].szReader, HSM_PRESENCE_ABSENT);
				else
					pcsc_apply(&rs[i], 1);
			if (watch_wait(PCSC_WAIT_MS))
				break;
			continue;
		}
		log_warn("hsm: PC/SC: %s; reconnecting", pcsc_stringify_error(rc));
		pcsc_mark_all(rs, n, HSM_PRESENCE_UNKNOWN);
		watch_wait(PCSC_RETRY_MS);
		break;
	}
	SCardReleaseContext(ctx);
}

static void *
watch_main(void *arg)
{
	(void)arg;
	while (!watch_stopping()) {
		if (P.seam_path[0] != '\0') {
			seam_poll();
			watch_wait(SEAM_POLL_MS);
		} else
			pcsc_session();
	}
	return NULL;
}

enum pechat_err
hsm_presence_start(hsm_presence_cb cb, void *arg, struct pechat_error *e)
{
	const char *seam = getenv(SEAM_ENV);
	int need;

	pthread_mutex_lock(&P.lock);
	P.cb = cb;
	P.cb_arg = arg;
	P.stop = 0;
	P.seam_path[0] = '\0';
	if (seam != NULL && seam[0] != '\0')
		pechat_strlcpy(P.seam_path, seam, sizeof(P.seam_path));
	need = !P.started && (P.n_readers > 0 || P.seam_path[0] != '\0');
	pthread_mutex_unlock(&P.lock);
	if (P.seam_path[0] != '\0')
		log_warn("hsm: TEST SEAM ON (%s=%s): token presence is read from that file, not from PC/SC; "
		    "never set it in production", SEAM_ENV, P.seam_path);
	if (!need)
		return PECHAT_OK;
	if (pthread_create(&P.thread, NULL, watch_main, NULL) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the token presence watcher");
	P.started = 1;
	return PECHAT_OK;
}

void
hsm_presence_stop(void)
{
	if (!P.started)
		return;
	pthread_mutex_lock(&P.lock);
	P.stop = 1;
	pthread_cond_broadcast(&P.cond);
	pthread_mutex_unlock(&P.lock);
	pthread_join(P.thread, NULL);
	pthread_mutex_lock(&P.lock);
	P.started = 0;
	P.cb = NULL;
	P.cb_arg = NULL;
	pthread_mutex_unlock(&P.lock);
}
