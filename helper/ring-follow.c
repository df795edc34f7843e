/* SPDX-License-Identifier: MIT */
/*
 * A helper that dies: the kernel sends IN_CLOSE_WRITE for its ring entry
 * just before it drops that file's flock (__fput: fsnotify_close, then
 * locks_remove_file), and under emulation a repair run at once has been
 * seen to find the entry still alive. Worse, a ring_list() a moment later
 * removes the dead entry, and with it the dead VM's place in the ring, so
 * the repair would no longer know where focus goes next. So the repair waits
 * for the process itself to be gone (a pidfd, from the pid in its status
 * file: a process is reported exited only after all its files, locks
 * included, are released), and the ring is read only after the repair.
 *
 * The safety timer: whenever focus names a VM that is not in the live ring
 * (a helper killed between ring_leave() and focus_file_drop(), a pid that could
 * not be watched), one more repair runs a second later; it changes nothing
 * when focus has moved on by then. The same timer retries a grab that got
 * EBUSY: a helper that let go writes its status file, which wakes us at once,
 * but one that died cannot, and its grabs may outlive its ring entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "focus-file.h"
#include "inotify-read.h"
#include "log.h"
#include "names.h"
#include "ring-follow.h"
#include "status-file.h"

#define FOLLOW_REPAIR_USEC 1000000u
/* A transition that found the lock held: first retry, and the longest delay between two. */
#define FOLLOW_RETRY_FIRST_USEC 10000u
#define FOLLOW_RETRY_MAX_USEC 1000000u
/* Before the loop runs (join) and after it ended (leave): how long a held lock is waited for. */
#define FOLLOW_LOCK_WAIT_MS 5000
#define FOLLOW_LOCK_PAUSE_MS 10

int follow_init(struct follow *f)
{
	int r = hotkey_init(f->hk, f->base, FOLLOW_BASE_BINDINGS);

	if (r < 0)
		return r;
	f->inotify_fd = -1;
	strcpy(f->target, RING_HOST);
	f->ring[0] = (struct ring_entry){.hotkey = f->direct};
	strcpy(f->ring[0].vm, f->vm);
	f->n_ring = 1;
	follow_apply_bindings(f);
	return 0;
}

void follow_apply_bindings(struct follow *f)
{
	struct hotkey_binding b[HOTKEY_BINDINGS_MAX];
	unsigned n = 0, n_direct = 0;

	for (unsigned i = 0; i < FOLLOW_BASE_BINDINGS; i++)
		b[n++] = f->base[i];
	/* Keys bound twice: cycle, host and release win, then the VM that joined first. */
	for (size_t i = 0; i < f->n_ring && n < ARRAY_SIZE(b); i++) {
		const struct ring_entry *e = &f->ring[i];
		bool taken = e->hotkey.n == 0;

		for (unsigned k = 0; k < n && !taken; k++)
			taken = b[k].keys.n > 0 && keyset_equal(&b[k].keys, &e->hotkey);
		if (taken)
			continue;
		strcpy(f->direct_vms[n_direct], e->vm);
		b[n++] = (struct hotkey_binding){
			.keys = e->hotkey, .action = HOTKEY_DIRECT, .arg = n_direct++};
	}
	(void)hotkey_set_bindings(f->hk, b, n);
	f->bindings_pending = false;
	f->ops->bindings_changed(f->userdata);
}

void follow_set_base(struct follow *f, const struct hotkey_binding base[FOLLOW_BASE_BINDINGS])
{
	memcpy(f->base, base, sizeof(f->base));
	f->bindings_pending = true;
	follow_idle(f);
}

/* Reads the live ring; the bindings follow as soon as no key is held. */
static void follow_read_ring(struct follow *f)
{
	struct ring_entry ring[RING_VMS_MAX];
	struct diag diag = {{0}};
	size_t n = 0;
	int r = ring_list(f->run_dir, ring, ARRAY_SIZE(ring), &n, &diag);

	if (r < 0) {
		log_warning(f->vm, "%s", diag.msg);
		return;
	}
	if (r > 0)
		log_warning(f->vm, "%s", diag.msg);
	memcpy(f->ring, ring, n * sizeof(ring[0]));
	f->n_ring = n;
	f->bindings_pending = true;
	follow_idle(f);
}

