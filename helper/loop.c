/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/epoll.h>

#include "loop.h"
#include "macro.h"
#include "source.h"

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
