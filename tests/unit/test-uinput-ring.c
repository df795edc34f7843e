/* SPDX-License-Identifier: MIT */
/*
 * Two helpers, vm1 and vm2, on the same "physical" keyboard and mouse, in
 * one ring (a temporary --run-dir, --no-bus): hotkeys move focus through the
 * focus file, one switch per press even when both helpers see the press,
 * only the focused helper grabs and only its clone receives what is typed,
 * and focus moves on when the focused helper stops or dies. A second helper
 * of a running VM touches nothing of the first's, and a root process
 * holding <run_dir>/lock never keeps the release hotkey from giving the
 * keyboard back. Needs root and /dev/uinput (skipped otherwise; see
 * test-uinput-rig.h).
 */
#include "test-uinput-rig.h"

TEST_MAIN();

#define DIRECT_VM1 "direct=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_1"
#define DIRECT_VM2 "direct=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_2"

/* Starts vm1, then vm2 (ring order: vm1, vm2), and opens their keyboard clones. */
static bool start_two(struct rig *r, bool include_host)
{
	const char *const vm1[] = {"--hotkey", DIRECT_VM1, include_host ? NULL : "--no-host",
				   NULL};
	const char *const vm2[] = {"--hotkey", DIRECT_VM2, include_host ? NULL : "--no-host",
				   NULL};

	if (!rig_open(r) || !rig_start(r, 0, "vm1", false, vm1) ||
	    !rig_wait_notify(r, 0, "READY=1") || !rig_start(r, 1, "vm2", false, vm2) ||
	    !rig_wait_notify(r, 1, "READY=1"))
		return false;
	for (size_t i = 0; i < 2; i++) {
		r->helpers[i].kbd =
			open(r->helpers[i].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (r->helpers[i].kbd < 0)
			return false;
	}
	return true;
}

/*
 * After a switch: the focus file names target at exactly generation gen,
 * every running helper has followed, only the target's helper grabs, and
 * typing reaches the target's clone only.
 */
static void check_focus(struct rig *r, const char *target, uint64_t gen)
{
	bool host = strcmp(target, "host") == 0;
	struct focus_file_state st;
	char got[256];

	ASSERT_TRUE(rig_wait_focus(r, target, gen, &st));
	ASSERT_TRUE(rig_wait_status(r, target));
	/* Every helper has acted on the press by now: a second switch would show. */
	ASSERT_EQ(focus_file_read(r->run_dir, &st, NULL), 0);
	ASSERT_STREQ(st.target, target);
	ASSERT_EQ(st.generation, gen);

	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].pid > 0)
			ASSERT_EQ(rig_grabs(r, r->helpers[i].vm),
				  strcmp(r->helpers[i].vm, target) == 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), !host);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->mouse)), !host);

	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].kbd >= 0)
			rig_pending(r->helpers[i].kbd, got, sizeof(got));
	SEND(r->kbd, K(KEY_A, 1), K(KEY_A, 0));
	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].pid > 0 && strcmp(r->helpers[i].vm, target) == 0) {
			rig_read_events(r->helpers[i].kbd, 4, got, sizeof(got));
			ASSERT_STREQ(got, "+30 . -30 .");
		}
	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].kbd >= 0 && strcmp(r->helpers[i].vm, target) != 0) {
			rig_pending(r->helpers[i].kbd, got, sizeof(got));
			ASSERT_STREQ(got, "");
		}
}

/* Stops the helpers that still run; focus must stay where it is (host). */
static void stop_all(struct rig *r, uint64_t gen)
{
	struct focus_file_state st;

	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].pid > 0)
			ASSERT_EQ(rig_stop(r, i, SIGTERM), 0);
	ASSERT_EQ(focus_file_read(r->run_dir, &st, NULL), 0);
	ASSERT_STREQ(st.target, "host");
	ASSERT_EQ(st.generation, gen);
}

#define STEP(r, target, gen)                                                                       \
	do {                                                                                       \
		check_focus(r, target, gen);                                                       \
		if (test_failed) {                                                                 \
			rig_close(r);                                                              \
			return;                                                                    \
		}                                                                                  \
	} while (0)

