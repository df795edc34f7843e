/* SPDX-License-Identifier: MIT */
/*
 * The helper's ring following (helper/ring-follow.c) on its own: a follower
 * on a temporary run directory with a real sd-event, its ops recorded. The
 * test changes focus the way the CLI does and holds <run_dir>/lock the way a
 * stray root process could; the follower must follow the focus file, never
 * wait for the lock, let go at once on a release it cannot write yet, and
 * write it once the lock is free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ring-follow.h"
#include "settings.h"
#include "test-tmpdir.h"
#include "test.h"

TEST_MAIN();

/* Generous: valgrind and loaded machines. */
#define WAIT_USEC (10 * 1000000ull)

struct seen {
	char focus[VM_NAME_MAX + 1]; /* the last target ops->focus got */
	unsigned n_focus;
	unsigned n_bindings;
};

static void on_focus(void *userdata, const char *target)
{
	struct seen *s = userdata;

	snprintf(s->focus, sizeof(s->focus), "%s", target);
	s->n_focus++;
}

static void on_announce(void *userdata, const char *target, const char *previous, bool now)
{
}

static void on_bindings(void *userdata)
{
	struct seen *s = userdata;

	s->n_bindings++;
}

static void on_retry_grabs(void *userdata)
{
}

static const struct follow_ops ops = {
	.focus = on_focus,
	.announce = on_announce,
	.bindings_changed = on_bindings,
	.retry_grabs = on_retry_grabs,
};

struct rig {
	sd_event *event;
	struct hotkey hk;
	struct follow f;
	struct seen seen;
};

static void binding(struct hotkey_binding *b, enum hotkey_action action, const char *keys)
{
	*b = (struct hotkey_binding){.action = action};
	ASSERT_EQ(keyset_parse(keys, strlen(keys), &b->keys, NULL), 0);
}

/* A follower of vm in dir, joined and started. */
static void rig_open(struct rig *r, const char *dir, const char *vm)
{
	*r = (struct rig){0};
	ASSERT_EQ(sd_event_new(&r->event), 0);
	r->f = (struct follow){
		.vm = vm,
		.run_dir = dir,
		.include_host = true,
		.event = r->event,
		.hk = &r->hk,
		.ops = &ops,
		.userdata = &r->seen,
		.inotify_fd = -1,
	};
	binding(&r->f.base[0], HOTKEY_CYCLE, CONFIG_DEFAULT_CYCLE);
	binding(&r->f.base[1], HOTKEY_HOST, CONFIG_DEFAULT_HOST);
	binding(&r->f.base[2], HOTKEY_RELEASE, CONFIG_DEFAULT_RELEASE);
	ASSERT_EQ(follow_init(&r->f), 0);
	ASSERT_EQ(follow_join(&r->f), 0);
	ASSERT_EQ(follow_start(&r->f), 0);
}

static void rig_close(struct rig *r)
{
	follow_stop(&r->f);
	r->event = sd_event_unref(r->event);
}

/* What the focus file says now. */
static const char *file_target(const char *dir)
{
	static struct focus_file_state st;

	if (focus_file_read(dir, &st, NULL) < 0)
		return "(unreadable)";
	return st.target;
}

/* Runs the loop until ops->focus last got target (and, with dir, the file says file). */
static bool run_until(struct rig *r, const char *target, const char *dir, const char *file)
{
	struct timespec ts;
	uint64_t end;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000 + WAIT_USEC;
	for (;;) {
		uint64_t now;

		if (strcmp(r->seen.focus, target) == 0 && (!dir || strcmp(file_target(dir), file) == 0))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
		if (now >= end || sd_event_run(r->event, end - now) < 0)
			return false;
	}
}

/* Takes <dir>/lock as another process would (an open file of its own); close *ret to
 * drop it. */
static void hold_lock(const char *dir, int *ret)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	*ret = fd;
}

TEST(follows_the_focus_file)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-follow");
	struct focus_file_result res;
	struct rig r;

	ASSERT_TRUE(dir != NULL);
	rig_open(&r, dir, "vm1");
	ASSERT_TRUE(r.seen.n_bindings > 0);
	follow_take_focus(&r.f, false);
	ASSERT_STREQ(r.seen.focus, "host");
	ASSERT_EQ(focus_file_set(dir, "vm1", (struct focus_file_stamp){0, 0}, &res, NULL), 0);
	ASSERT_TRUE(run_until(&r, "vm1", NULL, NULL));
	ASSERT_EQ(focus_file_set(dir, "host", (struct focus_file_stamp){0, 0}, &res, NULL), 0);
	ASSERT_TRUE(run_until(&r, "host", NULL, NULL));
	rig_close(&r);
}

