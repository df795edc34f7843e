/* SPDX-License-Identifier: MIT */
/*
 * The helper as a member of the ring (ring.h) that follows the focus file
 * (focus-file.h). Every focus change, whoever makes it (a hotkey, the CLI,
 * a D-Bus call, a VM stopping or dying), is a new focus file; the helper sees
 * it through inotify and gains or loses focus, and one helper announces it
 * on D-Bus (announce.h). Hotkeys only ask for a transition.
 *
 * Watched: run_dir for IN_MOVED_TO of "focus"; ring/ for IN_MOVED_TO and
 * IN_DELETE (joins and leaves: the direct hotkeys change) and IN_CLOSE_WRITE
 * (only the owner opens its entry for writing, and a helper that leaves
 * unlinks it first; so a close of an entry that still exists is a helper
 * that died, and focus_repair() moves focus off it); status/ for IN_MOVED_TO
 * and IN_DELETE (a helper let go of its grabs: retry ours).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "helper.h"

/*
 * Sets up the hotkey machine with h->base and this VM's own direct hotkey
 * (h->direct), before the sources are opened. Returns 0 or -E2BIG.
 */
int follow_init(struct helper *h);

/*
 * Joins the ring, starts watching run_dir, reads the ring (bindings for the
 * other VMs' direct hotkeys) and the focus file (remembered, not acted on),
 * writes the status file. Returns 0, or a negative errno after logging (e.g.
 * another helper of this VM runs).
 */
int follow_start(struct helper *h);

/*
 * The start's focus step, after the bus is up: with take, focus_set() to
 * this VM; else focus_repair() (a focused VM may have died while nobody
 * watched). Then acts on the focus file like on any change.
 */
void follow_take_focus(struct helper *h, bool take);

/* Acts on a fired hotkey: asks for the transition, stamped with the time of
 * the event that fired it. Logs a failure. */
void follow_hotkey(struct helper *h, const struct hotkey_binding *binding, uint64_t sec,
		   uint32_t usec);

/*
 * Arms the one-shot safety timer (a second) that repairs the focus file and
 * retries waiting grabs: for a grab that got EBUSY from a helper that died
 * (a dead helper writes no status file to say it let go).
 */
void follow_arm_timer(struct helper *h);

/* Rebuilds the hotkey bindings from h->ring now; the machine must be idle. */
void follow_apply_bindings(struct helper *h);

/* Applies bindings that waited for the hotkey machine to be idle. Cheap
 * enough to call after every input batch: no call unless something waits. */
static inline void follow_idle(struct helper *h)
{
	if (_unlikely_(h->bindings_pending) && h->hotkey.n_held == 0)
		follow_apply_bindings(h);
}

/*
 * Stops following, removes the status file, leaves the ring and hands focus
 * on if this VM had it. Call after the sources are closed (ungrabbed). When
 * no VM is left to announce the switch, announces it here.
 */
void follow_stop(struct helper *h);
