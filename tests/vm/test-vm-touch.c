/* SPDX-License-Identifier: MIT */
/*
 * Guest test: a touchpad (multitouch type B, five slots) on a standalone
 * helper. Two fingers go down while the VM has focus; when focus moves to
 * the host, the clone, read with libevdev as a compositor would, has no live
 * ABS_MT_TRACKING_ID in any slot and BTN_TOUCH up: no finger is left on the
 * guest's pad. Back with the VM, a new finger lands in the slot the device
 * is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define PAD_SLOTS 5

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libevdev *, libevdev_free)

/* A touchpad like a laptop's: pointer, clickpad button, fingers in five slots. */
static int pad_new(const char *name, struct vt_dev **ret)
{
	static const unsigned keys[] = {BTN_LEFT, BTN_TOUCH, BTN_TOOL_FINGER, BTN_TOOL_DOUBLETAP};
	_cleanup_(vt_dev_freep) struct vt_dev *dev = NULL;
	struct libevdev *evdev = libevdev_new();
	struct input_absinfo pos = {.maximum = 1000, .resolution = 10};
	struct input_absinfo slot = {.maximum = PAD_SLOTS - 1};
	struct input_absinfo id = {.maximum = 65535};
	char full[128];
	int r;

	if (!evdev)
		return -ENOMEM;
	snprintf(full, sizeof(full), "vktest %s", name);
	libevdev_set_name(evdev, full);
	libevdev_set_id_bustype(evdev, BUS_I2C);
	libevdev_set_id_vendor(evdev, 0x1d6b);
	libevdev_set_id_product(evdev, 0x0105);
	libevdev_enable_property(evdev, INPUT_PROP_POINTER);
	libevdev_enable_property(evdev, INPUT_PROP_BUTTONPAD);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		libevdev_enable_event_code(evdev, EV_KEY, keys[i], NULL);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_X, &pos);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_Y, &pos);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_MT_SLOT, &slot);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_MT_TRACKING_ID, &id);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_MT_POSITION_X, &pos);
	libevdev_enable_event_code(evdev, EV_ABS, ABS_MT_POSITION_Y, &pos);

	dev = calloc(1, sizeof(*dev));
	r = dev ? libevdev_uinput_create_from_device(evdev, LIBEVDEV_UINPUT_OPEN_MANAGED,
						     &dev->uidev)
		: -ENOMEM;
	libevdev_free(evdev);
	if (r < 0)
		return r;
	dev->name = strdup(name);
	dev->node = strdup(libevdev_uinput_get_devnode(dev->uidev) ?: "");
	if (!dev->name || !dev->node || asprintf(&dev->byid, "/dev/input/by-id/%s", name) < 0) {
		dev->byid = NULL;
		return -ENOMEM;
	}
	if (dev->node[0] == '\0')
		return -ENODEV;
	if (mkdir("/dev/input/by-id", 0755) < 0 && errno != EEXIST)
		return -errno;
	unlink(dev->byid);
	if (symlink(dev->node, dev->byid) < 0)
		return -errno;
	*ret = TAKE_PTR(dev);
	return 0;
}

/* One frame: finger in SLOT gets tracking id ID (-1: lifted) at X/Y, then the keys. */
static int pad_finger(struct vt_dev *pad, int slot, int id, int x, int y)
{
	int r = vt_dev_emit(pad, EV_ABS, ABS_MT_SLOT, slot);

	r = r ?: vt_dev_emit(pad, EV_ABS, ABS_MT_TRACKING_ID, id);
	if (id >= 0) {
		r = r ?: vt_dev_emit(pad, EV_ABS, ABS_MT_POSITION_X, x);
		r = r ?: vt_dev_emit(pad, EV_ABS, ABS_MT_POSITION_Y, y);
	}
	return r;
}

/* Reads what the clone has into its libevdev state, resyncing after a drop. */
static int clone_take(struct libevdev *clone)
{
	unsigned flag = LIBEVDEV_READ_FLAG_NORMAL;

	for (;;) {
		struct input_event ev;
		int r = libevdev_next_event(clone, flag, &ev);

		if (r == -EAGAIN) {
			if (flag == LIBEVDEV_READ_FLAG_SYNC)
				flag = LIBEVDEV_READ_FLAG_NORMAL;
			else
				return 0;
		} else if (r == LIBEVDEV_READ_STATUS_SYNC)
			flag = LIBEVDEV_READ_FLAG_SYNC;
		else if (r < 0)
			return r;
	}
}

/* Live contacts on the clone, as libevdev sees them. */
static int clone_contacts(const struct libevdev *clone)
{
	int n = 0;

	for (int s = 0; s < libevdev_get_num_slots(clone); s++)
		if (libevdev_get_slot_value(clone, (unsigned)s, ABS_MT_TRACKING_ID) >= 0)
			n++;
	return n;
}

