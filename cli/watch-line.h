/* SPDX-License-Identifier: MIT */
/*
 * The lines `vfio-kvm watch` prints: who has the keyboard and mouse now. Pure:
 * no I/O, so the formats are tested as they are.
 *
 * Plain: the target's name, one word ("host" or a VM name). With no VM
 * running (nobody owns vfio.kvm) the host has the devices: "host" as well.
 *
 * JSON, one object per line, for waybar's custom module (return-type json)
 * and anything else that reads JSON lines:
 *   {"text":"vm1","alt":"vm","class":"vm","tooltip":"Keyboard and mouse: vm1",
 *    "target":"vm1"}
 * class and alt are "vm" (a VM has focus), "host" (the host has it while
 * VMs run) or "idle" (no VM runs; text and target are "host").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"

/* Longest line either format gives, newline and NUL included. */
#define WATCH_LINE_MAX 2048

struct watch_state {
	bool running;                 /* some VM's helper owns vfio.kvm */
	char target[VM_NAME_MAX + 1]; /* "host" or a VM name; "host" when !running */
};

/*
 * Writes s into buf (size bytes) as a JSON string, quotes included: '"' and
 * '\' escaped, control characters as \uXXXX (\n, \t and the like by name),
 * bytes over 0x7f (never in a valid name) as '?'. Returns the length, or
 * -ENOBUFS when it does not fit (buf then holds no partial string).
 */
int watch_json_string(const char *s, char *buf, size_t size);

/*
 * Formats st as one line ending in '\n', plain or JSON, into buf. Returns
 * the length, or -ENOBUFS.
 */
int watch_line_format(const struct watch_state *st, bool json, char *buf, size_t size);
