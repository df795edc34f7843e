/* SPDX-License-Identifier: MIT */
/*
 * One source device of a VM: the physical evdev device, its uinput clone, and
 * the symlink that names the clone (normally /dev/input/by-id/<vm>-<dev>).
 *
 * Devices without a by-id link: a physical path <dir>/by-id/<name> that does
 * not exist is looked for as <dir>/by-path/<name> (device_by_path(), by-id
 * first, every time it is opened), so /dev/input/by-id/<vm>-<name> may name a by-path link
 * (platform-i8042-serio-0-event-kbd). The device found there is checked
 * the same way; the clone's link is the same.
 */
#pragma once

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

#include "bounds.h"
#include "diag.h"
#include "forward.h"
#include "keyset.h"

struct source {
	const char *vm;               /* the VM's name, for messages (not owned) */
	const char *cache_dir;        /* capabilities seen before (devcache.h; not owned) */
	char phys_path[VK_PATH_MAX];  /* physical device, as given */
	char open_path[VK_PATH_MAX];  /* the path last opened or tried: phys_path or its by-path */
	char clone_path[VK_PATH_MAX]; /* symlink to the clone's event node */
	struct keyset toggle;         /* QEMU input-linux grab toggle (n == 0: none) */
	int fd;                       /* physical device, O_RDWR|O_NONBLOCK|O_CLOEXEC */
	struct libevdev *evdev;
	int uinput_fd;                /* the clone's /dev/uinput fd, O_NONBLOCK, owned */
	struct libevdev_uinput *uinput; /* NULL for a clone adopted from the fd store */
	int stored_fd;                /* uinput fd from systemd's fd store, until adopted (-1) */
	bool stored;                  /* uinput_fd is in systemd's fd store (fdstore.h) */
	uint32_t clone_leds;          /* LEDs the target set on its clone, bit per LED code */
	uint32_t host_leds;           /* the physical device's LEDs when we grabbed it */
	char clone_node[VK_PATH_MAX]; /* /dev/input/eventN of the clone ("" until created) */
	bool linked;                  /* clone_path was created by us */
	bool hotkey_capable;          /* has a key of some hotkey: read even without focus */
	bool cache_logged;            /* a failure to write its capability cache was logged */
	bool in_loop;                 /* s->fd is in the helper's loop (loop.h) */
	bool polled;                  /* ...and read now */
	bool pinned;                  /* focus=always: never read for hotkeys (device.h) */
	const struct forward_host *host; /* host keys for the forwarder (NULL: none; not owned) */
	struct forward fwd;
};

/*
 * s must be zeroed, with fd = uinput_fd = -1, vm and cache_dir set, stored_fd as
 * fdstore_take() left it (-1: none) and the paths filled in. Opens
 * s->phys_path, creates the clone (same name, IDs, capabilities, abs info and
 * repeat settings, but no force feedback: neither virtio-input nor QEMU's
 * input-linux carries it, and an upload nobody answers would hang its caller
 * in EVIOCSFF; phys CLONE_PHYS_PREFIX + basename of clone_path), opened
 * O_NONBLOCK, and makes s->clone_path a symlink to its node (atomically; the
 * parent directory is created if missing). With a stored_fd, that clone is
 * adopted instead if it still is ours and matches the device (else it is
 * dropped, logged, and a new one made): keys still down on it are released
 * and its LED state is read. A new clone goes to the fd store. A device that
 * does not exist (ENOENT, ENODEV, ENXIO), or whose name leads to a clone
 * (ours or another helper's: phys starts with CLONE_PHYS_PREFIX; taking it
 * would read our own output), gets its clone from the capability cache in
 * s->cache_dir and is left absent (s->fd = -1; the caller waits for it);
 * never seen before: -ENOENT with diag. A device opened is
 * written to that cache (a failure is logged once). hk is the
 * helper's hotkey machine; it decides hotkey_capable. On failure returns a
 * negative errno with diag "'path': what failed", and everything made so far
 * is undone.
 */
int source_open(struct source *s, struct hotkey *hk, struct diag *diag);

/*
 * For an absent source (s->fd < 0, clone kept): opens s->phys_path again and
 * checks it has the capabilities the clone was made with. Returns 0 (s->fd,
 * s->evdev and the forwarder set up, mode FORWARD_OFF, nothing down), or a
 * negative errno: the open's (-ENOENT, -EACCES, …), -EMEDIUMTYPE with diag
 * for a different device under that name, or -ELOOP with diag for a clone
 * (see source_open()) under that name.
 */
int source_reopen(struct source *s, struct hotkey *hk, struct diag *diag);

/* Closes the physical device (after it went away); the clone and s->evdev stay.
 * The caller takes s out of its event loop first. */
void source_close_physical(struct source *s);

/*
 * Reads what the target wrote to the clone (the uinput fd): LED changes update
 * clone_leds; echoes (EV_REP, EV_UINPUT, …) are dropped. Returns true if
 * clone_leds changed.
 */
bool source_read_clone(struct source *s);

/* Sets the physical device's LEDs to leds (only those it has), one frame. 0 or -errno. */
int source_write_leds(struct source *s, uint32_t leds);

/* The physical device's LED state (EVIOCGLED), as a bit per LED code; 0 if unknown. */
uint32_t source_read_leds(const struct source *s);

/*
 * Releases keys down on the clone, ungrabs, destroys the clone and removes
 * the symlink if it still points to the clone. Safe on a partly opened or
 * closed source; idempotent. The caller takes s out of its event loop first.
 */
void source_close(struct source *s);

/*
 * Recomputes hotkey_capable after hk's bindings changed, and points the
 * forwarder at hk or at nothing accordingly. Call only while hk holds no key
 * (hotkey machine idle), so no key-down is left without its key-up. Returns
 * true if hotkey_capable changed (the caller turns reading on or off).
 */
bool source_set_hotkey(struct source *s, struct hotkey *hk);

/* EVIOCGRAB on the physical device: 0 or a negative errno. */
int source_grab(struct source *s, bool grab);
