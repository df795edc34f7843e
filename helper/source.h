/* SPDX-License-Identifier: MIT */
/*
 * One source device of a VM: the physical evdev device, its uinput clone, and
 * the symlink that names the clone (normally /dev/input/by-id/<vm>-<dev>).
 */
#pragma once

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <systemd/sd-event.h>

#include "bounds.h"
#include "diag.h"
#include "forward.h"
#include "keyset.h"

struct helper;

struct source {
	struct helper *helper;        /* owner, for the event callbacks */
	char phys_path[VK_PATH_MAX];  /* physical device, as given */
	char clone_path[VK_PATH_MAX]; /* symlink to the clone's event node */
	struct keyset toggle;         /* QEMU input-linux grab toggle (n == 0: none) */
	int fd;                       /* physical device, O_RDWR|O_NONBLOCK|O_CLOEXEC */
	struct libevdev *evdev;
	int uinput_fd;                /* the clone's /dev/uinput fd, owned (not libevdev's) */
	struct libevdev_uinput *uinput;
	char clone_node[VK_PATH_MAX]; /* /dev/input/eventN of the clone ("" until created) */
	bool linked;                  /* clone_path was created by us */
	bool hotkey_capable;          /* has a key of some hotkey: read even without focus */
	bool gone;                    /* reading failed: out of the loop */
	bool error_logged;            /* a grab or write failure was logged */
	bool grab_busy;               /* the last grab got EBUSY: another helper still holds it */
	sd_event_source *io;
	struct forward fwd;
};

/*
 * s must be zeroed, with fd = uinput_fd = -1 and the paths filled in. Opens
 * s->phys_path, creates the clone (same name, IDs, capabilities, abs info and
 * repeat settings; phys CLONE_PHYS_PREFIX + basename of clone_path) and makes
 * s->clone_path a symlink to its node (atomically; the parent directory is
 * created if missing). hk is the helper's hotkey machine; it decides
 * hotkey_capable. On failure returns a negative errno with diag "'path': what
 * failed", and everything made so far is undone.
 */
int source_open(struct source *s, struct hotkey *hk, struct diag *diag);

/*
 * Releases keys down on the clone, ungrabs, destroys the clone and removes
 * the symlink if it still points to the clone. Safe on a partly opened or
 * closed source; idempotent.
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
