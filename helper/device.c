/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "device.h"
#include "inotify-read.h"
#include "log.h"
#include "names.h"

#define DEVICE_DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_MASK_ADD)

static void device_wait(struct device *d);

struct device *device_of_source(struct source *s)
{
	return (struct device *)((char *)s - offsetof(struct device, src));
}

void device_init(struct device *d, sd_event *event, struct loop *loop, struct hotkey *hk,
		 const struct device_ops *ops, void *userdata)
{
	*d = (struct device){
		.state = DEVICE_ABSENT,
		.event = event,
		.loop = loop,
		.hk = hk,
		.ops = ops,
		.userdata = userdata,
		.watch_fd = -1,
		.wd_dir = -1,
		.wd_parent = -1,
		.wd_by_path = -1,
		.wd_node_dir = -1,
	};
	d->src.fd = d->src.uinput_fd = d->src.stored_fd = -1;
}

void device_pin(struct device *d)
{
	d->pinned = true;
	d->focus = true;
	d->src.pinned = true;
}

static bool device_present(const struct device *d)
{
	return d->state == DEVICE_OPEN || d->state == DEVICE_GRABBED;
}

/* The clone's uinput fd: the target's LED changes reach the device while it is ours. */
static void device_take_clone_events(struct device *d)
{
	if (source_read_clone(&d->src) && d->state == DEVICE_GRABBED)
		(void)source_write_leds(&d->src, d->src.clone_leds);
}

static int device_on_clone(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	device_take_clone_events(userdata);
	return 0;
}

/* Closes the device after a failure or on purpose; the clone stays, and d waits for it. */
static void device_detach(struct device *d)
{
	struct source *s = &d->src;

	/*
	 * Closing the device drops our grab. With the device gone its keys count
	 * as released: the resync feeds their key-ups to the hotkey machine (a
	 * hotkey half pressed is dropped, not fired) and, with focus, to the clone.
	 */
	loop_input_remove(d->loop, s);
	source_close_physical(s);
	(void)forward_resync(&s->fwd);
	(void)forward_release(&s->fwd);
	s->fwd.fired = NULL;
	s->fwd.mode = FORWARD_OFF;
	d->grab_busy = false;
	device_wait(d);
}

static void device_failed(struct device *d, int error)
{
	if (!device_present(d))
		return;
	log_warning(d->src.vm, "'%s': %s; the clone stays, waiting for the device",
		    d->src.phys_path, strerror(-error));
	device_detach(d);
}

/*
 * Grab only with nothing down, or the host would keep a key whose key-up
 * went to the clone. Check, grab, drop what was queued before the grab (the
 * host saw it), check again: a key pressed in between means ungrab and wait
 * for its release, which arrives as an event on this device. EBUSY is the
 * helper that had focus before us, not done letting go: ops->grab_busy.
 * Returns true if the state changed (grabbed, or failed and now waiting).
 */
static bool device_grab(struct device *d)
{
	struct source *s = &d->src;
	int r;

	if (d->state != DEVICE_OPEN || !d->focus || forward_device_keys_down(&s->fwd) != 0)
		return false;
	r = source_grab(s, true);
	d->grab_busy = r == -EBUSY;
	if (r == -EBUSY) {
		d->ops->grab_busy(d->userdata, d);
		return false;
	}
	if (r < 0) {
		if (!d->error_logged)
			log_warning(s->vm, "'%s': cannot grab: %s", s->phys_path, strerror(-r));
		d->error_logged = true;
		return false;
	}
	/* Nobody else can set them while we hold the grab: restored when we let go. */
	s->host_leds = source_read_leds(s);
	r = forward_drain(&s->fwd);
	if (r < 0 || forward_device_keys_down(&s->fwd) != 0) {
		(void)source_grab(s, false);
		if (r < 0) {
			device_failed(d, r);
			return true;
		}
		return false;
	}
	s->fwd.mode = FORWARD_ON;
	d->state = DEVICE_GRABBED;
	(void)forward_resync(&s->fwd);
	(void)source_write_leds(s, s->clone_leds);
	return true;
}

