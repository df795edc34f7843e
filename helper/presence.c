/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "focus.h"
#include "inotify-read.h"
#include "log.h"
#include "presence.h"

#define PRESENCE_DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_MASK_ADD)

/* The link's directory and its parent; "" for a parent of "/". */
static void presence_dirs(const struct source *s, char *dir, char *parent, size_t size)
{
	const char *slash = strrchr(s->phys_path, '/');
	size_t n = slash && slash != s->phys_path ? (size_t)(slash - s->phys_path) : 1;

	snprintf(dir, size, "%.*s", (int)n, s->phys_path);
	slash = strrchr(dir, '/');
	n = slash && slash != dir ? (size_t)(slash - dir) : 1;
	if (strcmp(dir, "/") == 0)
		parent[0] = '\0';
	else
		snprintf(parent, size, "%.*s", (int)n, dir);
}

/* Adds the watches that exist to be added; adding one twice changes nothing. */
static void presence_arm(struct source *s)
{
	char dir[VK_PATH_MAX], parent[VK_PATH_MAX];

	presence_dirs(s, dir, parent, sizeof(dir));
	s->wd_dir = inotify_add_watch(s->watch_fd, dir, PRESENCE_DIR_MASK);
	if (parent[0])
		s->wd_parent = inotify_add_watch(s->watch_fd, parent, PRESENCE_DIR_MASK);
}

static void presence_back(struct helper *h, struct source *s)
{
	int r;

	s->watch_io = sd_event_source_disable_unref(s->watch_io);
	s->watch_fd = safe_close(s->watch_fd);
	s->gone = false;
	s->mismatch_logged = false;
	s->error_logged = false;
	r = helper_add_input(h, s);
	if (r < 0) {
		log_error(h->vm, "'%s': %s", s->phys_path, strerror(-r));
		source_close_physical(s);
		s->gone = true;
		focus_status(h);
		return;
	}
	log_info(h->vm, "'%s' is back", s->phys_path);
	if (h->focus) {
		s->fwd.mode = FORWARD_WAIT;
		focus_try_grab(h, s);
	} else
		focus_update_reading(h, s);
	focus_status(h);
}

static void presence_try(struct helper *h, struct source *s)
{
	struct diag diag;
	int r = source_reopen(s, &h->hotkey, &diag);

	if (r >= 0) {
		presence_back(h, s);
		return;
	}
	if (r == -EACCES || r == -EPERM) {
		/*
		 * udev's chmod/chown of the node wakes us. Watching the node itself
		 * needs read access to it, which is what is missing: watch its
		 * directory for IN_ATTRIB of its name.
		 */
		char node[VK_PATH_MAX];
		const char *slash;

		if (!realpath(s->phys_path, node) || !(slash = strrchr(node, '/')) ||
		    strlen(slash + 1) >= sizeof(s->node_name))
			return;
		snprintf(s->node_name, sizeof(s->node_name), "%s", slash + 1);
		node[slash == node ? 1 : slash - node] = '\0';
		s->wd_node_dir = inotify_add_watch(s->watch_fd, node,
						   IN_ATTRIB | IN_ONLYDIR | IN_MASK_ADD);
		return;
	}
	if (r == -EMEDIUMTYPE && !s->mismatch_logged) {
		log_warning(h->vm, "%s", diag.msg);
		s->mismatch_logged = true;
	}
}

/* What one read of the watch is matched against. */
struct presence_match {
	const struct source *s;
	const char *base;     /* the link's name */
	const char *dir_base; /* its directory's name */
	bool relevant;
};

static void presence_match_event(const struct inotify_event *ev, void *userdata)
{
	struct presence_match *m = userdata;
	const struct source *s = m->s;

	/* One directory may be several of these (watches are per inode). */
	m->relevant |= (ev->mask & IN_Q_OVERFLOW) ||
		       (ev->len > 0 &&
			((ev->wd == s->wd_dir && strcmp(ev->name, m->base) == 0) ||
			 (ev->wd == s->wd_parent && strcmp(ev->name, m->dir_base) == 0) ||
			 (ev->wd == s->wd_node_dir && (ev->mask & IN_ATTRIB) &&
			  strcmp(ev->name, s->node_name) == 0)));
}

static int presence_on_event(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct source *s = userdata;
	char dir[VK_PATH_MAX], parent[VK_PATH_MAX];
	struct presence_match m = {.s = s, .base = strrchr(s->phys_path, '/') + 1};

	presence_dirs(s, dir, parent, sizeof(dir));
	m.dir_base = strrchr(dir, '/') + 1;
	(void)inotify_read_all(fd, presence_match_event, &m);
	if (!m.relevant)
		return 0;
	presence_arm(s);
	presence_try(s->helper, s);
	return 0;
}

void presence_wait(struct helper *h, struct source *s)
{
	int r;

	s->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->watch_fd < 0) {
		log_error(h->vm, "'%s': cannot wait for it: inotify: %s", s->phys_path,
			  strerror(errno));
		return;
	}
	r = sd_event_add_io(h->event, &s->watch_io, s->watch_fd, EPOLLIN, presence_on_event, s);
	if (r < 0) {
		log_error(h->vm, "'%s': cannot wait for it: %s", s->phys_path, strerror(-r));
		s->watch_fd = safe_close(s->watch_fd);
		return;
	}
	s->wd_dir = s->wd_parent = s->wd_node_dir = -1;
	presence_arm(s);
	/* It may be back already, between the read error and the watch. */
	presence_try(h, s);
}

void presence_replug(struct helper *h, struct source *s)
{
	if (!s->gone) {
		/* Its keys released on the clone, closed, and opened again at once. */
		focus_source_detach(h, s);
		return;
	}
	if (s->watch_fd >= 0)
		presence_try(h, s);
	else
		presence_wait(h, s);
}
