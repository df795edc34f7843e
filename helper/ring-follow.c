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
 * (a helper killed between ring_leave() and focus_drop(), a pid that could
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
#include <unistd.h>

#include "announce.h"
#include "bus.h"
#include "focus-file.h"
#include "focus.h"
#include "inotify-read.h"
#include "log.h"
#include "names.h"
#include "ring-follow.h"
#include "status-file.h"

#define FOLLOW_REPAIR_USEC 1000000u

int follow_init(struct helper *h)
{
	int r = hotkey_init(&h->hotkey, h->base, HELPER_BASE_BINDINGS);

	if (r < 0)
		return r;
	h->inotify_fd = -1;
	strcpy(h->target, RING_HOST);
	h->ring[0] = (struct ring_entry){.hotkey = h->direct};
	strcpy(h->ring[0].vm, h->vm);
	h->n_ring = 1;
	follow_apply_bindings(h);
	return 0;
}

void follow_apply_bindings(struct helper *h)
{
	struct hotkey_binding b[HOTKEY_BINDINGS_MAX];
	unsigned n = 0, n_direct = 0;

	for (unsigned i = 0; i < HELPER_BASE_BINDINGS; i++)
		b[n++] = h->base[i];
	/* Keys bound twice: cycle, host and release win, then the VM that joined first. */
	for (size_t i = 0; i < h->n_ring && n < ARRAY_SIZE(b); i++) {
		const struct ring_entry *e = &h->ring[i];
		bool taken = e->hotkey.n == 0;

		for (unsigned k = 0; k < n && !taken; k++)
			taken = b[k].keys.n > 0 && keyset_equal(&b[k].keys, &e->hotkey);
		if (taken)
			continue;
		strcpy(h->direct_vms[n_direct], e->vm);
		b[n++] = (struct hotkey_binding){
			.keys = e->hotkey, .action = HOTKEY_DIRECT, .arg = n_direct++};
	}
	(void)hotkey_set_bindings(&h->hotkey, b, n);
	h->bindings_pending = false;
	for (size_t i = 0; i < h->n_sources; i++)
		if (source_set_hotkey(&h->sources[i], &h->hotkey))
			focus_update_reading(h, &h->sources[i]);
}

/* Reads the live ring; the bindings follow as soon as no key is held. */
static void follow_read_ring(struct helper *h)
{
	struct ring_entry ring[RING_VMS_MAX];
	struct diag diag = {{0}};
	size_t n = 0;
	int r = ring_list(h->run_dir, ring, ARRAY_SIZE(ring), &n, &diag);

	if (r < 0) {
		log_warning(h->vm, "%s", diag.msg);
		return;
	}
	if (r > 0)
		log_warning(h->vm, "%s", diag.msg);
	memcpy(h->ring, ring, n * sizeof(ring[0]));
	h->n_ring = n;
	h->bindings_pending = true;
	follow_idle(h);
}

static bool follow_in_ring(const struct helper *h, const char *vm)
{
	for (size_t i = 0; i < h->n_ring; i++)
		if (strcmp(h->ring[i].vm, vm) == 0)
			return true;
	return false;
}

static void follow_repair(struct helper *h)
{
	struct focus_result res;
	struct diag diag;

	if (focus_repair(h->run_dir, h->include_host, &res, &diag) < 0)
		log_warning(h->vm, "%s", diag.msg);
	else if (res.changed)
		log_info(h->vm, "'%s' is gone; focus moves to '%s'", res.previous, res.target);
}

/*
 * Reads the focus file and acts on it: gain or lose focus, announce a new
 * generation when it is ours to announce (never at start: that switch was
 * announced when it happened).
 */
static void follow_focus(struct helper *h, bool announce)
{
	struct focus_state st;
	struct diag diag;
	bool was = h->focus, changed;
	int r = focus_read(h->run_dir, &st, &diag);

	if (r == -EBADMSG) {
		/* Replaced by the repair, which any transition would also do. */
		log_warning(h->vm, "%s", diag.msg);
		follow_repair(h);
		r = focus_read(h->run_dir, &st, &diag);
	}
	if (r < 0) {
		log_warning(h->vm, "%s", diag.msg);
		return;
	}
	if (st.generation != h->generation) {
		h->generation = st.generation;
		if (announce && h->bus &&
		    announce_decide(st.previous, st.target, h->vm, h->ring, h->n_ring))
			bus_announce(h->bus, st.target, st.previous);
	}
	changed = strcmp(h->target, st.target) != 0;
	strcpy(h->target, st.target);
	if (strcmp(st.target, h->vm) == 0)
		focus_gain(h);
	else
		focus_lose(h);
	if (changed && h->focus == was)
		focus_status(h);

	if (strcmp(st.target, RING_HOST) != 0 && !follow_in_ring(h, st.target))
		follow_arm_timer(h);
}

void follow_arm_timer(struct helper *h)
{
	if (!h->repair_timer || sd_event_source_get_enabled(h->repair_timer, NULL) != 0)
		return;
	(void)sd_event_source_set_time_relative(h->repair_timer, FOLLOW_REPAIR_USEC);
	(void)sd_event_source_set_enabled(h->repair_timer, SD_EVENT_ONESHOT);
}

static int follow_on_repair_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct helper *h = userdata;

	follow_repair(h);
	follow_read_ring(h);
	follow_focus(h, true);
	focus_retry_grabs(h);
	return 0;
}

