/* SPDX-License-Identifier: MIT */
/*
 * The helper's pure ring decisions: who announces a focus change on D-Bus
 * (helper/announce.c), and the timestamp a fired hotkey carries to the focus
 * transition (helper/forward.c, fed through pipes), which is what makes
 * several helpers that see the same press switch focus once.
 */
#include <fcntl.h>
#include <unistd.h>

#include "../test.h"
#include "announce.h"
#include "forward.h"

TEST_MAIN();

/* A ring of VMs in ring order, from "vm1 vm2 ...". */
static size_t ring_of(const char *names, struct ring_entry *ring)
{
	char buf[256], *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", names);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		ring[n] = (struct ring_entry){.join = n + 1};
		snprintf(ring[n].vm, sizeof(ring[n].vm), "%s", t);
		n++;
	}
	return n;
}

/* Which VMs of the ring announce previous → target: "vm2", "" (nobody), "vm1 vm2". */
static void announcers(const char *previous, const char *target, const char *names,
		       const char *extra_me, char *out, size_t size)
{
	struct ring_entry ring[8];
	size_t n = ring_of(names, ring), used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (announce_decide(previous, target, ring[i].vm, ring, n))
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
						 ring[i].vm);
	/* A helper outside the ring (stopping) never announces here. */
	if (extra_me && announce_decide(previous, target, extra_me, ring, n))
		snprintf(out + used, size - used, "%s%s", used ? " " : "", extra_me);
}

#define EXPECT_ANNOUNCER(previous, target, ring, gone, expected)                                   \
	do {                                                                                       \
		char _got[128];                                                                    \
		announcers(previous, target, ring, gone, _got, sizeof(_got));                      \
		ASSERT_STREQ(_got, expected);                                                      \
	} while (0)

TEST(gainer_announces)
{
	EXPECT_ANNOUNCER("host", "vm1", "vm1 vm2 vm3", NULL, "vm1");
	EXPECT_ANNOUNCER("vm1", "vm2", "vm1 vm2 vm3", NULL, "vm2");
	EXPECT_ANNOUNCER("vm3", "vm1", "vm1 vm2 vm3", NULL, "vm1");
}

TEST(loser_announces_a_switch_to_the_host)
{
	EXPECT_ANNOUNCER("vm2", "host", "vm1 vm2 vm3", NULL, "vm2");
	EXPECT_ANNOUNCER("vm1", "host", "vm1", NULL, "vm1");
}

TEST(first_live_vm_announces_for_one_that_is_gone)
{
	/* vm2 stopped (or died) with focus; focus went to the host. */
	EXPECT_ANNOUNCER("vm2", "host", "vm1 vm3", "vm2", "vm1");
	EXPECT_ANNOUNCER("vm1", "host", "vm2 vm3", "vm1", "vm2");
	/* Focus moved to a VM that is gone again already. */
	EXPECT_ANNOUNCER("host", "vm9", "vm1 vm3", NULL, "vm1");
	/* The gainer is alive: the one that left does not matter. */
	EXPECT_ANNOUNCER("vm2", "vm3", "vm1 vm3", "vm2", "vm3");
}

TEST(nobody_announces_without_a_switch_or_a_ring)
{
	EXPECT_ANNOUNCER("host", "host", "vm1 vm2", NULL, "");
	EXPECT_ANNOUNCER("vm1", "vm1", "vm1 vm2", NULL, "");
	EXPECT_ANNOUNCER("vm1", "host", "", "vm1", "");
}

TEST(exactly_one_announcer_for_every_switch)
{
	static const char *const names[] = {"host", "vm1", "vm2", "vm3", "vm4"};
	struct ring_entry ring[8];
	size_t n = ring_of("vm1 vm2 vm3", ring);

	for (size_t p = 0; p < ARRAY_SIZE(names); p++)
		for (size_t t = 0; t < ARRAY_SIZE(names); t++) {
			unsigned count = 0;

			for (size_t i = 0; i < n; i++)
				count += announce_decide(names[p], names[t], ring[i].vm, ring, n);
			if (p == t)
				ASSERT_EQ(count, 0);
			else
				ASSERT_EQ(count, 1);
		}
}

/* The forwarder on pipes: src[1] is the "device", dst[0] the "clone". */
struct rig {
	int src[2], dst[2];
	struct hotkey hk;
	struct forward f;
};

static void rig_open(struct rig *r)
{
	struct hotkey_binding b = {.action = HOTKEY_CYCLE};

	if (pipe2(r->src, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(r->dst, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    keyset_parse("KEY_LEFTCTRL+KEY_RIGHTCTRL", 26, &b.keys, NULL) < 0 ||
	    hotkey_init(&r->hk, &b, 1) < 0)
		abort();
	forward_init(&r->f, r->src[0], r->dst[1], &r->hk);
}

static void rig_close(struct rig *r)
{
	for (int i = 0; i < 2; i++) {
		safe_close(r->src[i]);
		safe_close(r->dst[i]);
	}
}

static void rig_key(struct rig *r, unsigned code, int value, long sec, long usec)
{
	struct input_event ev[2] = {
		{.type = EV_KEY, .code = (uint16_t)code, .value = value},
		{.type = EV_SYN, .code = SYN_REPORT},
	};

	for (int i = 0; i < 2; i++) {
		ev[i].input_event_sec = sec;
		ev[i].input_event_usec = usec;
	}
	if (write(r->src[1], ev, sizeof(ev)) != sizeof(ev))
		abort();
}

TEST(fired_hotkey_carries_the_time_of_the_last_release)
{
	struct rig r;

	rig_open(&r);
	rig_key(&r, KEY_LEFTCTRL, 1, 100, 1);
	rig_key(&r, KEY_RIGHTCTRL, 1, 100, 2);
	rig_key(&r, KEY_RIGHTCTRL, 0, 100, 3);
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_TRUE(r.f.fired == NULL);
	rig_key(&r, KEY_LEFTCTRL, 0, 1234567890, 999999);
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_TRUE(r.f.fired != NULL);
	ASSERT_EQ(r.f.fired_sec, 1234567890);
	ASSERT_EQ(r.f.fired_usec, 999999);
	rig_close(&r);
}

/* A release the drop hid completes the combo, but only real events fire:
 * helpers that read them fired with their time; a second stamp would switch twice. */
TEST(no_fire_from_the_sync_after_syn_dropped)
{
	struct rig r;
	struct input_event drop[2] = {
		{.type = EV_SYN, .code = SYN_DROPPED},
		{.type = EV_SYN, .code = SYN_REPORT},
	};

	rig_open(&r);
	rig_key(&r, KEY_LEFTCTRL, 1, 5, 0);
	rig_key(&r, KEY_RIGHTCTRL, 1, 5, 1);
	ASSERT_EQ(forward_read(&r.f), 0);
	/* The releases were lost; a pipe knows no key state, so the sync releases all. */
	drop[0].input_event_sec = drop[1].input_event_sec = 7;
	drop[0].input_event_usec = drop[1].input_event_usec = 42;
	if (write(r.src[1], drop, sizeof(drop)) != sizeof(drop))
		abort();
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_TRUE(r.f.fired == NULL);
	ASSERT_EQ(r.hk.n_held, 0);
	rig_close(&r);
}
