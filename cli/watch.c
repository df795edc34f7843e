/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm watch [--json]: prints who has the keyboard and mouse now, then a
 * line whenever that changes, until SIGINT or SIGTERM (exit 0). Made for
 * status bars and scripts; any user may run it (it only listens).
 *
 * Sources, cheapest first: the focus file (<run_dir>/focus, readable by
 * anyone) gives the target when watch starts and when vfio.kvm gets an owner
 * again; the Target property is asked only when that file cannot be read.
 * Every switch after that comes as FocusChanged on the system bus.
 *
 * vfio.kvm has an owner only while some VM's helper runs, so watch follows
 * NameOwnerChanged: when the name goes, no VM runs and nobody grabs, so the
 * host has the devices: "host" (class "idle" in JSON); when it comes back,
 * the target is read again. A FocusChanged counts only from the name's
 * current owner (the helper that announces takes the name first), so no
 * other client of the bus can fake a switch. A line equal to the last one is
 * not printed again: a consumer sees each change once. Every line is flushed
 * at once (a pipe to a status bar). Line formats: watch-line.h.
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when the bus cannot be reached or
 * goes away (a user unit restarts it) or stdout cannot be written.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cli.h"
#include "focus-file.h"
#include "names.h"
#include "watch-line.h"

#define WATCH_BUS_NAME "vfio.kvm"
#define WATCH_BUS_PATH "/vfio/kvm"
#define WATCH_BUS_INTERFACE "vfio.kvm"
/* A unique name (":1.42") is far shorter; longer ones are not ours to trust. */
#define WATCH_OWNER_MAX 256

struct watch {
	sd_event *event;
	sd_bus *bus;
	const char *run_dir;
	bool json;
	bool stopped;                /* by a signal: exit 0 */
	char owner[WATCH_OWNER_MAX]; /* vfio.kvm's owner, "" when none */
	char last[WATCH_LINE_MAX];   /* the line printed last */
};

static bool watch_target_valid(const char *target)
{
	struct diag diag;

	return strcmp(target, RING_HOST) == 0 || vm_name_check(target, &diag) >= 0;
}

/* Prints the line for st unless it is the one printed last. */
static void watch_show(struct watch *w, const struct watch_state *st)
{
	char line[WATCH_LINE_MAX];

	if (watch_line_format(st, w->json, line, sizeof(line)) < 0 || strcmp(line, w->last) == 0)
		return;
	if (fputs(line, stdout) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "vfio-kvm: cannot write to stdout\n");
		(void)sd_event_exit(w->event, CLI_EXIT_FAILURE);
		return;
	}
	snprintf(w->last, sizeof(w->last), "%s", line);
}

/* The target now, from the focus file, else from the Target property. */
static int watch_read_target(struct watch *w, char *ret, size_t size)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(freep) char *target = NULL;
	struct focus_file_state st;
	struct diag diag = {};
	int r;

	if (focus_file_read(w->run_dir, &st, &diag) >= 0) {
		snprintf(ret, size, "%s", st.target);
		return 0;
	}
	r = sd_bus_get_property_string(w->bus, WATCH_BUS_NAME, WATCH_BUS_PATH, WATCH_BUS_INTERFACE,
	                               "Target", &error, &target);
	if (r < 0) {
		fprintf(stderr, "vfio-kvm: %s; the Target property: %s\n", diag.msg,
		        error.message ? error.message : strerror(-r));
		return r;
	}
	if (!watch_target_valid(target) || strlen(target) >= size) {
		fprintf(stderr, "vfio-kvm: %s; the Target property is not a target\n", diag.msg);
		return -EBADMSG;
	}
	snprintf(ret, size, "%s", target);
	return 0;
}

/* Shows the current state: idle without an owner, else the target read now. */
static void watch_show_current(struct watch *w)
{
	struct watch_state st = {.running = w->owner[0] != '\0', .target = RING_HOST};

	if (st.running && watch_read_target(w, st.target, sizeof(st.target)) < 0)
		return; /* said on stderr; the next FocusChanged tells */
	watch_show(w, &st);
}

