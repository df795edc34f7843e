/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper on real uinput devices: a "physical" keyboard and mouse
 * made with libevdev_uinput, the built helper run on them with clone
 * symlinks in a temporary directory. Needs root and /dev/uinput (skipped
 * otherwise). The helper is $VFIO_KVM_HELPER or ./vfio-kvm-helper (make check
 * runs in the top build directory).
 *
 * Waiting is event-driven: the test owns the NOTIFY_SOCKET the helper sends
 * READY=1 and STATUS= to, and the helper's stderr pipe closes when it exits
 * (see test-uinput-rig.h).
 */
#include "test-uinput-rig.h"

TEST_MAIN();

/*
 * Opens a rig whose devices have the details a clone must copy and starts the
 * helper as vmtest (keyboard with QEMU's grab toggle, no bus) with extra
 * arguments (NULL-terminated); false on failure.
 */
static bool helper_start(struct rig *r, const char *const *extra)
{
	if (!rig_open_with(r, RIG_DETAIL))
		return false;
	r->kbd_opts = ",toggle=KEY_LEFTCTRL+KEY_RIGHTCTRL";
	return rig_start(r, 0, "vmtest", false, extra);
}

/* Runs body on the helper started focused, with readers of both clones; cleans up after it. */
static void run_focused(void (*body)(struct rig *r, int kbd, int mouse))
{
	static const char *const focus[] = {"--focus", NULL};
	struct rig r;
	_cleanup_(closep) int kbd = -1;
	_cleanup_(closep) int mouse = -1;

	if (!helper_start(&r, focus) || !rig_wait_notify(&r, 0, "READY=1")) {
		rig_close(&r);
		TEST_FAIL("helper not ready");
	}
	kbd = open(r.helpers[0].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	mouse = open(r.helpers[0].mouse_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(kbd >= 0 && mouse >= 0);
	body(&r, kbd, mouse);
	rig_close(&r);
}

TEST(clone_mirrors_device_and_cleans_up)
{
	static const char *const focus[] = {"--focus", NULL};
	struct rig r;
	struct libevdev *clone = NULL;
	char target[256], node[256];
	int fd, delay = 0, period = 0;
	ssize_t n;

	if (!helper_start(&r, focus))
		TEST_FAIL("cannot set up: %s", strerror(errno));
	if (!rig_wait_notify(&r, 0, "READY=1")) {
		rig_close(&r);
		TEST_FAIL("no READY=1");
	}
	n = readlink(r.helpers[0].kbd_clone, target, sizeof(target) - 1);
	ASSERT_TRUE(n > 0);
	target[n] = '\0';
	ASSERT_TRUE(strncmp(target, "/dev/input/event", 16) == 0);
	snprintf(node, sizeof(node), "%s", target);

	fd = open(r.helpers[0].kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(fd, &clone), 0);
	ASSERT_STREQ(libevdev_get_name(clone), "vfio-kvm test keyboard");
	ASSERT_STREQ(libevdev_get_phys(clone), "vfio-kvm:vmtest-test-kbd");
	ASSERT_EQ(libevdev_get_id_bustype(clone), BUS_USB);
	ASSERT_EQ(libevdev_get_id_vendor(clone), 0x1234);
	ASSERT_EQ(libevdev_get_id_product(clone), 0x5678);
	ASSERT_EQ(libevdev_get_id_version(clone), 0x0111);
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, KEY_A));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, KEY_RIGHTCTRL));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_MSC, MSC_SCAN));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_LED, LED_CAPSL));
	ASSERT_FALSE(libevdev_has_event_code(clone, EV_KEY, KEY_F11));
	/* Repeat settings copied from the physical device. */
	ASSERT_EQ(libevdev_get_repeat(clone, &delay, &period), 0);
	ASSERT_EQ(delay, RIG_REP_DELAY_MS);
	ASSERT_EQ(period, RIG_REP_PERIOD_MS);
	libevdev_free(clone);
	close(fd);

	fd = open(r.helpers[0].mouse_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(fd, &clone), 0);
	ASSERT_STREQ(libevdev_get_name(clone), "vfio-kvm test mouse");
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_REL, REL_WHEEL));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, BTN_LEFT));
	ASSERT_FALSE(libevdev_has_event_code(clone, EV_KEY, KEY_A));
	libevdev_free(clone);
	close(fd);

	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 1);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.mouse)), 1);

	ASSERT_EQ(rig_stop(&r, 0, SIGTERM), 0);
	ASSERT_EQ(access(r.helpers[0].kbd_clone, F_OK), -1);
	ASSERT_EQ(access(r.helpers[0].mouse_clone, F_OK), -1);
	ASSERT_EQ(access(node, F_OK), -1);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.mouse)), 0);
	rig_close(&r);
}

