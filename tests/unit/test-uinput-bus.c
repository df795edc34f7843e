/* SPDX-License-Identifier: MIT */
/*
 * Two helpers on the system bus: FocusChanged from sender 'vfio.kvm' comes
 * once per switch, whoever switched (a hotkey, a D-Bus call, a VM stopping),
 * and the methods answer with clear errors. Needs root, /dev/uinput, a
 * system bus and the policy that lets root own vfio.kvm (config/); skipped
 * otherwise, and while something else owns the name.
 */
#include <fcntl.h>
#include <sys/file.h>
#include <systemd/sd-bus.h>

#include "test-bus-step.h"
#include "test-uinput-rig.h"

TEST_MAIN();

#define SEEN_MAX 16

struct seen {
	unsigned n;
	char target[SEEN_MAX][VM_NAME_MAX + 1];
	char previous[SEEN_MAX][VM_NAME_MAX + 1];
};

static sd_bus *test_bus;

static int on_focus_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct seen *s = userdata;
	const char *target, *previous;

	if (sd_bus_message_read(m, "ss", &target, &previous) < 0 || s->n >= SEEN_MAX)
		return 0;
	snprintf(s->target[s->n], sizeof(s->target[0]), "%s", target);
	snprintf(s->previous[s->n], sizeof(s->previous[0]), "%s", previous);
	s->n++;
	return 0;
}

/* Processes the bus until s holds n signals; false on timeout. */
static bool wait_signals(struct seen *s, unsigned n)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;

	while (s->n < n)
		if (!rig_bus_step(test_bus, end))
			return false;
	return true;
}

#define EXPECT_SIGNAL(s, i, t, p)                                                                  \
	do {                                                                                       \
		ASSERT_TRUE(wait_signals(s, (i) + 1));                                             \
		ASSERT_STREQ((s)->target[i], t);                                                   \
		ASSERT_STREQ((s)->previous[i], p);                                                 \
	} while (0)

static int call(const char *method, const char *arg, sd_bus_error *error)
{
	if (arg)
		return sd_bus_call_method(test_bus, "vfio.kvm", "/vfio/kvm", "vfio.kvm", method,
					  error, NULL, "s", arg);
	return sd_bus_call_method(test_bus, "vfio.kvm", "/vfio/kvm", "vfio.kvm", method, error,
				  NULL, "");
}

/* The switches and what they must announce; rig_close() (with the helpers' logs) follows. */
static void switch_and_listen(struct rig *r)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct focus_file_state st;
	struct seen seen = {0};
	char *target = NULL;

	if (!rig_start(r, 0, "vm1", true, NULL) || !rig_wait_notify(r, 0, "READY=1") ||
	    !rig_start(r, 1, "vm2", true, NULL) || !rig_wait_notify(r, 1, "READY=1"))
		TEST_FAIL("helpers not ready");
	ASSERT_TRUE(sd_bus_match_signal(test_bus, &match, "vfio.kvm", "/vfio/kvm", "vfio.kvm",
					"FocusChanged", on_focus_changed, &seen) >= 0);

	PRESS_CYCLE(r->kbd); /* both helpers see it; vm1 gains and announces */
	EXPECT_SIGNAL(&seen, 0, "vm1", "host");
	ASSERT_TRUE(rig_wait_status(r, "vm1"));
	PRESS_CYCLE(r->kbd);
	EXPECT_SIGNAL(&seen, 1, "vm2", "vm1");
	ASSERT_TRUE(rig_wait_status(r, "vm2"));
	PRESS_CYCLE(r->kbd); /* to the host: vm2, which loses, announces */
	EXPECT_SIGNAL(&seen, 2, "host", "vm2");
	ASSERT_TRUE(rig_wait_status(r, "host"));

	ASSERT_TRUE(call("Focus", "vm1", &error) >= 0);
	EXPECT_SIGNAL(&seen, 3, "vm1", "host");
	ASSERT_TRUE(rig_wait_status(r, "vm1"));
	ASSERT_TRUE(sd_bus_get_property_string(test_bus, "vfio.kvm", "/vfio/kvm", "vfio.kvm",
					       "Target", &error, &target) >= 0);
	ASSERT_STREQ(target, "vm1");
	free(target);
	ASSERT_TRUE(call("Focus", "vm9", &error) < 0);
	ASSERT_TRUE(sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS));
	ASSERT_STREQ(error.message, "no VM 'vm9' in the ring");
	sd_bus_error_free(&error);
	ASSERT_TRUE(call("Release", NULL, &error) >= 0);
	EXPECT_SIGNAL(&seen, 4, "host", "vm1");
	ASSERT_TRUE(rig_wait_status(r, "host"));

	/* vm1 stops without focus: no switch. Then vm2, the last one, stops with
	 * focus: it announces its own leaving, as nobody else is left to. */
	ASSERT_EQ(rig_stop(r, 0, SIGTERM), 0);
	ASSERT_TRUE(call("Next", NULL, &error) >= 0);
	EXPECT_SIGNAL(&seen, 5, "vm2", "host");
	ASSERT_TRUE(rig_wait_status(r, "vm2"));
	ASSERT_EQ(rig_stop(r, 1, SIGTERM), 0);
	EXPECT_SIGNAL(&seen, 6, "host", "vm2");

	/* Both helpers are gone and flushed: a duplicate would be here by now. */
	ASSERT_EQ(focus_file_read(r->run_dir, &st, NULL), 0);
	ASSERT_EQ(st.generation, 7);
	while (sd_bus_process(test_bus, NULL) > 0)
		;
	ASSERT_EQ(seen.n, 7);
}