static bool follow_in_ring(const struct follow *f, const char *vm)
{
	for (size_t i = 0; i < f->n_ring; i++)
		if (strcmp(f->ring[i].vm, vm) == 0)
			return true;
	return false;
}

static void follow_repair(struct follow *f)
{
	struct focus_file_result res;
	struct diag diag;
	int r = focus_file_repair(f->run_dir, f->include_host, &res, &diag);

	/* Someone holds the lock: the safety timer repairs a second later. */
	if (r == -EWOULDBLOCK)
		follow_arm_timer(f);
	else if (r < 0)
		log_warning(f->vm, "%s", diag.msg);
	else if (res.changed)
		log_info(f->vm, "'%s' is gone; focus moves to '%s'", res.previous, res.target);
}

/*
 * Reads the focus file and acts on it: gain or lose focus, announce a new
 * generation when it is ours to announce (never at start: that switch was
 * announced when it happened).
 */
static void follow_focus(struct follow *f, bool announce)
{
	struct focus_file_state st;
	struct diag diag;
	const char *target;
	int r = focus_file_read(f->run_dir, &st, &diag);

	if (r == -EBADMSG) {
		/* Replaced by the repair, which any transition would also do. */
		log_warning(f->vm, "%s", diag.msg);
		follow_repair(f);
		r = focus_file_read(f->run_dir, &st, &diag);
	}
	if (r < 0) {
		log_warning(f->vm, "%s", diag.msg);
		return;
	}
	if (st.generation != f->generation) {
		f->generation = st.generation;
		if (announce && announce_decide(st.previous, st.target, f->vm, f->ring, f->n_ring))
			f->ops->announce(f->userdata, st.target, st.previous, false);
	}
	strcpy(f->target, st.target);
	/* Let go for a release not written yet: not taken back until it is. */
	target = st.target;
	if (f->pending.set && f->pending.let_go && strcmp(target, f->vm) == 0)
		target = RING_HOST;
	f->ops->focus(f->userdata, target);

	if (strcmp(st.target, RING_HOST) != 0 && !follow_in_ring(f, st.target))
		follow_arm_timer(f);
}

void follow_arm_timer(struct follow *f)
{
	if (!f->repair_timer || sd_event_source_get_enabled(f->repair_timer, NULL) != 0)
		return;
	(void)sd_event_source_set_time_relative(f->repair_timer, FOLLOW_REPAIR_USEC);
	(void)sd_event_source_set_enabled(f->repair_timer, SD_EVENT_ONESHOT);
}

static int follow_on_repair_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct follow *f = userdata;

	follow_repair(f);
	follow_read_ring(f);
	follow_focus(f, true);
	f->ops->retry_grabs(f->userdata);
	return 0;
}

/* Repair first: it reads the dead entry's place before anything removes it. */
static void follow_after_death(struct follow *f)
{
	follow_repair(f);
	follow_read_ring(f);
	follow_focus(f, true);
	f->ops->retry_grabs(f->userdata);
}

static int follow_on_exited(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct follow *f = userdata;

	/* Freeing it also closes the pidfd. */
	for (size_t i = 0; i < ARRAY_SIZE(f->exit_watches); i++)
		if (f->exit_watches[i] == es)
			f->exit_watches[i] = sd_event_source_disable_unref(es);
	follow_after_death(f);
	return 0;
}

/* The helper of vm closed its ring entry without leaving: repair once it has exited. */
static void follow_wait_exit(struct follow *f, const char *vm)
{
	sd_event_source **slot = NULL;
	struct status st;
	int fd = -1;

	follow_arm_timer(f);
	for (size_t i = 0; i < ARRAY_SIZE(f->exit_watches) && !slot; i++)
		if (!f->exit_watches[i])
			slot = &f->exit_watches[i];
	if (slot && status_read(f->run_dir, vm, &st, NULL) >= 0 && st.pid > 1 &&
	    st.pid != getpid())
		fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	if (fd < 0 || sd_event_add_io(f->event, slot, fd, EPOLLIN, follow_on_exited, f) < 0) {
		/* Reaped already (ESRCH: nothing of it is left), or not to be watched
		 * (more deaths at once than slots: the safety timer covers those). */
		safe_close(fd);
		follow_after_death(f);
		return;
	}
	(void)sd_event_source_set_io_fd_own(*slot, 1);
	(void)sd_event_source_set_priority(*slot, SD_EVENT_PRIORITY_IMPORTANT);
}

