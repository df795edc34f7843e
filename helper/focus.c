/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "focus.h"
#include "log.h"
#include "presence.h"
#include "ring-follow.h"
#include "status-file.h"

void focus_status(struct helper *h)
{
	bool keys = false, busy = false;
	struct status st = {.pid = getpid(), .focus = h->focus};
	struct diag diag;

	for (size_t i = 0; i < h->n_sources; i++) {
		const struct source *s = &h->sources[i];
		struct status_device *d = &st.devices[st.n_devices++];

		if (!s->gone && s->fwd.mode == FORWARD_WAIT) {
			busy |= s->grab_busy;
			keys |= !s->grab_busy;
		}
		strcpy(d->physical, s->phys_path);
		strcpy(d->clone, s->clone_path);
		d->present = !s->gone && s->fd >= 0;
		d->grabbed = !s->gone && s->fwd.mode == FORWARD_ON;
	}
	/* Only `vfio-kvm status` reads it, and the next change rewrites it: warn, go on.
	 * Written first: whoever reads STATUS= next finds the file current. */
	if (status_write(h->run_dir, h->vm, &st, &diag) < 0)
		log_warning(h->vm, "%s", diag.msg);
	(void)sd_notifyf(0, "STATUS=Focus: %s%s", h->target,
			 keys ? ", waiting for keys to be released"
			 : busy ? ", waiting for another helper to let go" : "");
}

static void focus_set_reading(struct source *s, bool on)
{
	loop_input_enable(&s->helper->loop, s, on);
}

/*
 * Grab only with nothing down, or the host would keep a key whose key-up
 * went to the clone. Check, grab, drop what was queued before the grab (the
 * host saw it), check again: a key pressed in between means ungrab and wait
 * for its release, which arrives as an event on this source. EBUSY is the
 * helper that had focus before us, not done letting go: its status file
 * changes when it is, and that retries (ring-follow.c).
 */
static bool focus_grab(struct helper *h, struct source *s)
{
	int r;

	if (forward_device_keys_down(&s->fwd) != 0)
		return false;
	r = source_grab(s, true);
	s->grab_busy = r == -EBUSY;
	/* Nobody else can set them while we hold the grab: restored when we let go. */
	if (r >= 0)
		s->host_leds = source_read_leds(s);
	if (r == -EBUSY)
		follow_arm_timer(h);
	if (r < 0) {
		if (r != -EBUSY && !s->error_logged)
			log_warning(h->vm, "'%s': cannot grab: %s", s->phys_path, strerror(-r));
		s->error_logged |= r != -EBUSY;
		return false;
	}
	r = forward_drain(&s->fwd);
	if (r < 0 || forward_device_keys_down(&s->fwd) != 0) {
		(void)source_grab(s, false);
		if (r < 0)
			focus_source_failed(h, s, r);
		return false;
	}
	s->fwd.mode = FORWARD_ON;
	(void)forward_resync(&s->fwd);
	(void)source_write_leds(s, s->clone_leds);
	return true;
}

void focus_try_grab(struct helper *h, struct source *s)
{
	if (!h->focus || s->gone || s->fwd.mode != FORWARD_WAIT)
		return;
	if (focus_grab(h, s))
		focus_status(h);
}

void focus_retry_grabs(struct helper *h)
{
	for (size_t i = 0; h->focus && i < h->n_sources; i++)
		focus_try_grab(h, &h->sources[i]);
}

void focus_update_reading(struct helper *h, struct source *s)
{
	if (h->focus || s->gone)
		return;
	/* Events queued while nobody read them are old: they must not fire a hotkey. */
	if (s->hotkey_capable && forward_drain(&s->fwd) < 0) {
		focus_source_failed(h, s, -ENODEV);
		return;
	}
	focus_set_reading(s, s->hotkey_capable);
}

void focus_gain(struct helper *h)
{
	if (h->focus)
		return;
	h->focus = true;
	log_info(h->vm, "focus: %s", h->vm);
	for (size_t i = 0; i < h->n_sources; i++) {
		struct source *s = &h->sources[i];

		if (s->gone)
			continue;
		s->fwd.mode = FORWARD_WAIT;
		focus_set_reading(s, true);
		(void)focus_grab(h, s);
	}
	focus_status(h);
}

void focus_lose(struct helper *h)
{
	if (!h->focus)
		return;
	h->focus = false;
	log_info(h->vm, "focus: %s", h->target);
	for (size_t i = 0; i < h->n_sources; i++) {
		struct source *s = &h->sources[i];

		if (s->gone)
			continue;
		(void)forward_release(&s->fwd);
		if (s->fwd.mode == FORWARD_ON) {
			(void)source_write_leds(s, s->host_leds);
			(void)source_grab(s, false);
		}
		s->fwd.mode = FORWARD_OFF;
		s->grab_busy = false;
		if (!s->hotkey_capable)
			focus_set_reading(s, false);
	}
	focus_status(h);
}

void focus_source_failed(struct helper *h, struct source *s, int error)
{
	if (s->gone)
		return;
	log_warning(h->vm, "'%s': %s; the clone stays, waiting for the device", s->phys_path,
		    strerror(-error));
	focus_source_detach(h, s);
}

void focus_source_detach(struct helper *h, struct source *s)
{
	if (s->gone)
		return;
	s->gone = true;
	/*
	 * Closing the device drops our grab. With the device gone its keys count
	 * as released: the resync feeds their key-ups to the hotkey machine (a
	 * hotkey half pressed is dropped, not fired) and, with focus, to the clone.
	 */
	source_close_physical(s);
	(void)forward_resync(&s->fwd);
	(void)forward_release(&s->fwd);
	s->fwd.fired = NULL;
	s->fwd.mode = FORWARD_OFF;
	s->grab_busy = false;
	presence_wait(h, s);
	focus_status(h);
}