/* Repair first: it reads the dead entry's place before anything removes it. */
static void follow_after_death(struct helper *h)
{
	follow_repair(h);
	follow_read_ring(h);
	follow_focus(h, true);
	focus_retry_grabs(h);
}

static int follow_on_exited(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct helper *h = userdata;

	/* Freeing it also closes the pidfd. */
	for (size_t i = 0; i < ARRAY_SIZE(h->exit_watches); i++)
		if (h->exit_watches[i] == es)
			h->exit_watches[i] = sd_event_source_disable_unref(es);
	follow_after_death(h);
	return 0;
}

/* The helper of vm closed its ring entry without leaving: repair once it has exited. */
static void follow_wait_exit(struct helper *h, const char *vm)
{
	sd_event_source **slot = NULL;
	struct status st;
	int fd = -1;

	follow_arm_timer(h);
	for (size_t i = 0; i < ARRAY_SIZE(h->exit_watches) && !slot; i++)
		if (!h->exit_watches[i])
			slot = &h->exit_watches[i];
	if (slot && status_read(h->run_dir, vm, &st, NULL) >= 0 && st.pid > 1 &&
	    st.pid != getpid())
		fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	if (fd < 0 || sd_event_add_io(h->event, slot, fd, EPOLLIN, follow_on_exited, h) < 0) {
		/* Reaped already (ESRCH: nothing of it is left), or not to be watched
		 * (more deaths at once than slots: the safety timer covers those). */
		safe_close(fd);
		follow_after_death(h);
		return;
	}
	(void)sd_event_source_set_io_fd_own(*slot, 1);
	(void)sd_event_source_set_priority(*slot, SD_EVENT_PRIORITY_IMPORTANT);
}

/* Whether ring/<name> still exists: a closed entry that does is a dead helper's. */
static bool follow_entry_exists(const struct helper *h, const char *name)
{
	char path[VK_PATH_MAX];
	int n;

	if (vm_name_check(name, NULL) < 0)
		return false;
	n = snprintf(path, sizeof(path), "%s/" RING_DIR_NAME "/%s", h->run_dir, name);
	/* Too long to check: repairing when not needed changes nothing. */
	return n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) == 0;
}

/* What one read of the run directory's watches asks for. */
struct follow_changes {
	struct helper *h;
	bool focus; /* the focus file was replaced */
	bool ring;  /* an entry came or went */
};

static void follow_note_event(const struct inotify_event *ev, void *userdata)
{
	struct follow_changes *c = userdata;
	struct helper *h = c->h;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* Lost events, maybe a death: the safety timer repairs. */
		follow_arm_timer(h);
		c->focus = c->ring = true;
		return;
	}
	if (ev->len == 0 || ev->name[0] == '.')
		return;
	if (ev->wd == h->wd_run)
		c->focus |= strcmp(ev->name, FOCUS_FILE_NAME) == 0;
	else if (ev->wd == h->wd_ring && (ev->mask & IN_CLOSE_WRITE)) {
		if (strcmp(ev->name, h->vm) != 0 && follow_entry_exists(h, ev->name))
			follow_wait_exit(h, ev->name);
	} else if (ev->wd == h->wd_ring)
		c->ring = true;
}

static int follow_on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct follow_changes c = {.h = userdata};

	(void)inotify_read_all(fd, follow_note_event, &c);
	if (c.ring)
		follow_read_ring(c.h);
	if (c.focus || c.ring)
		follow_focus(c.h, true);
	/* Anything may have been another helper letting go of a grab we wait for. */
	focus_retry_grabs(c.h);
	return 0;
}

static int follow_watch(struct helper *h, const char *dir, uint32_t mask, int *ret_wd)
{
	char path[VK_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s%s%s", h->run_dir, dir ? "/" : "", dir ? dir : "");
	int wd;

	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_error(h->vm, "'%s': path too long", h->run_dir);
		return -ENAMETOOLONG;
	}
	/* status/ may not exist before the first helper writes its status. */
	if (dir && mkdir(path, 0755) < 0 && errno != EEXIST) {
		log_error(h->vm, "'%s': %s", path, strerror(errno));
		return -errno;
	}
	wd = inotify_add_watch(h->inotify_fd, path, mask | IN_ONLYDIR);
	if (wd < 0) {
		log_error(h->vm, "'%s': cannot watch: %s", path, strerror(errno));
		return -errno;
	}
	*ret_wd = wd;
	return 0;
}

