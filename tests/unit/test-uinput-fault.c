/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper surviving the real world, on real uinput devices (see
 * test-uinput-rig.h): killed mid-keypress under systemd it is restarted and
 * takes the same clones back from the fd store; a source unplugged and
 * replugged (while focused, with a key held, and with its node briefly
 * unreadable) is reopened and re-grabbed; the focused target's LEDs reach the
 * physical keyboard and follow focus. What is checked is what a user (or
 * QEMU) sees: the clone node, a reader of it, the grabs, the keys down, the
 * LEDs. Needs root and /dev/uinput; the systemd test also the test guest.
 */
#include <dirent.h>
#include <linux/capability.h>

#include "test-uinput-rig.h"

TEST_MAIN();

#define LEDS(n, c, s) (((n) ? 1u << LED_NUML : 0) | ((c) ? 1u << LED_CAPSL : 0) | \
		       ((s) ? 1u << LED_SCROLLL : 0))

/* Unplugs the rig's keyboard: the device and its link go. */
static void unplug(struct rig *r)
{
	libevdev_uinput_destroy(r->kbd);
	r->kbd = NULL;
	unlink(r->kbd_link);
}

/* Plugs a keyboard in again; mode (if not negative) is set on the node before the link appears. */
static bool plug(struct rig *r, int mode)
{
	r->kbd = rig_make_device(true, r->extras);
	if (!r->kbd)
		return false;
	if (mode >= 0) {
		/* udev sets the node's permissions too: let it finish first. */
		(void)!system("udevadm settle --timeout=20 >/dev/null 2>&1");
		if (chmod(libevdev_uinput_get_devnode(r->kbd), (mode_t)mode) < 0)
			return false;
	}
	return symlink(libevdev_uinput_get_devnode(r->kbd), r->kbd_link) == 0;
}

/* The rig, its keyboard with LEDs: what a real keyboard has. */
static bool fault_open(struct rig *r)
{
	return rig_open_with(r, RIG_LEDS);
}

/* Keys down on the device at path, or -1. */
static int keys_down(const char *path)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -1 : rig_keys_down(fd);
}

/* The LEDs of the device at path (EVIOCGLED), or -1. */
static int leds_of(const char *path)
{
	unsigned long leds[BITSET_LONGS(LED_CNT)] = {0};
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, EVIOCGLED(sizeof(leds)), leds) < 0)
		return -1;
	return (int)leds[0];
}

/* Writes one LED and a SYN_REPORT to the device at path, as QEMU or the host would. */
static bool set_led(const char *path, unsigned code, int value)
{
	struct input_event ev[2] = {{.type = EV_LED, .code = (uint16_t)code, .value = value},
				    {.type = EV_SYN, .code = SYN_REPORT}};
	_cleanup_(closep) int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	return fd >= 0 && write(fd, ev, sizeof(ev)) == (ssize_t)sizeof(ev);
}

/*
 * Takes the kernel's VT keyboard triggers (kbd-numlock, …) off the LEDs of
 * the device at node: every keyboard with LEDs that appears (a clone too)
 * makes them set every bound LED to the console's state, which would fight
 * the states under test.
 */
static bool detach_triggers(const char *node)
{
	char dir[300], path[700];
	const char *name = strrchr(node, '/');
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/class/input/%s/device", name ? name + 1 : node);
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		FILE *f;

		if (!strstr(de->d_name, "::"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/trigger", dir, de->d_name);
		f = fopen(path, "we");
		if (f) {
			fputs("none", f);
			fclose(f);
		}
	}
	closedir(d);
	return true;
}

/* Waits until the physical keyboard's LEDs are want: its uinput fd hears every LED write. */
static bool wait_leds(struct rig *r, int want)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	int fd = libevdev_uinput_get_fd(r->kbd);

	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int64_t left; (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		struct input_event ev[16];

		while (read(fd, ev, sizeof(ev)) > 0)
			;
		if (leds_of(libevdev_uinput_get_devnode(r->kbd)) == want)
			return true;
		if (poll(&pfd, 1, (int)left) < 0)
			return false;
	}
	printf("# LEDs: %#x, expected %#x\n", leds_of(libevdev_uinput_get_devnode(r->kbd)), want);
	return false;
}

