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
 * that died, and focus_file_repair() moves focus off it); status/ for IN_MOVED_TO
 * and IN_DELETE (a helper let go of its grabs: retry ours).
 *
 * <run_dir>/lock is never waited for in the loop (ring.h): a transition that
 * finds it held is retried from a timer with a growing delay (up to a
 * second), and for the release and host hotkeys this helper lets go of its
 * devices at once, so the user has the keyboard back even while the focus
 * file cannot be written. It is written when the lock is free.
 *
 * The follower owns its state; it is given the hotkey machine and the event
 * loop, and reports up only through struct follow_ops.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "focus-file.h"
#include "hotkey.h"
#include "macro.h"
#include "ring.h"

/* The bindings every helper has before the VMs' direct hotkeys: cycle, host, release. */
#define FOLLOW_BASE_BINDINGS 3

struct follow_ops {
	/* Focus is now target (RING_HOST, this VM or another): grab or let go. */
	void (*focus)(void *userdata, const char *target);
	/* Announce the switch previous → target on D-Bus; now: waiting for the
	 * bus (the helper is about to exit). */
	void (*announce)(void *userdata, const char *target, const char *previous, bool now);
	/* The hotkey machine's bindings were rebuilt: devices recheck what they can complete. */
	void (*bindings_changed)(void *userdata);
	/* Another helper may have let go of a grab we wait for. */
	void (*retry_grabs)(void *userdata);
};

/* A focus change asked for while <run_dir>/lock was held. */
struct follow_pending {
	bool set;
	enum follow_op { FOLLOW_NEXT, FOLLOW_SET, FOLLOW_RELEASE } op;
	char target[VM_NAME_MAX + 1]; /* FOLLOW_SET */
	struct focus_file_stamp stamp;
	bool let_go;                  /* this helper let go already (release, host) */
	uint64_t delay_usec;          /* before the next try */
	bool logged;
};

struct follow {
	/* Given by the caller before follow_init(); not owned. */
	const char *vm;
	const char *run_dir;
	bool include_host;
	enum focus_on_stop on_stop; /* where focus goes when this VM stops with it */
	struct hotkey_binding base[FOLLOW_BASE_BINDINGS];
	struct keyset direct;     /* this VM's direct hotkey (n == 0: none) */
	sd_event *event;
	struct hotkey *hk;        /* the shared hotkey machine */
	const struct follow_ops *ops;
	void *userdata;

	/* Owned. */
	struct ring_member *member;
	char target[VM_NAME_MAX + 1];  /* focus target as last read from the focus file */
	uint64_t generation;      /* of the focus file as last read */
	struct ring_entry ring[RING_VMS_MAX]; /* live ring as last read, in ring order */
	size_t n_ring;
	bool bindings_pending;    /* the ring changed while a key was held */
	/* HOTKEY_DIRECT bindings: arg indexes this; rewritten only with the bindings. */
	char direct_vms[RING_VMS_MAX][VM_NAME_MAX + 1];
	int inotify_fd;
	int wd_run, wd_ring, wd_status; /* watches on run_dir, ring/ and status/ */
	sd_event_source *inotify_io;
	sd_event_source *repair_timer;
	sd_event_source *exit_watches[4]; /* pidfds of helpers that died, until they exited */
	struct follow_pending pending;
	sd_event_source *retry_timer;     /* tries pending again */
};

/*
 * Sets up the hotkey machine with f->base and this VM's own direct hotkey
 * (f->direct), before the devices are opened. Returns 0 or -E2BIG.
 */
int follow_init(struct follow *f);

/*
 * Joins the ring (ring_join()): first of all, before any clone or link is
 * made, so a second helper of a running VM touches nothing of the first's.
 * A lock held by another process is tried again for a few seconds (nothing
 * is grabbed yet). Returns 0, or a negative errno after logging one line
 * (-EBUSY: another helper of this VM runs).
 */
int follow_join(struct follow *f);

/*
 * Starts watching run_dir, reads the ring (bindings for the other VMs'
 * direct hotkeys) and the focus file (remembered in f->target, not acted
 * on). Returns 0, or a negative errno after logging.
 */
int follow_start(struct follow *f);

/*
 * The start's focus step, after the bus is up: with take, focus_file_set() to
 * this VM; else focus_file_repair() (a focused VM may have died while nobody
 * watched). Then acts on the focus file like on any change.
 */
void follow_take_focus(struct follow *f, bool take);

/* Acts on a fired hotkey: asks for the transition, stamped with the time of
 * the event that fired it (a held lock: retried, see above). Logs a failure. */
void follow_hotkey(struct follow *f, const struct hotkey_binding *binding, uint64_t sec,
		   uint32_t usec);

/*
 * Arms the one-shot safety timer (a second) that repairs the focus file and
 * retries waiting grabs: for a grab that got EBUSY from a helper that died
 * (a dead helper writes no status file to say it let go).
 */
void follow_arm_timer(struct follow *f);

/* Rebuilds the hotkey bindings from f->ring now; the machine must be idle. */
void follow_apply_bindings(struct follow *f);

/*
 * New cycle, host and release bindings (a reload): they replace f->base and
 * the machine's bindings as soon as no key is held, at once when none is;
 * a combo begun before fires as it was (or not at all), never half under the
 * old keys and half under the new. The VMs' direct hotkeys stay.
 */
void follow_set_base(struct follow *f, const struct hotkey_binding base[FOLLOW_BASE_BINDINGS]);

/* Applies bindings that waited for the hotkey machine to be idle. Cheap
 * enough to call after every input batch: no call unless something waits. */
static inline void follow_idle(struct follow *f)
{
	if (_unlikely_(f->bindings_pending) && f->hk->n_held == 0)
		follow_apply_bindings(f);
}

/*
 * Stops following, removes the status file, leaves the ring and hands focus
 * on if this VM had it. Call after the devices are closed (ungrabbed). When
 * no VM is left to announce the switch, announces it here (ops->announce, now).
 */
void follow_stop(struct follow *f);
