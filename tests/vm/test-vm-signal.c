/* SPDX-License-Identifier: MIT */
/*
 * Guest test 4: the helper killed with SIGTERM (clean exit) or SIGKILL (no
 * chance to clean up): either way the clone goes away, the physical device
 * is free again and no key is left down. On SIGTERM the helper itself sends
 * the key-up on the clone before removing it; the test reads it at real-time
 * priority, because evdev drops what a reader has not read once its device
 * is gone. On SIGKILL only the kernel can release the keys, as the device
 * goes away, and no reader can see that: the test checks the rest.
 */
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test.h"
#include "vmtest.h"

/*
 * Reads the keyboard clone FD[0] and the mouse clone FD[1] together until
 * both are gone, noting in RELEASED whether KEY_B / BTN_LEFT came up.
 * Returns 0, -ETIMEDOUT or a negative errno.
 */
static int read_to_end(int kfd, int mfd, bool released[2])
{
	struct pollfd p[2] = {{.fd = kfd, .events = POLLIN}, {.fd = mfd, .events = POLLIN}};
	const unsigned codes[2] = {KEY_B, BTN_LEFT};
	bool gone[2] = {false, false};

	while (!gone[0] || !gone[1]) {
		int r = poll(p, 2, VT_TIMEOUT_MS);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		for (size_t i = 0; i < 2; i++) {
			struct input_event ev;

			if (gone[i] || !p[i].revents)
				continue;
			while ((r = vt_read_event(p[i].fd, &ev, 0)) == 0)
				if (ev.type == EV_KEY && ev.code == codes[i] && ev.value == 0)
					released[i] = true;
			if (r == -ENODEV) {
				gone[i] = true;
				p[i].fd = -1;
			} else if (r != -ETIMEDOUT) {
				return r;
			}
		}
	}
	return 0;
}

static void kill_helper_with_key_down(int sig)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, mfd = -1;
	char link[128], node[PATH_MAX], result[64];
	bool released[2] = {false, false};
	struct stat st;

	ASSERT_EQ(vt_dev_new_keyboard(sig == SIGTERM ? "vktest-term-kbd" : "vktest-kill-kbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse(sig == SIGTERM ? "vktest-term-mouse" : "vktest-kill-mouse", &mouse), 0);
	struct vt_dev *devs[] = {kbd, mouse};
	ASSERT_EQ(vt_helper_start(&h, "vm6", devs, 2, true), 0);
	kfd = vt_clone_open(&h, kbd);
	mfd = vt_clone_open(&h, mouse);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(mfd >= 0);
	ASSERT_TRUE(realpath(vt_clone_link(&h, kbd, link, sizeof(link)), node) != NULL);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);

	/* A key and a button held down, seen on the clones. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 1), 0);
	ASSERT_EQ(vt_read_until(kfd, EV_KEY, KEY_B, 1, NULL, 0, NULL), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_KEY, BTN_LEFT, 1), 0);
	ASSERT_EQ(vt_read_until(mfd, EV_KEY, BTN_LEFT, 1, NULL, 0, NULL), 0);
	ASSERT_EQ(vt_keys_down(kfd), 1);

	if (sig == SIGTERM &&
	    sched_setscheduler(0, SCHED_FIFO, &(struct sched_param){.sched_priority = 10}) < 0)
		printf("# no real-time priority (%m): the key-up may be missed\n");
	ASSERT_EQ(vt_helper_kill(&h, sig), 0);

	/* Read both clones to their end: key and button must come up before they go. */
	ASSERT_EQ(read_to_end(kfd, mfd, released), 0);
	sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){.sched_priority = 0});
	if (sig == SIGTERM) {
		ASSERT_TRUE(released[0]);
		ASSERT_TRUE(released[1]);
	}

	ASSERT_EQ(vt_helper_wait_exit(&h, result, sizeof(result)), 0);
	if (sig == SIGTERM) {
		ASSERT_STREQ(result, "success");
		/* A clean exit also takes its links along. */
		ASSERT_EQ(lstat(link, &st), -1);
	} else {
		ASSERT_STREQ(result, "signal");
		ASSERT_EQ(vt_wait_gone(link), 0);
	}
	ASSERT_EQ(vt_wait_gone(node), 0);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
	ASSERT_EQ(vt_is_grabbed(mouse->node), 0);

	/* The test lets go of its physical keys: nothing is down anywhere. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 0), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_KEY, BTN_LEFT, 0), 0);
	{
		_cleanup_(closep) int pfd = open(kbd->node, O_RDONLY | O_CLOEXEC);

		ASSERT_TRUE(pfd >= 0);
		ASSERT_EQ(vt_keys_down(pfd), 0);
	}
}

TEST(sigterm_releases_keys_and_removes_clones)
{
	kill_helper_with_key_down(SIGTERM);
}

TEST(sigkill_leaves_no_clone_grab_or_key)
{
	kill_helper_with_key_down(SIGKILL);
}

VT_TEST_MAIN()
