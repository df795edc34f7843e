/* SPDX-License-Identifier: MIT */
/*
 * The helper's main loop. The physical devices sit in an epoll set of our
 * own, beside sd-event's fd: a device that is ready is read at once, without
 * sd-event's work per iteration (arming timers, reading clocks, reordering
 * its queues), which costs more than forwarding a frame does. Everything
 * else (the bus, inotify, signals, timers, the clones' LEDs) stays in
 * sd-event and runs when its fd is readable, or when an input handler did
 * more than forward: sd-event then looks again (its prepare step arms timers
 * and lets the bus ask to write) before the loop sleeps.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

struct source;

struct loop {
	int epoll_fd;       /* -1: not set up */
	sd_event *event;    /* not owned */
	bool event_pending; /* sd-event runs before the loop sleeps */
};

/* Sets up l around event (which must outlive it). Returns 0 or a negative errno. */
int loop_init(struct loop *l, sd_event *event);

/* Closes what loop_init() made. Accepts an l that was never set up (epoll_fd -1). */
void loop_done(struct loop *l);

/*
 * Puts s->fd in the loop, read when on (loop_input_enable() switches).
 * Returns 0 or a negative errno (s is then not in the loop).
 */
int loop_input_add(struct loop *l, struct source *s, bool on);

/* Reads s->fd from now on, or stops. A no-op for a source not in the loop. */
void loop_input_enable(struct loop *l, struct source *s, bool on);

/* Takes s out of the loop, before its fd is closed. A no-op when it is not in. */
void loop_input_remove(struct loop *l, struct source *s);

/*
 * Runs until sd-event exits. on_input(s) is called when s->fd is readable and
 * returns true when it did more than forward. Returns sd-event's exit code,
 * or a negative errno.
 */
int loop_run(struct loop *l, bool (*on_input)(struct source *s));
