/* SPDX-License-Identifier: MIT */
/*
 * The hotkey machine fed event scripts. A script is a list of tokens: "+X"
 * key X down, "-X" up, "=X" repeat (X without its KEY_ prefix). The result
 * lists the forwarded events in the same notation, and "!action" where a
 * binding fired.
 */
#include <libevdev/libevdev.h>

#include "../test.h"
#include "hotkey.h"

TEST_MAIN();

static const char *const action_names[] = {"cycle", "host", "release", "direct"};

static struct keyset keys(const char *text)
{
	struct keyset set = {0};

	if (keyset_parse(text, strlen(text), &set, NULL) < 0)
		abort();
	return set;
}

static void setup(struct hotkey *hk)
{
	const struct hotkey_binding b[] = {
		{keys("KEY_LEFTCTRL+KEY_RIGHTCTRL"), HOTKEY_CYCLE, 0},
		{keys("KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H"), HOTKEY_HOST, 0},
		{keys("KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC"), HOTKEY_RELEASE, 0},
		{keys("KEY_SCROLLLOCK+KEY_1"), HOTKEY_DIRECT, 7},
		{{0}, HOTKEY_DIRECT, 8}, /* disabled: never matches */
	};

	if (hotkey_init(hk, b, ARRAY_SIZE(b)) < 0)
		abort();
}

/* Replays script into out (the forwarded events and fired actions, space separated). */
static void replay(struct hotkey *hk, const char *script, char *out, size_t size)
{
	char buf[512], *save = NULL;
	size_t used = 0;

	out[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", script);
	for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		const struct hotkey_binding *fired;
		char name[64];
		int value = tok[0] == '+' ? 1 : tok[0] == '-' ? 0 : 2;
		int code;

		snprintf(name, sizeof(name), "KEY_%s", tok + 1);
		code = libevdev_event_code_from_name(EV_KEY, name);
		if (code < 0)
			abort();
		if (hotkey_feed(hk, (unsigned)code, value, &fired))
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", tok);
		if (fired)
			used += (size_t)snprintf(out + used, size - used, "%s!%s", used ? " " : "",
						 action_names[fired->action]);
	}
}

#define CHECK(hk, script, expected)                                                                \
	do {                                                                                       \
		char _out[512];                                                                    \
		replay(hk, script, _out, sizeof(_out));                                            \
		ASSERT_STREQ(_out, expected);                                                      \
	} while (0)

TEST(plain_typing_passes)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "+A -A +LEFTSHIFT +B =B =B -B -LEFTSHIFT", "+A -A +LEFTSHIFT +B =B =B -B -LEFTSHIFT");
	ASSERT_EQ(hk.n_held, 0);
}

TEST(ctrl_ctrl_fires_after_full_release_l_then_r)
{
	struct hotkey hk;

	setup(&hk);
	/* The completing key-down (RIGHTCTRL) is swallowed, with its key-up; LEFTCTRL balanced. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL", "+LEFTCTRL");
	CHECK(&hk, "-LEFTCTRL", "-LEFTCTRL !cycle");
}

TEST(ctrl_ctrl_r_then_l_release_any_order)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "+RIGHTCTRL +LEFTCTRL -RIGHTCTRL -LEFTCTRL", "+RIGHTCTRL -RIGHTCTRL !cycle");
	CHECK(&hk, "+RIGHTCTRL +LEFTCTRL -LEFTCTRL -RIGHTCTRL", "+RIGHTCTRL -RIGHTCTRL !cycle");
}

TEST(completing_key_repeats_swallowed)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "+LEFTCTRL =LEFTCTRL +RIGHTCTRL =RIGHTCTRL =RIGHTCTRL =LEFTCTRL -LEFTCTRL",
	      "+LEFTCTRL =LEFTCTRL =LEFTCTRL -LEFTCTRL");
	ASSERT_TRUE(hotkey_is_swallowed(&hk, KEY_RIGHTCTRL));
	CHECK(&hk, "=RIGHTCTRL -RIGHTCTRL", "!cycle");
	ASSERT_FALSE(hotkey_is_swallowed(&hk, KEY_RIGHTCTRL));
}

TEST(extra_key_cancels)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL +A -A -RIGHTCTRL -LEFTCTRL", "+LEFTCTRL +A -A -LEFTCTRL");
	ASSERT_EQ(hk.armed, -1);
	/* And the machine works again afterwards. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -LEFTCTRL -RIGHTCTRL", "+LEFTCTRL -LEFTCTRL !cycle");
}

TEST(held_key_prevents_combo)
{
	struct hotkey hk;

	setup(&hk);
	/* A is held: the held set is never exactly the combo. */
	CHECK(&hk, "+A +LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL -A",
	      "+A +LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL -A");
}

TEST(rollover_three_keys_any_release_order)
{
	static const char *const releases[] = {
		"-A -B -C", "-A -C -B", "-B -A -C", "-B -C -A", "-C -A -B", "-C -B -A",
	};
	struct hotkey hk;

	setup(&hk);
	for (size_t i = 0; i < ARRAY_SIZE(releases); i++) {
		char script[64];

		snprintf(script, sizeof(script), "+A +B +C %s", releases[i]);
		CHECK(&hk, script, script);
		ASSERT_EQ(hk.n_held, 0);
	}
}