int follow_start(struct helper *h)
{
	struct focus_state st;
	struct diag diag;
	int r;

	r = ring_join(h->run_dir, h->vm, h->direct.n ? &h->direct : NULL, &h->member, &diag);
	if (r < 0) {
		log_error(h->vm, "%s", diag.msg);
		return r;
	}
	h->ring[0] = *ring_member_entry(h->member);
	h->n_ring = 1;

	h->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->inotify_fd < 0) {
		log_error(h->vm, "inotify: %s", strerror(errno));
		return -errno;
	}
	r = follow_watch(h, NULL, IN_MOVED_TO, &h->wd_run);
	if (r >= 0)
		r = follow_watch(h, RING_DIR_NAME, IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE,
				 &h->wd_ring);
	if (r >= 0)
		r = follow_watch(h, STATUS_DIR_NAME, IN_MOVED_TO | IN_DELETE, &h->wd_status);
	if (r < 0)
		return r;
	/* Before input: a focus change must take effect before the next event is forwarded. */
	r = sd_event_add_io(h->event, &h->inotify_io, h->inotify_fd, EPOLLIN, follow_on_inotify, h);
	if (r >= 0)
		r = sd_event_source_set_priority(h->inotify_io, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time_relative(h->event, &h->repair_timer, CLOCK_MONOTONIC,
					       FOLLOW_REPAIR_USEC, 0, follow_on_repair_timer, h);
	if (r >= 0)
		r = sd_event_source_set_enabled(h->repair_timer, SD_EVENT_OFF);
	if (r < 0) {
		log_error(h->vm, "watching '%s': %s", h->run_dir, strerror(-r));
		return r;
	}

	follow_read_ring(h);
	/* Where focus is now; only what changes after this is announced. */
	if (focus_read(h->run_dir, &st, &diag) >= 0) {
		h->generation = st.generation;
		strcpy(h->target, st.target);
	}
	focus_status(h);
	return 0;
}

void follow_take_focus(struct helper *h, bool take)
{
	struct focus_result res;
	struct diag diag;

	if (take) {
		if (focus_set(h->run_dir, h->vm, (struct focus_stamp){0, 0}, &res, &diag) < 0)
			log_warning(h->vm, "%s", diag.msg);
	} else
		follow_repair(h);
	follow_focus(h, true);
}

void follow_hotkey(struct helper *h, const struct hotkey_binding *binding, uint64_t sec,
		   uint32_t usec)
{
	struct focus_stamp stamp = {sec, usec};
	struct focus_result res;
	struct diag diag;
	int r;

	if (usec >= 1000000u)
		stamp = (struct focus_stamp){0, 0};
	switch (binding->action) {
	case HOTKEY_CYCLE:
		r = focus_next(h->run_dir, h->include_host, stamp, &res, &diag);
		break;
	case HOTKEY_HOST:
		r = focus_set(h->run_dir, RING_HOST, stamp, &res, &diag);
		break;
	case HOTKEY_RELEASE:
		r = focus_release(h->run_dir, stamp, &res, &diag);
		break;
	case HOTKEY_DIRECT:
		if (binding->arg >= ARRAY_SIZE(h->direct_vms))
			return;
		r = focus_set(h->run_dir, h->direct_vms[binding->arg], stamp, &res, &diag);
		break;
	default:
		return;
	}
	/* The change itself arrives through inotify, like every other. */
	if (r < 0)
		log_warning(h->vm, "hotkey: %s", diag.msg);
}

void follow_stop(struct helper *h)
{
	struct ring_entry gone, ring[RING_VMS_MAX];
	struct focus_result res;
	struct diag diag;
	size_t n = 0;

	h->repair_timer = sd_event_source_disable_unref(h->repair_timer);
	for (size_t i = 0; i < ARRAY_SIZE(h->exit_watches); i++)
		h->exit_watches[i] = sd_event_source_disable_unref(h->exit_watches[i]);
	h->inotify_io = sd_event_source_disable_unref(h->inotify_io);
	h->inotify_fd = safe_close(h->inotify_fd);
	if (!h->member)
		return;
	(void)status_remove(h->run_dir, h->vm);

	gone = *ring_member_entry(h->member);
	h->member = ring_leave(h->member);
	if (focus_drop(h->run_dir, &gone, h->include_host, &res, &diag) < 0) {
		log_warning(h->vm, "%s", diag.msg);
		return;
	}
	if (!res.changed)
		return;
	log_info(h->vm, "stopping; focus moves to '%s'", res.target);
	/* A VM still running announces it (announce.h); with none left, we do. */
	if (h->bus && ring_list(h->run_dir, ring, ARRAY_SIZE(ring), &n, &diag) >= 0 && n == 0)
		bus_announce_now(h->bus, res.target, res.previous);
}