/* Waits until reading fd says its device is gone (ENODEV). */
static bool reader_gone(int fd)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;

	for (int64_t left; (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		struct input_event ev;

		while (read(fd, &ev, sizeof(ev)) > 0)
			;
		if (errno == ENODEV)
			return true;
		if (poll(&pfd, 1, (int)left) < 0)
			return false;
	}
	return false;
}

/* Starts helper 0 as vm1 (with focus if asked) and opens its keyboard clone. */
static bool start_one(struct rig *r, bool focus)
{
	const char *const extra[] = {focus ? "--focus" : NULL, NULL};

	if (!rig_start(r, 0, "vm1", false, extra) || !rig_wait_notify(r, 0, "READY=1"))
		return false;
	r->helpers[0].kbd = open(r->helpers[0].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return r->helpers[0].kbd >= 0 && (!focus || rig_wait_seen(r, "vm1", 1, 1, 0));
}

static char unit[64];

static void sigkill_body(struct rig *r, const char *helper)
{
	struct rig_helper *p = &r->helpers[0];
	char cmd[2048], got[256];
	struct stat before, after;
	struct rig_seen seen;
	int reader;

	snprintf(p->vm, sizeof(p->vm), "vmf");
	snprintf(p->kbd_clone, sizeof(p->kbd_clone), "%s/by-id/vmf-test-kbd", r->dir);
	snprintf(p->mouse_clone, sizeof(p->mouse_clone), "%s/by-id/vmf-test-mouse", r->dir);
	snprintf(unit, sizeof(unit), "vkfault-%ld.service", (long)getpid());
	/* The properties of the hook's unit that matter here (common/unit.c). */
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 systemd-run --quiet --unit=%s -p Type=notify -p TimeoutStartSec=90 "
		 "-p FileDescriptorStoreMax=64 -p Restart=on-abnormal %s --vm vmf --device %s=%s "
		 "--device %s=%s --run-dir %s --no-bus --focus",
		 unit, helper, r->kbd_link, p->kbd_clone, r->mouse_link, p->mouse_clone,
		 r->run_dir);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_TRUE(rig_wait_seen(r, "vmf", 1, 1, 0));
	reader = open(p->kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(reader >= 0);
	p->kbd = reader;
	ASSERT_EQ(stat(p->kbd_clone, &before), 0);

	/* A key down, forwarded; then the helper dies with it held. */
	SEND(r->kbd, K(KEY_A, 1));
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "+30 .");
	ASSERT_TRUE(rig_read_seen(r, "vmf", &seen));
	ASSERT_EQ(kill(seen.pid, SIGKILL), 0);

	/* systemd restarts it; it takes the clone back and lets go of the key. */
	ASSERT_TRUE(rig_wait_seen(r, "vmf", 1, -1, seen.pid));
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "-30 .");
	ASSERT_EQ(stat(p->kbd_clone, &after), 0);
	ASSERT_EQ(after.st_rdev, before.st_rdev);
	ASSERT_EQ(keys_down(p->kbd_clone), 0);

	/* Grabbed again once the key is up; events flow to the same reader. */
	SEND(r->kbd, K(KEY_A, 0));
	ASSERT_TRUE(rig_wait_seen(r, "vmf", 1, 1, seen.pid));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 1);
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	rig_read_events(reader, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+48 . -48 .");
	snprintf(cmd, sizeof(cmd), "%s/" RING_DIR_NAME "/vmf", r->run_dir);
	ASSERT_EQ(access(cmd, F_OK), 0);
	ASSERT_EQ(keys_down(libevdev_uinput_get_devnode(r->kbd)), 0);

	/* A clean stop removes the clone: its reader hears the device go. */
	snprintf(cmd, sizeof(cmd), "timeout 60 systemctl stop %s", unit);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_TRUE(reader_gone(reader));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 0);
	ASSERT_EQ(access(p->kbd_clone, F_OK), -1);
}

TEST(sigkill_mid_keypress_under_systemd_keeps_the_clone)
{
	const char *helper = getenv("VFIO_KVM_HELPER");
	char cmd[256];
	struct rig r;

	if (!getenv("VFIO_KVM_GUEST") || !helper) {
		printf("# skipped: needs systemd in the test guest\n");
		return;
	}
	if (fault_open(&r))
		sigkill_body(&r, helper);
	else
		TEST_FAIL("rig: %s", strerror(errno));
	if (unit[0]) {
		snprintf(cmd, sizeof(cmd),
			 "systemctl stop %s >/dev/null 2>&1; "
			 "systemctl reset-failed %s >/dev/null 2>&1",
			 unit, unit);
		(void)!system(cmd);
	}
	rig_close(&r);
}