static void forwards_body(struct rig *r, int kbd, int mouse)
{
	char got[1024];

	SEND(r->kbd, {EV_MSC, MSC_SCAN, 30}, K(KEY_A, 1), K(KEY_A, 0), K(KEY_B, 1), K(KEY_B, 0));
	SEND(r->mouse, {EV_REL, REL_X, 5}, {EV_REL, REL_Y, (unsigned)-3}, {EV_SYN, SYN_REPORT, 0},
	     K(BTN_LEFT, 1), K(BTN_LEFT, 0));
	rig_read_events(kbd, 9, got, sizeof(got));
	ASSERT_STREQ(got, "?4:4:30 +30 . -30 . +48 . -48 .");
	rig_read_events(mouse, 7, got, sizeof(got));
	ASSERT_STREQ(got, "R0:5 R1:-3 . +272 . -272 .");
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

TEST(forwards_frames_in_order)
{
	run_focused(forwards_body);
}

static void cycle_body(struct rig *r, int kbd, int mouse)
{
	char got[1024];

	/* A mouse button held across the switch is released on the clone. */
	SEND(r->mouse, K(BTN_LEFT, 1));
	rig_read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "+272 .");
	SEND(r->kbd, K(KEY_LEFTCTRL, 1), K(KEY_RIGHTCTRL, 1), K(KEY_RIGHTCTRL, 0),
	     K(KEY_LEFTCTRL, 0));
	ASSERT_TRUE(rig_wait_notify(r, 0, "STATUS=Focus: host"));
	rig_read_events(kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+29 . -29 .");
	rig_read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "-272 .");
	ASSERT_EQ(rig_keys_down(kbd), 0);
	ASSERT_EQ(rig_keys_down(mouse), 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 0);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->mouse)), 0);

	/* Unfocused: typing reaches the host only. Cycle back while the button is still
	 * down: the mouse is grabbed only after it is released. */
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	SEND(r->kbd, K(KEY_RIGHTCTRL, 1), K(KEY_LEFTCTRL, 1), K(KEY_LEFTCTRL, 0),
	     K(KEY_RIGHTCTRL, 0));
	ASSERT_TRUE(rig_wait_notify(r, 0, "STATUS=Focus: vmtest, waiting for keys to be released"));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->mouse)), 0);
	SEND(r->mouse, K(BTN_LEFT, 0));
	ASSERT_TRUE(rig_wait_notify(r, 0, "STATUS=Focus: vmtest"));
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->kbd)), 1);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r->mouse)), 1);

	SEND(r->kbd, K(KEY_C, 1), K(KEY_C, 0));
	SEND(r->mouse, {EV_REL, REL_WHEEL, 1}, {EV_SYN, SYN_REPORT, 0});
	rig_read_events(kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+46 . -46 .");
	rig_read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "R8:1 .");
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

TEST(cycle_hotkey_moves_focus_and_releases_keys)
{
	run_focused(cycle_body);
}

TEST(failed_setup_undoes_everything)
{
	struct rig r;
	const char *const extra[] = {"--device", "/nonexistent/test-gone=/nonexistent/vmtest-gone",
				     NULL};

	if (!helper_start(&r, extra))
		TEST_FAIL("cannot set up");
	ASSERT_EQ(rig_stop(&r, 0, 0), 1);
	ASSERT_CONTAINS(r.helpers[0].err,
			"<3>vmtest: '/nonexistent/test-gone' does not exist and was never seen");
	ASSERT_EQ(access(r.helpers[0].kbd_clone, F_OK), -1);
	ASSERT_EQ(access(r.helpers[0].mouse_clone, F_OK), -1);
	ASSERT_EQ(rig_grabbed(libevdev_uinput_get_devnode(r.kbd)), 0);
	rig_close(&r);
}

/* Points the link at path (a node), atomically. */
static bool relink(const char *link, const char *path)
{
	char tmp[400];

	snprintf(tmp, sizeof(tmp), "%s.new", link);
	(void)unlink(tmp);
	return symlink(path, tmp) == 0 && rename(tmp, link) == 0;
}

