/* SPDX-License-Identifier: MIT */
/*
 * A hotkey is a set of kernel key codes written as their kernel names joined
 * by '+': "KEY_LEFTCTRL+KEY_RIGHTCTRL". Names are looked up with libevdev.
 * Codes are kept sorted and unique, so two sets compare with keyset_equal().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "diag.h"

struct keyset {
	uint8_t n;                    /* 0 = empty (disabled hotkey) */
	uint16_t codes[KEYSET_MAX];   /* sorted ascending, no duplicates, each <= KEY_MAX */
};

/*
 * Parses text (not necessarily NUL-terminated: len bytes) into *ret.
 * Accepts only EV_KEY names libevdev knows (KEY_* and BTN_*), joined by '+',
 * no spaces, no empty parts, at most KEYSET_MAX keys, no key twice.
 * Returns 0, or -EINVAL/-E2BIG with diag naming the offending part; *ret is
 * untouched on failure. An empty string is an error (callers that allow
 * "disabled" check for it themselves).
 */
int keyset_parse(const char *text, size_t len, struct keyset *ret, struct diag *diag);

/*
 * Writes the canonical text into buf: modifiers (Ctrl, Shift, Alt, Meta)
 * first, then the other keys, each group by code ascending
 * ("KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H").
 * Returns the length written (without NUL), -ENOBUFS if buf is too small, or
 * -EINVAL for a code without a kernel name (buf then holds an empty string
 * when size > 0).
 */
int keyset_format(const struct keyset *set, char *buf, size_t size);

/* Longest text keyset_format() can produce, with NUL. */
#define KEYSET_TEXT_MAX (KEYSET_MAX * 32)

bool keyset_equal(const struct keyset *a, const struct keyset *b);
bool keyset_contains(const struct keyset *set, uint16_t code);
