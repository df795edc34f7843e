/* SPDX-License-Identifier: MIT */
/*
 * Host keys: kernel key codes that, while a VM has focus, go to a host-side
 * device instead of the VM (volume, mute, media keys), written as kernel
 * names joined by ',' ("KEY_VOLUMEUP,KEY_MUTE"). Unlike a hotkey (keyset.h)
 * this is a list of single keys, so it may be longer. Codes are kept sorted
 * and unique.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Keys in one host_keys list. */
#define HOST_KEYS_MAX 32
/* Longest text host_keys_format() can produce, with NUL. */
#define HOST_KEYS_TEXT_MAX (HOST_KEYS_MAX * 32)

struct host_keys {
	uint8_t n;                      /* 0: none */
	uint16_t codes[HOST_KEYS_MAX];  /* sorted ascending, no duplicates */
};

/*
 * Parses len bytes of text (not necessarily NUL-terminated): key names
 * separated by ',', blanks (space, tab) around each name ignored. Every name
 * must be an EV_KEY name libevdev knows (KEY_* or BTN_*). Empty text, or
 * text of blanks only, is the empty list. Returns 0, or -EINVAL/-E2BIG with
 * diag naming the part ("host keys: unknown key name 'KEY_FOO'", "… given
 * twice", "more than 32 keys", "empty key name"); *ret untouched on failure.
 */
int host_keys_parse(const char *text, size_t len, struct host_keys *ret, struct diag *diag);

/*
 * Adds the key called name (len bytes) to *set, as host_keys_parse() does for
 * one part. Returns 0 or -EINVAL/-E2BIG with diag; *set untouched on failure.
 */
int host_keys_add(struct host_keys *set, const char *name, size_t len, struct diag *diag);

/*
 * Writes the names joined by ',' without blanks into buf ("" for none).
 * Returns the length, or -ENOBUFS (buf then "" when size > 0).
 */
int host_keys_format(const struct host_keys *set, char *buf, size_t size);

bool host_keys_contains(const struct host_keys *set, uint16_t code);
bool host_keys_equal(const struct host_keys *a, const struct host_keys *b);