/* Reads d without focus only if it can complete a hotkey. Returns true if d failed. */
static bool device_update_reading(struct device *d)
{
	struct source *s = &d->src;

	if (d->focus || !device_present(d))
		return false;
	/* Events queued while nobody read them are old: they must not fire a hotkey. */
	if (s->hotkey_capable && forward_drain(&s->fwd) < 0) {
		device_failed(d, -ENODEV);
		return true;
	}
	loop_input_enable(d->loop, s, s->hotkey_capable);
	return false;
}

bool device_set_focus(struct device *d, bool focus)
{
	struct source *s = &d->src;

	/* A pinned device keeps its focus; a change elsewhere may have freed it to grab. */
	if (d->pinned)
		return device_grab(d);
	if (d->focus == focus)
		return false;
	d->focus = focus;
	if (!device_present(d))
		return false;
	if (focus) {
		s->fwd.mode = FORWARD_WAIT;
		loop_input_enable(d->loop, s, true);
		(void)device_grab(d);
		return true;
	}
	(void)forward_release(&s->fwd);
	if (d->state == DEVICE_GRABBED) {
		(void)source_write_leds(s, s->host_leds);
		(void)source_grab(s, false);
	}
	s->fwd.mode = FORWARD_OFF;
	d->state = DEVICE_OPEN;
	d->grab_busy = false;
	if (!s->hotkey_capable)
		loop_input_enable(d->loop, s, false);
	return true;
}

bool device_try_grab(struct device *d)
{
	return device_grab(d);
}

void device_hotkeys_changed(struct device *d)
{
	if (source_set_hotkey(&d->src, d->hk))
		(void)device_update_reading(d);
}

bool device_read(struct device *d)
{
	struct source *s = &d->src;
	int r = forward_read(&s->fwd);
	bool more = false;

	/*
	 * The input core passes EV_MSC to the device as well as to readers, so
	 * uinput queues every MSC_SCAN we wrote on the clone's fd. Taking it
	 * now, while the fd is known readable, saves the loop a wakeup per
	 * keyboard frame: epoll checks readiness again before it reports.
	 */
	if (s->fwd.echo_pending) {
		s->fwd.echo_pending = false;
		device_take_clone_events(d);
	}
	if (_unlikely_(s->fwd.write_error < 0)) {
		if (!d->error_logged)
			log_error(s->vm, "'%s': writing to the clone: %s", s->clone_path,
				  strerror(-s->fwd.write_error));
		d->error_logged = true;
		s->fwd.write_error = 0;
	}
	if (_unlikely_(r < 0)) {
		device_failed(d, r);
		d->ops->changed(d->userdata, d);
		return true;
	}
	if (_unlikely_(s->fwd.fired != NULL)) {
		const struct hotkey_binding *binding = s->fwd.fired;

		s->fwd.fired = NULL;
		d->ops->hotkey(d->userdata, binding, s->fwd.fired_sec, s->fwd.fired_usec);
		more = true;
	}
	if (_unlikely_(s->fwd.mode == FORWARD_WAIT && d->state == DEVICE_OPEN)) {
		if (device_grab(d))
			d->ops->changed(d->userdata, d);
		more = true;
	}
	return more;
}

/* The link's directory and its parent; "" for a parent of "/". */
static void device_dirs(const struct source *s, char *dir, char *parent, size_t size)
{
	const char *slash = strrchr(s->phys_path, '/');
	size_t n = slash && slash != s->phys_path ? (size_t)(slash - s->phys_path) : 1;

	snprintf(dir, size, "%.*s", (int)n, s->phys_path);
	slash = strrchr(dir, '/');
	n = slash && slash != dir ? (size_t)(slash - dir) : 1;
	if (strcmp(dir, "/") == 0)
		parent[0] = '\0';
	else
		snprintf(parent, size, "%.*s", (int)n, dir);
}

/* The by-path twin's directory (device_by_path()), "" if there is none. */
static void device_by_path_dir(const struct source *s, char *buf, size_t size)
{
	char *slash;

	if (device_by_path(s->phys_path, buf, size) <= 0)
		buf[0] = '\0';
	else if ((slash = strrchr(buf, '/')))
		*slash = '\0';
}

