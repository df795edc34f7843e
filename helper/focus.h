/* SPDX-License-Identifier: MIT */
/*
 * Focus: the helper's devices gain and lose focus together, except pinned
 * ones, which keep it (device.h). With it, every
 * device is grabbed and forwarded; without it nothing is grabbed or
 * forwarded and only devices that can complete a hotkey are read
 * (device.h). The focus file drives it (ring-follow.h): focus_follow() is
 * the only way focus changes. It also tells systemd (STATUS=, which the tests
 * read too) and `vfio-kvm status` (the status file) where focus is and which
 * devices are grabbed; never per input event.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "device.h"

struct focus {
	const char *vm;              /* this VM; not owned */
	const char *run_dir;         /* for the status file; not owned */
	struct device *devices;      /* n_devices of them; not owned */
	size_t n_devices;
	bool focused;                /* this VM has input focus */
	char target[VM_NAME_MAX + 1]; /* where focus is, as last followed */
};

/*
 * Focus is now target (RING_HOST or a VM): this VM's devices are grabbed if
 * it is this VM, let go otherwise; the status follows any change.
 */
void focus_follow(struct focus *f, const char *target);

/* Tries the grabs that wait (pinned devices' too): another helper let go, or left the ring. */
void focus_retry_grabs(struct focus *f);

/* Writes the status file and STATUS= from the devices' states. */
void focus_status(struct focus *f);
