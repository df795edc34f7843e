/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper after a resume from sleep, on real uinput devices (see
 * test-uinput-rig.h). A machine cannot sleep in the test guest, so the test
 * plays both sides of it: while the helper holds the keyboard, a new device
 * takes over the keyboard's link (as a USB keyboard that comes back from
 * sleep as a new node) and the old one stays, so the helper sees no unplug;
 * then the test, owning org.freedesktop.login1 in logind's place, emits
 * PrepareForSleep(true) and PrepareForSleep(false). Checked is what a user
 * sees: the key held over the sleep is let go on the clone, the new device
 * is grabbed and typing on it reaches the clone, the old one is let go.
 *
 * Needs root, /dev/uinput, a system bus and the test guest (systemd-logind
 * is stopped and masked for the test's duration, then started again).
 */
#include <systemd/sd-bus.h>

#include "test-bus-step.h"
#include "test-uinput-rig.h"

TEST_MAIN();

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_INTERFACE "org.freedesktop.login1.Manager"

static sd_bus *test_bus;
static bool logind_was_active;

/* After the uinput check (constructor 200). */
__attribute__((constructor(300))) static void sleep_check_environment(void)
{
	if (!getenv("VFIO_KVM_GUEST"))
		test_skip_all("stops systemd-logind: runs only in the test guest");
	if (sd_bus_open_system(&test_bus) < 0)
		test_skip_all("no system bus");
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 &&
	    strcmp(name, "vfio.kvm") == 0 && new_owner[0])
		*(bool *)userdata = true;
	return 0;
}

/*
 * Waits until vfio.kvm has an owner. The helper asks for it after it asked
 * for logind's signal, on one connection, so the bus has installed that match.
 */
static bool wait_helper_on_bus(void)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	bool owned = false;

	if (sd_bus_match_signal(test_bus, &slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				"org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed,
				&owned) < 0)
		return false;
	if (sd_bus_call_method(test_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetNameOwner", NULL, NULL, "s",
			       "vfio.kvm") >= 0)
		return true;
	while (!owned)
		if (!rig_bus_step(test_bus, end))
			return false;
	return true;
}

static int emit_sleep(bool sleeping)
{
	int r = sd_bus_emit_signal(test_bus, LOGIND_PATH, LOGIND_INTERFACE, "PrepareForSleep",
				   "b", (int)sleeping);

	return r < 0 ? r : sd_bus_flush(test_bus);
}

/* The new keyboard takes the old one's link by rename: the helper sees nothing. */
static struct libevdev_uinput *replace_keyboard(struct rig *r)
{
	struct libevdev_uinput *ui = rig_make_device(true, r->extras);
	char tmp[320];

	snprintf(tmp, sizeof(tmp), "%s.new", r->kbd_link);
	if (!ui || symlink(libevdev_uinput_get_devnode(ui), tmp) < 0 ||
	    rename(tmp, r->kbd_link) < 0) {
		unlink(tmp);
		libevdev_uinput_destroy(ui);
		return NULL;
	}
	return ui;
}

static void sleep_body(struct rig *r, struct libevdev_uinput **old)
{
	const char *const focus[] = {"--focus", NULL};
	struct rig_helper *p = &r->helpers[0];
	char got[256], back[400];
	const char *old_node, *new_node;
	int reader;

	ASSERT_TRUE(rig_start(r, 0, "vm1", true, focus));
	ASSERT_TRUE(rig_wait_notify(r, 0, "READY=1"));
	ASSERT_TRUE(wait_helper_on_bus());
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 1, 0));
	reader = open(p->kbd_clone, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(reader >= 0);
	p->kbd = reader;

	/* While the machine "sleeps", the keyboard comes back as a new node under its name. */
	*old = r->kbd;
	r->kbd = replace_keyboard(r);
	ASSERT_TRUE(r->kbd != NULL);
	old_node = libevdev_uinput_get_devnode(*old);
	new_node = libevdev_uinput_get_devnode(r->kbd);

	/* Without a resume the helper reads the old node: the new one is not its. */
	SEND(r->kbd, K(KEY_B, 1), K(KEY_B, 0));
	SEND(*old, K(KEY_C, 1), K(KEY_C, 0));
	rig_read_events(reader, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+46 . -46 .");
	ASSERT_EQ(rig_grabbed(old_node), 1);
	ASSERT_EQ(rig_grabbed(new_node), 0);

	/* A key held when the machine goes to sleep... */
	SEND(*old, K(KEY_A, 1));
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "+30 .");
	ASSERT_EQ(emit_sleep(true), 0);
	ASSERT_TRUE(rig_wait_err(p, "the system goes to sleep"));

	/*
	 * ...is let go on the clone at resume, and the link is opened again. Until
	 * the helper grabbed the new device its status file still says what it
	 * said before the sleep: its next STATUS= tells the grab done, so the
	 * ones sent so far are dropped first.
	 */
	while (recv(p->notify_fd, got, sizeof(got), 0) > 0)
		;
	ASSERT_EQ(emit_sleep(false), 0);
	rig_read_events(reader, 2, got, sizeof(got));
	ASSERT_STREQ(got, "-30 .");
	snprintf(back, sizeof(back), "'%s' is back", r->kbd_link);
	ASSERT_TRUE(rig_wait_err(p, back));
	ASSERT_TRUE(rig_wait_notify(r, 0, "STATUS=Focus: vm1"));
	ASSERT_TRUE(rig_wait_seen(r, "vm1", 1, 1, 0));
	ASSERT_EQ(rig_grabbed(new_node), 1);
	ASSERT_EQ(rig_grabbed(old_node), 0);

	/* Typing on the new device reaches the clone; the old one is not read any more. */
	SEND(*old, K(KEY_A, 0), K(KEY_C, 1), K(KEY_C, 0));
	SEND(r->kbd, K(KEY_D, 1), K(KEY_D, 0));
	rig_read_events(reader, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+32 . -32 .");

	/* The hotkey on the new device still works: focus to the host, nothing grabbed. */
	PRESS_CYCLE(r->kbd);
	ASSERT_TRUE(rig_wait_status(r, "host"));
	ASSERT_EQ(rig_grabbed(new_node), 0);
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
}

/* Owns logind's name, then runs the body; what it made is undone by the caller. */
static void own_and_run(struct rig *r, struct libevdev_uinput **old, bool *opened)
{
	int ret = sd_bus_request_name(test_bus, LOGIND_NAME, 0);

	if (ret < 0)
		TEST_FAIL("cannot own '" LOGIND_NAME "': %s", strerror(-ret));
	*opened = true;
	if (!rig_open(r))
		TEST_FAIL("rig: %s", strerror(errno));
	sleep_body(r, old);
}

TEST(resume_reopens_a_source_that_came_back_as_a_new_node)
{
	struct libevdev_uinput *old = NULL;
	bool opened = false;
	struct rig r;

	logind_was_active = system("systemctl is-active --quiet systemd-logind.service") == 0;
	(void)!system("timeout 60 systemctl mask --runtime --quiet systemd-logind.service; "
		      "timeout 60 systemctl stop systemd-logind.service");
	own_and_run(&r, &old, &opened);
	if (opened) {
		rig_close(&r);
		libevdev_uinput_destroy(old);
	}
	(void)sd_bus_release_name(test_bus, LOGIND_NAME);
	(void)!system("timeout 60 systemctl unmask --runtime --quiet systemd-logind.service");
	if (logind_was_active)
		(void)!system("timeout 60 systemctl start systemd-logind.service");
	test_bus = sd_bus_flush_close_unref(test_bus);
}