/*
 * Adds the watches that exist to be added; adding one twice changes nothing.
 * The parent holds both directories (<dir>/by-id, <dir>/by-path): one watch.
 */
static void device_arm(struct device *d)
{
	char dir[VK_PATH_MAX], parent[VK_PATH_MAX], by_path[VK_PATH_MAX];

	device_dirs(&d->src, dir, parent, sizeof(dir));
	d->wd_dir = inotify_add_watch(d->watch_fd, dir, DEVICE_DIR_MASK);
	if (parent[0])
		d->wd_parent = inotify_add_watch(d->watch_fd, parent, DEVICE_DIR_MASK);
	device_by_path_dir(&d->src, by_path, sizeof(by_path));
	if (by_path[0])
		d->wd_by_path = inotify_add_watch(d->watch_fd, by_path, DEVICE_DIR_MASK);
}

static void device_stop_waiting(struct device *d)
{
	d->first_try = sd_event_source_disable_unref(d->first_try);
	d->watch_io = sd_event_source_disable_unref(d->watch_io);
	d->watch_fd = safe_close(d->watch_fd);
	d->wd_dir = d->wd_parent = d->wd_by_path = d->wd_node_dir = -1;
}

/* The device opened again: into the loop, grabbed with focus (once no key is down). */
static void device_back(struct device *d)
{
	struct source *s = &d->src;
	int r;

	device_stop_waiting(d);
	d->mismatch_logged = false;
	d->error_logged = false;
	r = loop_input_add(d->loop, s, d->focus || s->hotkey_capable);
	if (r < 0) {
		log_error(s->vm, "'%s': %s", s->phys_path, strerror(-r));
		source_close_physical(s);
		d->state = DEVICE_ABSENT;
		return;
	}
	log_info(s->vm, "'%s' is back", s->phys_path);
	d->state = DEVICE_OPEN;
	if (d->focus) {
		s->fwd.mode = FORWARD_WAIT;
		(void)device_grab(d);
	} else
		(void)device_update_reading(d);
}

/* Tries to open the device once. Returns true if the state changed. */
static bool device_try_open(struct device *d)
{
	struct source *s = &d->src;
	struct diag diag;
	int r;

	if (d->state != DEVICE_WAITING)
		return false;
	r = source_reopen(s, d->hk, &diag);
	if (r >= 0) {
		device_back(d);
		return true;
	}
	if (r == -EACCES || r == -EPERM) {
		/*
		 * udev's chmod/chown of the node wakes us. Watching the node itself
		 * needs read access to it, which is what is missing: watch its
		 * directory for IN_ATTRIB of its name.
		 */
		char node[VK_PATH_MAX];
		const char *slash;

		if (!realpath(s->open_path, node) || !(slash = strrchr(node, '/')) ||
		    strlen(slash + 1) >= sizeof(d->node_name))
			return false;
		snprintf(d->node_name, sizeof(d->node_name), "%s", slash + 1);
		node[slash == node ? 1 : slash - node] = '\0';
		d->wd_node_dir = inotify_add_watch(d->watch_fd, node,
						   IN_ATTRIB | IN_ONLYDIR | IN_MASK_ADD);
		return false;
	}
	if ((r == -EMEDIUMTYPE || r == -ELOOP) && !d->mismatch_logged) {
		log_warning(s->vm, "%s", diag.msg);
		d->mismatch_logged = true;
	}
	return false;
}

/* What one read of the watch is matched against. */
struct device_match {
	const struct device *d;
	const char *base;     /* the link's name */
	const char *dir_base; /* its directory's name */
	const char *by_path_base; /* its by-path twin's directory's name ("" if none) */
	bool relevant;
};

