/* SPDX-License-Identifier: MIT */
/*
 * Focus: with it, every source is grabbed and forwarded; without it nothing
 * is grabbed or forwarded and only sources that can complete a hotkey stay in
 * the event loop. focus_gain() and focus_lose() are the only ways focus
 * changes; the focus file drives them (ring-follow.h).
 *
 * LEDs: while a VM holds a keyboard's grab, the keyboard shows what the VM's
 * guest set on its clone (read from the clone's uinput fd). The state the
 * keyboard showed when the grab was taken is the host's (a grabbed keyboard
 * sends the host no keys that could change it) and is written back before
 * the grab is let go, so each switch shows the new target's LEDs and the host
 * gets its own back. A helper killed while holding a grab cannot do that: its
 * VM's LEDs stay until the next switch that involves this keyboard.
 */
#pragma once

#include "helper.h"

/*
 * Takes focus: every source rejoins the loop and is grabbed as soon as no
 * key is down on it (now, or after the batch that releases the last key:
 * never by sleeping or polling) and no other helper holds it (retried by
 * focus_retry_grabs()). No-op if focused already.
 */
void focus_gain(struct helper *h);

/* Gives focus up: key-up on each clone for every key down on it, ungrab,
 * sources that cannot complete a hotkey leave the loop. No-op if unfocused. */
void focus_lose(struct helper *h);

/* For a source waiting to be grabbed: grabs it if no key is down on it. */
void focus_try_grab(struct helper *h, struct source *s);

/* Tries focus_try_grab() on every waiting source: after another helper let
 * go of its grabs (its status file changed) or left the ring. */
void focus_retry_grabs(struct helper *h);

/* After a source's hotkey_capable changed: without focus, reads it only if
 * it can complete a hotkey (dropping what queued up while it was not read). */
void focus_update_reading(struct helper *h, struct source *s);

/* Takes a source whose reading failed (error: negative errno, e.g. -ENODEV:
 * unplugged) out of the loop: keys down on its clone are released, the
 * device is closed and waited for (presence.h); the clone stays. */
void focus_source_failed(struct helper *h, struct source *s, int error);

/* The same without the warning: for a source closed on purpose (presence_replug()). */
void focus_source_detach(struct helper *h, struct source *s);

/*
 * Tells systemd (STATUS=, which the tests read too) and `vfio-kvm status`
 * (the status file) where focus is and which sources are grabbed. Called
 * whenever that changes; never per input event.
 */
void focus_status(struct helper *h);
