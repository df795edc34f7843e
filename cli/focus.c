/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm focus TARGET | next | release: one focus transition. As root, on
 * the run directory, done here rather than over D-Bus, so it works without a
 * bus and without any helper owning vfio.kvm. The helpers watch the focus
 * file with inotify, grab or let go, and announce the switch on D-Bus
 * themselves. As any other user (and without --run-dir or --config, which
 * name a ring and a config only root's direct path reads), through the
 * D-Bus methods Focus, Next and Release of vfio.kvm: the helper asks polkit
 * (action vfio.kvm.switch-focus), and the call allows interactive
 * authorization, so a desktop's polkit agent may ask for a password.
 *
 * The event stamp is zero: a switch asked for by hand is never taken for a
 * duplicate of a hotkey press. Changing focus takes <run_dir>/lock, a file
 * only root may open. Taking it never waits (ring.h): while another process
 * holds it the transition is tried again for a few seconds, then given up
 * with the holder named.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "focus-file.h"
#include "names.h"

/* How long a held <run_dir>/lock is waited for, and how often it is tried meanwhile. */
#define FOCUS_LOCK_WAIT_MS 3000
#define FOCUS_LOCK_RETRY_MS 20
/* The helper's object (helper/bus.h). */
#define FOCUS_BUS_NAME "vfio.kvm"
#define FOCUS_BUS_PATH "/vfio/kvm"
#define FOCUS_BUS_INTERFACE "vfio.kvm"
/* A method call may wait for polkit (a password typed to an agent) and for the lock. */
#define FOCUS_BUS_TIMEOUT_USEC (90 * 1000000ull)

enum focus_verb {
	FOCUS_VERB_SET,
	FOCUS_VERB_NEXT,
	FOCUS_VERB_RELEASE,
};

static int focus_report(int r, const char *target, const struct focus_file_result *res,
			const struct diag *diag)
{
	if (r == -ENOENT && target && strcmp(target, RING_HOST) != 0) {
		fprintf(stderr, "vfio-kvm: no VM '%s' in the ring\n", target);
		return CLI_EXIT_FAILURE;
	}
	if (r == -EACCES || r == -EPERM)
		return cli_fail("changing focus needs root");
	if (r < 0)
		return cli_fail(diag->msg[0] ? diag->msg : strerror(-r));
	if (res->changed)
		printf("focus: %s (was %s)\n", res->target, res->previous);
	else
		printf("focus: already %s\n", res->target);
	if (res->repaired)
		fprintf(stderr, "vfio-kvm: the focus file was malformed and has been replaced\n");
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail("cannot write to stdout");
	return CLI_EXIT_OK;
}

/* The one line for a method's error; nothing owning vfio.kvm means no helper, so no VM. */
static int focus_bus_fail(const sd_bus_error *error, int r)
{
	if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN,
				   SD_BUS_ERROR_NAME_HAS_NO_OWNER))
		return cli_fail("no VM is running (nothing owns " FOCUS_BUS_NAME
				" on the system bus)");
	if (sd_bus_error_has_names(error, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT))
		return cli_fail("the helper owning " FOCUS_BUS_NAME " did not answer in time");
	if (sd_bus_error_is_set(error) && error->message && error->message[0])
		return cli_fail(error->message);
	fprintf(stderr, "vfio-kvm: D-Bus: %s\n",
		sd_bus_error_is_set(error) ? error->name : strerror(-r));
	return CLI_EXIT_FAILURE;
}

static int focus_bus_target(sd_bus *bus, char **ret, sd_bus_error *error)
{
	return sd_bus_get_property_string(bus, FOCUS_BUS_NAME, FOCUS_BUS_PATH, FOCUS_BUS_INTERFACE,
					  "Target", error, ret);
}

