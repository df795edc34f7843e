/* SPDX-License-Identifier: MIT */
/*
 * A list of single keys, not a combo: the host keys (keys that stay with the
 * host while a VM has focus), written as kernel names joined by ','
 * ("KEY_VOLUMEUP,KEY_MUTE"). Unlike a hotkey (keyset.h) it holds up to
 * KEYLIST_MAX keys, and a list may be empty ("no host keys"). Codes are kept
 * sorted and unique, so two lists compare with keylist_equal().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Keys in one list: every media and volume key a keyboard has, with room to spare. */
#define KEYLIST_MAX 32
/* Longest text keylist_format() can produce, with NUL. */
#define KEYLIST_TEXT_MAX (KEYLIST_MAX * 32)

struct keylist {
	uint8_t n;                   /* 0: empty */
	uint16_t codes[KEYLIST_MAX]; /* sorted ascending, no duplicates, each < KEY_MAX */
};

/*
 * Parses text (len bytes, not necessarily NUL-terminated) into *ret: EV_KEY
 * names libevdev knows (KEY_*, BTN_*), separated by ',', each with optional
 * blanks (space, tab) around it ("KEY_VOLUMEUP, KEY_MUTE"). Text that is
 * empty or only blanks is the empty list. Refused with -EINVAL: an unknown
 * name, an empty part ("A,,B", a trailing ','), a key given twice,
 * KEY_RESERVED or KEY_MAX; -E2BIG: more than KEYLIST_MAX keys. diag names
 * the offending part; *ret is untouched on failure.
 */
int keylist_parse(const char *text, size_t len, struct keylist *ret, struct diag *diag);

/*
 * Adds code to *list, kept sorted. Returns 0, -EEXIST if it is there already,
 * -EINVAL for a code that is no key (0, >= KEY_MAX) and -E2BIG when full; the
 * list is unchanged on failure. For parsers that meet one key at a time.
 */
int keylist_add(struct keylist *list, unsigned code);

/*
 * Writes the canonical text into buf: names by code ascending, joined by ','
 * without blanks ("" for the empty list). Returns the length (without NUL),
 * -ENOBUFS if buf is too small, -EINVAL for a code without a kernel name
 * (buf then holds "" when size > 0).
 */
int keylist_format(const struct keylist *list, char *buf, size_t size);

/* Whether a and b hold the same keys. */
bool keylist_equal(const struct keylist *a, const struct keylist *b);
/* Whether code is in list. */
bool keylist_contains(const struct keylist *list, unsigned code);
