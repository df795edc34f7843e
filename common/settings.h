/* SPDX-License-Identifier: MIT */
/*
 * /etc/vfio-kvm.conf, INI (the dialect inih reads; see settings.c). Defaults work
 * with no file.
 *
 *   [hotkeys]
 *   cycle = KEY_LEFTCTRL+KEY_RIGHTCTRL         next target in the ring
 *   host = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H    focus the host ("" disables)
 *   release = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC   escape: always back to the host
 *   [ring]
 *   include_host = yes                         host is a stop of the cycle
 *   focus_on_start = no                        a VM takes the focus when it starts
 *   on_stop = next                             host|next: where focus goes when the
 *                                              focused VM stops
 *   [keys]
 *   host_keys =                                KEY_ names, ',' between: while a VM has
 *                                              focus they go to the host (none)
 *   [timeouts]
 *   start = 10                                 seconds the hook waits for a unit
 *   stop = 10
 *   [vm "win10"]
 *   hotkey = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_1  jump straight to this VM
 *   host_keys = …  focus_on_start = …  on_stop = …   this VM's own, over the global ones
 *
 * Unknown sections and keys, bad values and key names are errors with
 * file:line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "diag.h"
#include "focus-file.h"
#include "keylist.h"
#include "keyset.h"

#define CONFIG_DEFAULT_CYCLE "KEY_LEFTCTRL+KEY_RIGHTCTRL"
#define CONFIG_DEFAULT_HOST "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H"
#define CONFIG_DEFAULT_RELEASE "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC"
#define CONFIG_TIMEOUT_MAX_SEC 300

/* Bits of config_vm.given and config.given: which of these keys the file set. */
enum {
	CONFIG_GIVEN_HOTKEY = 1U << 0,
	CONFIG_GIVEN_HOST_KEYS = 1U << 1,
	CONFIG_GIVEN_FOCUS_ON_START = 1U << 2,
	CONFIG_GIVEN_ON_STOP = 1U << 3,
};

/* A [vm "NAME"] section; a key it does not set (given) falls back to the global one. */
struct config_vm {
	char name[VM_NAME_MAX + 1];
	unsigned given;
	struct keyset hotkey;
	struct keylist host_keys;
	bool focus_on_start;
	enum focus_on_stop on_stop;
};

struct config {
	struct keyset cycle;
	struct keyset host;     /* n == 0: disabled */
	struct keyset release;  /* never empty */
	bool include_host;
	unsigned given;              /* CONFIG_GIVEN_* of [ring] and [keys] */
	bool focus_on_start;         /* a VM takes the focus when it starts */
	enum focus_on_stop on_stop;  /* where focus goes when the focused VM stops */
	struct keylist host_keys;  /* n == 0: none */
	unsigned start_timeout_sec;  /* 1..CONFIG_TIMEOUT_MAX_SEC */
	unsigned stop_timeout_sec;
	size_t n_vms;
	struct config_vm vms[RING_VMS_MAX];
};

/* Fills *ret with the built-in defaults. */
void config_defaults(struct config *ret);

/*
 * Loads path over the defaults. A missing file (ENOENT) is not an error when
 * missing_ok is true: *ret then holds the defaults. Returns 0 or a negative
 * errno with diag "path:line: what is wrong" (or "path: strerror" when the file
 * cannot be read); *ret is untouched on failure.
 */
int config_load(const char *path, bool missing_ok, struct config *ret, struct diag *diag);

/* Parses config text held in memory; name is used in messages as the file name. */
int config_parse_string(const char *text, const char *name, struct config *ret, struct diag *diag);

/* The per-VM entry for vm, or NULL. */
const struct config_vm *config_find_vm(const struct config *config, const char *vm);

/*
 * Fills *ret with the config's values for vm: each key its [vm "NAME"]
 * section sets (ret->given tells which), else the global one (hotkey: none).
 * vm may have no section, or be NULL: then every value is the global one.
 */
void config_vm_resolve(const struct config *config, const char *vm, struct config_vm *ret);
