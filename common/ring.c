/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "names.h"
#include "quote.h"
#include "ring.h"
#include "small-file.h"
#include "status-file.h"

struct ring_member {
	int fd;       /* ring/<vm>, flock(LOCK_EX) held for the member's life */
	int ring_fd;  /* ring/ itself, to unlink relative to it */
	struct ring_entry entry;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

int ring_run_dir_open(const char *run_dir, bool create, struct diag *diag)
{
	int fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
			return diag_set(diag, ring_errno(), "%s: %s", run_dir, strerror(errno));
		fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return diag_set(diag, ring_errno(), "%s: %s", run_dir, strerror(errno));
	return fd;
}

static int ring_dir_open(int run_fd, bool create, struct diag *diag)
{
	int fd = openat(run_fd, RING_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(run_fd, RING_DIR_NAME, 0755) < 0 && errno != EEXIST)
			return diag_set(diag, ring_errno(), RING_DIR_NAME ": %s", strerror(errno));
		fd = openat(run_fd, RING_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return diag_set(diag, ring_errno(), RING_DIR_NAME ": %s", strerror(errno));
	return fd;
}

int ring_lock_take(int run_fd, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;

	/* O_NONBLOCK: a FIFO planted under this name must not hang us in open(). */
	fd = openat(run_fd, RING_LOCK_NAME,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return diag_set(diag, ring_errno(), RING_LOCK_NAME ": %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return diag_set(diag, ring_errno(), RING_LOCK_NAME ": %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(diag, -EBADMSG, RING_LOCK_NAME ": not a regular file");
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char self[64], dir[VK_PATH_MAX];
		ssize_t n;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return diag_set(diag, ring_errno(), RING_LOCK_NAME ": %s", strerror(errno));
		/* The directory's path, for a message the user can act on. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", run_fd);
		n = readlink(self, dir, sizeof(dir) - 1);
		dir[n > 0 ? n : 0] = '\0';
		return diag_set(diag, -EWOULDBLOCK, "%s%s" RING_LOCK_NAME ": held by another process",
				dir, dir[0] ? "/" : "");
	}
	return TAKE_FD(fd);
}

int ring_entry_parse(const char *vm, const char *text, size_t len, struct ring_entry *ret,
		     struct diag *diag)
{
	struct ring_entry e = {0};
	const char *p = text, *end = text + len, *value;
	size_t value_len;
	struct diag key_diag;
	int r;

	if (vm_name_check(vm, NULL) < 0 || strcmp(vm, RING_HOST) == 0)
		return diag_set(diag, -EBADMSG, "ring: bad entry name");
	memcpy(e.vm, vm, strlen(vm) + 1);

	if (small_file_parse_field(&p, end, "join", &value, &value_len) < 0 ||
	    small_file_parse_u64(value, value_len, &e.join) < 0)
		return diag_set(diag, -EBADMSG, "ring/%s: no valid join= line", vm);
	if (small_file_parse_field(&p, end, "hotkey", &value, &value_len) < 0)
		return diag_set(diag, -EBADMSG, "ring/%s: no valid hotkey= line", vm);
	if (value_len > 0) {
		r = keyset_parse(value, value_len, &e.hotkey, &key_diag);
		if (r < 0)
			return diag_set(diag, -EBADMSG, "ring/%s: %s", vm, key_diag.msg);
	}
	if (p != end)
		return diag_set(diag, -EBADMSG, "ring/%s: trailing data", vm);
	*ret = e;
	return 0;
}

/*
 * Opens ring/<name> for reading and tells whether a helper holds it. Holding
 * LOCK_SH on a dead entry keeps a joining helper from mistaking us for one.
 * Returns 1 (live) or 0 (dead) with the fd in *ret_fd, or a negative errno.
 */
static int ring_entry_open(int ring_fd, const char *name, int *ret_fd, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	int live = 0;

	fd = openat(ring_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return diag_set(diag, -EBADMSG, "ring/%s: is a symbolic link", name);
	if (fd < 0) {
		int r = ring_errno();
		return diag_set(diag, r, "ring/%s: %s", name, strerror(-r));
	}
	if (fstat(fd, &st) < 0)
		return diag_set(diag, ring_errno(), "ring/%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(diag, -EBADMSG, "ring/%s: not a regular file", name);
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return diag_set(diag, ring_errno(), "ring/%s: %s", name, strerror(errno));
		live = 1;
	}
	*ret_fd = TAKE_FD(fd);
	return live;
}

static int ring_entry_load(int fd, const char *name, struct ring_entry *ret, struct diag *diag)
{
	char buf[RING_ENTRY_MAX + 1] = "";
	int r = small_file_read(fd, buf, sizeof(buf));

	if (r == -EFBIG)
		return diag_set(diag, -EBADMSG, "ring/%s: longer than %d bytes", name,
				RING_ENTRY_MAX);
	if (r < 0)
		return diag_set(diag, r, "ring/%s: %s", name, strerror(-r));
	return ring_entry_parse(name, buf, (size_t)r, ret, diag);
}

int ring_entry_read(int run_fd, const char *vm, struct ring_entry *ret, struct diag *diag)
{
	_cleanup_(closep) int ring_fd = -1, fd = -1;
	struct ring_entry e;
	int live, r;

	r = vm_name_check(vm, diag);
	if (r < 0)
		return r;
	ring_fd = ring_dir_open(run_fd, false, diag);
	if (ring_fd < 0)
		return ring_fd;
	live = ring_entry_open(ring_fd, vm, &fd, diag);
	if (live < 0)
		return live;
	r = ring_entry_load(fd, vm, &e, diag);
	if (r < 0)
		return r;
	*ret = e;
	return live;
}

static int ring_entry_cmp(const void *a, const void *b)
{
	const struct ring_entry *x = a, *y = b;

	if (x->join != y->join)
		return x->join < y->join ? -1 : 1;
	return strcmp(x->vm, y->vm);
}

/*
 * Removes a dead helper's ring entry and the status file it left behind
 * (status-file.h), which nobody else would: the caller holds the lock.
 */
static void ring_reap(int run_fd, int ring_fd, const char *vm)
{
	char status[sizeof(STATUS_DIR_NAME "/") + VM_NAME_MAX];

	(void)unlinkat(ring_fd, vm, 0);
	/* vm passed vm_name_check(); the precision tells the compiler so. */
	snprintf(status, sizeof(status), STATUS_DIR_NAME "/%.*s", VM_NAME_MAX, vm);
	(void)unlinkat(run_fd, status, 0);
}

/*
 * The scan behind ring_list(): reap says whether the caller holds the lock
 * and so may remove dead entries.
 */
static int ring_scan(int run_fd, bool reap, struct ring_entry *ret_entries, size_t max,
		     size_t *ret_n, struct diag *diag)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	struct ring_entry all[RING_VMS_MAX];
	size_t n = 0;
	int ring_fd, skipped = 0;
	struct dirent *de;

	ring_fd = openat(run_fd, RING_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ring_fd < 0 && errno == ENOENT) {
		*ret_n = 0;
		return 0;
	}
	if (ring_fd < 0)
		return diag_set(diag, ring_errno(), RING_DIR_NAME ": %s", strerror(errno));
	dir = fdopendir(ring_fd);
	if (!dir) {
		int r = ring_errno();
		close(ring_fd);
		return diag_set(diag, r, RING_DIR_NAME ": %s", strerror(-r));
	}

	for (errno = 0; (de = readdir(dir)); errno = 0) {
		_cleanup_(closep) int fd = -1;
		struct ring_entry e;
		char quoted[VM_NAME_MAX + 1];
		int live;

		/* Our own temporary files, "." and "..". */
		if (de->d_name[0] == '.')
			continue;
		if (vm_name_check(de->d_name, NULL) < 0 || strcmp(de->d_name, RING_HOST) == 0) {
			skipped++;
			(void)diag_set(diag, -EBADMSG, "ring: '%s' is not a VM name",
				       quote_printable(quoted, sizeof(quoted), de->d_name));
			continue;
		}
		live = ring_entry_open(ring_fd, de->d_name, &fd, diag);
		if (live == -ENOENT)
			continue; /* left between readdir() and open() */
		if (live == -EACCES || live == -EPERM)
			return live;
		if (live < 0) {
			skipped++;
			continue;
		}
		if (!live) {
			if (reap)
				ring_reap(run_fd, ring_fd, de->d_name);
			continue;
		}
		if (ring_entry_load(fd, de->d_name, &e, diag) < 0) {
			/*
			 * Damaged content, but a helper holds the lock: the VM runs.
			 * Liveness is the lock, the content only advice, so the VM
			 * stays a target: last in the order, without a direct hotkey.
			 */
			skipped++;
			e = (struct ring_entry){.join = UINT64_MAX};
			memcpy(e.vm, de->d_name, strlen(de->d_name) + 1);
		}
		if (n < RING_VMS_MAX) {
			all[n++] = e;
			continue;
		}
		/* Over the limit (only a tampered ring gets here): keep the earliest. */
		skipped++;
		size_t last = 0;
		for (size_t i = 1; i < n; i++)
			if (ring_entry_cmp(&all[i], &all[last]) > 0)
				last = i;
		if (ring_entry_cmp(&e, &all[last]) < 0) {
			(void)diag_set(diag, -EBADMSG, "ring: more than %d VMs, '%s' ignored",
				       RING_VMS_MAX, all[last].vm);
			all[last] = e;
		} else
			(void)diag_set(diag, -EBADMSG, "ring: more than %d VMs, '%s' ignored",
				       RING_VMS_MAX, e.vm);
	}
	if (errno != 0)
		return diag_set(diag, ring_errno(), RING_DIR_NAME ": %s", strerror(errno));

	qsort(all, n, sizeof(all[0]), ring_entry_cmp);
	if (n > max) {
		skipped += (int)(n - max);
		(void)diag_set(diag, -EBADMSG, "ring: more than %zu VMs, '%s' ignored", max,
			       all[max].vm);
		n = max;
	}
	if (n > 0)
		memcpy(ret_entries, all, n * sizeof(all[0]));
	*ret_n = n;
	return skipped;
}

int ring_list_locked(int run_fd, struct ring_entry *ret_entries, size_t max, size_t *ret_n,
		     struct diag *diag)
{
	return ring_scan(run_fd, true, ret_entries, max, ret_n, diag);
}

int ring_list(const char *run_dir, struct ring_entry *ret_entries, size_t max, size_t *ret_n,
	      struct diag *diag)
{
	_cleanup_(closep) int run_fd = -1, lock_fd = -1;

	run_fd = ring_run_dir_open(run_dir, false, diag);
	if (run_fd == -ENOENT) {
		*ret_n = 0;
		return 0;
	}
	if (run_fd < 0)
		return run_fd;
	/* Who may not take the lock (not root) reads without removing. */
	lock_fd = ring_lock_take(run_fd, NULL);
	return ring_scan(run_fd, lock_fd >= 0, ret_entries, max, ret_n, diag);
}

/* Monotonic ns for join order; a broken clock only costs order, never a join. */
static uint64_t ring_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Removes a dead ring/<vm> left by a helper that crashed; -EBUSY if it lives. */
static int ring_clear_old(int ring_fd, const char *vm, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	int live = ring_entry_open(ring_fd, vm, &fd, diag);

	if (live == -ENOENT)
		return 0;
	if (live < 0)
		return live;
	if (live)
		return diag_set(diag, -EBUSY, "%s: already in the ring (another helper runs)", vm);
	if (unlinkat(ring_fd, vm, 0) < 0 && errno != ENOENT)
		return diag_set(diag, ring_errno(), "ring/%s: %s", vm, strerror(errno));
	return 0;
}

/* Writes ring/.<vm>.new, locked, and renames it to ring/<vm>. Returns the fd. */
static int ring_entry_create(int ring_fd, const struct ring_entry *e, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	char tmp[VM_NAME_MAX + 8], text[RING_ENTRY_MAX], keys[KEYSET_TEXT_MAX] = "";
	ssize_t w;
	int len, r;

	if (e->hotkey.n > 0 && keyset_format(&e->hotkey, keys, sizeof(keys)) < 0)
		return diag_set(diag, -EINVAL, "%s: hotkey cannot be written", e->vm);
	len = snprintf(text, sizeof(text), "join=%" PRIu64 "\nhotkey=%s\n", e->join, keys);
	if (len < 0 || (size_t)len >= sizeof(text))
		return diag_set(diag, -ENOBUFS, "%s: ring entry too long", e->vm);
	snprintf(tmp, sizeof(tmp), ".%s.new", e->vm);

	/* Made 0600 and locked before anyone else could open it (see ring.h). */
	if (unlinkat(ring_fd, tmp, 0) < 0 && errno != ENOENT)
		return diag_set(diag, ring_errno(), "ring/%s: %s", tmp, strerror(errno));
	fd = openat(ring_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return diag_set(diag, ring_errno(), "ring/%s: %s", tmp, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = ring_errno();
		goto fail;
	}
	w = pwrite(fd, text, (size_t)len, 0);
	if (w != len) {
		r = w < 0 ? ring_errno() : -EIO;
		goto fail;
	}
	if (renameat(ring_fd, tmp, ring_fd, e->vm) < 0) {
		r = ring_errno();
		goto fail;
	}
	return TAKE_FD(fd);
fail:
	(void)unlinkat(ring_fd, tmp, 0);
	return diag_set(diag, r, "ring/%s: %s", tmp, strerror(-r));
}

int ring_join(const char *run_dir, const char *vm, const struct keyset *direct_hotkey,
	      struct ring_member **ret_member, struct diag *diag)
{
	_cleanup_(closep) int run_fd = -1, lock_fd = -1, ring_fd = -1;
	struct ring_member *m;
	struct ring_entry live[RING_VMS_MAX], e = {0};
	struct diag scan_diag = {{0}};
	size_t n = 0; /* 0 for analyzers that cannot see diag_set() return r < 0 */
	int r, fd;

	r = vm_name_check(vm, diag);
	if (r < 0)
		return r;
	if (strcmp(vm, RING_HOST) == 0)
		return diag_set(diag, -EINVAL, "VM name '" RING_HOST
				"' is reserved (it names the host as a focus target)");
	memcpy(e.vm, vm, strlen(vm) + 1);
	if (direct_hotkey)
		e.hotkey = *direct_hotkey;

	run_fd = ring_run_dir_open(run_dir, true, diag);
	if (run_fd < 0)
		return run_fd;
	lock_fd = ring_lock_take(run_fd, diag);
	if (lock_fd < 0)
		return lock_fd;
	ring_fd = ring_dir_open(run_fd, true, diag);
	if (ring_fd < 0)
		return ring_fd;

	/* Removes dead entries; unusable live ones only cost their own VM. */
	r = ring_list_locked(run_fd, live, ARRAY_SIZE(live), &n, &scan_diag);
	if (r < 0)
		return diag_set(diag, r, "%s", scan_diag.msg);
	r = ring_clear_old(ring_fd, vm, diag);
	if (r < 0)
		return r;
	if (n >= RING_VMS_MAX)
		return diag_set(diag, -E2BIG, "%s: the ring is full (%d VMs)", vm, RING_VMS_MAX);

	/* Strictly after every member, so join order is never a tie; damaged
	 * entries (join UINT64_MAX, see ring_scan()) stay last. */
	e.join = ring_now_ns();
	for (size_t i = 0; i < n; i++)
		if (live[i].join != UINT64_MAX && live[i].join >= e.join)
			e.join = live[i].join + 1;

	m = calloc(1, sizeof(*m));
	if (!m)
		return diag_set(diag, -ENOMEM, "%s: out of memory", vm);
	fd = ring_entry_create(ring_fd, &e, diag);
	if (fd < 0) {
		free(m);
		return fd;
	}
	m->fd = fd;
	m->ring_fd = TAKE_FD(ring_fd);
	m->entry = e;
	*ret_member = m;
	return 0;
}

struct ring_member *ring_leave(struct ring_member *m)
{
	struct stat ours, named;

	if (!m)
		return NULL;
	/* Unlink only our own inode: never an entry someone put in its place. */
	if (fstat(m->fd, &ours) == 0 &&
	    fstatat(m->ring_fd, m->entry.vm, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    ours.st_dev == named.st_dev && ours.st_ino == named.st_ino)
		(void)unlinkat(m->ring_fd, m->entry.vm, 0);
	safe_close(m->fd);
	safe_close(m->ring_fd);
	free(m);
	return NULL;
}

const struct ring_entry *ring_member_entry(const struct ring_member *m)
{
	return &m->entry;
}
