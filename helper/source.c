/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/uinput.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devcache.h"
#include "fdstore.h"
#include "log.h"
#include "names.h"
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
	n = write(s->uinput_fd, rep, sizeof(rep));
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

/* Whether the device has a key of some binding of hk; never for a pinned one. */
static bool source_can_complete(const struct source *s, const struct hotkey *hk)
{
	if (s->pinned)
		return false;
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
	forward_init(f, s->fd, s->uinput_fd, s->hotkey_capable ? hk : NULL);
	f->host = s->host;
	f->drop_repeats = libevdev_has_event_type(s->evdev, EV_REP);
	for (unsigned code = 0; code <= ABS_MAX; code++)
		if (libevdev_has_event_code(s->evdev, EV_ABS, code))
			bit_set(f->abs_axes, code);
	for (unsigned code = 0; code <= SW_MAX; code++)
		if (libevdev_has_event_code(s->evdev, EV_SW, code))
			bit_set(f->switches, code);
}

/*
 * Whether b can stand for a (a clone of a, or a replugged a): same name (as
 * far as uinput keeps it), IDs, and every code of the types the clone
 * carries, abs ranges included. The clone's capabilities cannot change.
 */
static bool source_caps_match(const struct libevdev *a, const struct libevdev *b)
{
	static const unsigned types[] = {EV_KEY, EV_REL, EV_ABS, EV_MSC, EV_SW, EV_LED};
	const char *na = libevdev_get_name(a), *nb = libevdev_get_name(b);

	if (strncmp(na ? na : "", nb ? nb : "", UINPUT_MAX_NAME_SIZE - 1) != 0 ||
	    libevdev_get_id_bustype(a) != libevdev_get_id_bustype(b) ||
	    libevdev_get_id_vendor(a) != libevdev_get_id_vendor(b) ||
	    libevdev_get_id_product(a) != libevdev_get_id_product(b) ||
	    libevdev_get_id_version(a) != libevdev_get_id_version(b))
		return false;
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		int max = libevdev_event_type_get_max(types[t]);

		if (libevdev_has_event_type(a, types[t]) != libevdev_has_event_type(b, types[t]))
			return false;
		for (int code = 0; code <= max; code++) {
			bool has = libevdev_has_event_code(a, types[t], (unsigned)code);

			if (has != libevdev_has_event_code(b, types[t], (unsigned)code))
				return false;
			if (has && types[t] == EV_ABS &&
			    (libevdev_get_abs_minimum(a, (unsigned)code) !=
				     libevdev_get_abs_minimum(b, (unsigned)code) ||
			     libevdev_get_abs_maximum(a, (unsigned)code) !=
				     libevdev_get_abs_maximum(b, (unsigned)code)))
				return false;
		}
	}
	return true;
}

/* Whether dev is a clone, ours or another helper's: its phys says so (source.h). */
static bool source_is_clone(const struct libevdev *dev)
{
	const char *phys = libevdev_get_phys(dev);

	return phys && strncmp(phys, CLONE_PHYS_PREFIX, strlen(CLONE_PHYS_PREFIX)) == 0;
}

