/* SPDX-License-Identifier: MIT */
/*
 * A source whose device went away (USB replug, a KVM box, sleep): the clone
 * stays, and the device is waited for with inotify, never by polling. Watched:
 * the link's directory (/dev/input/by-id) for IN_CREATE/IN_MOVED_TO of its
 * name (udev makes links by rename), that directory's parent for the
 * directory itself (udev removes an empty by-id), and, after EACCES (udev has
 * not set the node's permissions yet), the node's directory for IN_ATTRIB of
 * the node (a watch on the node itself would need the access that is
 * missing). A device that
 * comes back with other capabilities is logged once and not used (the clone
 * cannot change); the wait goes on.
 */
#pragma once

#include "helper.h"

/*
 * Starts waiting for s (s->gone, physical closed) and tries to open it once
 * now. When it is back: into the loop, grabbed if this VM has focus (once no
 * key is down on it), status updated. A wait that cannot be set up is logged;
 * the source then stays absent.
 */
void presence_wait(struct helper *h, struct source *s);

/*
 * Replugs s by hand, as if it had been unplugged and plugged in again: after
 * a resume from sleep, when the device may have come back as a new node under
 * the same name and the open fd may be dead or stale. Keys down on its clone
 * are released, the device is closed and opened again by its name now (or
 * waited for, as presence_wait()), grabbed again if this VM has focus. An
 * absent source is tried once more.
 */
void presence_replug(struct helper *h, struct source *s);
