/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm reload: makes every running helper re-read the config, the way
 * `systemctl reload vfio-kvm-<vm>.service` does for one. The config is
 * checked here first: a bad one is refused with its file:line, and no helper
 * is asked, so they all keep what they have. Then each VM in the ring gets
 * a reload job (its unit's ExecReload, see common/helper-argv.h), waited for.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "ring.h"

#define USEC_PER_SEC 1000000ULL
/* A reload is quick; this bounds one that hangs. */
#define RELOAD_TIMEOUT_USEC (15 * USEC_PER_SEC)

int verb_reload(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct ring_entry ring[RING_VMS_MAX];
	struct diag diag = {}, config_diag = {};
	struct config config;
	size_t n = 0;
	int r, failed = 0;

	if (argc != 1)
		return cli_usage(argv[0]);
	if (config_load(CONFIG_PATH, true, &config, &config_diag) < 0) {
		fprintf(stderr, "vfio-kvm: %s\n", config_diag.msg);
		fprintf(stderr, "vfio-kvm: nothing reloaded; the running helpers keep their "
				"settings\n");
		return CLI_EXIT_FAILURE;
	}
	r = ring_list(RUN_DIR, ring, ARRAY_SIZE(ring), &n, &diag);
	if (r < 0)
		return cli_fail(diag.msg);
	if (n == 0) {
		printf("no VM runs; nothing to reload\n");
		return CLI_EXIT_OK;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		diag_set(&diag, r, "cannot connect to the system bus: %s", strerror(-r));
		return cli_fail(diag.msg);
	}
	for (size_t i = 0; i < n; i++) {
		if (unit_reload(bus, ring[i].vm, RELOAD_TIMEOUT_USEC, &diag) < 0) {
			fprintf(stderr, "vfio-kvm: %s\n", diag.msg);
			failed++;
			continue;
		}
		printf("%s: reloaded\n", ring[i].vm);
	}
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
