/* SPDX-License-Identifier: MIT */
/*
 * A VM's transient systemd unit, vfio-kvm-<vm>.service, started and stopped
 * over the system bus (org.freedesktop.systemd1). The hook and the CLI share
 * this code; it does not log: failures come back as one line in struct diag.
 *
 * The unit runs the helper with everything it needs on its command line
 * (ExecStart, a(sasb)), so the helper never parses XML. systemd starts it, so
 * it inherits nothing from the caller (stdout and stderr go to the journal):
 * libvirt waits for the hook's output pipes to close, and nothing of ours
 * keeps them open.
 *
 * The helper's path is a parameter, never taken from the environment: the hook
 * runs as root under libvirtd, and callers pass the configure-time path.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "diag.h"
#include "domain-xml.h"
#include "helper-argv.h"
#include "settings.h"

/* systemd refuses unit names of 256 bytes or more; with NUL. */
#define UNIT_NAME_BUF 256
#define UNIT_NAME_PREFIX "vfio-kvm-"
#define UNIT_NAME_SUFFIX ".service"

/* Waits last systemd's own timeout plus this, so systemd's verdict comes first. */
#define UNIT_WAIT_SLACK_USEC (5ULL * 1000000ULL)

/* Most arguments the helper gets: program, --vm, devices, hotkeys, --focus, --no-host,
 * --host-keys, --on-stop, --config, --fixed. */
#define UNIT_ARGV_MAX (3 + 2 * DOMAIN_SOURCES_MAX + 2 * 4 + 2 + 2 * 4)

/*
 * Writes "vfio-kvm-<escaped vm>.service" into buf, escaping vm the way
 * systemd-escape does: [A-Za-z0-9:_.] stay (except a leading '.'), every other
 * byte becomes \xNN. vm should have passed vm_name_check().
 * Returns the length written, -ENAMETOOLONG when the name would be too long
 * for systemd (diag says so, naming the VM), or -ENOBUFS when size is too
 * small (buf then holds "").
 */
int unit_name_from_vm(const char *vm, char *buf, size_t size, struct diag *diag);

/* Where a VM's setting in effect comes from, lowest first. */
enum unit_origin {
	UNIT_FROM_DEFAULT,
	UNIT_FROM_CONFIG,    /* the config's global key */
	UNIT_FROM_CONFIG_VM, /* the config's [vm "NAME"] */
	UNIT_FROM_XML,       /* the domain's <vfiokvm:settings> */
};

/* "default", "config", "config [vm]" or "domain XML". */
const char *unit_origin_to_string(enum unit_origin origin);

/* A VM's per-VM settings in effect: XML over [vm "NAME"] over global over default. */
struct unit_settings {
	struct keyset direct;          /* n == 0: none */
	enum unit_origin direct_from;
	struct keylist host_keys;
	enum unit_origin host_keys_from;
	bool focus_on_start;
	enum unit_origin focus_on_start_from;
	enum focus_on_stop on_stop;
	enum unit_origin on_stop_from;
};

/* Fills *ret with domain's settings in effect under config. */
void unit_settings_resolve(const struct domain *domain, const struct config *config,
			   struct unit_settings *ret);

/*
 * Builds the helper's argv (NULL-terminated, argv[0] = helper) for domain
 * under config, written by helper_args_write() (helper-argv.h, the contract
 * with the helper):
 *   helper --vm NAME {--device PHYS=CLONE[,toggle=KEYS]}... [--focus] [--no-host]
 *          --hotkey cycle=KEYS --hotkey host=[KEYS] --hotkey release=KEYS
 *          [--hotkey direct=KEYS] [--on-stop host] --config CONFIG_PATH
 *          [--fixed SETTING,...]
 * toggle= is the grab_toggle of evdev/input-linux sources; the per-VM
 * settings (direct hotkey, host keys, pinned devices, on_stop) are
 * unit_settings_resolve()'s, and --fixed names those the XML set, which a
 * reload keeps; --focus when focus is true or focus_on_start is in effect;
 * a disabled host hotkey is written "host=" (the helper's default would
 * stand otherwise); --no-host when the config's
 * include_host is false (the host is then no stop of the cycle).
 * On success *ret_argv is a new string vector the caller frees with
 * unit_strv_free(). Returns 0, -ENOMEM, or -ENAMETOOLONG/-EINVAL with diag
 * (-EINVAL also for a VM named "host", see unit_check_name()).
 */
