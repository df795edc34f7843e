/* SPDX-License-Identifier: MIT */
/*
 * Who announces a focus change on D-Bus. Every helper reads the same new
 * focus file and must reach the same answer, so that exactly one of them
 * emits FocusChanged: the helper that gains focus; for a switch to the host,
 * the helper that lost it; and when that one is not in the ring any more
 * (stopped, or dead), the first live VM in ring order. Pure: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ring.h"

/*
 * True if the helper of VM me announces the switch previous → target (names
 * from the focus file; "host" is RING_HOST). ring holds the live entries in
 * ring order, n of them (as ring_list() gives them). No switch (previous ==
 * target, e.g. a repaired file) is never announced.
 */
bool announce_decide(const char *previous, const char *target, const char *me,
		     const struct ring_entry *ring, size_t n);