static int watch_on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct watch *w = userdata;
	const char *name, *old_owner, *new_owner;
	bool had_owner = w->owner[0] != '\0';

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, WATCH_BUS_NAME) != 0 || strlen(new_owner) >= sizeof(w->owner))
		return 0;
	snprintf(w->owner, sizeof(w->owner), "%s", new_owner);
	/* From one helper to another happens on every switch: FocusChanged tells that. */
	if (had_owner != (new_owner[0] != '\0'))
		watch_show_current(w);
	return 0;
}

static int watch_on_focus_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct watch *w = userdata;
	struct watch_state st = {.running = true};
	const char *sender = sd_bus_message_get_sender(m), *target, *previous;

	if (!sender || w->owner[0] == '\0' || strcmp(sender, w->owner) != 0)
		return 0;
	if (sd_bus_message_read(m, "ss", &target, &previous) < 0 || !watch_target_valid(target))
		return 0;
	snprintf(st.target, sizeof(st.target), "%s", target);
	watch_show(w, &st);
	return 0;
}

static int watch_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct watch *w = userdata;

	w->stopped = true;
	return sd_event_exit(w->event, CLI_EXIT_OK);
}

/* vfio.kvm's owner now, into w->owner ("" when none). */
static int watch_get_owner(struct watch *w)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *owner;
	int r;

	w->owner[0] = '\0';
	r = sd_bus_call_method(w->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                       "org.freedesktop.DBus", "GetNameOwner", &error, &reply, "s",
	                       WATCH_BUS_NAME);
	if (r < 0)
		return sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ? 0 : r;
	r = sd_bus_message_read(reply, "s", &owner);
	if (r < 0)
		return r;
	if (strlen(owner) < sizeof(w->owner))
		snprintf(w->owner, sizeof(w->owner), "%s", owner);
	return 0;
}

/* Connects, subscribes, then reads the state: no switch falls between the two. */
static int watch_setup(struct watch *w)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r = sd_event_new(&w->event);
	if (r >= 0)
		r = sd_event_add_signal(w->event, NULL, SIGINT, watch_on_signal, w);
	if (r >= 0)
		r = sd_event_add_signal(w->event, NULL, SIGTERM, watch_on_signal, w);
	if (r < 0)
		return r;

	r = sd_bus_open_system(&w->bus);
	if (r < 0) {
		fprintf(stderr, "vfio-kvm: cannot connect to the system bus: %s\n", strerror(-r));
		return r;
	}
	/* A bus that goes away ends the loop with a failure. */
	r = sd_bus_set_exit_on_disconnect(w->bus, true);
	if (r >= 0)
		r = sd_bus_attach_event(w->bus, w->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_add_match(
		    w->bus, NULL,
		    "type='signal',sender='org.freedesktop.DBus',"
		    "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
		    "member='NameOwnerChanged',arg0='" WATCH_BUS_NAME "'",
		    watch_on_owner_changed, w);
	if (r >= 0)
		r = sd_bus_add_match(w->bus, NULL,
		                     "type='signal',sender='" WATCH_BUS_NAME "',"
		                     "path='" WATCH_BUS_PATH "',interface='" WATCH_BUS_INTERFACE
		                     "',"
		                     "member='FocusChanged'",
		                     watch_on_focus_changed, w);
	if (r >= 0)
		r = watch_get_owner(w);
	if (r < 0) {
		fprintf(stderr, "vfio-kvm: the system bus: %s\n", strerror(-r));
		return r;
	}
	watch_show_current(w);
	return 0;
}

int verb_watch(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'}, {"run-dir", required_argument, NULL, 'r'}, {}};
	struct watch w = {.run_dir = RUN_DIR};
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			w.json = true;
			break;
		case 'r':
			w.run_dir = optarg;
			break;
		default:
			return cli_usage(argv[0]);
		}
	}
	if (optind != argc)
		return cli_usage(argv[0]);

	r = watch_setup(&w);
	if (r >= 0)
		r = sd_event_loop(w.event);
	if (r >= 0 && r != CLI_EXIT_OK && !w.stopped && !sd_bus_is_open(w.bus))
		fprintf(stderr, "vfio-kvm: the system bus went away\n");
	w.bus = sd_bus_flush_close_unref(w.bus);
	w.event = sd_event_unref(w.event);
	if (w.stopped)
		return CLI_EXIT_OK;
	return r == CLI_EXIT_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
