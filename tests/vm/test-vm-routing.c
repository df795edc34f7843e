/* SPDX-License-Identifier: MIT */
/*
 * Guest test: where events go besides "the focused VM's clones".
 *
 * Host keys (--host-keys): with the VM focused, those keys reach the
 * helper's host device ("vfio-kvm host keys (<vm>)", which the host's
 * libinput uses) and never the clone; every other key reaches the clone and
 * never the host device; a host key held across a focus switch is released
 * on the device that saw its press, and none is left down anywhere.
 *
 * Pinned devices (--device …,focus=always): grabbed and forwarded while the
 * host has the focus, never read for hotkeys, untouched by focus changes.
 *
 * Devices with only a by-path link: /dev/input/by-id/<name> given, the
 * device found as /dev/input/by-path/<name>, cloned and forwarded, and found
 * again there after a replug.
 *
 * The helper runs as a transient unit with its argv given directly; focus
 * moves with `vfio-kvm focus`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BY_PATH_DIR "/dev/input/by-path"

static int focus(const char *target)
{
	char out[1024];
	int r = vt_sh(out, sizeof(out), "timeout 30 vfio-kvm focus %s", target);

	if (r != 0)
		vt_comment("vfio-kvm focus", out);
	return r == 0 ? 0 : -EIO;
}

/*
 * Reads FD until KEY/VALUE came, and the rest of its frame; fails on any
 * event of another key on the way.
 */
static int expect_key(int fd, unsigned key, int value)
{
	struct input_event seen[32];
	size_t n;
	int r = vt_read_until(fd, EV_KEY, key, value, seen, ARRAY_SIZE(seen), &n);

	if (r == 0)
		r = vt_read_until(fd, EV_SYN, SYN_REPORT, 0, NULL, 0, NULL);

	if (r < 0) {
		printf("# %s %d never came (%d)\n", libevdev_event_code_get_name(EV_KEY, key),
		       value, r);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (seen[i].type == EV_KEY && seen[i].code != key) {
			printf("# before %s: %s %d\n", libevdev_event_code_get_name(EV_KEY, key),
			       libevdev_event_code_get_name(EV_KEY, seen[i].code), seen[i].value);
			return -EBADMSG;
		}
	return 0;
}

/* Nothing queued on FD now (what could come was written before what the caller saw). */
static int expect_nothing(int fd)
{
	struct input_event ev;
	int r = vt_read_event(fd, &ev, 0);

	if (r == 0)
		printf("# unexpected %s %s %d\n", libevdev_event_type_get_name(ev.type) ?: "?",
		       libevdev_event_code_get_name(ev.type, ev.code) ?: "?", ev.value);
	return r == -ETIMEDOUT ? 0 : r == 0 ? -EBADMSG : r;
}

TEST(host_keys_reach_the_host_device_not_the_clone)
{
	static const char *const extra[] = {"--host-keys", "KEY_VOLUMEUP,KEY_MUTE", NULL};
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, hfd = -1;
	struct libevdev *hdev = NULL;
	char node[64], out[4096];

	ASSERT_EQ(vt_dev_new_keyboard("vktest-hostkeys-kbd", &kbd), 0);
	ASSERT_EQ(vt_helper_start_with(&h, "vmr1", &kbd, NULL, 1, true, extra), 0);
	kfd = vt_clone_open(&h, kbd);
	hfd = vt_host_keys_open("vmr1", node, sizeof(node));
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(hfd >= 0);

	/* Exactly those keys, and nothing that makes udev or libinput take it for a clone. */
	ASSERT_EQ(libevdev_new_from_fd(hfd, &hdev), 0);
	ASSERT_TRUE(libevdev_has_event_code(hdev, EV_KEY, KEY_VOLUMEUP));
	ASSERT_TRUE(libevdev_has_event_code(hdev, EV_KEY, KEY_MUTE));
	ASSERT_TRUE(!libevdev_has_event_code(hdev, EV_KEY, KEY_VOLUMEDOWN));
	ASSERT_TRUE(!libevdev_has_event_code(hdev, EV_KEY, KEY_A));
	ASSERT_TRUE(!libevdev_has_event_type(hdev, EV_REL));
	ASSERT_TRUE(libevdev_get_phys(hdev) == NULL ||
		    strncmp(libevdev_get_phys(hdev), "vfio-kvm:", 9) != 0);
	libevdev_free(hdev);
	ASSERT_EQ(vt_sh(out, sizeof(out),
			"timeout 30 udevadm settle; udevadm info --query=property --name=%s; "
			"for l in /dev/input/by-id/*; do "
			"[ \"$(readlink -f \"$l\")\" = %s ] && echo \"link $l\"; done; true",
			node, node),
		  0);
	if (strstr(out, "LIBINPUT_IGNORE_DEVICE=1") || strstr(out, "ID_VFIO_KVM_CLONE") ||
	    strstr(out, "link /dev/input/by-id/") || !strstr(out, "ID_INPUT_KEY=1")) {
		vt_comment("udev on the host device", out);
		TEST_FAIL("the host device is not an ordinary host keyboard");
	}

	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_VOLUMEUP, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_VOLUMEUP, 0), 0);
	ASSERT_EQ(expect_key(hfd, KEY_VOLUMEUP, 1), 0);
	ASSERT_EQ(expect_key(hfd, KEY_VOLUMEUP, 0), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	/* The clone's first key event is KEY_A: the volume key never reached it. */
	ASSERT_EQ(expect_key(kfd, KEY_A, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_A, 0), 0);
	/* KEY_A came after the volume key, so anything of it would be on the host device by now. */
	ASSERT_EQ(expect_nothing(hfd), 0);
}

