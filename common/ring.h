/* SPDX-License-Identifier: MIT */
/*
 * The ring: which VM helpers are running, in which order, with which direct
 * hotkey. It lives in a run directory (RUN_DIR in production, any directory
 * in tests) that every function takes as a parameter:
 *
 *   <run_dir>/ring/<vm>   one per running helper, flock(LOCK_EX)ed by it for
 *                         its whole life; "join=<ns>\nhotkey=<keys>\n"
 *   <run_dir>/lock        serializes every change to the ring and to the
 *                         focus file (focus-file.h)
 *
 * Liveness is the lock: a helper that crashes loses it, so an entry whose
 * lock can be taken belongs to nobody. Such dead entries are skipped, and
 * removed by whoever holds <run_dir>/lock, with the status file the dead
 * helper left (status-file.h). Only that holder ever unlinks an entry it
 * does not own, which is what makes removal race-free.
 *
 * Ring entries and the lock file are mode 0600: flock() works on any fd, even
 * a read-only one, so a file any user can open is a file any user can lock,
 * and a stranger holding one of these locks would block focus switches or
 * fake a running VM. Reading the ring therefore needs root (or the owner);
 * the focus file stays world-readable.
 *
 * A new entry is written as ring/.<vm>.new and renamed into place, so readers
 * never see half an entry. To follow the ring with inotify, watch ring/ for
 * IN_MOVED_TO | IN_DELETE (a crashed helper's entry changes nothing on disk:
 * its death shows only when someone reads the ring).
 *
 * join= is CLOCK_MONOTONIC in ns, made strictly increasing under the lock;
 * the ring order is join order, then name. The VM name "host" is reserved
 * (it names the host as a focus target).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "diag.h"
#include "keyset.h"

#define RING_DIR_NAME "ring"
#define RING_LOCK_NAME "lock"
/* The focus target that is not a VM; no VM of this name may join. */
#define RING_HOST "host"
/* Largest ring entry we read; longer ones are refused as tampered. */
#define RING_ENTRY_MAX 512

struct ring_entry {
	char vm[VM_NAME_MAX + 1];
	uint64_t join;         /* CLOCK_MONOTONIC ns at join; orders the ring */
	struct keyset hotkey;  /* the VM's direct hotkey; n == 0: none */
};

/* A running helper's place in the ring; opaque, owned by the helper. */
struct ring_member;

/*
 * Adds vm to the ring of run_dir (creating run_dir and ring/ when missing)
 * and keeps it there until ring_leave(): the returned member holds the lock
 * of ring/<vm>. direct_hotkey may be NULL (no direct hotkey).
 * Dead entries are removed on the way; an old dead entry of vm is replaced.
 * Never waits for <run_dir>/lock: -EWOULDBLOCK while another process holds
 * it (ring_lock_take()).
 * Returns 0 and *ret_member (free it with ring_leave()), or a negative errno
 * with diag set: -EINVAL (bad or reserved name), -EBUSY ("vm1: already in
 * the ring (another helper runs)"), -E2BIG (RING_VMS_MAX VMs already run),
 * or a file system error naming the file.
 * The lock belongs to the open file: a child made with fork() shares it until
 * the child closes the fd or exits (the fd itself is O_CLOEXEC).
 */
int ring_join(const char *run_dir, const char *vm, const struct keyset *direct_hotkey,
	      struct ring_member **ret_member, struct diag *diag);

/*
 * Removes the member's entry and drops its lock. Never blocks, never fails
 * in a way the caller could act on. Accepts NULL; returns NULL.
 * To hand focus on when the member had it, copy ring_member_entry() first
 * and call focus_file_drop() (focus-file.h) after this: once the entry is gone no
 * transition can pick this VM again.
 */
struct ring_member *ring_leave(struct ring_member *member);

/* The member's entry as it was written at join; valid until ring_leave(). */
const struct ring_entry *ring_member_entry(const struct ring_member *member);

/*
 * Reads the live entries of run_dir's ring into ret_entries (at most max),
 * sorted by join order, then name; *ret_n is how many. Dead entries are
 * skipped; they are also removed when the caller can take <run_dir>/lock
 * (root), else left for someone who can. Missing run_dir or ring/ is an
 * empty ring.
 * Every entry is hostile input: names failing vm_name_check() or "host" and
 * non-regular files are skipped. A live entry whose content is over-long or
 * malformed (tampered with while its helper runs) is still listed, since its
 * lock says the VM runs: last in the order, without a direct hotkey.
 * Returns 0 when every entry was usable, a positive count of unusable entries
 * (skipped, damaged, or beyond max / RING_VMS_MAX: those that joined last)
 * with diag naming the last of them, or a negative errno with diag set (e.g.
 * -EACCES for a caller that may not open the entries). *ret_n is set
 * whenever the return value is >= 0.
 */
int ring_list(const char *run_dir, struct ring_entry *ret_entries, size_t max, size_t *ret_n,
	      struct diag *diag);

/*
 * Parses the content of a ring entry (len bytes, not NUL-terminated) named
 * vm into *ret. Returns 0, or -EBADMSG with diag naming vm and the fault;
 * *ret is untouched on failure. Exposed for tests and the fuzzer.
 */
int ring_entry_parse(const char *vm, const char *text, size_t len, struct ring_entry *ret,
		     struct diag *diag);

/*
 * Lower-level pieces that focus-file.c shares. Callers of the public API
 * above and in focus-file.h do not need them.
 */

/*
 * Opens run_dir as a directory (O_CLOEXEC); with create, makes it first
 * (mode 0755) when missing. Returns the fd, or a negative errno with diag.
 */
int ring_run_dir_open(const char *run_dir, bool create, struct diag *diag);

/*
 * Opens (creating, mode 0600) <run_fd>/lock and takes flock(LOCK_EX) on it.
 * Never waits: a lock held by another process (or another open file of this
 * one) is -EWOULDBLOCK with diag "<run_dir>/lock: held by another process",
 * so a stray holder cannot stall a helper's event loop; the caller retries
 * (the helper from a timer, the CLI a few times). Returns the fd (closing it
 * releases the lock), or a negative errno with diag.
 */
int ring_lock_take(int run_fd, struct diag *diag);

/*
 * Reads ring entries like ring_list() for a caller that already holds
 * <run_fd>/lock (ring_lock_take()): dead entries are removed. Same returns.
 */
int ring_list_locked(int run_fd, struct ring_entry *ret_entries, size_t max, size_t *ret_n,
		     struct diag *diag);

/*
 * Reads the entry of one VM, live or dead, without removing anything: for
 * placing a VM that has stopped in the ring order. Returns 1 and *ret for a
 * live entry, 0 and *ret for a dead one, or a negative errno (-ENOENT: no
 * entry; -EBADMSG: unusable) with diag.
 */
int ring_entry_read(int run_fd, const char *vm, struct ring_entry *ret, struct diag *diag);

/* The current errno as a negative errno, for failure paths: never 0, even
 * if a call failed without setting errno. */
static inline int ring_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