/* The transition as a user other than root: the helper's method, polkit its gate. */
static int focus_bus_run(enum focus_verb verb, const char *target)
{
	static const char *const methods[] = {
		[FOCUS_VERB_SET] = "Focus",
		[FOCUS_VERB_NEXT] = "Next",
		[FOCUS_VERB_RELEASE] = "Release",
	};
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(freep) char *before = NULL, *after = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "vfio-kvm: cannot connect to the system bus: %s\n", strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	/* For the report only: another switch may come in between. */
	r = focus_bus_target(bus, &before, &error);
	if (r < 0)
		return focus_bus_fail(&error, r);
	r = sd_bus_message_new_method_call(bus, &m, FOCUS_BUS_NAME, FOCUS_BUS_PATH,
					   FOCUS_BUS_INTERFACE, methods[verb]);
	if (r >= 0 && verb == FOCUS_VERB_SET)
		r = sd_bus_message_append(m, "s", target);
	/* A desktop's polkit agent may ask the user for a password. */
	if (r >= 0)
		r = sd_bus_message_set_allow_interactive_authorization(m, 1);
	if (r >= 0)
		r = sd_bus_call(bus, m, FOCUS_BUS_TIMEOUT_USEC, &error, &reply);
	if (r < 0)
		return focus_bus_fail(&error, r);
	r = focus_bus_target(bus, &after, &error);
	if (r < 0)
		return focus_bus_fail(&error, r);
	if (strcmp(before, after) != 0)
		printf("focus: %s (was %s)\n", after, before);
	else
		printf("focus: already %s\n", after);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail("cannot write to stdout");
	return CLI_EXIT_OK;
}

static int focus_verb_run(enum focus_verb verb, int argc, char **argv)
{
	static const struct option options[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{}
	};
	const struct focus_file_stamp by_hand = {0, 0};
	const char *run_dir = NULL, *config_path = NULL, *target = NULL;
	struct focus_file_result res;
	struct diag diag = {};
	struct config config;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			run_dir = optarg;
			break;
		case 'c':
			/* Only next depends on the config (include_host). */
			if (verb != FOCUS_VERB_NEXT)
				return cli_usage(argv[0]);
			config_path = optarg;
			break;
		default:
			return cli_usage(argv[0]);
		}
	}
	if (optind != argc - (verb == FOCUS_VERB_SET ? 1 : 0))
		return cli_usage(argv[0]);

	if (verb == FOCUS_VERB_SET) {
		target = argv[optind];
		if (strcmp(target, RING_HOST) != 0 && vm_name_check(target, &diag) < 0)
			return cli_fail(diag.msg);
	}
	/* Only root writes the ring; anyone else asks the helpers, polkit deciding. */
	if (geteuid() != 0 && !run_dir && !config_path)
		return focus_bus_run(verb, target);
	if (!run_dir)
		run_dir = RUN_DIR;
	/* A broken config is the user's to fix: guessing could pick another target. */
	if (verb == FOCUS_VERB_NEXT && cli_load_config(config_path, &config, &diag) < 0)
		return cli_fail(diag.msg);

	for (int waited = 0;; waited += FOCUS_LOCK_RETRY_MS) {
		const struct timespec pause = {0, FOCUS_LOCK_RETRY_MS * 1000000L};

		switch (verb) {
		case FOCUS_VERB_SET:
			r = focus_file_set(run_dir, target, by_hand, &res, &diag);
			break;
		case FOCUS_VERB_NEXT:
			r = focus_file_next(run_dir, config.include_host, by_hand, &res, &diag);
			break;
		case FOCUS_VERB_RELEASE:
		default:
			r = focus_file_release(run_dir, by_hand, &res, &diag);
			break;
		}
		if (r != -EWOULDBLOCK)
			break;
		if (waited >= FOCUS_LOCK_WAIT_MS) {
			fprintf(stderr, "vfio-kvm: %s; try again\n", diag.msg);
			return CLI_EXIT_FAILURE;
		}
		(void)nanosleep(&pause, NULL);
	}
	return focus_report(r, target, &res, &diag);
}

int verb_focus(int argc, char **argv)
{
	return focus_verb_run(FOCUS_VERB_SET, argc, argv);
}

int verb_next(int argc, char **argv)
{
	return focus_verb_run(FOCUS_VERB_NEXT, argc, argv);
}

int verb_release(int argc, char **argv)
{
	return focus_verb_run(FOCUS_VERB_RELEASE, argc, argv);
}
