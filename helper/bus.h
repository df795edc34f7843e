/* SPDX-License-Identifier: MIT */
/*
 * The helper on the D-Bus system bus: name vfio.kvm, object /vfio/kvm,
 * interface vfio.kvm with property Target (s), signal FocusChanged(s target,
 * s previous) and methods Next(), Focus(s), Release(). Every helper exports
 * the object and queues for the name (allowing replacement), so whenever one
 * runs, the name has an owner. The helper that announces a switch
 * (announce.h) first takes the name, then emits, so listeners matching
 * sender='vfio.kvm' see each switch once.
 *
 * Anyone may call the methods; root, or a caller polkit authorizes
 * (polkit.h, asked without blocking the loop), gets the transition, anyone
 * else org.freedesktop.DBus.Error.AccessDenied with the reason in one line.
 *
 * The methods only ask for a transition, through struct bus_ops; the change
 * reaches every helper, this one too, through the focus file. A transition
 * that finds <run_dir>/lock held (-EWOULDBLOCK) is tried again from a timer
 * and answered once it ran, or with the error after a few seconds, as the
 * CLI waits: helpers hold the lock for moments, which is no caller's error.
 *
 * The helper also follows logind's PrepareForSleep: after a resume,
 * ops->resumed (every source is reopened by name); before sleep nothing is
 * done. The bus knows nothing else of the helper.
 */
#pragma once

#include <stddef.h>
#include <systemd/sd-event.h>

#include "diag.h"

#define BUS_NAME "vfio.kvm"
#define BUS_PATH "/vfio/kvm"
#define BUS_INTERFACE "vfio.kvm"

/* What the methods and signals ask of the helper; each returns 0 or a negative
 * errno with diag (-EINVAL: a bad argument; -ENOENT from focus: no such VM;
 * -EWOULDBLOCK: the lock is held, try again later). */
struct bus_ops {
	int (*next)(void *userdata, struct diag *diag);
	int (*focus)(void *userdata, const char *target, struct diag *diag);
	int (*release)(void *userdata, struct diag *diag);
	/* The current focus target, into ret (size bytes). */
	int (*target)(void *userdata, char *ret, size_t size, struct diag *diag);
	/* The system woke up from sleep. */
	void (*resumed)(void *userdata);
};

/*
 * Connects to the system bus on event, exports the object and queues for
 * the name. vm names this helper in messages. A bus that cannot be reached
 * is logged as a warning and returns NULL: input keeps working without it.
 * vm, ops and userdata must outlive the bus.
 */
struct bus *bus_open(sd_event *event, const char *vm, const struct bus_ops *ops,
		     void *userdata);

/*
 * Takes the name (replacing the current owner) and, once the bus daemon has
 * answered, emits FocusChanged and PropertiesChanged(Target). Returns at
 * once; a failure is logged.
 */
void bus_announce(struct bus *bus, const char *target, const char *previous);

/* Same, waiting for the reply and flushing: for a helper about to exit. */
void bus_announce_now(struct bus *bus, const char *target, const char *previous);

/* Flushes and closes the connection. Accepts NULL; returns NULL. */
struct bus *bus_close(struct bus *bus);
