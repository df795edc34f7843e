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
 *   [timeouts]
 *   start = 10                                 seconds the hook waits for a unit
 *   stop = 10
 *   [vm "win10"]
 *   hotkey = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_1  jump straight to this VM
 *
 * Unknown sections and keys, bad values and key names are errors with
 * file:line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "diag.h"
#include "keyset.h"

#define CONFIG_DEFAULT_CYCLE "KEY_LEFTCTRL+KEY_RIGHTCTRL"
#define CONFIG_DEFAULT_HOST "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H"
#define CONFIG_DEFAULT_RELEASE "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC"
#define CONFIG_TIMEOUT_MAX_SEC 300

struct config_vm {
	char name[VM_NAME_MAX + 1];
	struct keyset hotkey;
};

struct config {
	struct keyset cycle;
	struct keyset host;     /* n == 0: disabled */
	struct keyset release;  /* never empty */
	bool include_host;
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