static void replug_body(struct rig *r)
{
	int reader = r->helpers[0].kbd;
	char got[256];

	/* A key held on the focused VM's clone when the keyboard goes away. */
	SEND(r->kbd, K(KEY_A, 1));
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "+30 .");
	unplug(r);
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "-30 .");
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 0, 0, 0));
	ASSERT_EQ(keys_down(r->helpers[0].kbd_clone), 0);

	/* Back under the same name: reopened, grabbed again, forwarded to the same clone. */
	ASSERT_TRUE(plug(r, -1));
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 1, 0));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 1);
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	rig_read_events(reader, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+48 . -48 .");

	/* Focus still cycles: to the host, nothing grabbed, nothing held. */
	PRESS_CYCLE(r->kbd);
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 0, 0));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 0);
	ASSERT_EQ(keys_down(r->helpers[0].kbd_clone), 0);
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

TEST(unplug_and_replug_while_focused_with_a_key_held)
{
	struct rig r;

	if (fault_open(&r) && start_one(&r, true))
		replug_body(&r);
	else
		TEST_FAIL("helper not ready");
	rig_close(&r);
}

static void leds_body(struct rig *r)
{
	const char *phys = libevdev_uinput_get_devnode(r->kbd);
	const char *const vm2[] = {NULL};
	char node1[300], node2[300];

	/* The host's own LED state: scroll lock. */
	ASSERT_TRUE(detach_triggers(phys));
	ASSERT_TRUE(set_led(phys, LED_SCROLLL, 1));
	ASSERT_TRUE(wait_leds(r, LEDS(0, 0, 1)));
	ASSERT_TRUE(start_one(r, true));
	ASSERT_TRUE(wait_leds(r, 0));
	ASSERT_TRUE(realpath(r->helpers[0].kbd_clone, node1) != NULL);
	ASSERT_TRUE(detach_triggers(node1));
	ASSERT_TRUE(rig_start(r, 1, "vm2", false, vm2));
	ASSERT_TRUE(rig_wait_notify(r, 1, "READY=1"));
	ASSERT_TRUE(realpath(r->helpers[1].kbd_clone, node2) != NULL);
	ASSERT_TRUE(detach_triggers(node2));

	/* vm2's guest turned num lock on while it had no focus: the keyboard does not show it. */
	ASSERT_TRUE(set_led(node2, LED_NUML, 1));
	/* vm1 has focus: what its guest writes (as QEMU does) shows. */
	ASSERT_TRUE(set_led(node1, LED_CAPSL, 1));
	ASSERT_TRUE(wait_leds(r, LEDS(0, 1, 0)));
	PRESS_CYCLE(r->kbd);
	ASSERT_TRUE(rig_wait_seen(r, "vm2", 1, 1, 0));
	ASSERT_TRUE(wait_leds(r, LEDS(1, 0, 0)));
	ASSERT_TRUE(set_led(node2, LED_CAPSL, 1));
	ASSERT_TRUE(wait_leds(r, LEDS(1, 1, 0)));
	/* Back to the host: its own LEDs again. */
	PRESS_CYCLE(r->kbd);
	ASSERT_TRUE(rig_wait_seen(r, "vm2", 1, 0, 0));
	ASSERT_TRUE(wait_leds(r, LEDS(0, 0, 1)));
	ASSERT_EQ(rig_stop(r, 1, SIGTERM), 0);
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

/* Prints what the helpers said, every line a TAP comment, and forgets it. */
static void dump_err(struct rig *r)
{
	for (size_t i = 0; i < RIG_HELPERS_MAX; i++) {
		struct rig_helper *p = &r->helpers[i];
		char *save = NULL;

		if (p->pid > 0)
			(void)rig_stop(r, i, SIGTERM);
		for (char *l = strtok_r(p->err, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("# %s said: %s\n", p->vm, l);
		p->err_len = 0;
		p->err[0] = '\0';
	}
}

TEST(leds_of_the_focused_target_reach_the_keyboard)
{
	struct rig r;

	if (fault_open(&r))
		leds_body(&r);
	else
		TEST_FAIL("helper not ready");
	if (test_failed)
		dump_err(&r);
	rig_close(&r);
}

/* Makes helper slot i reusable after rig_stop(): its notify socket and pipes go. */
static void reset_slot(struct rig *r, size_t i)
{
	struct rig_helper *p = &r->helpers[i];
	char path[300];

	p->notify_fd = safe_close(p->notify_fd);
	p->err_fd = safe_close(p->err_fd);
	p->kbd = safe_close(p->kbd);
	p->err_len = 0;
	p->err[0] = '\0';
	snprintf(path, sizeof(path), "%s/notify-%zu-%s", r->dir, i, p->vm);
	unlink(path);
}

static void cached_body(struct rig *r, const char *cache, const char *empty)
{
	const char *const seen_before[] = {"--cache-dir", cache, NULL};
	const char *const focus[] = {"--cache-dir", cache, "--focus", NULL};
	const char *const never[] = {"--cache-dir", empty, NULL};
	char path[300], name[256] = "", got[256];
	int reader;

	/* Seen once: the helper caches what it looks like. */
	ASSERT_TRUE(rig_start(r, 0, "vm1", false, seen_before));
	ASSERT_TRUE(rig_wait_notify(r, 0, "READY=1"));
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
	reset_slot(r, 0);
	snprintf(path, sizeof(path), "%s/test-kbd", cache);
	ASSERT_EQ(access(path, F_OK), 0);

	/* Switched off when the VM starts: the clone is made from the cache. */
	unplug(r);
	ASSERT_TRUE(rig_start(r, 0, "vm1", false, focus));
	ASSERT_TRUE(rig_wait_notify(r, 0, "READY=1"));
	reader = open(r->helpers[0].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	r->helpers[0].kbd = reader;
	ASSERT_TRUE(reader >= 0);
	ASSERT_TRUE(ioctl(reader, EVIOCGNAME(sizeof(name)), name) > 0);
	ASSERT_STREQ(name, "vfio-kvm test keyboard");
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 0, 0, 0));

	/* Switched on: picked up, grabbed (the VM has focus), forwarded. */
	ASSERT_TRUE(plug(r, -1));
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 1, 0));
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	rig_read_events(reader, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+48 . -48 .");
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);

	/* Never seen and absent: a clear refusal. */
	unplug(r);
	ASSERT_TRUE(rig_start(r, 1, "vm2", false, never));
	ASSERT_TRUE(!rig_wait_notify(r, 1, "READY=1"));
	ASSERT_EQ(rig_stop(r, 1, 0), 1);
	ASSERT_CONTAINS(r->helpers[1].err, "does not exist and was never seen");
	ASSERT_TRUE(plug(r, -1));
}

