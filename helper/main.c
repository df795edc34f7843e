/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper: clones a VM's input devices with uinput and forwards
 * events to the clones while the VM has focus. Run by the VM's transient
 * unit (Type=notify); READY=1 once every clone and its symlink exist, the VM
 * is in the ring and, with --focus, has asked for focus.
 *
 *   vfio-kvm-helper --vm NAME --device PHYS=CLONE[,toggle=KEYS][,focus=always]
 *                   [--device ...]... [--focus] [--hotkey ACTION=KEYS]...
 *                   [--host-keys KEY,KEY...] [--run-dir DIR] [--no-host]
 *                   [--on-stop host|next] [--config FILE] [--fixed SETTING,...]
 *                   [--no-bus] [--cache-dir DIR] [--help]
 *   vfio-kvm-helper --reload PID
 *
 * SIGHUP re-reads --config (helper-argv.h says what a reload changes); the
 * second form is the unit's ExecReload (reload.h).
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
#include "device.h"
#include "fdstore.h"
#include "focus-file.h"
#include "focus.h"
#include "helper-argv.h"
#include "host-keys.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "ring-follow.h"
#include "settings.h"

/* Filled once by helper_args_parse() (helper-argv.h); read by run(). */
static struct helper_args arg;

/*
 * The composition root: the helper's parts, and the ops through which each
 * reports up. Nothing below main.c knows this struct.
 */
struct helper {
	const char *vm;
	const char *run_dir;
	bool include_host;
	sd_event *event;
	struct loop loop;         /* the devices' input fds, and event's fd (loop.h) */
	struct hotkey hotkey;     /* shared by every device that can complete a hotkey */
	struct host_keys host_keys; /* the host keys' device (host_keys.fwd.fd -1: none) */
	struct device *devices;   /* n_devices, owned */
	size_t n_devices;
	struct focus focus;       /* the devices gaining and losing focus together */
	struct follow follow;     /* the ring and the focus file */
	struct bus *bus;          /* NULL: no bus (--no-bus, or unreachable) */
};

static void on_device_changed(void *userdata, struct device *d)
{
	struct helper *h = userdata;

	focus_status(&h->focus);
}

static void on_device_grab_busy(void *userdata, struct device *d)
{
	struct helper *h = userdata;

	follow_arm_timer(&h->follow);
}

static void on_device_hotkey(void *userdata, const struct hotkey_binding *binding, uint64_t sec,
			     uint32_t usec)
{
	struct helper *h = userdata;

	follow_hotkey(&h->follow, binding, sec, usec);
}

static const struct device_ops device_ops = {
	.changed = on_device_changed,
	.grab_busy = on_device_grab_busy,
	.hotkey = on_device_hotkey,
};

static void on_follow_focus(void *userdata, const char *target)
{
	struct helper *h = userdata;

	focus_follow(&h->focus, target);
}

static void on_follow_announce(void *userdata, const char *target, const char *previous, bool now)
{
	struct helper *h = userdata;

	if (!h->bus)
		return;
	if (now)
		bus_announce_now(h->bus, target, previous);
	else
		bus_announce(h->bus, target, previous);
}

static void on_follow_bindings(void *userdata)
{
	struct helper *h = userdata;

	for (size_t i = 0; i < h->n_devices; i++)
		device_hotkeys_changed(&h->devices[i]);
}

static void on_follow_retry_grabs(void *userdata)
{
	struct helper *h = userdata;

	focus_retry_grabs(&h->focus);
}

static const struct follow_ops follow_ops = {
	.focus = on_follow_focus,
	.announce = on_follow_announce,
	.bindings_changed = on_follow_bindings,
	.retry_grabs = on_follow_retry_grabs,
};

static int on_bus_next(void *userdata, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_file_result res;

	return focus_file_next(h->run_dir, h->include_host, (struct focus_file_stamp){0, 0}, &res,
			       diag);
}

static int on_bus_focus(void *userdata, const char *target, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_file_result res;

	return focus_file_set(h->run_dir, target, (struct focus_file_stamp){0, 0}, &res, diag);
}

static int on_bus_release(void *userdata, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_file_result res;

	return focus_file_release(h->run_dir, (struct focus_file_stamp){0, 0}, &res, diag);
}

static int on_bus_target(void *userdata, char *ret, size_t size, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_file_state st;
	int r = focus_file_read(h->run_dir, &st, diag);

	if (r < 0)
		return r;
	snprintf(ret, size, "%s", st.target);
	return 0;
}

static void on_bus_resumed(void *userdata)
{
	struct helper *h = userdata;

	for (size_t i = 0; i < h->n_devices; i++)
		device_replug(&h->devices[i]);
	focus_status(&h->focus);
	/* Keys let go may have ended a wait for the hotkey machine to be idle. */
	follow_idle(&h->follow);
}