/* Whether ring/<name> still exists: a closed entry that does is a dead helper's. */
static bool follow_entry_exists(const struct follow *f, const char *name)
{
	char path[VK_PATH_MAX];
	int n;

	if (vm_name_check(name, NULL) < 0)
		return false;
	n = snprintf(path, sizeof(path), "%s/" RING_DIR_NAME "/%s", f->run_dir, name);
	/* Too long to check: repairing when not needed changes nothing. */
	return n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) == 0;
}

/* What one read of the run directory's watches asks for. */
struct follow_changes {
	struct follow *f;
	bool focus; /* the focus file was replaced */
	bool ring;  /* an entry came or went */
};

static void follow_note_event(const struct inotify_event *ev, void *userdata)
{
	struct follow_changes *c = userdata;
	struct follow *f = c->f;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* Lost events, maybe a death: the safety timer repairs. */
		follow_arm_timer(f);
		c->focus = c->ring = true;
		return;
	}
	if (ev->len == 0 || ev->name[0] == '.')
		return;
	if (ev->wd == f->wd_run)
		c->focus |= strcmp(ev->name, FOCUS_FILE_NAME) == 0;
	else if (ev->wd == f->wd_ring && (ev->mask & IN_CLOSE_WRITE)) {
		if (strcmp(ev->name, f->vm) != 0 && follow_entry_exists(f, ev->name))
			follow_wait_exit(f, ev->name);
	} else if (ev->wd == f->wd_ring)
		c->ring = true;
}

static int follow_on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct follow_changes c = {.f = userdata};

	(void)inotify_read_all(fd, follow_note_event, &c);
	if (c.ring)
		follow_read_ring(c.f);
	if (c.focus || c.ring)
		follow_focus(c.f, true);
	/* Anything may have been another helper letting go of a grab we wait for. */
	c.f->ops->retry_grabs(c.f->userdata);
	return 0;
}

static int follow_watch(struct follow *f, const char *dir, uint32_t mask, int *ret_wd)
{
	char path[VK_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s%s%s", f->run_dir, dir ? "/" : "", dir ? dir : "");
	int wd;

	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_error(f->vm, "'%s': path too long", f->run_dir);
		return -ENAMETOOLONG;
	}
	/* status/ may not exist before the first helper writes its status. */
	if (dir && mkdir(path, 0755) < 0 && errno != EEXIST) {
		int r = -errno;

		log_error(f->vm, "'%s': %s", path, strerror(-r));
		return r;
	}
	wd = inotify_add_watch(f->inotify_fd, path, mask | IN_ONLYDIR);
	if (wd < 0) {
		int r = -errno;

		log_error(f->vm, "'%s': cannot watch: %s", path, strerror(-r));
		return r;
	}
	*ret_wd = wd;
	return 0;
}

/* Sleeps a moment; for waiting on a held lock only where no input waits (join, leave). */
static void follow_pause(void)
{
	const struct timespec pause = {0, FOLLOW_LOCK_PAUSE_MS * 1000000L};

	(void)nanosleep(&pause, NULL);
}

int follow_join(struct follow *f)
{
	struct diag diag;
	int r;

	/* Before any clone exists and before the loop runs: nothing waits on us yet. */
	for (int waited = 0;; waited += FOLLOW_LOCK_PAUSE_MS) {
		r = ring_join(f->run_dir, f->vm, f->direct.n ? &f->direct : NULL, &f->member,
			      &diag);
		if (r != -EWOULDBLOCK || waited >= FOLLOW_LOCK_WAIT_MS)
			break;
		follow_pause();
	}
	if (r < 0) {
		log_error(f->vm, "%s", diag.msg);
		return r;
	}
	f->ring[0] = *ring_member_entry(f->member);
	f->n_ring = 1;
	return 0;
}

/* The transition op asks for, now. Returns what it returns (focus-file.h). */
static int follow_transition(struct follow *f, enum follow_op op, const char *target,
			     struct focus_file_stamp stamp, struct diag *diag)
{
	struct focus_file_result res;