int unit_helper_argv(const char *helper, const struct domain *domain, const struct config *config,
		     bool focus, char ***ret_argv, struct diag *diag);

/*
 * The helper's arguments for domain under config, as unit_helper_argv()
 * writes them (focus: see there). Returns 0 or -ENAMETOOLONG with diag.
 */
int unit_helper_args(const struct domain *domain, const struct config *config, bool focus,
		     struct helper_args *ret, struct diag *diag);

/* Frees a vector from unit_helper_argv() (helper_argv_free()); accepts NULL; returns NULL. */
char **unit_strv_free(char **strv);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, unit_strv_free)

/*
 * Refuses the VM name "host" (RING_HOST): it names the host as a focus
 * target, so such a VM could never join the ring. Returns 0, or -EINVAL with
 * diag "host: a VM may not be named 'host': …".
 */
int unit_check_name(const char *vm, struct diag *diag);

/*
 * Checks the VM's name (unit_check_name()) and that every physical source of
 * domain exists (stat; a missing by-id link counts as there when its by-path
 * twin is, device_by_path()), so the most common mistakes get the clearest message
 * before anything talks to systemd: "vm1: /dev/input/by-id/… does not
 * exist". A missing source whose capabilities are cached in CACHE_DIR is
 * accepted: the helper clones it from the cache and waits for it.
 * Returns 0 or a negative errno with diag.
 */
int unit_check_sources(const struct domain *domain, struct diag *diag);

struct unit_request {
	const char *helper;             /* absolute path of the helper */
	const struct domain *domain;    /* has at least one source */
	const struct config *config;    /* hotkeys and timeouts */
	bool focus;                     /* pass --focus: the VM takes focus when it joins,
					 * whatever focus_on_start says */
	bool no_focus_on_start;         /* the VM runs already (reconnect): never --focus */
};

/*
 * Appends StartTransientUnit's properties array, a(sv), for req to m (a
 * method call being built). Exposed so tests can check what goes on the
 * wire. Returns 0 or a negative errno with diag.
 */
int unit_append_properties(sd_bus_message *m, const struct unit_request *req, struct diag *diag);

/*
 * Starts the VM's unit and waits until its start job finished: the helper
 * sent READY=1 (0) or the unit failed or the wait timed out (negative errno,
 * diag: "vm1: vfio-kvm-vm1.service failed to start (exit-code); see:
 * journalctl -u vfio-kvm-vm1.service"). Callers check the sources first
 * (unit_check_sources), before they even connect to the bus. The wait
 * lasts the config's start timeout plus a few seconds, so systemd's own TimeoutStartSec= normally ends it first; if ours
 * ends it, a stop is queued so no half-started unit lingers.
 * A unit of that name that is already active or activating: -EEXIST with diag
 * "vm1: vfio-kvm-vm1.service is already running" and the unit untouched;
 * callers decide whether that is success (the hook) or not (the CLI).
 */
int unit_start(sd_bus *bus, const struct unit_request *req, struct diag *diag);

/*
 * Stops the VM's unit (StopUnit, mode "replace") and waits for the job, at
 * most timeout_usec. No such unit (never started, already gone) is success.
 * Returns 0 or a negative errno with diag.
 */
int unit_stop(sd_bus *bus, const char *vm, uint64_t timeout_usec, struct diag *diag);

/*
 * Reloads the VM's unit (ReloadUnit, mode "fail") and waits for the job, at
 * most timeout_usec: its ExecReload has the helper re-read the config
 * (helper-argv.h). Returns 0 once the helper applied it, -ENOENT when the
 * unit is not running, -EIO when the reload failed (the helper refused the
 * config: its journal says why), or another negative errno, with diag.
 */
int unit_reload(sd_bus *bus, const char *vm, uint64_t timeout_usec, struct diag *diag);

/*
 * Whether the VM's unit is active, activating or reloading: 1 yes, 0 no (not
 * loaded, inactive, failed, deactivating), or a negative errno with diag.
 */
int unit_is_active(sd_bus *bus, const char *vm, struct diag *diag);