static const struct bus_ops bus_ops = {
	.next = on_bus_next,
	.focus = on_bus_focus,
	.release = on_bus_release,
	.target = on_bus_target,
	.resumed = on_bus_resumed,
};

/*
 * A device's fd is readable: forward what it has. The rest happens rarely.
 * Returns true when more than forwarding happened (sd-event must look again).
 */
static bool on_input(struct source *s)
{
	struct helper *h = device_of_source(s)->userdata;
	bool more = device_read(device_of_source(s));

	if (_unlikely_(h->follow.bindings_pending)) {
		follow_idle(&h->follow);
		more = true;
	}
	return more;
}

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(es), 0);
}

/*
 * Re-reads the config (arg.config) and applies what it says, but for the
 * settings the domain XML fixed. Hotkeys change only while no key is held
 * (follow_idle()), so no combo is ever half-held across a reload; forwarding
 * is not touched. Returns false when the config was refused (logged, with its
 * file:line): everything in effect stays.
 */
/*
 * The host keys after a reload. A list within the open device's keys changes
 * only the routing (a key-up still goes where its key-down went: forward.h);
 * other keys need a new device, which takes over once every source has let
 * go, on the old one, of the host keys it holds, so none stays down there.
 */
static int helper_set_host_keys(struct helper *h, const struct keylist *list, struct diag *diag)
{
	struct host_keys *hk = &h->host_keys;
	bool within = hk->fwd.fd >= 0 || list->n == 0;
	int r;

	for (size_t i = 0; within && i < list->n; i++)
		within = keylist_contains(&hk->caps, list->codes[i]);
	if (!within) {
		struct host_keys fresh;

		r = host_keys_open(&fresh, h->vm, list, diag);
		if (r < 0)
			return r;
		for (size_t i = 0; i < h->n_devices; i++)
			(void)forward_release_host(&h->devices[i].src.fwd);
		host_keys_close(hk);
		*hk = fresh;
		for (size_t i = 0; i < h->n_devices; i++)
			h->devices[i].src.host = h->devices[i].src.fwd.host = &hk->fwd;
	}
	memset(hk->fwd.keys, 0, sizeof(hk->fwd.keys));
	for (size_t i = 0; i < list->n; i++)
		bit_set(hk->fwd.keys, list->codes[i]);
	return 0;
}

static bool helper_reload(struct helper *h)
{
	struct hotkey_binding base[FOLLOW_BASE_BINDINGS];
	struct config config;
	struct config_vm vm;
	struct keyset direct;
	struct diag diag;

	if (!arg.config[0]) {
		log_info(h->vm, "reload: started without --config; nothing to re-read");
		return true;
	}
	if (config_load(arg.config, true, &config, &diag) < 0) {
		log_error(h->vm, "reload refused: %s; the settings in effect stay", diag.msg);
		return false;
	}
	config_vm_resolve(&config, h->vm, &vm);
	memcpy(base, h->follow.base, sizeof(base));
	base[HOTKEY_CYCLE].keys = config.cycle;
	base[HOTKEY_HOST].keys = config.host;
	base[HOTKEY_RELEASE].keys = config.release;
	direct = arg.fixed & HELPER_FIXED_DIRECT ? h->follow.direct : vm.hotkey;
	/* The config checked its own hotkeys against each other, not the XML's. */
	for (size_t i = 0; i < FOLLOW_BASE_BINDINGS; i++)
		if (direct.n > 0 && keyset_equal(&base[i].keys, &direct)) {
			log_error(h->vm,
				  "reload refused: %s: a hotkey is the same as this VM's direct "
				  "hotkey%s; the settings in effect stay",
				  arg.config,
				  arg.fixed & HELPER_FIXED_DIRECT ? " (from the domain XML)" : "");
			return false;
		}
	if (!(arg.fixed & HELPER_FIXED_HOST_KEYS) && helper_set_host_keys(h, &vm.host_keys, &diag) < 0) {
		log_error(h->vm, "reload refused: %s; the settings in effect stay", diag.msg);
		return false;
	}
	/* Other helpers read it from the ring entry this VM wrote when it joined. */
	if (!keyset_equal(&direct, &h->follow.direct))
		log_info(h->vm, "reload: the direct hotkey changes when the VM starts again");

	h->include_host = h->follow.include_host = config.include_host;
	if (!(arg.fixed & HELPER_FIXED_ON_STOP))
		h->follow.on_stop = vm.on_stop;
	/* New bindings as soon as no key is held: at once, unless one is. */
	follow_set_base(&h->follow, base);
	log_info(h->vm, "reloaded '%s'", arg.config);
	return true;
}

static int on_reload(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	reload_answer(si, helper_reload(userdata));
	return 0;
}