	switch (op) {
	case FOLLOW_NEXT:
		return focus_file_next(f->run_dir, f->include_host, stamp, &res, diag);
	case FOLLOW_SET:
		return focus_file_set(f->run_dir, target, stamp, &res, diag);
	case FOLLOW_RELEASE:
	default:
		return focus_file_release(f->run_dir, stamp, &res, diag);
	}
}

static void follow_arm_retry(struct follow *f)
{
	if (!f->retry_timer)
		return;
	(void)sd_event_source_set_time_relative(f->retry_timer, f->pending.delay_usec);
	(void)sd_event_source_set_enabled(f->retry_timer, SD_EVENT_ONESHOT);
	f->pending.delay_usec = f->pending.delay_usec == 0 ? FOLLOW_RETRY_FIRST_USEC
				: MIN(f->pending.delay_usec * 2, (uint64_t)FOLLOW_RETRY_MAX_USEC);
}

/*
 * op found the lock held: kept (a newer one replaces it) and tried again from
 * the retry timer. A release, or a switch to the host, lets go of our devices
 * first, at once: from the timer, never from inside the input handler that
 * fired the hotkey.
 */
static void follow_defer(struct follow *f, enum follow_op op, const char *target,
			 struct focus_file_stamp stamp)
{
	bool logged = f->pending.set && f->pending.logged;

	f->pending = (struct follow_pending){
		.set = true,
		.op = op,
		.stamp = stamp,
		.let_go = op == FOLLOW_RELEASE || (op == FOLLOW_SET && strcmp(target, RING_HOST) == 0),
		.logged = logged,
	};
	if (target)
		snprintf(f->pending.target, sizeof(f->pending.target), "%s", target);
	follow_arm_retry(f);
}

static int follow_on_retry(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct follow *f = userdata;
	struct follow_pending p = f->pending;
	struct diag diag;
	int r;

	if (!p.set)
		return 0;
	if (p.let_go && strcmp(f->target, f->vm) == 0)
		f->ops->focus(f->userdata, RING_HOST);
	r = follow_transition(f, p.op, p.target, p.stamp, &diag);
	if (r == -EWOULDBLOCK) {
		/* Helpers that saw the same hotkey meet here for a few ms: only a lock
		 * held for longer (a second or so) is worth a line. */
		if (f->pending.delay_usec >= FOLLOW_RETRY_MAX_USEC && !f->pending.logged) {
			log_warning(f->vm, "%s; the focus change waits for it", diag.msg);
			f->pending.logged = true;
		}
		follow_arm_retry(f);
		return 0;
	}
	f->pending.set = false;
	if (r < 0)
		log_warning(f->vm, "hotkey: %s", diag.msg);
	else if (p.logged)
		log_info(f->vm, "the lock is free again; focus changed as asked");
	/* The change arrives through inotify; until then, what the file says now holds. */
	follow_focus(f, true);
	return 0;
}