static void clone_print(const struct libevdev *clone)
{
	for (int s = 0; s < libevdev_get_num_slots(clone); s++)
		printf("# clone slot %d: tracking id %d\n", s,
		       libevdev_get_slot_value(clone, (unsigned)s, ABS_MT_TRACKING_ID));
	printf("# clone BTN_TOUCH %d\n", libevdev_get_event_value(clone, EV_KEY, BTN_TOUCH));
}

/*
 * Waits (bounded) until the clone has WANT contacts, BTN_TOUCH as TOUCH, and,
 * with ID >= 0, tracking id ID in SLOT. Returns 0 or -ETIMEDOUT (state printed).
 */
static int clone_wait(struct libevdev *clone, int want, bool touch, int slot, int id)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;

	for (;;) {
		struct pollfd p = {.fd = libevdev_get_fd(clone), .events = POLLIN};
		long long left;
		int r = clone_take(clone);

		if (r < 0)
			return r;
		if (clone_contacts(clone) == want &&
		    libevdev_get_event_value(clone, EV_KEY, BTN_TOUCH) == touch &&
		    (id < 0 || libevdev_get_slot_value(clone, (unsigned)slot, ABS_MT_TRACKING_ID) == id))
			return 0;
		left = deadline - vt_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			clone_print(clone);
			return -ETIMEDOUT;
		}
	}
}

static int press_cycle(struct vt_dev *kbd)
{
	int r = vt_dev_frame(kbd, EV_KEY, KEY_LEFTCTRL, 1);

	r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_RIGHTCTRL, 1);
	r = r ?: vt_dev_frame(kbd, EV_KEY, KEY_RIGHTCTRL, 0);
	return r ?: vt_dev_frame(kbd, EV_KEY, KEY_LEFTCTRL, 0);
}

TEST(focus_leaves_with_two_fingers_down_clone_has_no_contact)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *pad = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int pfd = -1;
	_cleanup_(libevdev_freep) struct libevdev *clone = NULL;

	ASSERT_EQ(vt_dev_new_keyboard("vktest-touch-kbd", &kbd), 0);
	ASSERT_EQ(pad_new("vktest-touch-pad", &pad), 0);
	struct vt_dev *devs[] = {kbd, pad};
	ASSERT_EQ(vt_helper_start(&h, "vm8", devs, 2, true), 0);
	pfd = vt_clone_open(&h, pad);
	ASSERT_TRUE(pfd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(pfd, &clone), 0);
	ASSERT_EQ(libevdev_get_num_slots(clone), PAD_SLOTS);
	ASSERT_TRUE(libevdev_has_property(clone, INPUT_PROP_POINTER));
	ASSERT_EQ(vt_wait_grabbed(pad->node, true), 0);

	/* Two fingers down, the second with the doubletap tool, as a touchpad reports them. */
	ASSERT_EQ(pad_finger(pad, 0, 10, 100, 200), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_KEY, BTN_TOUCH, 1), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_KEY, BTN_TOOL_FINGER, 1), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_ABS, ABS_X, 100), 0);
	ASSERT_EQ(pad_finger(pad, 1, 11, 300, 400), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_KEY, BTN_TOOL_FINGER, 0), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, BTN_TOOL_DOUBLETAP, 1), 0);
	ASSERT_EQ(clone_wait(clone, 2, true, 1, 11), 0);

	/* Focus to the host, fingers still down: both contacts end on the clone. */
	ASSERT_EQ(press_cycle(kbd), 0);
	ASSERT_EQ(vt_wait_grabbed(pad->node, false), 0);
	ASSERT_EQ(clone_wait(clone, 0, false, 0, -1), 0);
	ASSERT_EQ(libevdev_get_event_value(clone, EV_KEY, BTN_TOOL_DOUBLETAP), 0);
	ASSERT_EQ(libevdev_get_event_value(clone, EV_KEY, BTN_TOOL_FINGER), 0);

	/* Lifted on the host (the device is left in slot 1); back to the VM. */
	ASSERT_EQ(pad_finger(pad, 0, -1, 0, 0), 0);
	ASSERT_EQ(pad_finger(pad, 1, -1, 0, 0), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_KEY, BTN_TOUCH, 0), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, BTN_TOOL_DOUBLETAP, 0), 0);
	ASSERT_EQ(press_cycle(kbd), 0);
	ASSERT_EQ(vt_wait_grabbed(pad->node, true), 0);

	/* A new finger without ABS_MT_SLOT (the device stays in slot 1): slot 1 on the clone. */
	ASSERT_EQ(vt_dev_emit(pad, EV_ABS, ABS_MT_TRACKING_ID, 12), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_ABS, ABS_MT_POSITION_X, 500), 0);
	ASSERT_EQ(vt_dev_emit(pad, EV_KEY, BTN_TOUCH, 1), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, BTN_TOOL_FINGER, 1), 0);
	ASSERT_EQ(clone_wait(clone, 1, true, 1, 12), 0);
	ASSERT_EQ(libevdev_get_slot_value(clone, 1, ABS_MT_POSITION_X), 500);
}

VT_TEST_MAIN()