/* Clones first (keys released, ungrabbed), then the ring: whoever gets focus can grab. */
static void helper_close(struct helper *h)
{
	for (size_t i = 0; h->devices && i < h->n_devices; i++)
		device_close(&h->devices[i]);
	follow_stop(&h->follow);
	h->bus = bus_close(h->bus);
	free(h->devices);
	h->devices = NULL;
	/* After the devices: each let go of its keys on it first. */
	host_keys_close(&h->host_keys);
	loop_done(&h->loop);
	h->event = sd_event_unref(h->event);
}

static int run(void)
{
	struct helper root = {
		.vm = arg.vm,
		.run_dir = arg.run_dir,
		.include_host = arg.include_host,
		.loop.epoll_fd = -1,
		.follow = {
			.vm = arg.vm,
			.run_dir = arg.run_dir,
			.include_host = arg.include_host,
			.on_stop = arg.on_stop,
			.direct = arg.hotkeys[HOTKEY_DIRECT].keys,
			.inotify_fd = -1,
			.ops = &follow_ops,
		},
		.focus = {.vm = arg.vm, .run_dir = arg.run_dir, .target = RING_HOST},
		.host_keys.fwd.fd = -1,
	};
	struct source *sources[DOMAIN_SOURCES_MAX];
	struct diag diag;
	sigset_t mask;
	int r;

	root.follow.hk = &root.hotkey;
	root.follow.userdata = &root;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* Held until the handler is in place: a reload asked for during setup waits. */
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		r = -errno;
		log_error(arg.vm, "blocking signals: %s", strerror(-r));
		return r;
	}

	memcpy(root.follow.base, arg.hotkeys, sizeof(root.follow.base));
	r = follow_init(&root.follow);
	if (r >= 0)
		r = sd_event_new(&root.event);
	if (r >= 0)
		r = loop_init(&root.loop, root.event);
	if (r < 0) {
		log_error(arg.vm, "setting up: %s", strerror(-r));
		goto out;
	}
	root.follow.event = root.event;

	/* The ring first: a second helper of a running VM must touch none of its clones. */
	r = follow_join(&root.follow);
	if (r < 0)
		goto out;

	if (arg.host_keys.n > 0) {
		r = host_keys_open(&root.host_keys, arg.vm, &arg.host_keys, &diag);
		if (r < 0) {
			log_error(arg.vm, "%s", diag.msg);
			goto out;
		}
	}
	root.devices = calloc(arg.n_devices, sizeof(*root.devices));
	if (!root.devices) {
		r = -ENOMEM;
		log_error(arg.vm, "%s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < arg.n_devices; i++) {
		struct device *d = &root.devices[i];

		device_init(d, root.event, &root.loop, &root.hotkey, &device_ops, &root);
		d->src.vm = arg.vm;
		d->src.cache_dir = arg.cache_dir;
		strcpy(d->src.phys_path, arg.devices[i].phys);
		strcpy(d->src.clone_path, arg.devices[i].clone);
		d->src.toggle = arg.devices[i].toggle;
		if (root.host_keys.fwd.fd >= 0)
			d->src.host = &root.host_keys.fwd;
		if (arg.devices[i].pinned)
			device_pin(d);
		sources[i] = &d->src;
	}
	root.n_devices = arg.n_devices;
	root.focus.devices = root.devices;
	root.focus.n_devices = root.n_devices;
	/* The clones of a helper that died, kept by systemd: taken back, not made anew. */
	fdstore_take(arg.vm, sources, root.n_devices);
	for (size_t i = 0; i < root.n_devices; i++) {
		r = device_open(&root.devices[i], &diag);
		if (r < 0) {
			log_error(arg.vm, "%s", diag.msg);
			goto out;
		}
	}

	r = sd_event_add_signal(root.event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(root.event, NULL, SIGINT, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(root.event, NULL, SIGHUP, on_reload, &root);
	if (r < 0) {
		log_error(arg.vm, "adding signal handlers: %s", strerror(-r));
		goto out;
	}

	r = follow_start(&root.follow);
	if (r < 0)
		goto out;
	/* A pinned device another helper held at open: retried now that timers exist. */
	focus_retry_grabs(&root.focus);
	snprintf(root.focus.target, sizeof(root.focus.target), "%s", root.follow.target);
	focus_status(&root.focus);
	if (arg.bus)
		root.bus = bus_open(root.event, arg.vm, &bus_ops, &root);
	follow_take_focus(&root.follow, arg.focus);
	(void)sd_notify(0, "READY=1");

	r = loop_run(&root.loop, on_input);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_error(arg.vm, "event loop: %s", strerror(-r));
out:
	helper_close(&root);
	return r;
}

int main(int argc, char *argv[])
{
	struct diag diag;
	int r;

	if (argc == 3 && strcmp(argv[1], HELPER_RELOAD_OPTION) == 0)
		return reload_request(argv[2]) < 0 ? 1 : 0;
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