/* /dev/input/eventN of the input device sysname (inputM), from sysfs. */
static int source_event_node(const char *sysname, char *buf, size_t size)
{
	char dir[128];
	DIR *d;
	struct dirent *de;
	int r = -ENODEV;

	if (snprintf(dir, sizeof(dir), "/sys/class/input/%s", sysname) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "event", 5) == 0 && strlen(de->d_name) < 32) {
			snprintf(buf, size, "/dev/input/%.31s", de->d_name);
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

/*
 * The clone behind a uinput fd from the fd store: still created, ours (phys),
 * with the device's capabilities. Sets clone_node; keys down on it and its
 * LEDs go to ret_keys and s->clone_leds.
 */
static int source_adopt(struct source *s, const char *phys, unsigned long *ret_keys,
			struct diag *diag)
{
	_cleanup_(closep) int node_fd = -1;
	struct libevdev *clone = NULL;
	unsigned long leds[BITSET_LONGS(LED_CNT)] = {0};
	char sysname[64] = "", node[64];
	const char *clone_phys;
	bool ours;
	int r;

	if (ioctl(s->stored_fd, UI_GET_SYSNAME(sizeof(sysname) - 1), sysname) < 0)
		return diag_set(diag, -errno, "not a created uinput device: %s", strerror(errno));
	r = source_event_node(sysname, node, sizeof(node));
	if (r < 0)
		return diag_set(diag, r, "'%s': no event node: %s", sysname, strerror(-r));
	node_fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (node_fd < 0)
		return diag_set(diag, -errno, "'%s': %s", node, strerror(errno));
	r = libevdev_new_from_fd(node_fd, &clone);
	if (r < 0)
		return diag_set(diag, r, "'%s': %s", node, strerror(-r));
	clone_phys = libevdev_get_phys(clone);
	ours = clone_phys && strcmp(clone_phys, phys) == 0;
	r = ours && source_caps_match(s->evdev, clone) ? 0 : -EMEDIUMTYPE;
	libevdev_free(clone);
	if (r < 0)
		return diag_set(diag, r, "'%s': %s", node,
				ours ? "the device's capabilities changed" : "not this clone");
	if (ioctl(node_fd, EVIOCGKEY(BITSET_LONGS(KEY_CNT) * sizeof(long)), ret_keys) < 0 ||
	    ioctl(node_fd, EVIOCGLED(sizeof(leds)), leds) < 0)
		return diag_set(diag, -errno, "'%s': %s", node, strerror(errno));
	s->clone_leds = (uint32_t)leds[0];
	(void)fcntl(s->stored_fd, F_SETFL, O_NONBLOCK);
	s->uinput_fd = TAKE_FD(s->stored_fd);
	strcpy(s->clone_node, node);
	return 0;
}

static int source_create(struct source *s, const char *phys, struct diag *diag)
{
	const char *devnode;
	int r;

	/*
	 * libevdev copies name, IDs, capabilities and abs info but not phys, and
	 * UI_SET_PHYS must come before the device is created: so the uinput fd is
	 * opened here (and owned by us, not by libevdev).
	 */
	s->uinput_fd = open("/dev/uinput", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s->uinput_fd < 0 || ioctl(s->uinput_fd, UI_SET_PHYS, phys) < 0) {
		r = -errno;
		return diag_set(diag, r, "'%s': cannot create clone with /dev/uinput: %s",
				s->phys_path, strerror(-r));
	}
	/* No force feedback (source.h): s->evdev describes the clone from here on. */
	(void)libevdev_disable_event_type(s->evdev, EV_FF);
	(void)libevdev_disable_event_type(s->evdev, EV_FF_STATUS);
	r = libevdev_uinput_create_from_device(s->evdev, s->uinput_fd, &s->uinput);
	if (r < 0)
		return diag_set(diag, r, "'%s': cannot create clone with /dev/uinput: %s",
				s->phys_path, strerror(-r));
	devnode = libevdev_uinput_get_devnode(s->uinput);
	if (!devnode || strlen(devnode) >= sizeof(s->clone_node))
		return diag_set(diag, -ENODEV, "'%s': clone has no device node", s->phys_path);
	strcpy(s->clone_node, devnode);
	r = source_copy_repeat(s);
	if (r < 0)
		return diag_set(diag, r, "'%s': cannot set the clone's key repeat: %s",
				s->phys_path, strerror(-r));
	return 0;
}

/* Records what the device looks like, for a start while it is absent (devcache.h). */
static void source_cache(struct source *s)
{
	const char *dir = s->cache_dir;
	struct devcache c;
	struct diag diag;

	(void)devcache_from_evdev(s->evdev, &c);
	/* StateDirectory= makes it under systemd; by hand it may be missing. */
	(void)mkdir(dir, 0755);
	if (devcache_write(dir, strrchr(s->phys_path, '/') + 1, &c, &diag) < 0 &&
	    !s->cache_logged) {
		log_warning(s->vm, "capability cache: %s", diag.msg);
		s->cache_logged = true;
	}
}

/* The device is absent: its capabilities from the cache, or a clear refusal. */
static int source_from_cache(struct source *s, struct diag *diag)
{
	const char *dir = s->cache_dir;
	struct devcache c;
	struct diag cache_diag;
	int r;

	r = devcache_read(dir, strrchr(s->phys_path, '/') + 1, &c, &cache_diag);
	if (r == -ENOENT)
		return diag_set(diag, r,
				"'%s' does not exist and was never seen (nothing cached in %s): "
				"its clone cannot be made; plug it in and start the VM again",
				s->phys_path, dir);
	if (r < 0)
		return diag_set(diag, r, "'%s' does not exist; its cache: %s", s->phys_path,
				cache_diag.msg);
	r = devcache_to_evdev(&c, &s->evdev);
	if (r < 0)
		return diag_set(diag, r, "'%s': %s", s->phys_path, strerror(-r));
	log_info(s->vm, "'%s' is absent: its clone is made from the cache; waiting for it",
		 s->phys_path);
	return 0;
}

/*
 * Opens the physical device: phys_path, or its by-path twin when phys_path
 * does not exist (source.h). Sets open_path to the one opened or, on failure,
 * the last one tried. Returns the fd or a negative errno.
 */
static int source_open_device(struct source *s)
{
	char alt[VK_PATH_MAX];
	int fd;

	strcpy(s->open_path, s->phys_path);
	fd = open(s->phys_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || device_by_path(s->phys_path, alt, sizeof(alt)) <= 0)
		return fd < 0 ? -errno : fd;
	strcpy(s->open_path, alt);
	fd = open(alt, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int source_open(struct source *s, struct hotkey *hk, struct diag *diag)
{
	unsigned long keys[BITSET_LONGS(KEY_CNT)] = {0};
	bool adopted = false;
	char phys[VK_PATH_MAX];
	int r;

	r = source_open_device(s);
	s->fd = r < 0 ? -1 : r;
	if (s->fd < 0) {
		if (r != -ENOENT && r != -ENODEV && r != -ENXIO)
			goto fail_errno;
		r = source_from_cache(s, diag);
		if (r < 0)
			goto fail;
	} else {
		r = libevdev_new_from_fd(s->fd, &s->evdev);
		if (r < 0)
			goto fail_errno;
		/* Absent, as far as we are concerned; the wait logs it (once). */
		if (source_is_clone(s->evdev)) {
			libevdev_free(s->evdev);
			s->evdev = NULL;
			s->fd = safe_close(s->fd);
			r = source_from_cache(s, diag);
			if (r == -ENOENT)
				diag_set(diag, r, "'%s' leads to a clone, not to the device, and the "
					 "device was never seen: its clone cannot be made",
					 s->phys_path);
			if (r < 0)
				goto fail;
		} else
			source_cache(s);
	}

	r = snprintf(phys, sizeof(phys), CLONE_PHYS_PREFIX "%s", strrchr(s->clone_path, '/') + 1);
	if (r < 0 || (size_t)r >= sizeof(phys)) {
		r = diag_set(diag, -ENAMETOOLONG, "'%s': name too long", s->clone_path);
		goto fail;
	}

	if (s->stored_fd >= 0) {
		struct diag adopt_diag;

		r = source_adopt(s, phys, keys, &adopt_diag);
		adopted = r >= 0;
		s->stored = adopted;
		if (!adopted) {
			log_warning(s->vm, "'%s': stored clone dropped: %s", s->clone_path,
				    adopt_diag.msg);
			s->stored_fd = safe_close(s->stored_fd);
			s->stored = true; /* so that the next line removes it */
			fdstore_remove(s);
		}
	}
	if (!adopted) {
		r = source_create(s, phys, diag);
		if (r < 0)
			goto fail;
		fdstore_add(s);
	}
	source_read_caps(s, hk);
	if (adopted) {
		/* Keys down when the last helper died: nobody will ever release them. */
		memcpy(s->fwd.clone_keys, keys, sizeof(keys));
		r = forward_release(&s->fwd);
		if (r < 0) {
			diag_set(diag, r, "'%s': cannot release keys on the clone: %s",
				 s->clone_path, strerror(-r));
			goto fail;
		}
		log_info(s->vm, "'%s': took the clone '%s' back from the fd store",
			 s->clone_path, s->clone_node);
	}

	r = source_link(s, diag);
	if (r < 0)
		goto fail;
	if (s->fd >= 0 && strcmp(s->open_path, s->phys_path) != 0)
		log_info(s->vm, "'%s': no such link; using '%s'", s->phys_path, s->open_path);
	return 0;

fail_errno:
	diag_set(diag, r, "'%s': %s", s->open_path, strerror(-r));
fail:
	source_close(s);
	return r;
}

int source_reopen(struct source *s, struct hotkey *hk, struct diag *diag)
{
	_cleanup_(closep) int fd = source_open_device(s);
	struct libevdev *dev = NULL;
	int r;

	if (fd < 0) {
		r = fd;
		fd = -1;
		return diag_set(diag, r, "'%s': %s", s->open_path, strerror(-r));
	}
	r = libevdev_new_from_fd(fd, &dev);
	if (r < 0)
		return diag_set(diag, r, "'%s': %s", s->phys_path, strerror(-r));
	if (source_is_clone(dev)) {
		libevdev_free(dev);
		return diag_set(diag, -ELOOP, "'%s' leads to a clone, not to the device; "
				"waiting for the device", s->phys_path);
	}
	if (!source_caps_match(s->evdev, dev)) {
		libevdev_free(dev);
		return diag_set(diag, -EMEDIUMTYPE,
				"'%s': capabilities differ from its clone's; not used",
				s->phys_path);
	}
	libevdev_free(s->evdev);
	s->evdev = dev;
	s->fd = TAKE_FD(fd);
	source_read_caps(s, hk);
	source_cache(s);
	return 0;
}

void source_close_physical(struct source *s)
{
	s->fd = safe_close(s->fd);
	s->fwd.src_fd = -1;
}

int source_grab(struct source *s, bool grab)
{
	if (s->fd < 0)
		return -EBADF;
	if (ioctl(s->fd, EVIOCGRAB, (void *)(uintptr_t)grab) < 0)
		return -errno;
	return 0;
}

bool source_read_clone(struct source *s)
{
	struct input_event ev[16];
	uint32_t leds = s->clone_leds;
	ssize_t n;

	/* Bounded: a target cannot keep us here. */
	for (int i = 0; i < 16; i++) {
		n = read(s->uinput_fd, ev, sizeof(ev));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (size_t k = 0; k < (size_t)n / sizeof(ev[0]); k++)
			if (ev[k].type == EV_LED && ev[k].code <= LED_MAX) {
				if (ev[k].value)
					leds |= 1u << ev[k].code;
				else
					leds &= ~(1u << ev[k].code);
			}
		if ((size_t)n < sizeof(ev))
			break;
	}
	if (leds == s->clone_leds)
		return false;
	s->clone_leds = leds;
	return true;
}

int source_write_leds(struct source *s, uint32_t leds)
{
	struct input_event ev[LED_CNT + 1];
	size_t n = 0;
	ssize_t w;

	if (s->fd < 0 || !s->evdev || !libevdev_has_event_type(s->evdev, EV_LED))
		return 0;
	for (unsigned code = 0; code <= LED_MAX; code++)
		if (libevdev_has_event_code(s->evdev, EV_LED, code))
			ev[n++] = (struct input_event){.type = EV_LED,
						       .code = (uint16_t)code,
						       .value = !!(leds & (1u << code))};
	ev[n++] = (struct input_event){.type = EV_SYN, .code = SYN_REPORT};
	w = write(s->fd, ev, n * sizeof(ev[0]));
	if (w < 0)
		return -errno;
	return (size_t)w == n * sizeof(ev[0]) ? 0 : -EIO;
}

uint32_t source_read_leds(const struct source *s)
{
	unsigned long leds[BITSET_LONGS(LED_CNT)] = {0};

	if (s->fd < 0 || ioctl(s->fd, EVIOCGLED(sizeof(leds)), leds) < 0)
		return 0;
	return (uint32_t)leds[0];
}

void source_close(struct source *s)
{
	if (s->uinput_fd >= 0 && s->clone_node[0])
		(void)forward_release(&s->fwd);
	/* The host's LEDs back, before the host gets the keyboard back. */
	if (s->fd >= 0 && s->fwd.mode == FORWARD_ON)
		(void)source_write_leds(s, s->host_leds);
	if (s->fd >= 0)
		(void)source_grab(s, false);
	source_unlink(s);
	/* Created without a node (libevdev found none): destroyed all the same. */
	if (s->uinput)
		libevdev_uinput_destroy(s->uinput);
	else if (s->uinput_fd >= 0 && s->clone_node[0])
		(void)ioctl(s->uinput_fd, UI_DEV_DESTROY);
	s->uinput = NULL;
	fdstore_remove(s);
	s->uinput_fd = safe_close(s->uinput_fd);
	s->stored_fd = safe_close(s->stored_fd);
	libevdev_free(s->evdev);
	s->evdev = NULL;
	s->fd = safe_close(s->fd);
	s->clone_node[0] = '\0';
}
