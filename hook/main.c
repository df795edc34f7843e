/* SPDX-License-Identifier: MIT */
/*
 * libvirt's qemu hook, installed as the program /etc/libvirt/hooks/qemu.d/vfio-kvm
 * (or copied, never linked, to /etc/libvirt/hooks/qemu when that file is free:
 * AppArmor checks a link's target against libvirtd's profile): libvirtd
 * runs it as root with a clean environment, as
 *   <hook> <vm> <operation> <sub-operation> <extra>
 * with the domain XML on stdin, and waits for it.
 *
 *   prepare begin    start vfio-kvm-<vm>.service and wait until the clones
 *                    exist (and, with focus_on_start, the VM has the focus);
 *                    a failure is one line on stderr and exit 1, which
 *                    makes libvirt refuse to start the VM
 *   release end      stop the unit (also runs after a failed prepare, so
 *                    "no unit" is fine); stdin is not read; a name that
 *                    vm_name_check() refuses never had a unit: exit 0
 *   reconnect begin  libvirtd restarted: start the unit if it is not running
 *                    (without focus_on_start: the VM was running already);
 *                    always exit 0, since a failing reconnect hook makes
 *                    libvirt kill the running VM
 *   anything else    exit 0 at once, stdin unread (libvirt ignores EPIPE)
 *
 * libvirt runs the hook for every VM on the host, and most are not ours. The
 * rule: at prepare and reconnect, a domain whose XML names no path starting
 * with /dev/input/by-id/<argv name>- is not ours, and the hook exits 0 having
 * started nothing (not even a bus connection), whatever else the XML holds:
 * its size, a name longer than ours may be or with any bytes, any encoding,
 * namespaces or elements. That is decided first, by a scan of stdin as it
 * streams in (read to its end, in bounded memory, with XML references
 * decoded, see common/domain-read.h), before any limit or parse applies. Only
 * a domain that is ours can be refused, with a one-line reason: its argv name
 * is not one vfio-kvm can use (too long, odd bytes), its XML is over
 * DOMAIN_XML_MAX or not well-formed, its <name> is not the argv name, or a
 * source or setting is wrong. A domain that names the path but no input with
 * it (a comment, a <description>) has nothing to clone: exit 0.
 *
 * It never calls libvirt (libvirtd waits for us: deadlock) and never forks:
 * systemd starts the helper, so nothing we start holds libvirt's stdout or
 * stderr open. The helper's path is fixed at build time; nothing is taken
 * from the environment.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain-read.h"
#include "names.h"
#include "unit.h" /* also brings in common/settings.h */


#define USEC_PER_SEC 1000000ULL

static const char *arg_vm;
static const char *arg_operation;
static const char *arg_sub_operation;

static int hook_fail(const struct diag *diag)
{
	fprintf(stderr, "vfio-kvm: %s\n", diag->msg);
	return -EIO;
}

static int hook_bus(sd_bus **ret, struct diag *diag)
{
	int r = sd_bus_open_system(ret);

	if (r < 0)
		return diag_set(diag, r, "%s: cannot connect to the system bus: %s", arg_vm,
				strerror(-r));
	return 0;
}

/*
 * Reads the XML, then the config. Returns 1 when the VM is ours and has
 * sources to clone, 0 when there is nothing to do (not ours), or a negative
 * errno with diag.
 */
static int hook_load(struct domain *domain, struct config *config, struct diag *diag)
{
	struct diag config_diag = {};
	int r;

	r = domain_read_if_ours(STDIN_FILENO, "stdin", arg_vm, domain, diag);
	if (r <= 0)
		return r;
	/* Named somewhere (a comment, a <description>), but by no input. */
	if (domain->n_sources == 0)
		return 0;
	r = config_load(CONFIG_PATH, true, config, &config_diag);
	if (r < 0)
		return diag_set(diag, r, "%s: %s", arg_vm, config_diag.msg);
	return 1;
}

static int hook_prepare(void)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct diag diag = {};
	struct domain domain;
	struct config config;
	int r;

	r = hook_load(&domain, &config, &diag);
	if (r <= 0)
		return r < 0 ? hook_fail(&diag) : 0;
	/* Before the bus: a missing device is the most common mistake. */
	r = unit_check_sources(&domain, &diag);
	if (r >= 0)
		r = hook_bus(&bus, &diag);
	if (r >= 0)
		r = unit_start(bus,
			       &(struct unit_request){ .helper = HELPER_PATH,
						       .domain = &domain,
						       .config = &config },
			       &diag);
	/* Already running (a manual `vfio-kvm start`, a missed release): keep it. */
	if (r < 0 && r != -EEXIST)
		return hook_fail(&diag);
	return 0;
}

static int hook_release(void)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct diag diag = {};
	struct config config;
	int r;

	/* A name we refuse never had a unit. */
	if (vm_name_check(arg_vm, NULL) < 0)
		return 0;
	if (config_load(CONFIG_PATH, true, &config, &diag) < 0) {
		fprintf(stderr, "vfio-kvm: %s: %s (stopping with the default timeout)\n", arg_vm,
			diag.msg);
		config_defaults(&config);
	}
	r = hook_bus(&bus, &diag);
	if (r >= 0)
		r = unit_stop(bus, arg_vm,
			      config.stop_timeout_sec * USEC_PER_SEC + UNIT_WAIT_SLACK_USEC, &diag);
	return r < 0 ? hook_fail(&diag) : 0;
}

static int hook_reconnect(void)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct diag diag = {};
	struct domain domain;
	struct config config;
	int r;

	r = hook_load(&domain, &config, &diag);
	if (r <= 0)
		return r < 0 ? hook_fail(&diag) : 0;
	r = hook_bus(&bus, &diag);
	if (r >= 0)
		r = unit_is_active(bus, arg_vm, &diag);
	/* The VM runs already: starting its helper again is no reason to take the focus. */
	if (r == 0)
		r = unit_start(bus,
			       &(struct unit_request){ .helper = HELPER_PATH,
						       .domain = &domain,
						       .config = &config,
						       .no_focus_on_start = true },
			       &diag);
	if (r < 0 && r != -EEXIST)
		return hook_fail(&diag);
	return 0;
}

static int run(void)
{
	if (strcmp(arg_operation, "prepare") == 0 && strcmp(arg_sub_operation, "begin") == 0)
		return hook_prepare();
	if (strcmp(arg_operation, "release") == 0 && strcmp(arg_sub_operation, "end") == 0)
		return hook_release();
	if (strcmp(arg_operation, "reconnect") == 0 && strcmp(arg_sub_operation, "begin") == 0) {
		/* Whatever happened was printed; never let libvirt kill the VM over it. */
		(void)hook_reconnect();
		return 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "vfio-kvm: usage: %s VM OPERATION SUB-OPERATION EXTRA "
				"(run by libvirtd as a qemu hook)\n",
			argc > 0 ? argv[0] : "vfio-kvm-hook");
		return 2;
	}
	arg_vm = argv[1];
	arg_operation = argv[2];
	arg_sub_operation = argc > 3 ? argv[3] : "-";
	return run() < 0 ? 1 : 0;
}
