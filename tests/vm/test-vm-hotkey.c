/* SPDX-License-Identifier: MIT */
/*
 * Guest test 3: the cycle hotkey (KEY_LEFTCTRL+KEY_RIGHTCTRL by default),
 * pressed on the physical keyboard of a standalone helper, moves focus
 * between this VM and the host once all keys are released; the clone that
 * loses focus is left with no key down, and never saw the whole combo.
 */
#include "test.h"
#include "vmtest.h"

/* Presses the default cycle hotkey and lets go of it again. */
static int press_cycle(struct vt_dev *kbd, bool release)
{
	int r = 0;

	if (!release) {
		r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_LEFTCTRL, 1);
		r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_RIGHTCTRL, 1);
	} else {
		r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_RIGHTCTRL, 0);
		r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_LEFTCTRL, 0);
	}
	return r;
}

TEST(cycle_hotkey_switches_after_release)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, mfd = -1;
	struct input_event seen[64], got;
	size_t n_seen;

	ASSERT_EQ(vt_dev_new_keyboard("vktest-hk-kbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("vktest-hk-mouse", &mouse), 0);
	struct vt_dev *devs[] = {kbd, mouse};
	ASSERT_EQ(vt_helper_start(&h, "vm4", devs, 2, true), 0);
	kfd = vt_clone_open(&h, kbd);
	mfd = vt_clone_open(&h, mouse);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(mfd >= 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);

	/* The VM has focus: a key reaches it. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(vt_read_until(kfd, EV_KEY, KEY_A, 0, NULL, 0, NULL), 0);

	/* Combo held: no switch yet. The mouse frame is a barrier that the
	 * helper has read the keys before it (one loop reads both). */
	ASSERT_EQ(press_cycle(kbd, false), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_REL, REL_X, 1), 0);
	ASSERT_EQ(vt_read_until(mfd, EV_REL, REL_X, 1, NULL, 0, NULL), 0);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 1);

	ASSERT_EQ(press_cycle(kbd, true), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, false), 0);
	ASSERT_EQ(vt_wait_grabbed(mouse->node, false), 0);

	/* The clone that lost focus: nothing down, and the whole combo never seen. */
	ASSERT_EQ(vt_keys_down(kfd), 0);
	n_seen = 0;
	while (n_seen < ARRAY_SIZE(seen) && vt_read_event(kfd, &seen[n_seen], 0) == 0)
		n_seen++;
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].type == EV_KEY && seen[i].code == KEY_RIGHTCTRL && seen[i].value == 1)
			TEST_FAIL("the clone saw KEY_RIGHTCTRL go down: the whole combo");

	/* Host focus: the clones get nothing. */
	ASSERT_TRUE(vt_drain(mfd) >= 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 0), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_REL, REL_Y, 4), 0);
	ASSERT_EQ(vt_read_event(kfd, &got, VT_QUIET_MS), -ETIMEDOUT);
	ASSERT_EQ(vt_read_event(mfd, &got, VT_QUIET_MS), -ETIMEDOUT);

	/* The hotkey again: back to the VM, grabbed, forwarding. */
	ASSERT_EQ(press_cycle(kbd, false), 0);
	ASSERT_EQ(press_cycle(kbd, true), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_wait_grabbed(mouse->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_C, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_C, 0), 0);
	ASSERT_EQ(vt_read_until(kfd, EV_KEY, KEY_C, 0, seen, ARRAY_SIZE(seen), &n_seen), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);
}

TEST(key_held_when_focus_leaves_is_released)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1;

	ASSERT_EQ(vt_dev_new_keyboard("vktest-hk2-kbd", &kbd), 0);
	ASSERT_EQ(vt_helper_start(&h, "vm5", &kbd, 1, true), 0);
	kfd = vt_clone_open(&h, kbd);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);

	/* Shift goes down on the clone, then the combo is pressed over it. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_LEFTSHIFT, 1), 0);
	ASSERT_EQ(vt_read_until(kfd, EV_KEY, KEY_LEFTSHIFT, 1, NULL, 0, NULL), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_LEFTSHIFT, 0), 0);
	ASSERT_EQ(press_cycle(kbd, false), 0);
	ASSERT_EQ(press_cycle(kbd, true), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, false), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);
}

VT_TEST_MAIN()