static void device_match_event(const struct inotify_event *ev, void *userdata)
{
	struct device_match *m = userdata;
	const struct device *d = m->d;

	/* One directory may be several of these (watches are per inode). */
	m->relevant |= (ev->mask & IN_Q_OVERFLOW) ||
		       (ev->len > 0 &&
			(((ev->wd == d->wd_dir || ev->wd == d->wd_by_path) &&
			  strcmp(ev->name, m->base) == 0) ||
			 (ev->wd == d->wd_parent && (strcmp(ev->name, m->dir_base) == 0 ||
						     strcmp(ev->name, m->by_path_base) == 0)) ||
			 (ev->wd == d->wd_node_dir && (ev->mask & IN_ATTRIB) &&
			  strcmp(ev->name, d->node_name) == 0)));
}

static int device_on_watch(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct device *d = userdata;
	char dir[VK_PATH_MAX], parent[VK_PATH_MAX], by_path[VK_PATH_MAX];
	struct device_match m = {.d = d, .base = strrchr(d->src.phys_path, '/') + 1};

	device_dirs(&d->src, dir, parent, sizeof(dir));
	m.dir_base = strrchr(dir, '/') + 1;
	device_by_path_dir(&d->src, by_path, sizeof(by_path));
	m.by_path_base = by_path[0] ? strrchr(by_path, '/') + 1 : "";
	(void)inotify_read_all(fd, device_match_event, &m);
	if (!m.relevant)
		return 0;
	device_arm(d);
	if (device_try_open(d))
		d->ops->changed(d->userdata, d);
	return 0;
}

/* It may be back already, between the failure and the watch. */
static int device_on_first_try(sd_event_source *es, void *userdata)
{
	struct device *d = userdata;

	d->first_try = sd_event_source_disable_unref(d->first_try);
	if (device_try_open(d))
		d->ops->changed(d->userdata, d);
	return 0;
}

/* Starts waiting for the device (closed, clone kept): WAITING, or ABSENT if that fails. */
static void device_wait(struct device *d)
{
	struct source *s = &d->src;
	int r;

	device_stop_waiting(d);
	d->state = DEVICE_ABSENT;
	d->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->watch_fd < 0) {
		r = -errno;
		log_error(s->vm, "'%s': cannot wait for it: inotify: %s", s->phys_path,
			  strerror(-r));
		return;
	}
	r = sd_event_add_io(d->event, &d->watch_io, d->watch_fd, EPOLLIN, device_on_watch, d);
	if (r >= 0)
		r = sd_event_add_defer(d->event, &d->first_try, device_on_first_try, d);
	if (r < 0) {
		log_error(s->vm, "'%s': cannot wait for it: %s", s->phys_path, strerror(-r));
		device_stop_waiting(d);
		return;
	}
	device_arm(d);
	d->state = DEVICE_WAITING;
}

int device_open(struct device *d, struct diag *diag)
{
	struct source *s = &d->src;
	int r;

	r = source_open(s, d->hk, diag);
	if (r < 0)
		return r;
	r = sd_event_add_io(d->event, &d->clone_io, s->uinput_fd, EPOLLIN, device_on_clone, d);
	if (r < 0)
		goto fail;
	/* Absent, its clone made from the cache: waited for like an unplugged one. */
	if (s->fd < 0) {
		device_wait(d);
		return 0;
	}
	r = loop_input_add(d->loop, s, d->focus || s->hotkey_capable);
	if (r < 0)
		goto fail;
	d->state = DEVICE_OPEN;
	/* Only a pinned device has focus this early: grabbed from the start. */
	if (d->focus) {
		s->fwd.mode = FORWARD_WAIT;
		(void)device_grab(d);
	}
	return 0;
fail:
	device_close(d);
	return diag_set(diag, r, "'%s': %s", s->phys_path, strerror(-r));
}

void device_replug(struct device *d)
{
	if (device_present(d)) {
		/* Its keys released on the clone, closed, and opened again (deferred). */
		device_detach(d);
		return;
	}
	if (d->state == DEVICE_WAITING)
		(void)device_try_open(d);
	else
		device_wait(d);
}

void device_close(struct device *d)
{
	device_stop_waiting(d);
	d->clone_io = sd_event_source_disable_unref(d->clone_io);
	loop_input_remove(d->loop, &d->src);
	source_close(&d->src);
	d->state = DEVICE_ABSENT;
}
