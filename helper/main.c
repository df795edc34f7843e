/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper: clones a VM's input devices with uinput and forwards
 * events to the clones while the VM has focus. Run by the VM's transient
 * unit (Type=notify); READY=1 once every clone and its symlink exist, the VM
 * is in the ring and, with --focus, has asked for focus.
 *
 *   vfio-kvm-helper --vm NAME --device PHYS=CLONE[,toggle=KEYS] [--device ...]...
 *                   [--focus] [--hotkey ACTION=KEYS]... [--run-dir DIR] [--no-host]
 *                   [--no-bus] [--cache-dir DIR] [--help]
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 when setup fails, 2 on a bad command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus.h"
#include "fdstore.h"
#include "focus.h"
#include "helper-argv.h"
#include "helper.h"
#include "log.h"
#include "presence.h"
#include "ring-follow.h"

/* Filled once by helper_args_parse() (helper-argv.h); read by run(). */
static struct helper_args arg;

/* The clone's uinput fd: the target's LED changes reach the device while it is ours. */
static void clone_take_events(struct source *s)
{
	if (source_read_clone(s) && s->fwd.mode == FORWARD_ON)
		(void)source_write_leds(s, s->clone_leds);
}

/*
 * s->fd is readable: forward what it has. The rest happens rarely. Returns
 * true when more than forwarding happened (sd-event must look again).
 */
static bool on_input(struct source *s)
{
	struct helper *h = s->helper;
	int r = forward_read(&s->fwd);
	bool more = false;

	/*
	 * The input core passes EV_MSC to the device as well as to readers, so
	 * uinput queues every MSC_SCAN we wrote on the clone's fd. Taking it
	 * now, while the fd is known readable, saves the loop a wakeup per
	 * keyboard frame: epoll checks readiness again before it reports.
	 */
	if (s->fwd.echo_pending) {
		s->fwd.echo_pending = false;
		clone_take_events(s);
	}

	if (_unlikely_(s->fwd.write_error < 0)) {
		if (!s->error_logged)
			log_error(h->vm, "'%s': writing to the clone: %s", s->clone_path,
				  strerror(-s->fwd.write_error));
		s->error_logged = true;
		s->fwd.write_error = 0;
	}
	if (_unlikely_(r < 0)) {
		focus_source_failed(h, s, r);
		more = true;
	}
	if (_unlikely_(s->fwd.fired != NULL)) {
		const struct hotkey_binding *binding = s->fwd.fired;

		s->fwd.fired = NULL;
		follow_hotkey(h, binding, s->fwd.fired_sec, s->fwd.fired_usec);
		more = true;
	}
	if (_unlikely_(s->fwd.mode == FORWARD_WAIT)) {
		focus_try_grab(h, s);
		more = true;
	}
	if (_unlikely_(h->bindings_pending)) {
		follow_idle(h);
		more = true;
	}
	return more;
}

static int on_clone(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	clone_take_events(userdata);
	return 0;
}

int helper_add_input(struct helper *h, struct source *s)
{
	return loop_input_add(&h->loop, s, h->focus || s->hotkey_capable);
}

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(es), 0);
}

/* Clones first (keys released, ungrabbed), then the ring: whoever gets focus can grab. */
static void helper_close(struct helper *h)
{
	for (size_t i = 0; h->sources && i < h->n_sources; i++)
		source_close(&h->sources[i]);
	follow_stop(h);
	h->bus = bus_close(h->bus);
	free(h->sources);
	h->sources = NULL;
	loop_done(&h->loop);
	h->event = sd_event_unref(h->event);
}

static int run(void)
{
	struct helper h = {
		.vm = arg.vm,
		.run_dir = arg.run_dir,
		.cache_dir = arg.cache_dir,
		.include_host = arg.include_host,
		.direct = arg.hotkeys[HOTKEY_DIRECT].keys,
		.inotify_fd = -1,
		.loop.epoll_fd = -1,
	};
	struct diag diag;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		r = -errno;
		log_error(arg.vm, "blocking signals: %s", strerror(-r));
		return r;
	}

	memcpy(h.base, arg.hotkeys, sizeof(h.base));
	r = follow_init(&h);
	if (r >= 0)
		r = sd_event_new(&h.event);
	if (r >= 0)
		r = loop_init(&h.loop, h.event);
	if (r < 0) {
		log_error(arg.vm, "setting up: %s", strerror(-r));
		goto out;
	}

	h.sources = calloc(arg.n_devices, sizeof(*h.sources));
	if (!h.sources) {
		r = -ENOMEM;
		log_error(arg.vm, "%s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < arg.n_devices; i++) {
		struct source *s = &h.sources[i];

		s->helper = &h;
		s->fd = s->uinput_fd = s->stored_fd = s->watch_fd = -1;
		s->wd_dir = s->wd_parent = s->wd_node_dir = -1;
		strcpy(s->phys_path, arg.devices[i].phys);
		strcpy(s->clone_path, arg.devices[i].clone);
		s->toggle = arg.devices[i].toggle;
	}
	h.n_sources = arg.n_devices;
	/* The clones of a helper that died, kept by systemd: taken back, not made anew. */
	fdstore_take(&h);
	for (size_t i = 0; i < arg.n_devices; i++) {
		struct source *s = &h.sources[i];

		r = source_open(s, &h.hotkey, &diag);
		if (r < 0) {
			log_error(arg.vm, "%s", diag.msg);
			goto out;
		}
		/* Absent, its clone made from the cache: waited for like an unplugged one. */
		if (s->fd < 0)
			presence_wait(&h, s);
		else
			r = helper_add_input(&h, s);
		if (r >= 0)
			r = sd_event_add_io(h.event, &s->clone_io, s->uinput_fd, EPOLLIN, on_clone,
					    s);
		if (r < 0) {
			log_error(arg.vm, "'%s': %s", s->phys_path, strerror(-r));
			goto out;
		}
	}

	r = sd_event_add_signal(h.event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(h.event, NULL, SIGINT, on_signal, NULL);
	if (r < 0) {
		log_error(arg.vm, "adding signal handlers: %s", strerror(-r));
		goto out;
	}

	r = follow_start(&h);
	if (r < 0)
		goto out;
	if (arg.bus)
		h.bus = bus_open(&h);
	follow_take_focus(&h, arg.focus);
	(void)sd_notify(0, "READY=1");

	r = loop_run(&h.loop, on_input);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_error(arg.vm, "event loop: %s", strerror(-r));
out:
	helper_close(&h);
	return r;
}

int main(int argc, char *argv[])
{
	struct diag diag;
	int r;

	r = helper_args_parse(argc, argv, &arg, &diag);
	if (r < 0) {
		log_error(program_invocation_short_name, "%s", diag.msg);
		return 2;
	}
	if (r > 0) {
		helper_args_help(stdout, program_invocation_short_name);
		return 0;
	}
	return run() < 0 ? 1 : 0;
}
