/* SPDX-License-Identifier: MIT */
/*
 * Who may switch focus over D-Bus: root always; anyone else when polkit says
 * so for the action vfio.kvm.switch-focus (config/vfio.kvm.policy). A check
 * asks the bus daemon for the caller's uid, then, for a caller other than
 * root, polkit's CheckAuthorization with the caller's bus name as subject,
 * interactive only when the caller's message allows it. Both questions are
 * asked asynchronously, so a slow or absent polkit never holds up the loop
 * the helper forwards input on; a bounded number of checks run at once, each
 * within a timeout. Without polkit on the bus only root may switch.
 *
 * The module knows nothing of the methods it guards: each check carries the
 * caller's message and a tag, and its result goes back through struct
 * polkit_ops, exactly once per check that was started.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "diag.h"

#define POLKIT_ACTION_SWITCH_FOCUS "vfio.kvm.switch-focus"

/* At most this many checks at once (more are refused with -EBUSY). */
#define POLKIT_CHECKS_MAX 16
/* A whole check, both questions and the user typing a password to a polkit agent. */
#define POLKIT_CHECK_TIMEOUT_USEC (60 * 1000000ull)

struct polkit_ops {
	/*
	 * The check of call (with the tag it was started with) ended: r is 0
	 * when the caller may switch, or a negative errno with a one-line
	 * reason in diag: -EACCES (polkit said no, or failed), -EOPNOTSUPP
	 * (no polkit on the bus: only root may switch), -ETIMEDOUT, -ESHUTDOWN
	 * (polkit_free() with the check still running). Called from the event
	 * loop, or from polkit_free(); call stays referenced during the call.
	 */
	void (*done)(void *userdata, sd_bus_message *call, unsigned tag, int r,
		     const struct diag *diag);
};

struct polkit_limits {
	size_t max_checks;     /* at most POLKIT_CHECKS_MAX */
	uint64_t timeout_usec; /* for one whole check */
};

/* POLKIT_CHECKS_MAX checks within POLKIT_CHECK_TIMEOUT_USEC each. */
extern const struct polkit_limits polkit_limits_default;

/*
 * Checks calls that arrive on bus. limits (NULL: polkit_limits_default) is
 * copied; bus, ops and userdata must outlive the result. Returns NULL only
 * when out of memory or when limits->max_checks is 0 or above POLKIT_CHECKS_MAX.
 */
struct polkit *polkit_new(sd_bus *bus, const struct polkit_limits *limits,
			  const struct polkit_ops *ops, void *userdata);

/*
 * Starts the check of call, a method call received on the bus, and keeps a
 * reference to it until ops->done. Returns 0 (ops->done follows, never from
 * within this call), or a negative errno with diag and no ops->done:
 * -EBUSY when max_checks are running already, another errno when the
 * question cannot be sent.
 */
int polkit_check(struct polkit *p, sd_bus_message *call, unsigned tag, struct diag *diag);

/* How many checks are running. */
size_t polkit_checks_running(const struct polkit *p);

/*
 * What polkit's answer to CheckAuthorization means: reply is the reply, or
 * the error that took its place (from polkit, the bus daemon or sd-bus's
 * timeout). Returns 0 when authorized, or -EACCES, -EOPNOTSUPP (polkit not
 * on the bus) or -ETIMEDOUT with the reason in diag.
 */
int polkit_reply_verdict(sd_bus_message *reply, struct diag *diag);

/*
 * Ends every running check with ops->done(-ESHUTDOWN) and frees p. Accepts
 * NULL; returns NULL.
 */
struct polkit *polkit_free(struct polkit *p);
