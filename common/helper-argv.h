/* SPDX-License-Identifier: MIT */
/*
 * The helper's command line: one contract, written by the hook and the CLI
 * (unit.c puts it in the unit's ExecStart) and parsed by the helper, so the
 * two ends cannot drift apart. The helper never reads XML. Everything it
 * needs to start is here, as the values in effect (domain XML over the
 * config's [vm "NAME"] over its global ones over the defaults); it reads the
 * config only when asked to reload (SIGHUP), and only when --config names it.
 *
 *   vfio-kvm-helper --vm NAME --device PHYS=CLONE[,toggle=KEYS][,focus=always]
 *                   [--device ...]... [--focus] [--hotkey ACTION=KEYS]...
 *                   [--host-keys KEY,KEY...] [--run-dir DIR] [--no-host]
 *                   [--on-stop host|next] [--config FILE] [--fixed SETTING,...]
 *                   [--no-bus] [--cache-dir DIR] [--help]
 *
 * ACTION is cycle, host, release or direct; an empty KEYS disables the
 * hotkey (release may not be empty); a hotkey not given keeps its default
 * (CONFIG_DEFAULT_*; direct: none). toggle= is QEMU's grab toggle of an
 * evdev/input-linux source; focus=always pins the device to the VM (grabbed
 * and forwarded whatever has the focus, never read for hotkeys). The options
 * after CLONE come in any order, each at most once. --host-keys lists the
 * keys that go to a host-side device instead of the VM (keylist.h; empty or
 * absent: none).
 *
 * Reload: the config file --config names is re-read on SIGHUP and its values
 * replace the ones from argv, except the settings --fixed names: those came
 * from the domain XML, which wins over the config (direct, host-keys,
 * on-stop). A config that does not load is refused and the values in effect
 * stay. Without --config a reload changes nothing. The unit's ExecReload is
 *
 *   vfio-kvm-helper --reload PID
 *
 * (systemd puts the main pid in for $MAINPID), which asks the helper PID to
 * reload and exits 0 once it has, 1 when it refused (helper/reload.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bounds.h"
#include "diag.h"
#include "focus-file.h"
#include "hotkey.h"
#include "keylist.h"
#include "keyset.h"

/* One binding per enum hotkey_action: cycle, host, release, direct. */
#define HELPER_HOTKEYS 4
/* Longest --run-dir/--cache-dir: room is left for "/ring/<vm>" and the like. */
#define HELPER_DIR_MAX (VK_PATH_MAX / 2)
/* Most arguments: program, --vm, devices, hotkeys, 3 flags, 2 directories,
 * --host-keys, --on-stop, --config, --fixed. */
#define HELPER_ARGV_MAX (3 + 2 * DOMAIN_SOURCES_MAX + 2 * HELPER_HOTKEYS + 3 + 2 * 2 + 2 * 4)

/* The first argument of the reload mode (see above). */
#define HELPER_RELOAD_OPTION "--reload"

/* Bits of helper_args.fixed: settings the domain XML set, which a reload keeps. */
enum {
	HELPER_FIXED_DIRECT = 1U << 0,    /* the direct hotkey */
	HELPER_FIXED_HOST_KEYS = 1U << 1, /* host_keys */
	HELPER_FIXED_ON_STOP = 1U << 2,   /* on_stop */
};

struct helper_device {
	char phys[VK_PATH_MAX];   /* the physical device, /dev/input/by-id/<dev> */
	char clone[VK_PATH_MAX];  /* the symlink to make for its clone, …/<vm>-<dev> */
	struct keyset toggle;     /* QEMU's grab toggle on the clone; n == 0: none */
	bool pinned;              /* focus=always: the VM's whatever has the focus */
};

struct helper_args {
	char vm[VM_NAME_MAX + 1];
	struct helper_device devices[DOMAIN_SOURCES_MAX];
	size_t n_devices;
	/* Indexed by enum hotkey_action, .action set to match; keys.n == 0: disabled. */
	struct hotkey_binding hotkeys[HELPER_HOTKEYS];
	bool focus;         /* ask for focus on joining the ring */
	bool include_host;  /* the host is a stop of the cycle */
	bool bus;           /* connect to the D-Bus system bus */
	struct keylist host_keys;    /* go to the host while the VM has focus; n == 0: none */
	enum focus_on_stop on_stop;  /* where focus goes when this VM stops with it */
	unsigned fixed;              /* HELPER_FIXED_*: kept by a reload */
	char config[HELPER_DIR_MAX + 1]; /* re-read on reload; "": never read */
	char run_dir[HELPER_DIR_MAX + 1];
	char cache_dir[HELPER_DIR_MAX + 1];
};

/*
 * Fills *ret with what the helper assumes when an option is not given: no
 * VM, no devices, the built-in hotkeys (CONFIG_DEFAULT_*, no direct one),
 * no focus, the host in the cycle, the bus, RUN_DIR and CACHE_DIR, no host
 * keys, on_stop next, no config, nothing fixed.
 */
void helper_args_init(struct helper_args *ret);

/*
 * Writes the command line for args (NULL-terminated, argv[0] = helper), in
 * this order: --vm, every --device (",toggle=" then ",focus=always" when
 * set), --focus, --no-host, the hotkeys (cycle, host, release always, an
 * empty one as "ACTION=", which disables it; direct when set), --host-keys
 * when there are any, then --on-stop, --config, --fixed, --no-bus, --run-dir
 * and --cache-dir. Flags, settings and directories are left out when they
 * are the helper's default.
 * args is otherwise not validated: helper_args_parse() is the check.
 * On success *ret_argv is a new vector to free with helper_argv_free().
 * Returns 0, -ENOMEM, -E2BIG (more than DOMAIN_SOURCES_MAX devices), or
 * -EINVAL with diag (an empty release hotkey, a key set or host key without
 * a kernel name).
 */
int helper_args_write(const char *helper, const struct helper_args *args, char ***ret_argv,
		      struct diag *diag);

/*
 * Parses the helper's argv (argv[0] is the program) into *ret, refusing
 * what the helper cannot trust: a bad VM name, --vm twice, a device path
 * that is not absolute, holds "..", a control character, or whose last
 * component is not a device name (for a clone: after "<vm>-"), a path used
 * twice (as physical or clone), more than DOMAIN_SOURCES_MAX devices, an
 * unknown or repeated --device option (focus= takes only "always"), an
 * unknown --hotkey action, a bad key set, an empty release hotkey, two
 * hotkeys with the same keys, a bad --host-keys list (keylist_parse()) or
 * --host-keys twice, a bad directory, unknown options and stray arguments. Uses getopt_long() (resets optind; may
 * permute argv). Returns 0, 1 for --help (the caller prints
 * helper_args_help()), or a negative errno with diag ("--vm is required");
 * *ret is untouched unless 0 is returned.
 */
int helper_args_parse(int argc, char *argv[], struct helper_args *ret, struct diag *diag);

/* Prints the helper's --help text to out, naming it program. */
void helper_args_help(FILE *out, const char *program);

/* Frees a vector from helper_args_write(); accepts NULL; returns NULL. */
char **helper_argv_free(char **argv);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, helper_argv_free)
