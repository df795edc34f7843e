/* SPDX-License-Identifier: MIT */
/*
 * One source device in the helper, as a state machine:
 *
 *   ABSENT   no device, and waiting for it could not be set up; the clone stays
 *   WAITING  no device (unplugged, never there, a name that leads to a clone):
 *            the clone stays, inotify waits for it
 *   OPEN     the device is open and in the loop, not grabbed; read while it
 *            can complete a hotkey, or while a grab waits (focus, but keys
 *            down or another helper still holding it)
 *   GRABBED  grabbed and forwarded to the clone
 *
 * A device owns its source (source.h), its wait and its grab. It is given the
 * event loop, the loop of input fds and the hotkey machine, and reports up
 * only through struct device_ops. Calls from above return what changed and
 * never call an op back, except grab_busy; ops run from the device's own
 * event callbacks. A failure inside a grab moves the state machine (to
 * WAITING) and never calls back into the device: the first try to reopen is
 * deferred to the event loop.
 *
 * The wait: the link's directory (/dev/input/by-id) for IN_CREATE/IN_MOVED_TO
 * of its name (udev makes links by rename), and its by-path twin's directory
 * (source.h) for the same name, that directory's parent for either directory
 * itself (udev removes an empty by-id), and, after EACCES (udev has not set
 * the node's permissions yet), the node's directory for IN_ATTRIB of the
 * node. A device that comes back with other capabilities, or as a clone,
 * is logged once and not used; the wait goes on.
 *
 * Pinned devices (focus=always): focus is on from the start and focus changes
 * pass them by, so they are grabbed and forwarded whenever open (the usual
 * wait for no key down before the grab included) and let go only when closed;
 * never read for hotkeys (source.h).
 *
 * LEDs: while a VM holds a keyboard's grab, the keyboard shows what the VM's
 * guest set on its clone (read from the clone's uinput fd). The state the
 * keyboard showed when the grab was taken is the host's and is written back
 * before the grab is let go.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "hotkey.h"
#include "loop.h"
#include "source.h"

enum device_state {
	DEVICE_ABSENT,
	DEVICE_WAITING,
	DEVICE_OPEN,
	DEVICE_GRABBED,
};

struct device;

struct device_ops {
	/* The state, or a grab waited for, changed from an event: rewrite the status. */
	void (*changed)(void *userdata, struct device *d);
	/* A grab got EBUSY: another helper still holds the device. Retry later
	 * (arm a timer); must not call into d. */
	void (*grab_busy)(void *userdata, struct device *d);
	/* A hotkey fired on d, stamped with the time of the event that fired it. */
	void (*hotkey)(void *userdata, const struct hotkey_binding *binding, uint64_t sec,
		       uint32_t usec);
};

struct device {
	struct source src;
	enum device_state state;
	bool focus;           /* this VM has focus: grab whenever open and no key is down */
	bool pinned;          /* focus=always: focus stays on, whatever device_set_focus() says */
	bool grab_busy;       /* the last grab got EBUSY */
	bool error_logged;    /* a grab or write failure was logged */
	bool mismatch_logged; /* a device under the name that is not ours to use was logged */

	sd_event *event;      /* not owned */
	struct loop *loop;    /* not owned */
	struct hotkey *hk;    /* the shared hotkey machine; not owned */
	const struct device_ops *ops;
	void *userdata;

	sd_event_source *clone_io; /* the clone's uinput fd: what the target writes (LEDs) */
	sd_event_source *first_try; /* deferred first reopen after a wait starts */
	int watch_fd;               /* inotify while waiting (-1) */
	int wd_dir, wd_parent;      /* the link's directory and that one's parent */
	int wd_by_path;             /* the by-path twin's directory (-1: none) */
	int wd_node_dir;            /* after EACCES: the node's directory, for node_name */
	char node_name[32];
	sd_event_source *watch_io;
};

/*
 * Sets d up empty (no device, no clone) around the given loop, input loop and
 * hotkey machine (which must outlive d). The caller then fills d->src's
 * paths, toggle, vm, cache_dir and host (and stored_fd, fdstore.h), calls
 * device_pin() for a pinned device, and calls device_open().
 */
void device_init(struct device *d, sd_event *event, struct loop *loop, struct hotkey *hk,
		 const struct device_ops *ops, void *userdata);

/* Pins d (before device_open()): focus on for good, never read for hotkeys. */
void device_pin(struct device *d);

/*
 * Opens the source and makes its clone (source_open()); an absent device is
 * waited for. Returns 0 (state OPEN or WAITING; ABSENT if the wait could not
 * be set up, logged), or a negative errno with diag, d closed.
 */
int device_open(struct device *d, struct diag *diag);

/*
 * Focus on: grab as soon as the device is open and no key is down on it
 * (now, or after the batch that releases the last key; never by sleeping or
 * polling). Focus off: key-up on the clone for every key down on it, LEDs
 * back, ungrab; read only if it can complete a hotkey. A pinned device keeps
 * its focus: only a grab that waited is tried again. Returns true if the
 * state changed.
 */
bool device_set_focus(struct device *d, bool focus);

/* For a device whose grab waits: tries once more. Returns true if it changed. */
bool device_try_grab(struct device *d);

/*
 * The hotkey bindings changed (the machine is idle): recomputes whether d can
 * complete one, and without focus reads it only if it can (dropping what
 * queued up while it was not read).
 */
void device_hotkeys_changed(struct device *d);

/*
 * d's input fd is readable (loop.h): forwards what it has, and acts on the
 * rare rest (a read error moves d to WAITING, a fired hotkey goes to
 * ops->hotkey, a grab that waited for keys is taken). Returns true when more
 * than forwarding happened.
 */
bool device_read(struct device *d);

/*
 * Replugs d by hand, as if unplugged and plugged in again: after a resume
 * from sleep, when the device may have come back as a new node under the
 * same name. Keys down on its clone are released, the device is closed and
 * opened again by its name (deferred), grabbed again with focus.
 */
void device_replug(struct device *d);

/* The device from the source the input loop hands back. */
struct device *device_of_source(struct source *s);

/* Keys released on the clone, ungrabbed, the clone destroyed, the link removed.
 * Idempotent. */
void device_close(struct device *d);
