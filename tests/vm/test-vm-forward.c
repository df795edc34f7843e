/* SPDX-License-Identifier: MIT */
/*
 * Guest test 2: with focus the physical devices are grabbed and every frame
 * injected on them (keys, relative motion, buttons, wheels) comes out of the
 * clones, in order, none lost, frame boundaries kept; without focus nothing
 * is grabbed and the clones stay silent.
 */
#include <stdlib.h>

#include "test.h"
#include "vmtest.h"

#define N_FRAMES 600
/* Frames injected before the clones are drained: well under evdev's buffer. */
#define BURST 4

struct expect {
	unsigned type, code;
	int value;
};

/* Frame I of the scripted input: which device, and up to three events. */
static size_t script_frame(unsigned i, bool *on_kbd, struct expect ev[3])
{
	static const unsigned keys[] = {KEY_A, KEY_B, KEY_C, KEY_Q, KEY_LEFTSHIFT, KEY_SPACE};
	static const unsigned btns[] = {BTN_LEFT, BTN_RIGHT, BTN_MIDDLE};
	unsigned k = i / 2;

	switch (i % 8) {
	case 0:
	case 1: /* a key down, then up */
		*on_kbd = true;
		ev[0] = (struct expect){EV_KEY, keys[k % ARRAY_SIZE(keys)], i % 2 == 0};
		return 1;
	case 2: /* motion on both axes in one frame */
		*on_kbd = false;
		/* The kernel drops zero motion: values never 0. */
		ev[0] = (struct expect){EV_REL, REL_X, (int)(i % 11) + 1};
		ev[1] = (struct expect){EV_REL, REL_Y, -(int)(i % 7) - 1};
		return 2;
	case 3:
	case 4: /* a button down, then up */
		*on_kbd = false;
		ev[0] = (struct expect){EV_KEY, btns[(i / 8) % ARRAY_SIZE(btns)], i % 8 == 3};
		return 1;
	case 5: /* wheel */
		*on_kbd = false;
		ev[0] = (struct expect){EV_REL, REL_WHEEL, i % 16 < 8 ? 1 : -1};
		return 1;
	case 6: /* button and motion in one frame */
		*on_kbd = false;
		ev[0] = (struct expect){EV_KEY, BTN_LEFT, 1};
		ev[1] = (struct expect){EV_REL, REL_X, 3};
		ev[2] = (struct expect){EV_REL, REL_HWHEEL, -1};
		return 3;
	default:
		*on_kbd = false;
		ev[0] = (struct expect){EV_KEY, BTN_LEFT, 0};
		return 1;
	}
}

/*
 * Reads one frame from FD and checks it is exactly EV[0..N) + SYN_REPORT.
 * Key repeats (value 2) are the kernel's own and skipped.
 */
static int read_frame(int fd, const struct expect *ev, size_t n, unsigned frame)
{
	struct input_event got;
	size_t i = 0;
	int r;

	for (;;) {
		r = vt_read_event(fd, &got, VT_TIMEOUT_MS);
		if (r < 0) {
			printf("# frame %u: event %zu of %zu never came (%d)\n", frame, i, n, r);
			return r;
		}
		if (got.type == EV_KEY && got.value == 2)
			continue;
		if (got.type == EV_MSC && got.code == MSC_SCAN)
			continue;
		if (i == n) {
			if (got.type == EV_SYN && got.code == SYN_REPORT)
				return 0;
		} else if (got.type == ev[i].type && got.code == ev[i].code &&
			   got.value == ev[i].value) {
			i++;
			continue;
		} else if (got.type == EV_SYN && got.code == SYN_REPORT && i == 0) {
			continue; /* an empty frame (only repeats) */
		}
		printf("# frame %u event %zu: got %s %s %d, expected %s %s %d\n", frame, i,
		       libevdev_event_type_get_name(got.type) ?: "?",
		       libevdev_event_code_get_name(got.type, got.code) ?: "?", got.value,
		       i < n ? libevdev_event_type_get_name(ev[i].type) : "EV_SYN",
		       i < n ? libevdev_event_code_get_name(ev[i].type, ev[i].code) : "SYN_REPORT",
		       i < n ? ev[i].value : 0);
		return -EBADMSG;
	}
}

TEST(focused_frames_arrive_in_order)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, mfd = -1;
	struct input_event extra;

	ASSERT_EQ(vt_dev_new_keyboard("vktest-fwd-kbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("vktest-fwd-mouse", &mouse), 0);
	struct vt_dev *devs[] = {kbd, mouse};
	ASSERT_EQ(vt_helper_start(&h, "vm2", devs, 2, true), 0);
	kfd = vt_clone_open(&h, kbd);
	mfd = vt_clone_open(&h, mouse);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(mfd >= 0);

	/* Focus means both physical devices are held: nobody else reads them. */
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_wait_grabbed(mouse->node, true), 0);

	for (unsigned start = 0; start < N_FRAMES; start += BURST) {
		unsigned end = MIN(start + BURST, (unsigned)N_FRAMES);

		for (unsigned i = start; i < end; i++) {
			struct expect ev[3];
			bool on_kbd;
			size_t n = script_frame(i, &on_kbd, ev);

			for (size_t e = 0; e < n; e++)
				ASSERT_EQ(vt_dev_emit(on_kbd ? kbd : mouse, ev[e].type, ev[e].code,
						      ev[e].value), 0);
			ASSERT_EQ(vt_dev_emit(on_kbd ? kbd : mouse, EV_SYN, SYN_REPORT, 0), 0);
		}
		/* Each clone keeps its own order; check each against its script. */
		for (unsigned i = start; i < end; i++) {
			struct expect ev[3];
			bool on_kbd;
			size_t n = script_frame(i, &on_kbd, ev);

			ASSERT_EQ(read_frame(on_kbd ? kfd : mfd, ev, n, i), 0);
		}
	}
	/* Nothing more than what was injected. */
	ASSERT_EQ(vt_read_event(kfd, &extra, 0), -ETIMEDOUT);
	ASSERT_EQ(vt_read_event(mfd, &extra, 0), -ETIMEDOUT);
	ASSERT_EQ(vt_keys_down(kfd), 0);
	ASSERT_EQ(vt_keys_down(mfd), 0);
	printf("# %u frames forwarded\n", N_FRAMES);
}

TEST(unfocused_not_grabbed_nothing_forwarded)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, mfd = -1;
	struct input_event got;

	ASSERT_EQ(vt_dev_new_keyboard("vktest-nofocus-kbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("vktest-nofocus-mouse", &mouse), 0);
	struct vt_dev *devs[] = {kbd, mouse};
	ASSERT_EQ(vt_helper_start(&h, "vm3", devs, 2, false), 0);
	kfd = vt_clone_open(&h, kbd);
	mfd = vt_clone_open(&h, mouse);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(mfd >= 0);

	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
	ASSERT_EQ(vt_is_grabbed(mouse->node), 0);

	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_REL, REL_X, 5), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_KEY, BTN_LEFT, 1), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_KEY, BTN_LEFT, 0), 0);
	ASSERT_EQ(vt_dev_frame(mouse, EV_REL, REL_WHEEL, 1), 0);

	/* Nothing can announce "nothing came": a bounded quiet period is the proof. */
	ASSERT_EQ(vt_read_event(kfd, &got, VT_QUIET_MS), -ETIMEDOUT);
	ASSERT_EQ(vt_read_event(mfd, &got, VT_QUIET_MS), -ETIMEDOUT);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
	ASSERT_EQ(vt_is_grabbed(mouse->node), 0);
}

VT_TEST_MAIN()