TEST(held_lock_release_lets_go_at_once_and_is_written_later)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-follow");
	struct rig r;
	int lock;

	ASSERT_TRUE(dir != NULL);
	rig_open(&r, dir, "vm1");
	follow_take_focus(&r.f, true);
	ASSERT_TRUE(run_until(&r, "vm1", dir, "vm1"));

	hold_lock(dir, &lock);
	follow_hotkey(&r.f, &r.f.base[2], 0, 0);
	/* Let go while the file still names us: the lock keeps it from being written. */
	ASSERT_TRUE(run_until(&r, "host", NULL, NULL));
	ASSERT_STREQ(file_target(dir), "vm1");
	close(lock);
	ASSERT_TRUE(run_until(&r, "host", dir, "host"));
	rig_close(&r);
}

TEST(held_lock_cycle_switches_once_the_lock_is_free)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-follow");
	struct rig r;
	int lock;

	ASSERT_TRUE(dir != NULL);
	rig_open(&r, dir, "vm1");
	follow_take_focus(&r.f, true);
	ASSERT_TRUE(run_until(&r, "vm1", dir, "vm1"));

	hold_lock(dir, &lock);
	follow_hotkey(&r.f, &r.f.base[0], 0, 0);
	/* A cycle keeps focus until it is written; the loop goes on meanwhile. */
	ASSERT_EQ(sd_event_run(r.event, 50000), 1);
	ASSERT_STREQ(r.seen.focus, "vm1");
	close(lock);
	ASSERT_TRUE(run_until(&r, "host", dir, "host"));
	rig_close(&r);
}

/* A reload's new cycle hotkey while the old one is half held: the old combo ends as
 * it began, and the new one is in effect once every key is up. */
TEST(new_base_bindings_wait_until_no_key_is_held)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-follow");
	struct hotkey_binding base[FOLLOW_BASE_BINDINGS];
	const struct hotkey_binding *fired = NULL;
	struct rig r;
	unsigned n;

	ASSERT_TRUE(dir != NULL);
	rig_open(&r, dir, "vm1");
	memcpy(base, r.f.base, sizeof(base));
	binding(&base[HOTKEY_CYCLE], HOTKEY_CYCLE, "KEY_LEFTCTRL+KEY_F12");

	/* Idle: at once. */
	n = r.seen.n_bindings;
	follow_set_base(&r.f, base);
	ASSERT_EQ(r.seen.n_bindings, n + 1);
	ASSERT_TRUE(hotkey_uses_key(&r.hk, KEY_F12));

	/* Back to the default, with Ctrl held: the F12 combo still completes. */
	binding(&base[HOTKEY_CYCLE], HOTKEY_CYCLE, CONFIG_DEFAULT_CYCLE);
	ASSERT_TRUE(hotkey_feed(&r.hk, KEY_LEFTCTRL, 1, &fired));
	follow_set_base(&r.f, base);
	ASSERT_EQ(r.seen.n_bindings, n + 1);
	ASSERT_FALSE(hotkey_feed(&r.hk, KEY_F12, 1, &fired));
	ASSERT_FALSE(hotkey_feed(&r.hk, KEY_F12, 0, &fired));
	follow_idle(&r.f);
	ASSERT_EQ(r.seen.n_bindings, n + 1);
	ASSERT_TRUE(hotkey_feed(&r.hk, KEY_LEFTCTRL, 0, &fired));
	ASSERT_TRUE(fired != NULL);
	ASSERT_EQ(fired->action, HOTKEY_CYCLE);
	/* Every key up: the new bindings. */
	follow_idle(&r.f);
	ASSERT_EQ(r.seen.n_bindings, n + 2);
	ASSERT_FALSE(hotkey_uses_key(&r.hk, KEY_F12));
	ASSERT_TRUE(hotkey_feed(&r.hk, KEY_LEFTCTRL, 1, &fired));
	ASSERT_FALSE(hotkey_feed(&r.hk, KEY_RIGHTCTRL, 1, &fired));
	ASSERT_FALSE(hotkey_feed(&r.hk, KEY_RIGHTCTRL, 0, &fired));
	ASSERT_TRUE(hotkey_feed(&r.hk, KEY_LEFTCTRL, 0, &fired));
	ASSERT_TRUE(fired != NULL);
	ASSERT_EQ(fired->action, HOTKEY_CYCLE);
	rig_close(&r);
}

TEST(a_watch_that_fails_returns_its_own_errno)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-follow");
	char path[300];
	struct rig r;
	int fd, saved, full;

	ASSERT_TRUE(dir != NULL);
	/* status/ cannot be watched: a file of that name is in the way. */
	snprintf(path, sizeof(path), "%s/status", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	close(fd);

	r = (struct rig){0};
	ASSERT_EQ(sd_event_new(&r.event), 0);
	r.f = (struct follow){.vm = "vm1", .run_dir = dir, .event = r.event, .hk = &r.hk,
			      .ops = &ops, .userdata = &r.seen, .inotify_fd = -1};
	ASSERT_EQ(follow_init(&r.f), 0);
	ASSERT_EQ(follow_join(&r.f), 0);
	/* A log line that fails to be written must not change the error reported. */
	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	ASSERT_TRUE(full >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(full, STDERR_FILENO);
	fd = follow_start(&r.f);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(full);
	ASSERT_EQ(fd, -ENOTDIR);
	rig_close(&r);
}
