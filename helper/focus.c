/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "focus.h"
#include "log.h"
#include "status-file.h"

void focus_status(struct focus *f)
{
	bool keys = false, busy = false;
	struct status st = {.pid = getpid(), .focus = f->focused};
	struct diag diag;

	for (size_t i = 0; i < f->n_devices; i++) {
		const struct device *d = &f->devices[i];
		struct status_device *sd = &st.devices[st.n_devices++];

		if (d->state == DEVICE_OPEN && d->focus) {
			busy |= d->grab_busy;
			keys |= !d->grab_busy;
		}
		strcpy(sd->physical, d->src.phys_path);
		strcpy(sd->clone, d->src.clone_path);
		sd->present = d->state == DEVICE_OPEN || d->state == DEVICE_GRABBED;
		sd->grabbed = d->state == DEVICE_GRABBED;
	}
	/* Only `vfio-kvm status` reads it, and the next change rewrites it: warn, go on.
	 * Written first: whoever reads STATUS= next finds the file current. */
	if (status_write(f->run_dir, f->vm, &st, &diag) < 0)
		log_warning(f->vm, "%s", diag.msg);
	(void)sd_notifyf(0, "STATUS=Focus: %s%s", f->target,
			 keys ? ", waiting for keys to be released"
			 : busy ? ", waiting for another helper to let go" : "");
}

void focus_follow(struct focus *f, const char *target)
{
	bool focused = strcmp(target, f->vm) == 0;
	bool changed = strcmp(f->target, target) != 0;

	snprintf(f->target, sizeof(f->target), "%s", target);
	if (focused != f->focused) {
		f->focused = focused;
		log_info(f->vm, "focus: %s", target);
		for (size_t i = 0; i < f->n_devices; i++)
			(void)device_set_focus(&f->devices[i], focused);
		changed = true;
	}
	if (changed)
		focus_status(f);
}

void focus_retry_grabs(struct focus *f)
{
	bool changed = false;

	/* Every device with focus: all of them when focused, the pinned ones always. */
	for (size_t i = 0; i < f->n_devices; i++)
		changed |= device_try_grab(&f->devices[i]);
	if (changed)
		focus_status(f);
}
