/*
 * db/vfs.c — the store's SQLite VFS: the platform's default VFS with the
 * write-ahead log's appends gathered into one write.
 *
 * A commit in WAL mode appends each dirty page as a frame with two writes
 * (a 24-byte frame header, then the page), then syncs the log
 * (synchronous = FULL) and only then publishes the commit in the WAL index.
 * Each write is a system call; on a virtual machine a system call is dear,
 * and a batch of issuances dirties hundreds of pages. This VFS keeps a
 * WAL file's writes that continue one another in a buffer (up to
 * VFS_WAL_BUFFER bytes, 31 frames of 4 KiB pages) and hands them to the platform VFS as one write:
 * before any other operation on that file (sync, read, size, truncate,
 * lock, shared-memory barrier, close...), before a write elsewhere in the
 * file, and when the buffer is full. SQLite reads nothing of the log before
 * one of those, and no other connection can see a frame before the WAL
 * index names it, which happens after the sync (or, at any synchronous
 * level, after a shared-memory barrier): what reaches the disk and when is
 * the same as without the buffer; only the number of calls changes. A
 * failed write of the buffer is reported by the operation that flushed it
 * (SQLite then rolls back, as for any failed log write). Every other file
 * (the database, its shared memory, journals) passes through unchanged.
 */
#include "db/db_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define VFS_NAME "pechat"
/* The unix VFS writes at most 128 KiB - 1 bytes per call (it masks larger sizes): 31 frames of 4 KiB pages. */
#define VFS_WAL_BUFFER (126 * 1024)

/* One open file: ours first (SQLite sees it), the platform VFS's right after it. */
struct vfs_file {
	sqlite3_file base;
	sqlite3_file *real;
	unsigned char *buf;     /* WAL only: writes not yet handed on (malloc'd on first use) */
	sqlite3_int64 buf_off;  /* the file offset of buf[0] */
	int buf_len;
	int is_wal;
};

/* Rounded so that the platform's file structure that follows is aligned. */
#define VFS_FILE_SIZE ((sizeof(struct vfs_file) + 15) & ~(size_t)15)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_ok;
static atomic_llong wal_writes_asked, wal_writes_made;

/* Hands the buffered writes of f to the platform VFS: SQLITE_OK or its error. */
static int
flush(struct vfs_file *f)
{
	int rc;

	if (f->buf_len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, f->buf_len, f->buf_off);
	atomic_fetch_add(&wal_writes_made, 1);
	f->buf_len = 0;
	return rc;
}

static int
f_close(sqlite3_file *p)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
f_read(sqlite3_file *p, void *out, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, n, off);
}

/* A WAL write that continues the buffer joins it; any other write first flushes it. */
static int
f_write(sqlite3_file *p, const void *in, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc;

	if (!f->is_wal)
		return f->real->pMethods->xWrite(f->real, in, n, off);
	atomic_fetch_add(&wal_writes_asked, 1);
	if (f->buf_len > 0 && (off != f->buf_off + f->buf_len || f->buf_len + n > VFS_WAL_BUFFER) &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (n > VFS_WAL_BUFFER / 2 || (f->buf == NULL && (f->buf = malloc(VFS_WAL_BUFFER)) == NULL)) {
		atomic_fetch_add(&wal_writes_made, 1);
		return f->real->pMethods->xWrite(f->real, in, n, off);
	}
	if (f->buf_len == 0)
		f->buf_off = off;
	memcpy(f->buf + f->buf_len, in, (size_t)n);
	f->buf_len += n;
	return SQLITE_OK;
}

static int
f_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int
f_sync(sqlite3_file *p, int flags)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
f_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int
f_lock(sqlite3_file *p, int level)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int
f_unlock(sqlite3_file *p, int level)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int
f_check_reserved(sqlite3_file *p, int *out)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
f_file_control(sqlite3_file *p, int op, void *arg)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
f_sector_size(sqlite3_file *p)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
f_device_characteristics(sqlite3_file *p)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
f_shm_map(sqlite3_file *p, int region, int size, int extend, void volatile **out)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int
f_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* A barrier comes before the WAL index publishes frames: they are written first. */
static void
f_shm_barrier(sqlite3_file *p)
{
	struct vfs_file *f = (struct vfs_file *)p;

	if (flush(f) != SQLITE_OK)
		log_err("store: a write of the write-ahead log failed before a barrier");
	f->real->pMethods->xShmBarrier(f->real);
}

static int
f_shm_unmap(sqlite3_file *p, int delete_flag)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int
f_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, n, out);
}

static int
f_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	struct vfs_file *f = (struct vfs_file *)p;

	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods file_methods = {
	3, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock, f_check_reserved,
	f_file_control, f_sector_size, f_device_characteristics, f_shm_map, f_shm_lock, f_shm_barrier,
	f_shm_unmap, f_fetch, f_unfetch
};

/* The platform's xOpen into the structure behind ours; our methods only when it opened. */
static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *out_flags)
{
	struct vfs_file *f = (struct vfs_file *)p;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((unsigned char *)p + VFS_FILE_SIZE);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || f->real->pMethods == NULL)
		return rc;      /* base.pMethods stays NULL: SQLite will not close it */
	if (f->real->pMethods->iVersion < 3) {
		f->real->pMethods->xClose(f->real);
		return SQLITE_CANTOPEN;
	}
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	f->base.pMethods = &file_methods;
	return SQLITE_OK;
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void
v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int
v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

/* Registers the VFS once (not as the default): shim_ok when it is usable. */
static void
shim_register(void)
{
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL || real_vfs->iVersion < 2 ||
	    real_vfs->xCurrentTimeInt64 == NULL) {
		log_warn("store: the platform's VFS is too old to wrap; its writes are not gathered");
		return;
	}
	shim.iVersion = 2;
	shim.szOsFile = (int)VFS_FILE_SIZE + real_vfs->szOsFile;
	shim.mxPathname = real_vfs->mxPathname;
	shim.zName = VFS_NAME;
	shim.xOpen = v_open;
	shim.xDelete = v_delete;
	shim.xAccess = v_access;
	shim.xFullPathname = v_full_pathname;
	shim.xDlOpen = v_dl_open;
	shim.xDlError = v_dl_error;
	shim.xDlSym = v_dl_sym;
	shim.xDlClose = v_dl_close;
	shim.xRandomness = v_randomness;
	shim.xSleep = v_sleep;
	shim.xCurrentTime = v_current_time;
	shim.xGetLastError = v_last_error;
	shim.xCurrentTimeInt64 = v_current_time64;
	shim_ok = sqlite3_vfs_register(&shim, 0) == SQLITE_OK;
	if (!shim_ok)
		log_warn("store: the write-gathering VFS is not available; the platform's default is used");
}

/* See db_int.h. */
const char *
db_vfs_name(void)
{
	pthread_once(&shim_once, shim_register);
	return shim_ok ? VFS_NAME : NULL;
}

/* See db.h. */
void
db_vfs_wal_writes(long long *asked, long long *made)
{
	*asked = atomic_load(&wal_writes_asked);
	*made = atomic_load(&wal_writes_made);
}