TEST(focus_changed_once_per_switch)
{
	struct rig r;

	if (rig_open(&r))
		switch_and_listen(&r);
	else
		TEST_FAIL("cannot set up: %s", strerror(errno));
	rig_close(&r);
}

struct answer {
	bool done;
	int error;            /* 0, or the errno the error reply maps to */
	char message[256];
};

static int on_answer(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct answer *a = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	a->done = true;
	if (e) {
		a->error = sd_bus_message_get_errno(m);
		snprintf(a->message, sizeof(a->message), "%s", e->message ? e->message : e->name);
	}
	return 0;
}

/* Processes the bus until a is answered or until end (rig_now_ms() time). */
static bool wait_answer(struct answer *a, int64_t end)
{
	while (!a->done)
		if (!rig_bus_step(test_bus, end))
			return false;
	return true;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	bool *owned = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 &&
	    strcmp(name, "vfio.kvm") == 0 && new_owner[0])
		*owned = true;
	return 0;
}

/* Waits until vfio.kvm has an owner: a helper asks for the name after READY=1. */
static bool wait_name_owned(void)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	bool owned = false;
	int has = 0;

	if (sd_bus_match_signal(test_bus, &match, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				"org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed,
				&owned) < 0)
		return false;
	/* Asked after the match is in place: no change can fall in between. */
	if (sd_bus_call_method(test_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s",
			       "vfio.kvm") < 0 ||
	    sd_bus_message_read(reply, "b", &has) < 0)
		return false;
	owned |= has;
	while (!owned)
		if (!rig_bus_step(test_bus, end))
			return false;
	return true;
}

/* Holds <run_dir>/lock as a stuck root process would; returns the fd. */
static int hold_lock(const struct rig *r)
{
	char path[VK_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/lock", r->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		fd = safe_close(fd);
	return fd;
}

/*
 * A method that finds the lock held is answered once the lock is free, not
 * with an error; one that waits longer than the CLI would gets the error.
 */
static void calls_wait_for_the_lock(struct rig *r)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL, *slot2 = NULL;
	struct answer a = {0}, b = {0};
	struct focus_file_state st;
	int64_t start;
	int lock;

	if (!rig_start(r, 0, "vm1", true, NULL) || !rig_wait_notify(r, 0, "READY=1") ||
	    !wait_name_owned())
		TEST_FAIL("helper not ready, or not on the bus");
	lock = hold_lock(r);
	ASSERT_TRUE(lock >= 0);
	ASSERT_TRUE(sd_bus_call_method_async(test_bus, &slot, "vfio.kvm", "/vfio/kvm", "vfio.kvm",
					     "Focus", on_answer, &a, "s", "vm1") >= 0);
	/* Not answered while the lock is held, and nothing switched. */
	if (wait_answer(&a, rig_now_ms() + 300))
		TEST_FAIL("answered while the lock was held: %d '%s'", a.error, a.message);
	ASSERT_EQ(focus_file_read(r->run_dir, &st, NULL), 0);
	ASSERT_STREQ(st.target, "host");
	lock = safe_close(lock);
	ASSERT_TRUE(wait_answer(&a, rig_now_ms() + RIG_WAIT_MS));
	ASSERT_EQ(a.error, 0);
	ASSERT_TRUE(rig_wait_status(r, "vm1"));

	lock = hold_lock(r);
	ASSERT_TRUE(lock >= 0);
	start = rig_now_ms();
	ASSERT_TRUE(sd_bus_call_method_async(test_bus, &slot2, "vfio.kvm", "/vfio/kvm",
					     "vfio.kvm", "Release", on_answer, &b, "") >= 0);
	ASSERT_TRUE(wait_answer(&b, rig_now_ms() + RIG_WAIT_MS));
	lock = safe_close(lock);
	ASSERT_TRUE(rig_now_ms() - start >= 2900);
	ASSERT_NE(b.error, 0);
	ASSERT_CONTAINS(b.message, "held by another process");
	ASSERT_EQ(focus_file_read(r->run_dir, &st, NULL), 0);
	ASSERT_STREQ(st.target, "vm1");
}

TEST(methods_wait_for_a_held_lock)
{
	struct rig r;

	if (rig_open(&r))
		calls_wait_for_the_lock(&r);
	else
		TEST_FAIL("cannot set up: %s", strerror(errno));
	rig_close(&r);
}

/* After the uinput check (constructor 200): skipped without a bus or the policy. */
__attribute__((constructor(201))) static void check_bus(void)
{
	int r;

	if (sd_bus_open_system(&test_bus) < 0)
		test_skip_all("no system bus");
	r = sd_bus_request_name(test_bus, "vfio.kvm", 0);
	if (r == -EEXIST)
		test_skip_all("vfio.kvm is owned already (a helper runs)");
	if (r < 0)
		test_skip_all("may not own vfio.kvm (config/vfio.kvm.conf not installed)");
	(void)sd_bus_release_name(test_bus, "vfio.kvm");
}
