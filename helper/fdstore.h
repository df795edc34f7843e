/* SPDX-License-Identifier: MIT */
/*
 * The clones outlive a helper crash in systemd's fd store (FDSTORE=1, see
 * sd_pid_notify_with_fds(3)): every clone's uinput fd is stored under a name
 * made from its link's basename, and a restarted helper gets them back as
 * LISTEN_FDS/LISTEN_FDNAMES and adopts them (source.h) instead of creating
 * new clones, so QEMU keeps the node it opened. A clean stop removes them
 * (FDSTOREREMOVE=1). Outside systemd (no NOTIFY_SOCKET) all of it is a no-op.
 */
#pragma once

#include <stddef.h>

#include "source.h"

/* systemd's limit for FDNAME=, without the NUL. */
#define FDSTORE_NAME_MAX 255

/*
 * Writes the fd store name of the clone linked at clone_path into buf: its
 * basename, with ':' (LISTEN_FDNAMES' separator) and '%' written as %3a and
 * %25. Returns the length, or -ENAMETOOLONG when it would exceed
 * FDSTORE_NAME_MAX or size.
 */
int fdstore_name(const char *clone_path, char *buf, size_t size);

/*
 * Takes the fds systemd passed (sd_listen_fds_with_names): each one whose name
 * is a clone of one of the n sources goes to that source's stored_fd (to be
 * validated by source_open()); any other is closed and removed from the
 * store. Call once, before the sources are opened. Logs what it drops, as vm.
 */
void fdstore_take(const char *vm, struct source *const *sources, size_t n);

/* Stores s->uinput_fd under s's name; sets s->stored when systemd got it. Logs a failure
 * as s->vm. */
void fdstore_add(struct source *s);

/* Removes s's clone from the store (FDSTOREREMOVE=1) if it is there. */
void fdstore_remove(struct source *s);