TEST(cycle_goes_host_vm1_vm2_host)
{
	struct rig r;
	struct focus_file_state st;

	if (!start_two(&r, true)) {
		rig_close(&r);
		TEST_FAIL("helpers not ready: %s", strerror(errno));
	}
	ASSERT_EQ(focus_file_read(r.run_dir, &st, NULL), 0);
	ASSERT_STREQ(st.target, "host");
	ASSERT_EQ(st.generation, 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 0);

	PRESS_CYCLE(r.kbd); /* both helpers see it: one switch */
	STEP(&r, "vm1", 1);
	PRESS_CYCLE(r.kbd); /* only vm1 sees it */
	STEP(&r, "vm2", 2);
	PRESS_CYCLE(r.kbd);
	STEP(&r, "host", 3);
	stop_all(&r, 3);
	rig_close(&r);
}

TEST(no_host_cycle_skips_the_host)
{
	struct rig r;

	if (!start_two(&r, false)) {
		rig_close(&r);
		TEST_FAIL("helpers not ready: %s", strerror(errno));
	}
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm1", 1);
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm2", 2);
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm1", 3);
	PRESS_WITH_CTRLS(r.kbd, KEY_ESC); /* release: the host, whatever --no-host says */
	STEP(&r, "host", 4);
	stop_all(&r, 4);
	rig_close(&r);
}

TEST(direct_and_release_hotkeys)
{
	struct rig r;

	if (!start_two(&r, true)) {
		rig_close(&r);
		TEST_FAIL("helpers not ready: %s", strerror(errno));
	}
	PRESS_WITH_CTRLS(r.kbd, KEY_2); /* from the host: both see it */
	STEP(&r, "vm2", 1);
	PRESS_WITH_CTRLS(r.kbd, KEY_ESC);
	STEP(&r, "host", 2);
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm1", 3);
	/* Only vm1 sees this: it knows vm2's hotkey from the ring. */
	PRESS_WITH_CTRLS(r.kbd, KEY_2);
	STEP(&r, "vm2", 4);
	PRESS_WITH_CTRLS(r.kbd, KEY_1);
	STEP(&r, "vm1", 5);
	PRESS_WITH_CTRLS(r.kbd, KEY_H); /* the host hotkey */
	STEP(&r, "host", 6);
	stop_all(&r, 6);
	rig_close(&r);
}

TEST(sigterm_of_the_focused_helper_hands_focus_on)
{
	struct rig r;

	if (!start_two(&r, true)) {
		rig_close(&r);
		TEST_FAIL("helpers not ready: %s", strerror(errno));
	}
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm1", 1);
	ASSERT_EQ(rig_stop(&r, 0, SIGTERM), 0);
	ASSERT_EQ(access(r.helpers[0].kbd_clone, F_OK), -1);
	STEP(&r, "vm2", 2);
	PRESS_WITH_CTRLS(r.kbd, KEY_ESC);
	STEP(&r, "host", 3);
	stop_all(&r, 3);
	rig_close(&r);
}

TEST(sigkill_of_the_focused_helper_moves_focus_on)
{
	struct rig r;

	if (!start_two(&r, true)) {
		rig_close(&r);
		TEST_FAIL("helpers not ready: %s", strerror(errno));
	}
	PRESS_CYCLE(r.kbd);
	STEP(&r, "vm1", 1);
	/* Nothing of vm1 runs to hand focus on: vm2 sees vm1's ring entry closed. */
	ASSERT_EQ(rig_stop(&r, 0, SIGKILL), 128 + SIGKILL);
	STEP(&r, "vm2", 2);
	PRESS_WITH_CTRLS(r.kbd, KEY_ESC);
	STEP(&r, "host", 3);
	stop_all(&r, 3);
	rig_close(&r);
}

/* What the focus file names now. */
static const char *file_target_of(struct rig *r)
{
	static struct focus_file_state st;

	return focus_file_read(r->run_dir, &st, NULL) == 0 ? st.target : "(unreadable)";
}