TEST(host_key_held_across_a_switch_is_released_where_pressed)
{
	static const char *const extra[] = {"--host-keys", "KEY_VOLUMEUP,KEY_MUTE", NULL};
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, hfd = -1;
	struct input_event got;
	char node[64];

	ASSERT_EQ(vt_dev_new_keyboard("vktest-held-kbd", &kbd), 0);
	ASSERT_EQ(vt_helper_start_with(&h, "vmr2", &kbd, NULL, 1, true, extra), 0);
	kfd = vt_clone_open(&h, kbd);
	hfd = vt_host_keys_open("vmr2", node, sizeof(node));
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(hfd >= 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);

	/* Pressed with the VM focused (on the host device), focus moves to the host. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_VOLUMEUP, 1), 0);
	ASSERT_EQ(expect_key(hfd, KEY_VOLUMEUP, 1), 0);
	ASSERT_EQ(focus("host"), 0);
	ASSERT_EQ(expect_key(hfd, KEY_VOLUMEUP, 0), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, false), 0);
	ASSERT_EQ(vt_keys_down(hfd), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);
	/* Released on the device now the host reads it: nothing more from the helper. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_VOLUMEUP, 0), 0);
	ASSERT_EQ(vt_read_event(hfd, &got, VT_QUIET_MS), -ETIMEDOUT);
	ASSERT_EQ(vt_read_event(kfd, &got, 0), -ETIMEDOUT);

	/* The reverse: pressed with the host focused; the grab waits for its release. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_MUTE, 1), 0);
	ASSERT_EQ(focus("vmr2"), 0);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_MUTE, 0), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	/* Its key-up was the host's (it saw the press on the device): neither device got one. */
	ASSERT_EQ(expect_nothing(hfd), 0);
	ASSERT_EQ(expect_nothing(kfd), 0);
	/* And a new press goes to the host device, whole. */
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_MUTE, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_MUTE, 0), 0);
	ASSERT_EQ(expect_key(hfd, KEY_MUTE, 1), 0);
	ASSERT_EQ(expect_key(hfd, KEY_MUTE, 0), 0);
	ASSERT_EQ(vt_keys_down(hfd), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);
}

TEST(pinned_device_is_forwarded_whatever_has_the_focus)
{
	static const char *const opts[] = {NULL, ",focus=always"};
	static const unsigned cycle[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL};
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *pad = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1, pfd = -1;
	struct input_event got;
	char out[8192];

	ASSERT_EQ(vt_dev_new_keyboard("vktest-pin-kbd", &kbd), 0);
	/* A keyboard, so that it could complete a hotkey if it were read for them. */
	ASSERT_EQ(vt_dev_new_keyboard("vktest-pin-pad", &pad), 0);
	struct vt_dev *devs[] = {kbd, pad};
	ASSERT_EQ(vt_helper_start_with(&h, "vmr3", devs, opts, 2, false, NULL), 0);
	kfd = vt_clone_open(&h, kbd);
	pfd = vt_clone_open(&h, pad);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(pfd >= 0);

	/* The host has the focus: the pinned device is the VM's all the same. */
	ASSERT_EQ(vt_wait_grabbed(pad->node, true), 0);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, KEY_B, 1), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, KEY_B, 0), 0);
	ASSERT_EQ(expect_key(pfd, KEY_B, 1), 0);
	ASSERT_EQ(expect_key(pfd, KEY_B, 0), 0);
	ASSERT_EQ(vt_read_event(kfd, &got, VT_QUIET_MS), -ETIMEDOUT);

	/* The cycle hotkey on it is no hotkey: the VM gets the keys, focus stays. */
	ASSERT_EQ(vt_dev_combo(pad, cycle, 2), 0);
	ASSERT_EQ(expect_key(pfd, KEY_LEFTCTRL, 1), 0);
	ASSERT_EQ(expect_key(pfd, KEY_RIGHTCTRL, 1), 0);
	ASSERT_EQ(expect_key(pfd, KEY_RIGHTCTRL, 0), 0);
	ASSERT_EQ(expect_key(pfd, KEY_LEFTCTRL, 0), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 vfio-kvm status --json"), 0);
	ASSERT_CONTAINS(out, "{\"focus\":{\"target\":\"host\",");
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);

	/* The VM focused: both reach it. */
	ASSERT_EQ(focus("vmr3"), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, KEY_C, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_A, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_A, 0), 0);
	ASSERT_EQ(expect_key(pfd, KEY_C, 1), 0);

	/* Back to the host with KEY_C held on it: neither let go of nor released. */
	ASSERT_EQ(focus("host"), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, false), 0);
	ASSERT_EQ(vt_is_grabbed(pad->node), 1);
	ASSERT_EQ(vt_read_event(pfd, &got, 0), -ETIMEDOUT);
	ASSERT_EQ(vt_keys_down(pfd), 1);
	ASSERT_EQ(vt_dev_frame(pad, EV_KEY, KEY_C, 0), 0);
	ASSERT_EQ(expect_key(pfd, KEY_C, 0), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);

	/* Stopping the helper lets go of it. */
	vt_helper_stop(&h);
	ASSERT_EQ(vt_wait_grabbed(pad->node, false), 0);
}