TEST(absent_source_seen_before_starts_from_the_cache)
{
	char cache[] = "/tmp/vk-cache-XXXXXX", empty[] = "/tmp/vk-empty-XXXXXX", path[300];
	struct rig r;

	if (!mkdtemp(cache) || !mkdtemp(empty))
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	if (fault_open(&r))
		cached_body(&r, cache, empty);
	else
		TEST_FAIL("rig: %s", strerror(errno));
	rig_close(&r);
	snprintf(path, sizeof(path), "%s/test-kbd", cache);
	unlink(path);
	snprintf(path, sizeof(path), "%s/test-mouse", cache);
	unlink(path);
	rmdir(cache);
	rmdir(empty);
}

static void eacces_body(struct rig *r)
{
	char got[256];

	unplug(r);
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 0, 0, 0));
	/* udev has not set the permissions yet: the helper cannot open it... */
	ASSERT_TRUE(plug(r, 0));
	ASSERT_EQ(poll(NULL, 0, 1000), 0);
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 0, 0, 0));
	/* ...until it has: the chmod wakes the helper. */
	ASSERT_EQ(chmod(libevdev_uinput_get_devnode(r->kbd), 0660), 0);
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 1, 0));
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	rig_read_events(r->helpers[0].kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+48 . -48 .");
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

/* Last: it takes root's right to ignore file modes away from every helper this test starts. */
TEST(replug_waits_for_the_node_permissions)
{
	struct rig r;

	/* Root would open a mode 000 node anyway: the helpers started from here cannot. */
	if (prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) < 0 ||
	    prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0) < 0)
		TEST_FAIL("cannot drop capabilities: %s", strerror(errno));
	if (fault_open(&r) && start_one(&r, true))
		eacces_body(&r);
	else
		TEST_FAIL("helper not ready");
	rig_close(&r);
}