static void clone_link_body(struct rig *r, const char *cache)
{
	const char *const args[] = {"--cache-dir", cache, NULL};
	char node[256];
	ssize_t n;

	/* Another helper's clones, and a cache that saw the real devices. */
	ASSERT_TRUE(rig_start(r, 0, "other", false, args));
	ASSERT_TRUE(rig_wait_notify(r, 0, "READY=1"));
	n = readlink(r->helpers[0].kbd_clone, node, sizeof(node) - 1);
	ASSERT_TRUE(n > 0);
	node[n] = '\0';

	/* The keyboard's name now leads to that clone: not a source, waited for. */
	ASSERT_TRUE(relink(r->kbd_link, node));
	ASSERT_TRUE(rig_start(r, 1, "vmtest", false, args));
	ASSERT_TRUE(rig_wait_notify(r, 1, "READY=1"));
	ASSERT_TRUE(rig_wait_err(&r->helpers[1], "leads to a clone, not to the device"));
	ASSERT_TRUE(rig_wait_seen(r, "vmtest", 0, 0, 0));

	/* The real keyboard under its name again: taken. */
	ASSERT_TRUE(relink(r->kbd_link, libevdev_uinput_get_devnode(r->kbd)));
	ASSERT_TRUE(rig_wait_seen(r, "vmtest", 1, 0, 0));
	ASSERT_EQ(rig_stop(r, 1, SIGTERM), 0);
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

TEST(a_link_to_a_clone_is_never_taken_as_the_source)
{
	char cache[] = "/tmp/vk-cache-XXXXXX", path[300];
	struct rig r;

	if (!mkdtemp(cache))
		TEST_FAIL("mkdtemp: %s", strerror(errno));
	if (rig_open(&r))
		clone_link_body(&r, cache);
	else
		TEST_FAIL("rig: %s", strerror(errno));
	rig_close(&r);
	snprintf(path, sizeof(path), "%s/test-kbd", cache);
	unlink(path);
	snprintf(path, sizeof(path), "%s/test-mouse", cache);
	unlink(path);
	rmdir(cache);
}

/* A "physical" gamepad with rumble; NULL on failure. */
static struct libevdev_uinput *make_rumble_pad(void)
{
	struct libevdev *dev = libevdev_new();
	struct libevdev_uinput *ui = NULL;

	libevdev_set_name(dev, "vfio-kvm test pad");
	libevdev_set_id_bustype(dev, BUS_USB);
	libevdev_set_id_vendor(dev, 0x1234);
	libevdev_set_id_product(dev, 0x567a);
	libevdev_enable_event_code(dev, EV_KEY, BTN_SOUTH, NULL);
	libevdev_enable_event_code(dev, EV_FF, FF_RUMBLE, NULL);
	if (libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui) < 0)
		ui = NULL;
	libevdev_free(dev);
	return ui;
}

static void rumble_body(struct rig *r, struct libevdev_uinput *pad)
{
	struct ff_effect effect = {
		.type = FF_RUMBLE,
		.id = -1,
		.u.rumble = {.strong_magnitude = 0x8000},
		.replay = {.length = 100},
	};
	struct libevdev *clone = NULL;
	_cleanup_(closep) int fd = -1;
	int64_t start;
	int r_ioctl;

	ASSERT_TRUE(relink(r->kbd_link, libevdev_uinput_get_devnode(pad)));
	ASSERT_TRUE(rig_start(r, 0, "vmtest", false, NULL));
	ASSERT_TRUE(rig_wait_notify(r, 0, "READY=1"));
	fd = open(r->helpers[0].kbd_clone, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(fd, &clone), 0);
	ASSERT_STREQ(libevdev_get_name(clone), "vfio-kvm test pad");
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, BTN_SOUTH));
	ASSERT_TRUE(!libevdev_has_event_type(clone, EV_FF));
	libevdev_free(clone);
	/* Nobody would answer an upload: refused at once, not after uinput's 30 s. */
	start = rig_now_ms();
	r_ioctl = ioctl(fd, EVIOCSFF, &effect);
	ASSERT_EQ(r_ioctl, -1);
	ASSERT_TRUE(rig_now_ms() - start < 5000);
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

TEST(clone_carries_no_force_feedback)
{
	struct libevdev_uinput *pad = NULL;
	struct rig r;

	if (!rig_open(&r) || !(pad = make_rumble_pad())) {
		rig_close(&r);
		TEST_FAIL("rig: %s", strerror(errno));
	}
	rumble_body(&r, pad);
	rig_close(&r);
	libevdev_uinput_destroy(pad);
}
