/* SPDX-License-Identifier: MIT */
/*
 * The hotkey state machine: pure, no I/O, no allocation. It is fed every
 * EV_KEY event of the sources that can complete a hotkey and answers, per
 * event, whether it is forwarded or swallowed, and which binding fired.
 *
 * Rules: the machine tracks the set of keys held (one set across all sources
 * of a helper). A key-down that makes the held set EQUAL to a binding's keys
 * arms that binding and is swallowed, as are that key's repeats and its
 * key-up; the other keys of the combo were forwarded and their key-ups are
 * forwarded too, so a target sees balanced down/up pairs and never the whole
 * combo. Another key-down while armed disarms, unless the new held set equals
 * another binding (which is then armed, and that key-down swallowed too). When
 * the held set becomes empty while armed, the binding fires: the switch
 * happens after full release. A key-up for a key never seen down is forwarded.
 * Codes above KEY_MAX are forwarded untouched.
 *
 * The held set is a bit set, not a count: the same key held on two keyboards
 * counts once, and the first key-up clears it.
 */
#pragma once

#include <linux/input-event-codes.h>
#include <stdbool.h>

#include "keyset.h"
#include "macro.h"

enum hotkey_action {
	HOTKEY_CYCLE,   /* next target in the ring */
	HOTKEY_HOST,    /* focus the host */
	HOTKEY_RELEASE, /* escape: always back to the host */
	HOTKEY_DIRECT,  /* straight to one VM; arg says which */
};

struct hotkey_binding {
	struct keyset keys; /* n == 0: disabled, never matches */
	enum hotkey_action action;
	unsigned arg;       /* opaque to the machine (e.g. a ring index for HOTKEY_DIRECT) */
};

/* cycle, host, release, and one direct hotkey per VM of a full ring. */
#define HOTKEY_BINDINGS_MAX (3 + RING_VMS_MAX)

struct hotkey {
	struct hotkey_binding bindings[HOTKEY_BINDINGS_MAX];
	unsigned n_bindings;
	int armed;          /* index into bindings, or -1 */
	unsigned n_held;
	unsigned long held[BITSET_LONGS(KEY_CNT)];
	unsigned long swallowed[BITSET_LONGS(KEY_CNT)]; /* held keys whose down was swallowed */
};

/*
 * Initializes *hk with a copy of bindings (n of them); nothing held or armed.
 * Returns 0, or -E2BIG if n > HOTKEY_BINDINGS_MAX (*hk then untouched).
 */
int hotkey_init(struct hotkey *hk, const struct hotkey_binding *bindings, unsigned n);

/*
 * Replaces the bindings (copied), keeping the held and swallowed keys so
 * key-ups stay balanced; disarms. Returns 0 or -E2BIG (nothing changed).
 */
int hotkey_set_bindings(struct hotkey *hk, const struct hotkey_binding *bindings, unsigned n);

/*
 * Feeds one EV_KEY event (value 0 up, 1 down, 2 repeat; other values are
 * forwarded and change nothing). Returns true if the event is forwarded,
 * false if it is swallowed. *ret_fired is set to the binding that fired on
 * this event (it points into hk, valid until the bindings change), or NULL.
 */
bool hotkey_feed(struct hotkey *hk, unsigned code, int value,
		 const struct hotkey_binding **ret_fired);

/* True if code is held and its key-down was swallowed (its key-up will be too). */
bool hotkey_is_swallowed(const struct hotkey *hk, unsigned code);

/* True if code is one of the keys of an enabled binding. */
bool hotkey_uses_key(const struct hotkey *hk, unsigned code);