TEST(repeats_of_forwarded_keys_pass)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "+A =A =A +B =B -A =B -B", "+A =A =A +B =B -A =B -B");
	/* A repeat of a key never seen down is forwarded too. */
	CHECK(&hk, "=Z", "=Z");
}

TEST(superset_combo_arms_the_larger_binding)
{
	struct hotkey hk;

	setup(&hk);
	/* ctrl+ctrl arms cycle; H makes it exactly the host combo: host armed, H swallowed. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL +H =H -LEFTCTRL -H -RIGHTCTRL", "+LEFTCTRL -LEFTCTRL !host");
	/* Release combo, keys released in another order. */
	CHECK(&hk, "+RIGHTCTRL +LEFTCTRL +ESC -ESC -RIGHTCTRL -LEFTCTRL",
	      "+RIGHTCTRL -RIGHTCTRL !release");
}

TEST(superset_released_back_to_subset_still_fires_armed)
{
	struct hotkey hk;

	setup(&hk);
	/* H released first: host stays armed (a key-up never re-arms or disarms). */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL +H -H -RIGHTCTRL -LEFTCTRL", "+LEFTCTRL -LEFTCTRL !host");
}

TEST(direct_binding_and_arg)
{
	struct hotkey hk;
	const struct hotkey_binding *fired;

	setup(&hk);
	CHECK(&hk, "+SCROLLLOCK +1 -1", "+SCROLLLOCK");
	ASSERT_TRUE(hotkey_feed(&hk, KEY_SCROLLLOCK, 0, &fired));
	ASSERT_TRUE(fired != NULL);
	ASSERT_EQ(fired->action, HOTKEY_DIRECT);
	ASSERT_EQ(fired->arg, 7);
}

TEST(keys_held_across_a_fire)
{
	struct hotkey hk;

	setup(&hk);
	/* After a fire nothing is held or armed; a key pressed right after is plain typing. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -LEFTCTRL -RIGHTCTRL +A", "+LEFTCTRL -LEFTCTRL !cycle +A");
	ASSERT_EQ(hk.n_held, 1);
	ASSERT_EQ(hk.armed, -1);
	/* A held over into the next combo attempt blocks it. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL -A",
	      "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL -A");
}

TEST(re_press_while_armed_rearms)
{
	struct hotkey hk;

	setup(&hk);
	/* RIGHTCTRL released and pressed again while LEFTCTRL is held: armed again. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL",
	      "+LEFTCTRL -LEFTCTRL !cycle");
}

TEST(unknown_key_up_forwarded)
{
	struct hotkey hk;

	setup(&hk);
	CHECK(&hk, "-A -RIGHTCTRL", "-A -RIGHTCTRL");
	ASSERT_EQ(hk.n_held, 0);
}

TEST(bounds_and_odd_values)
{
	struct hotkey hk;
	const struct hotkey_binding *fired;

	setup(&hk);
	ASSERT_TRUE(hotkey_feed(&hk, KEY_MAX + 1, 1, &fired));
	ASSERT_TRUE(hotkey_feed(&hk, 0xffff, 0, &fired));
	ASSERT_TRUE(hotkey_feed(&hk, KEY_A, 3, &fired));
	ASSERT_TRUE(hotkey_feed(&hk, KEY_A, -1, &fired));
	ASSERT_TRUE(fired == NULL);
	ASSERT_EQ(hk.n_held, 0);
	ASSERT_FALSE(hotkey_is_swallowed(&hk, 0xffff));
	ASSERT_FALSE(hotkey_uses_key(&hk, 0xffff));
	ASSERT_TRUE(hotkey_uses_key(&hk, KEY_ESC));
	ASSERT_FALSE(hotkey_uses_key(&hk, KEY_A));
}

TEST(bindings_replaced)
{
	struct hotkey hk;
	const struct hotkey_binding b[] = {{keys("KEY_LEFTALT+KEY_RIGHTALT"), HOTKEY_CYCLE, 0}};

	setup(&hk);
	/* Replaced while armed: disarmed, but the swallowed key-up stays swallowed. */
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL", "+LEFTCTRL");
	ASSERT_EQ(hotkey_set_bindings(&hk, b, 1), 0);
	CHECK(&hk, "-RIGHTCTRL -LEFTCTRL", "-LEFTCTRL");
	CHECK(&hk, "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL",
	      "+LEFTCTRL +RIGHTCTRL -RIGHTCTRL -LEFTCTRL");
	CHECK(&hk, "+LEFTALT +RIGHTALT -RIGHTALT -LEFTALT", "+LEFTALT -LEFTALT !cycle");
	ASSERT_EQ(hotkey_set_bindings(&hk, b, HOTKEY_BINDINGS_MAX + 1), -E2BIG);
	ASSERT_EQ(hk.n_bindings, 1);
	ASSERT_EQ(hotkey_init(&hk, b, HOTKEY_BINDINGS_MAX + 1), -E2BIG);
}