TEST(by_path_device_is_cloned_and_forwards)
{
	/* A name as udev's path_id makes them, ':' and '.' included. */
	static const char name[] = "pci-0000:00:1d.7-usb-0:9:1.0-event-kbd";
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	_cleanup_(closep) int kfd = -1;
	char link[256], target[256];
	ssize_t n;

	ASSERT_EQ(vt_dev_new_keyboard_in(BY_PATH_DIR, name, &kbd), 0);
	ASSERT_EQ(access("/dev/input/by-id/pci-0000:00:1d.7-usb-0:9:1.0-event-kbd", F_OK), -1);
	ASSERT_EQ(vt_helper_start(&h, "vmr4", &kbd, 1, true), 0);

	/* The clone's link is by-id, named after the by-path name. */
	vt_clone_link(&h, kbd, link, sizeof(link));
	ASSERT_STREQ(link, "/dev/input/by-id/vmr4-pci-0000:00:1d.7-usb-0:9:1.0-event-kbd");
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_TRUE(n > 0);
	kfd = vt_clone_open(&h, kbd);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(expect_key(kfd, KEY_A, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_A, 0), 0);

	/* Unplugged and plugged in again, only under by-path: found there, grabbed, forwarded. */
	kbd = vt_dev_free(kbd);
	ASSERT_EQ(vt_dev_new_keyboard_in(BY_PATH_DIR, name, &kbd), 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_B, 0), 0);
	ASSERT_EQ(expect_key(kfd, KEY_B, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_B, 0), 0);
	ASSERT_EQ(vt_keys_down(kfd), 0);
}

#define XML5 "/run/vfio-kvm-test-vmr5.xml"

/* Stops vmr5's unit; for cleanup. */
static void stop_vmr5(int *unused)
{
	vt_sh(NULL, 0,
	      "timeout 60 vfio-kvm stop vmr5; systemctl reset-failed vfio-kvm-vmr5.service; "
	      "rm -f " XML5);
}

TEST(by_path_device_passes_the_start_checks_and_the_sandboxed_unit)
{
	static const char name[] = "platform-i8042-serio-0-event-kbd";
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(stop_vmr5) int stop = 0;
	_cleanup_(closep) int kfd = -1;
	struct vt_helper h = {.vm = "vmr5"};
	char out[4096];
	FILE *f;

	ASSERT_EQ(vt_dev_new_keyboard_in(BY_PATH_DIR, name, &kbd), 0);
	f = fopen(XML5, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "<domain type='kvm'><name>vmr5</name><devices>"
		   "<input type='passthrough' bus='virtio'>"
		   "<source evdev='/dev/input/by-id/vmr5-%s'/></input>"
		   "</devices></domain>\n",
		name);
	ASSERT_EQ(fclose(f), 0);
	/* The unit as the hook starts it: its checks, its sandbox, the helper's argv. */
	if (vt_sh(out, sizeof(out), "timeout 120 vfio-kvm start vmr5 --xml " XML5) != 0) {
		vt_comment("vfio-kvm start vmr5", out);
		TEST_FAIL("the unit did not start");
	}
	ASSERT_EQ(focus("vmr5"), 0);
	kfd = vt_clone_open(&h, kbd);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_EQ(vt_wait_grabbed(kbd->node, true), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_Z, 1), 0);
	ASSERT_EQ(vt_dev_frame(kbd, EV_KEY, KEY_Z, 0), 0);
	ASSERT_EQ(expect_key(kfd, KEY_Z, 1), 0);
	ASSERT_EQ(expect_key(kfd, KEY_Z, 0), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 30 vfio-kvm check --xml " XML5), 0);
	ASSERT_CONTAINS(out, "(present as /dev/input/by-path/platform-i8042-serio-0-event-kbd)");
}

VT_TEST_MAIN()
