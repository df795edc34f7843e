/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/uinput.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

/*
 * uinput has no way to set REP_DELAY/REP_PERIOD at creation: libevdev only
 * sets the EV_REP bit, and the input core then gives the clone its default
 * software repeat (250 ms, 33 ms). An EV_REP event written to the uinput fd
 * goes through the same path as EVIOCSREP on the clone's node and sets them,
 * without opening that node.
 */
static int source_copy_repeat(struct source *s)
{
	int delay, period;
	struct input_event rep[3] = {
		{.type = EV_REP, .code = REP_DELAY},
		{.type = EV_REP, .code = REP_PERIOD},
		{.type = EV_SYN, .code = SYN_REPORT},
	};
	ssize_t n;

	if (!libevdev_has_event_type(s->evdev, EV_REP) ||
	    libevdev_get_repeat(s->evdev, &delay, &period) < 0)
		return 0;
	rep[0].value = delay;
	rep[1].value = period;
	n = write(libevdev_uinput_get_fd(s->uinput), rep, sizeof(rep));
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(rep) ? 0 : -EIO;
}

/* The symlink, atomically: made under a temporary name in the same directory, then renamed. */
static int source_link(struct source *s, struct diag *diag)
{
	const char *slash = strrchr(s->clone_path, '/');
	char dir[VK_PATH_MAX], tmp[VK_PATH_MAX];
	size_t dir_len = slash ? (size_t)(slash - s->clone_path) : 0;
	struct stat st;
	int r;

	if (!slash || dir_len >= sizeof(dir))
		return diag_set(diag, -EINVAL, "'%s': not an absolute path", s->clone_path);
	memcpy(dir, s->clone_path, dir_len);
	dir[dir_len] = '\0';
	if (dir_len == 0)
		strcpy(dir, "/");

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return diag_set(diag, -errno, "'%s': cannot create directory: %s", dir,
				strerror(errno));
	if (lstat(s->clone_path, &st) == 0 && !S_ISLNK(st.st_mode))
		return diag_set(diag, -EEXIST, "'%s': exists and is not a symlink", s->clone_path);

	r = snprintf(tmp, sizeof(tmp), "%s/.vfio-kvm-%ld.tmp", dir_len ? dir : "", (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return diag_set(diag, -ENAMETOOLONG, "'%s': path too long", s->clone_path);
	(void)unlink(tmp);
	if (symlink(s->clone_node, tmp) < 0)
		return diag_set(diag, -errno, "'%s': cannot create symlink: %s", tmp,
				strerror(errno));
	if (rename(tmp, s->clone_path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return diag_set(diag, r, "'%s': cannot create symlink: %s", s->clone_path,
				strerror(-r));
	}
	s->linked = true;
	return 0;
}

/* Removes the symlink only while it still names our clone (a newer helper may own it). */
static void source_unlink(struct source *s)
{
	char target[VK_PATH_MAX];
	ssize_t n;

	if (!s->linked)
		return;
	s->linked = false;
	n = readlink(s->clone_path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	if (strcmp(target, s->clone_node) == 0)
		(void)unlink(s->clone_path);
}

/* Whether the device has a key of some binding of hk. */
static bool source_can_complete(const struct source *s, const struct hotkey *hk)
{
	for (unsigned i = 0; i < hk->n_bindings; i++) {
		const struct keyset *keys = &hk->bindings[i].keys;

		for (unsigned k = 0; k < keys->n; k++)
			if (libevdev_has_event_code(s->evdev, EV_KEY, keys->codes[k]))
				return true;
	}
	return false;
}

bool source_set_hotkey(struct source *s, struct hotkey *hk)
{
	bool capable = s->evdev && source_can_complete(s, hk);

	if (capable == s->hotkey_capable)
		return false;
	s->hotkey_capable = capable;
	s->fwd.hotkey = capable ? hk : NULL;
	return true;
}

static void source_read_caps(struct source *s, struct hotkey *hk)
{
	struct forward *f = &s->fwd;

	s->hotkey_capable = source_can_complete(s, hk);
	forward_init(f, s->fd, libevdev_uinput_get_fd(s->uinput), s->hotkey_capable ? hk : NULL);
	f->drop_repeats = libevdev_has_event_type(s->evdev, EV_REP);
	for (unsigned code = 0; code <= ABS_MAX; code++)
		if (libevdev_has_event_code(s->evdev, EV_ABS, code))
			bit_set(f->abs_axes, code);
	for (unsigned code = 0; code <= SW_MAX; code++)
		if (libevdev_has_event_code(s->evdev, EV_SW, code))
			bit_set(f->switches, code);
}

int source_open(struct source *s, struct hotkey *hk, struct diag *diag)
{
	char phys[VK_PATH_MAX];
	const char *devnode;
	int r;

	s->fd = open(s->phys_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		r = -errno;
		goto fail_errno;
	}
	r = libevdev_new_from_fd(s->fd, &s->evdev);
	if (r < 0)
		goto fail_errno;

	r = snprintf(phys, sizeof(phys), CLONE_PHYS_PREFIX "%s", strrchr(s->clone_path, '/') + 1);
	if (r < 0 || (size_t)r >= sizeof(phys)) {
		r = diag_set(diag, -ENAMETOOLONG, "'%s': name too long", s->clone_path);
		goto fail;
	}

	/*
	 * libevdev copies name, IDs, capabilities and abs info but not phys, and
	 * UI_SET_PHYS must come before the device is created: so the uinput fd is
	 * opened here (and owned by us, not by libevdev).
	 */
	s->uinput_fd = open("/dev/uinput", O_RDWR | O_CLOEXEC);
	if (s->uinput_fd < 0 || ioctl(s->uinput_fd, UI_SET_PHYS, phys) < 0) {
		r = -errno;
		diag_set(diag, r, "'%s': cannot create clone with /dev/uinput: %s", s->phys_path,
			 strerror(-r));
		goto fail;
	}
	r = libevdev_uinput_create_from_device(s->evdev, s->uinput_fd, &s->uinput);
	if (r < 0) {
		diag_set(diag, r, "'%s': cannot create clone with /dev/uinput: %s", s->phys_path,
			 strerror(-r));
		goto fail;
	}
	devnode = libevdev_uinput_get_devnode(s->uinput);
	if (!devnode || strlen(devnode) >= sizeof(s->clone_node)) {
		r = diag_set(diag, -ENODEV, "'%s': clone has no device node", s->phys_path);
		goto fail;
	}
	strcpy(s->clone_node, devnode);
	source_read_caps(s, hk);

	r = source_copy_repeat(s);
	if (r < 0) {
		diag_set(diag, r, "'%s': cannot set the clone's key repeat: %s", s->phys_path,
			 strerror(-r));
		goto fail;
	}

	r = source_link(s, diag);
	if (r < 0)
		goto fail;
	return 0;

fail_errno:
	diag_set(diag, r, "'%s': %s", s->phys_path, strerror(-r));
fail:
	source_close(s);
	return r;
}

int source_grab(struct source *s, bool grab)
{
	if (s->fd < 0)
		return -EBADF;
	if (ioctl(s->fd, EVIOCGRAB, (void *)(uintptr_t)grab) < 0)
		return -errno;
	return 0;
}

void source_close(struct source *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	if (s->uinput)
		(void)forward_release(&s->fwd);
	if (s->fd >= 0)
		(void)source_grab(s, false);
	if (s->uinput) {
		source_unlink(s);
		libevdev_uinput_destroy(s->uinput);
		s->uinput = NULL;
	}
	s->uinput_fd = safe_close(s->uinput_fd);
	libevdev_free(s->evdev);
	s->evdev = NULL;
	s->fd = safe_close(s->fd);
	s->clone_node[0] = '\0';
}
