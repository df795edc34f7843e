/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm focus TARGET | next | release: one focus transition on the run
 * directory, done here rather than over D-Bus, so it works without a bus
 * and without any helper owning vfio.kvm. The helpers watch the focus file
 * with inotify, grab or let go, and announce the switch on D-Bus themselves.
 *
 * The event stamp is zero: a switch asked for by hand is never taken for a
 * duplicate of a hotkey press. Changing focus takes <run_dir>/lock, a file
 * only root may open. Taking it never waits (ring.h): while another process
 * holds it the transition is tried again for a few seconds, then given up
 * with the holder named.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "focus-file.h"
#include "names.h"

/* How long a held <run_dir>/lock is waited for, and how often it is tried meanwhile. */
#define FOCUS_LOCK_WAIT_MS 3000
#define FOCUS_LOCK_RETRY_MS 20

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

static int focus_verb_run(enum focus_verb verb, int argc, char **argv)
{
	static const struct option options[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{}
	};
	const struct focus_file_stamp by_hand = {0, 0};
	const char *run_dir = RUN_DIR, *config_path = NULL, *target = NULL;
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
