/* SPDX-License-Identifier: MIT */
/*
 * Reading an inotify fd: the buffer, its alignment and the walk over the
 * variable-length records, in one place for every watcher in the helper.
 */
#pragma once

#include <sys/inotify.h>

/*
 * Reads what the inotify fd (O_NONBLOCK) has queued and calls on_event for
 * each record, in order; ev->name is valid when ev->len > 0. Stops when the
 * queue is empty. Returns 0, or a negative errno when reading failed (the
 * records read before were handed over).
 */
int inotify_read_all(int fd, void (*on_event)(const struct inotify_event *ev, void *userdata),
		     void *userdata);