int follow_start(struct follow *f)
{
	struct focus_file_state st;
	struct diag diag;
	int r;

	f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->inotify_fd < 0) {
		r = -errno;
		log_error(f->vm, "inotify: %s", strerror(-r));
		return r;
	}
	r = follow_watch(f, NULL, IN_MOVED_TO, &f->wd_run);
	if (r >= 0)
		r = follow_watch(f, RING_DIR_NAME, IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE,
				 &f->wd_ring);
	if (r >= 0)
		r = follow_watch(f, STATUS_DIR_NAME, IN_MOVED_TO | IN_DELETE, &f->wd_status);
	if (r < 0)
		return r;
	/* Before input: a focus change must take effect before the next event is forwarded. */
	r = sd_event_add_io(f->event, &f->inotify_io, f->inotify_fd, EPOLLIN, follow_on_inotify, f);
	if (r >= 0)
		r = sd_event_source_set_priority(f->inotify_io, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time_relative(f->event, &f->repair_timer, CLOCK_MONOTONIC,
					       FOLLOW_REPAIR_USEC, 0, follow_on_repair_timer, f);
	if (r >= 0)
		r = sd_event_source_set_enabled(f->repair_timer, SD_EVENT_OFF);
	/* Also before input: letting go after a release must not wait behind a batch. */
	if (r >= 0)
		r = sd_event_add_time_relative(f->event, &f->retry_timer, CLOCK_MONOTONIC, 0, 0,
					       follow_on_retry, f);
	if (r >= 0)
		r = sd_event_source_set_priority(f->retry_timer, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_source_set_enabled(f->retry_timer, SD_EVENT_OFF);
	if (r < 0) {
		log_error(f->vm, "watching '%s': %s", f->run_dir, strerror(-r));
		return r;
	}

	follow_read_ring(f);
	/* Where focus is now; only what changes after this is announced. */
	if (focus_file_read(f->run_dir, &st, &diag) >= 0) {
		f->generation = st.generation;
		strcpy(f->target, st.target);
	}
	return 0;
}

void follow_take_focus(struct follow *f, bool take)
{
	struct diag diag;
	int r;

	if (take) {
		r = follow_transition(f, FOLLOW_SET, f->vm, (struct focus_file_stamp){0, 0}, &diag);
		if (r == -EWOULDBLOCK)
			follow_defer(f, FOLLOW_SET, f->vm, (struct focus_file_stamp){0, 0});
		else if (r < 0)
			log_warning(f->vm, "%s", diag.msg);
	} else
		follow_repair(f);
	follow_focus(f, true);
}

void follow_hotkey(struct follow *f, const struct hotkey_binding *binding, uint64_t sec,
		   uint32_t usec)
{
	struct focus_file_stamp stamp = {sec, usec};
	const char *target = NULL;
	enum follow_op op;
	struct diag diag;
	int r;

	if (usec >= 1000000u)
		stamp = (struct focus_file_stamp){0, 0};
	switch (binding->action) {
	case HOTKEY_CYCLE:
		op = FOLLOW_NEXT;
		break;
	case HOTKEY_HOST:
		op = FOLLOW_SET;
		target = RING_HOST;
		break;
	case HOTKEY_RELEASE:
		op = FOLLOW_RELEASE;
		break;
	case HOTKEY_DIRECT:
		if (binding->arg >= ARRAY_SIZE(f->direct_vms))
			return;
		op = FOLLOW_SET;
		target = f->direct_vms[binding->arg];
		break;
	default:
		return;
	}
	r = follow_transition(f, op, target, stamp, &diag);
	/* The change itself arrives through inotify, like every other. */
	if (r == -EWOULDBLOCK)
		follow_defer(f, op, target, stamp);
	else if (r < 0)
		log_warning(f->vm, "hotkey: %s", diag.msg);
}

void follow_stop(struct follow *f)
{
	struct ring_entry gone, ring[RING_VMS_MAX];
	struct focus_file_result res;
	struct diag diag;
	size_t n = 0;
	int r;

	f->retry_timer = sd_event_source_disable_unref(f->retry_timer);
	f->repair_timer = sd_event_source_disable_unref(f->repair_timer);
	for (size_t i = 0; i < ARRAY_SIZE(f->exit_watches); i++)
		f->exit_watches[i] = sd_event_source_disable_unref(f->exit_watches[i]);
	f->inotify_io = sd_event_source_disable_unref(f->inotify_io);
	f->inotify_fd = safe_close(f->inotify_fd);
	if (!f->member)
		return;
	(void)status_remove(f->run_dir, f->vm);

	gone = *ring_member_entry(f->member);
	f->member = ring_leave(f->member);
	/* The devices are let go already: a short wait for a held lock costs nobody input.
	 * Given up, the others repair the focus file once the lock is free. */
	for (int waited = 0;; waited += FOLLOW_LOCK_PAUSE_MS) {
		r = focus_file_drop(f->run_dir, &gone, f->include_host, f->on_stop, &res,
				    &diag);
		if (r != -EWOULDBLOCK || waited >= FOLLOW_LOCK_WAIT_MS / 5)
			break;
		follow_pause();
	}
	if (r < 0) {
		log_warning(f->vm, "%s", diag.msg);
		return;
	}
	if (!res.changed)
		return;
	log_info(f->vm, "stopping; focus moves to '%s'", res.target);
	/* A VM still running announces it (announce.h); with none left, we do. */
	if (ring_list(f->run_dir, ring, ARRAY_SIZE(ring), &n, &diag) >= 0 && n == 0)
		f->ops->announce(f->userdata, res.target, res.previous, true);
}
