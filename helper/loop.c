/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/epoll.h>

#include "loop.h"
#include "macro.h"
#include "source.h"

#ifndef LOOP_PLAIN_SD_EVENT

/* Ready fds taken per epoll_wait(); more simply come with the next one. */
#define LOOP_EVENTS_MAX 16
/* sd-event iterations in a row before the devices get their turn again. */
#define LOOP_EVENT_RUNS_MAX 16

int loop_init(struct loop *l, sd_event *event)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	int fd = sd_event_get_fd(event);

	if (fd < 0)
		return fd;
	l->event = event;
	l->event_pending = true;
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epoll_fd < 0)
		return -errno;
	/* data.ptr NULL: sd-event's own epoll fd. */
	if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		l->epoll_fd = safe_close(l->epoll_fd);
		return r;
	}
	return 0;
}

void loop_done(struct loop *l)
{
	l->epoll_fd = safe_close(l->epoll_fd);
}

static int loop_poll(struct loop *l, struct source *s, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};

	if (on == s->polled)
		return 0;
	/* Removed, not just masked: a device that is gone reports EPOLLHUP whatever the mask. */
	if (epoll_ctl(l->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->fd, &ev) < 0)
		return -errno;
	s->polled = on;
	return 0;
}

int loop_input_add(struct loop *l, struct source *s, bool on)
{
	int r = loop_poll(l, s, on);

	s->in_loop = r >= 0;
	return r;
}

void loop_input_enable(struct loop *l, struct source *s, bool on)
{
	if (s->in_loop)
		(void)loop_poll(l, s, on);
}

void loop_input_remove(struct loop *l, struct source *s)
{
	(void)loop_poll(l, s, false);
	s->polled = s->in_loop = false;
}

/* Runs what sd-event has now. Returns 1 if it may have more, 0, or a negative errno. */
static int loop_run_event(struct loop *l)
{
	for (unsigned i = 0; i < LOOP_EVENT_RUNS_MAX; i++) {
		int r = sd_event_run(l->event, 0);

		if (r < 0)
			return r;
		if (r == 0 || sd_event_get_state(l->event) == SD_EVENT_FINISHED)
			return 0;
	}
	return 1;
}

int loop_run(struct loop *l, bool (*on_input)(struct source *s))
{
	for (;;) {
		struct epoll_event ev[LOOP_EVENTS_MAX];
		int n, r;

		if (l->event_pending) {
			r = loop_run_event(l);
			if (r < 0)
				return r;
			if (sd_event_get_state(l->event) == SD_EVENT_FINISHED) {
				int code = 0;

				r = sd_event_get_exit_code(l->event, &code);
				return r < 0 ? r : code;
			}
			l->event_pending = r > 0;
		}
		n = epoll_wait(l->epoll_fd, ev, LOOP_EVENTS_MAX, l->event_pending ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct source *s = ev[i].data.ptr;

			if (!s)
				l->event_pending = true;
			/* A handler before may have taken s out of the loop. */
			else if (s->polled && on_input(s))
				l->event_pending = true;
		}
	}
}

#else /* LOOP_PLAIN_SD_EVENT */

/*
 * The same API on plain sd-event: each device is an sd-event io source, and
 * loop_run() is sd_event_loop(). Built only into the benchmark's second
 * helper (tests/bench/local.mk), to measure the epoll layer above against.
 * loop.h has no room for a per-source io source, so the one loop a program
 * runs keeps them here, bounded like the devices.
 */
#include "bounds.h"

struct loop_input {
	struct source *source; /* NULL: free */
	sd_event_source *io;
};

static struct {
	bool (*on_input)(struct source *s);
	struct loop_input inputs[DOMAIN_SOURCES_MAX];
} loop_plain;

int loop_init(struct loop *l, sd_event *event)
{
	l->event = event;
	l->event_pending = false;
	l->epoll_fd = -1;
	return 0;
}

void loop_done(struct loop *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(loop_plain.inputs); i++) {
		struct loop_input *in = &loop_plain.inputs[i];

		if (in->source && sd_event_source_get_event(in->io) == l->event) {
			in->io = sd_event_source_disable_unref(in->io);
			in->source = NULL;
		}
	}
}

static struct loop_input *loop_find(const struct source *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(loop_plain.inputs); i++)
		if (loop_plain.inputs[i].source == s)
			return &loop_plain.inputs[i];
	return NULL;
}

static int loop_on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct loop_input *in = userdata;

	if (loop_plain.on_input)
		(void)loop_plain.on_input(in->source);
	return 0;
}

int loop_input_add(struct loop *l, struct source *s, bool on)
{
	struct loop_input *in = loop_find(s);
	int r;

	if (in)
		return -EEXIST;
	in = loop_find(NULL);
	if (!in)
		return -E2BIG;
	r = sd_event_add_io(l->event, &in->io, s->fd, EPOLLIN, loop_on_io, in);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(in->io, on ? SD_EVENT_ON : SD_EVENT_OFF);
	if (r < 0) {
		in->io = sd_event_source_disable_unref(in->io);
		return r;
	}
	in->source = s;
	s->in_loop = true;
	s->polled = on;
	return 0;
}

void loop_input_enable(struct loop *l, struct source *s, bool on)
{
	struct loop_input *in = loop_find(s);

	/* Disabled, sd-event takes the fd out of its epoll set: no EPOLLHUP from a gone device. */
	if (in && sd_event_source_set_enabled(in->io, on ? SD_EVENT_ON : SD_EVENT_OFF) >= 0)
		s->polled = on;
}

void loop_input_remove(struct loop *l, struct source *s)
{
	struct loop_input *in = loop_find(s);

	if (in) {
		in->io = sd_event_source_disable_unref(in->io);
		in->source = NULL;
	}
	s->polled = s->in_loop = false;
}

int loop_run(struct loop *l, bool (*on_input)(struct source *s))
{
	loop_plain.on_input = on_input;
	return sd_event_loop(l->event);
}

#endif /* LOOP_PLAIN_SD_EVENT */
