/* SPDX-License-Identifier: MIT */
/*
 * The helper's one context, passed as userdata to every event callback.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "hotkey.h"
#include "loop.h"
#include "ring.h"
#include "source.h"

struct bus;

/* The bindings every helper has before the VMs' direct hotkeys (hotkey.h). */
#define HELPER_BASE_BINDINGS 3

struct helper {
	const char *vm;           /* VM name, for messages */
	const char *run_dir;      /* the ring's directory (ring.h) */
	const char *cache_dir;    /* device capabilities seen before (devcache.h) */
	bool include_host;        /* the host is a stop of the cycle */
	sd_event *event;
	struct loop loop;         /* the devices, and event's fd (loop.h) */
	struct hotkey hotkey;     /* shared by every source that can complete a hotkey */
	bool focus;               /* this VM has input focus */
	size_t n_sources;
	struct source *sources;   /* n_sources, owned */

	/* Ring membership and focus following (ring-follow.c). */
	struct hotkey_binding base[HELPER_BASE_BINDINGS]; /* cycle, host, release */
	struct keyset direct;     /* this VM's direct hotkey (n == 0: none) */
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

	struct bus *bus;          /* NULL: no bus (--no-bus, or unreachable) */
};

/*
 * Puts s's physical device (s->fd) into the loop, read now if h has focus
 * or s can complete a hotkey. Returns 0 or a negative errno (s is then not
 * in the loop).
 */
int helper_add_input(struct helper *h, struct source *s);