/* vm1 alone, started with focus, with its keyboard clone open; false if not ready. */
static bool start_focused(struct rig *r)
{
	static const char *const focus[] = {"--focus", NULL};
	struct focus_file_state st;

	/* READY=1 comes after the focus step: grabbed, with no key down. */
	if (!rig_open(r) || !rig_start(r, 0, "vm1", false, focus) ||
	    !rig_wait_notify(r, 0, "READY=1") || !rig_wait_focus(r, "vm1", 1, &st))
		return false;
	r->helpers[0].kbd = open(r->helpers[0].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return r->helpers[0].kbd >= 0;
}

TEST(second_helper_of_a_running_vm_touches_nothing_of_the_first)
{
	char before[256], after[256], got[256];
	struct rig r;
	ssize_t n;

	if (!start_focused(&r)) {
		rig_close(&r);
		TEST_FAIL("vm1 not ready: %s", strerror(errno));
	}
	n = readlink(r.helpers[0].kbd_clone, before, sizeof(before) - 1);
	ASSERT_TRUE(n > 0);
	before[n] = '\0';

	/* The same VM again: refused with one line, before it made anything. */
	ASSERT_TRUE(rig_start(&r, 1, "vm1", false, NULL));
	ASSERT_EQ(rig_stop(&r, 1, 0), 1);
	ASSERT_TRUE(strstr(r.helpers[1].err, "already in the ring") != NULL);
	ASSERT_TRUE(strchr(r.helpers[1].err, '\n') == strrchr(r.helpers[1].err, '\n'));

	n = readlink(r.helpers[0].kbd_clone, after, sizeof(after) - 1);
	ASSERT_TRUE(n > 0);
	after[n] = '\0';
	ASSERT_STREQ(after, before);
	ASSERT_EQ(access(r.helpers[0].mouse_clone, F_OK), 0);
	SEND(r.kbd, K(KEY_A, 1), K(KEY_A, 0));
	rig_read_events(r.helpers[0].kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+30 . -30 .");
	ASSERT_EQ(rig_stop(&r, 0, SIGTERM), 0);
	rig_close(&r);
}

TEST(held_lock_never_keeps_the_release_hotkey_from_letting_go)
{
	struct focus_file_state st;
	struct rig r;
	int lock = -1;

	if (!start_focused(&r)) {
		rig_close(&r);
		TEST_FAIL("vm1 not ready: %s", strerror(errno));
	}
	ASSERT_EQ(focus_file_read(r.run_dir, &st, NULL), 0);
	ASSERT_TRUE(rig_hold_lock(&r, &lock));

	SEND(r.kbd, K(KEY_A, 1), K(KEY_A, 0));
	PRESS_WITH_CTRLS(r.kbd, KEY_ESC);
	/* Let go at once, while the focus file cannot be written. */
	ASSERT_TRUE(rig_wait_status(&r, "host"));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.mouse)), 0);
	ASSERT_EQ(rig_keys_down(r.helpers[0].kbd), 0);
	ASSERT_STREQ(file_target_of(&r), "vm1");

	close(lock);
	ASSERT_TRUE(rig_wait_focus(&r, "host", st.generation + 1, &st));
	ASSERT_EQ(rig_stop(&r, 0, SIGTERM), 0);
	rig_close(&r);
}

TEST(held_lock_cycle_switches_once_the_lock_is_free)
{
	struct focus_file_state st;
	struct rig r;
	int lock = -1;

	if (!start_focused(&r)) {
		rig_close(&r);
		TEST_FAIL("vm1 not ready: %s", strerror(errno));
	}
	ASSERT_EQ(focus_file_read(r.run_dir, &st, NULL), 0);
	ASSERT_TRUE(rig_hold_lock(&r, &lock));

	PRESS_CYCLE(r.kbd);
	ASSERT_TRUE(rig_wait_err(&r.helpers[0], "held by another process"));
	ASSERT_STREQ(file_target_of(&r), "vm1");
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 1);

	close(lock);
	ASSERT_TRUE(rig_wait_focus(&r, "host", st.generation + 1, &st));
	ASSERT_TRUE(rig_wait_status(&r, "host"));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 0);
	ASSERT_EQ(rig_stop(&r, 0, SIGTERM), 0);
	rig_close(&r);
}
