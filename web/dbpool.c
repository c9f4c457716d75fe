/*
 * web/dbpool.c — the store connections of the listeners' threads (web_db).
 *
 * Each thread that serves a request uses its own SQLite connection (one
 * thread at a time per connection). The API listener runs a thread per TCP
 * connection, so without a pool every new client connection would open the
 * store again: the SQLite open, the WAL pragmas, the schema read and every
 * statement prepared anew — milliseconds of CPU before its first request. A
 * thread that ends gives its connection back here instead (if idle, up to
 * WEB_DBPOOL_KEEP of them), and the next thread takes it, its statements
 * still prepared. Connections kept beyond that are closed.
 */
#include "web/web_int.h"

#include <stdatomic.h>
#include <stdlib.h>

/* A thread's store connection, tied to the web whose pool takes it back. */
struct thread_db {
	struct web *w;
	struct db *db;
};

/* The thread-specific destructor: the connection goes back to the pool (or is closed). */
static void
thread_db_end(void *p)
{
	struct thread_db *t = p;
	struct web *w = t->w;
	int kept = 0;

	if (db_idle(t->db)) {
		pthread_mutex_lock(&w->dbpool_lock);
		if (w->dbpool_n < WEB_DBPOOL_KEEP) {
			w->dbpool[w->dbpool_n++] = t->db;
			kept = 1;
		}
		pthread_mutex_unlock(&w->dbpool_lock);
	}
	if (!kept)
		db_close(t->db);
	free(t);
}

/* See web_int.h. */
int
web_dbpool_init(struct web *w)
{
	w->dbpool_n = 0;
	atomic_init(&w->dbpool_opened, 0);
	if (pthread_mutex_init(&w->dbpool_lock, NULL) != 0)
		return -1;
	if (pthread_key_create(&w->db_key, thread_db_end) != 0) {
		pthread_mutex_destroy(&w->dbpool_lock);
		return -1;
	}
	return 0;
}

/* See web_int.h. */
void
web_dbpool_close(struct web *w)
{
	int i;

	pthread_key_delete(w->db_key);
	for (i = 0; i < w->dbpool_n; i++)
		db_close(w->dbpool[i]);
	w->dbpool_n = 0;
	pthread_mutex_destroy(&w->dbpool_lock);
}

/* A kept connection, or NULL when none is. */
static struct db *
pool_take(struct web *w)
{
	struct db *db = NULL;

	pthread_mutex_lock(&w->dbpool_lock);
	if (w->dbpool_n > 0)
		db = w->dbpool[--w->dbpool_n];
	pthread_mutex_unlock(&w->dbpool_lock);
	return db;
}

/* See web_int.h. */
struct db *
web_db(struct web *w, struct pechat_error *e)
{
	struct thread_db *t = pthread_getspecific(w->db_key);
	struct db *db;

	if (t != NULL)
		return t->db;
	if ((t = malloc(sizeof(*t))) == NULL) {
		pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		return NULL;
	}
	if ((db = pool_take(w)) == NULL) {
		if (db_open(w->conf->store_path, 0, &db, e) != PECHAT_OK) {
			free(t);
			return NULL;
		}
		atomic_fetch_add(&w->dbpool_opened, 1);
	}
	t->w = w;
	t->db = db;
	if (pthread_setspecific(w->db_key, t) != 0) {
		db_close(db);
		free(t);
		pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
		return NULL;
	}
	return db;
}

/* See web_int.h. */
void
web_dbpool_stats(struct web *w, long long *opened, int *kept)
{
	*opened = atomic_load(&w->dbpool_opened);
	pthread_mutex_lock(&w->dbpool_lock);
	*kept = w->dbpool_n;
	pthread_mutex_unlock(&w->dbpool_lock);
}
