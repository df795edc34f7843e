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
 * The methods only ask for a transition (focus-file.h); the change reaches
 * every helper, this one too, through the focus file.
 *
 * The helper also follows logind's PrepareForSleep: after a resume every
 * source is reopened by name (presence_replug()); before sleep nothing is done.
 */
#pragma once

#include "helper.h"

#define BUS_NAME "vfio.kvm"
#define BUS_PATH "/vfio/kvm"
#define BUS_INTERFACE "vfio.kvm"

/*
 * Connects to the system bus on h->event, exports the object and queues for
 * the name. A bus that cannot be reached is logged as a warning and returns
 * NULL: input keeps working without it. The bus keeps h (must outlive it).
 */
struct bus *bus_open(struct helper *h);

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
