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
#include <getopt.h>
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
#include "log.h"
#include "loop.h"
#include "names.h"
#include "ring-follow.h"
#include "settings.h"

struct device_arg {
	char phys[VK_PATH_MAX];
	char clone[VK_PATH_MAX];
	struct keyset toggle;
};

static const char *const hotkey_action_names[] = {
	[HOTKEY_CYCLE] = "cycle",
	[HOTKEY_HOST] = "host",
	[HOTKEY_RELEASE] = "release",
	[HOTKEY_DIRECT] = "direct",
};

static char arg_vm[VM_NAME_MAX + 1];
static struct device_arg arg_devices[DOMAIN_SOURCES_MAX];
static size_t arg_n_devices;
static bool arg_focus;
static const char *arg_run_dir = RUN_DIR;
static bool arg_include_host = true;
static bool arg_bus = true;
static const char *arg_cache_dir = CACHE_DIR;
static struct hotkey_binding arg_hotkeys[ARRAY_SIZE(hotkey_action_names)];

static void help(void)
{
	printf("%s --vm NAME --device PHYS=CLONE[,toggle=KEYS] [--device ...]... [--focus]\n"
	       "        [--hotkey ACTION=KEYS]... [--run-dir DIR] [--no-host] [--no-bus]\n"
	       "        [--cache-dir DIR] [--help]\n\n"
	       "Clones input devices with uinput for one VM and forwards events to the clones\n"
	       "while the VM has focus.\n\n"
	       "  --vm NAME           the VM's name\n"
	       "  --device PHYS=CLONE the physical device and the symlink to create for its\n"
	       "                      clone (absolute paths); toggle= is QEMU's grab toggle\n"
	       "  --focus             start with focus\n"
	       "  --hotkey ACTION=KEYS  ACTION: cycle, host, release or direct; KEYS: e.g.\n"
	       "                      KEY_LEFTCTRL+KEY_RIGHTCTRL (empty disables, but not\n"
	       "                      release); direct jumps to this VM from anywhere\n"
	       "  --run-dir DIR       the ring and focus file (default " RUN_DIR ")\n"
	       "  --no-host           the cycle hotkey skips the host\n"
	       "  --no-bus            do not connect to the D-Bus system bus\n"
	       "  --cache-dir DIR     device capabilities seen before (default " CACHE_DIR ")\n"
	       "  --help              show this help\n",
	       program_invocation_short_name);
}

/*
 * An absolute path without "..", control characters, or a last component
 * that could not be a device name. For a clone, "<vm>-" before the device
 * name does not count against the device name's length.
 */
static int check_path(const char *path, bool clone, struct diag *diag)
{
	const char *base = strrchr(path, '/');
	size_t vm_len = strlen(arg_vm);

	if (path[0] != '/')
		return diag_set(diag, -EINVAL, "'%s': not an absolute path", path);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return diag_set(diag, -EINVAL, "device path with a control character");
	for (const char *p = path; p; p = strchr(p + 1, '/'))
		if (strncmp(p, "/..", 3) == 0 && (p[3] == '/' || p[3] == '\0'))
			return diag_set(diag, -EINVAL, "'%s': path contains '..'", path);
	base++;
	if (clone && vm_len > 0 && strncmp(base, arg_vm, vm_len) == 0 && base[vm_len] == '-' &&
	    base[vm_len + 1] != '\0')
		base += vm_len + 1;
	return device_name_check(base, path, diag);
}

/* Room is left for "/ring/<vm>" and the like after it. */
static int check_dir(const char *option, const char *path, struct diag *diag)
{
	if (path[0] != '/')
		return diag_set(diag, -EINVAL, "%s '%.64s': not an absolute path", option, path);
	if (strlen(path) > VK_PATH_MAX / 2)
		return diag_set(diag, -ENAMETOOLONG, "%s: longer than %d bytes", option,
				VK_PATH_MAX / 2);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return diag_set(diag, -EINVAL, "%s with a control character", option);
	return 0;
}

static int parse_device(const char *text, struct diag *diag)
{
	struct device_arg *d = &arg_devices[arg_n_devices];
	const char *eq = strchr(text, '='), *comma;
	size_t phys_len, clone_len;
	int r;

	if (arg_n_devices >= DOMAIN_SOURCES_MAX)
		return diag_set(diag, -E2BIG, "more than %d --device", DOMAIN_SOURCES_MAX);
	if (!eq)
		return diag_set(diag, -EINVAL, "--device '%.*s': expected PHYS=CLONE", 200, text);
	comma = strchr(eq + 1, ',');
	phys_len = (size_t)(eq - text);
	clone_len = comma ? (size_t)(comma - eq - 1) : strlen(eq + 1);
	if (phys_len >= VK_PATH_MAX || clone_len >= VK_PATH_MAX)
		return diag_set(diag, -ENAMETOOLONG, "--device: path longer than %d bytes",
				VK_PATH_MAX - 1);
	*d = (struct device_arg){0};
	memcpy(d->phys, text, phys_len);
	memcpy(d->clone, eq + 1, clone_len);

	if (comma) {
		const char *keys = comma + 1;

		if (strncmp(keys, "toggle=", 7) != 0)
			return diag_set(diag, -EINVAL, "--device '%s': unknown option '%.*s'",
					d->clone, 64, keys);
		keys += 7;
		r = keyset_parse(keys, strlen(keys), &d->toggle, diag);
		if (r < 0)
			return r;
	}
	r = check_path(d->phys, false, diag);
	if (r < 0)
		return r;
	r = check_path(d->clone, true, diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i <= arg_n_devices; i++) {
		const struct device_arg *o = &arg_devices[i];

		if (strcmp(d->clone, d->phys) == 0 || strcmp(o->phys, d->clone) == 0 ||
		    (i < arg_n_devices && (strcmp(o->clone, d->clone) == 0 ||
					   strcmp(o->phys, d->phys) == 0 ||
					   strcmp(o->clone, d->phys) == 0)))
			return diag_set(diag, -EINVAL, "--device '%s': path used twice", d->clone);
	}
	arg_n_devices++;
	return 0;
}

static int parse_hotkey(const char *text, struct diag *diag)
{
	const char *eq = strchr(text, '=');
	struct keyset keys = {0};
	size_t a;
	int r;

	for (a = 0; a < ARRAY_SIZE(hotkey_action_names); a++)
		if (eq && strlen(hotkey_action_names[a]) == (size_t)(eq - text) &&
		    strncmp(text, hotkey_action_names[a], (size_t)(eq - text)) == 0)
			break;
	if (a == ARRAY_SIZE(hotkey_action_names))
		return diag_set(diag, -EINVAL,
				"--hotkey '%.*s': expected cycle|host|release|direct=KEYS", 64, text);
	if (eq[1] == '\0') {
		if (a == HOTKEY_RELEASE)
			return diag_set(diag, -EINVAL, "--hotkey release: may not be empty");
	} else {
		r = keyset_parse(eq + 1, strlen(eq + 1), &keys, diag);
		if (r < 0)
			return r;
	}
	arg_hotkeys[a].keys = keys;
	return 0;
}

static int parse_hotkey_default(enum hotkey_action action, const char *text)
{
	arg_hotkeys[action].action = action;
	if (!text)
		return 0;
	return keyset_parse(text, strlen(text), &arg_hotkeys[action].keys, NULL);
}

/* 1: done (--help), 0: run, < 0: bad command line, with diag. */
static int parse_argv(int argc, char *argv[], struct diag *diag)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"vm", required_argument, NULL, 'v'},
		{"device", required_argument, NULL, 'd'},
		{"focus", no_argument, NULL, 'f'},
		{"hotkey", required_argument, NULL, 'k'},
		{"run-dir", required_argument, NULL, 'r'},
		{"no-host", no_argument, NULL, 'H'},
		{"no-bus", no_argument, NULL, 'B'},
		{"cache-dir", required_argument, NULL, 'c'},
		{},
	};
	/* Devices are checked after all options: the clone name check needs --vm. */
	const char *devices[DOMAIN_SOURCES_MAX];
	size_t n_devices = 0;
	int c, r;

	if (parse_hotkey_default(HOTKEY_CYCLE, CONFIG_DEFAULT_CYCLE) < 0 ||
	    parse_hotkey_default(HOTKEY_HOST, CONFIG_DEFAULT_HOST) < 0 ||
	    parse_hotkey_default(HOTKEY_RELEASE, CONFIG_DEFAULT_RELEASE) < 0 ||
	    parse_hotkey_default(HOTKEY_DIRECT, NULL) < 0)
		return diag_set(diag, -EINVAL, "built-in hotkeys do not parse");

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 1;
		case 'v':
			if (arg_vm[0])
				return diag_set(diag, -EINVAL, "--vm given twice");
			r = vm_name_check(optarg, diag);
			if (r < 0)
				return r;
			strcpy(arg_vm, optarg);
			break;
		case 'd':
			if (n_devices >= DOMAIN_SOURCES_MAX)
				return diag_set(diag, -E2BIG, "more than %d --device",
						DOMAIN_SOURCES_MAX);
			devices[n_devices++] = optarg;
			break;
		case 'f':
			arg_focus = true;
			break;
		case 'k':
			r = parse_hotkey(optarg, diag);
			if (r < 0)
				return r;
			break;
		case 'r':
			r = check_dir("--run-dir", optarg, diag);
			if (r < 0)
				return r;
			arg_run_dir = optarg;
			break;
		case 'H':
			arg_include_host = false;
			break;
		case 'B':
			arg_bus = false;
			break;
		case 'c':
			r = check_dir("--cache-dir", optarg, diag);
			if (r < 0)
				return r;
			arg_cache_dir = optarg;
			break;
		case ':':
			return diag_set(diag, -EINVAL, "option '%.64s' needs a value", argv[optind - 1]);
		default:
			return diag_set(diag, -EINVAL, "unknown option '%.64s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return diag_set(diag, -EINVAL, "unexpected argument '%.64s'", argv[optind]);
	if (!arg_vm[0])
		return diag_set(diag, -EINVAL, "--vm is required");
	if (n_devices == 0)
		return diag_set(diag, -EINVAL, "at least one --device is required");
	for (size_t i = 0; i < n_devices; i++) {
		r = parse_device(devices[i], diag);
		if (r < 0)
			return r;
	}
	for (size_t a = 0; a < ARRAY_SIZE(arg_hotkeys); a++)
		for (size_t b = a + 1; b < ARRAY_SIZE(arg_hotkeys); b++)
			if (arg_hotkeys[a].keys.n > 0 &&
			    keyset_equal(&arg_hotkeys[a].keys, &arg_hotkeys[b].keys))
				return diag_set(diag, -EINVAL, "--hotkey %s and %s: same keys",
						hotkey_action_names[a], hotkey_action_names[b]);
	return 0;
}

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
	struct focus_result res;

	return focus_next(h->run_dir, h->include_host, (struct focus_stamp){0, 0}, &res, diag);
}

static int on_bus_focus(void *userdata, const char *target, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_result res;

	return focus_set(h->run_dir, target, (struct focus_stamp){0, 0}, &res, diag);
}

static int on_bus_release(void *userdata, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_result res;

	return focus_release(h->run_dir, (struct focus_stamp){0, 0}, &res, diag);
}

static int on_bus_target(void *userdata, char *ret, size_t size, struct diag *diag)
{
	struct helper *h = userdata;
	struct focus_state st;
	int r = focus_read(h->run_dir, &st, diag);

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

/* Clones first (keys released, ungrabbed), then the ring: whoever gets focus can grab. */
static void helper_close(struct helper *h)
{
	for (size_t i = 0; h->devices && i < h->n_devices; i++)
		device_close(&h->devices[i]);
	follow_stop(&h->follow);
	h->bus = bus_close(h->bus);
	free(h->devices);
	h->devices = NULL;
	loop_done(&h->loop);
	h->event = sd_event_unref(h->event);
}

static int run(void)
{
	struct helper root = {
		.vm = arg_vm,
		.run_dir = arg_run_dir,
		.include_host = arg_include_host,
		.loop.epoll_fd = -1,
		.follow = {
			.vm = arg_vm,
			.run_dir = arg_run_dir,
			.include_host = arg_include_host,
			.direct = arg_hotkeys[HOTKEY_DIRECT].keys,
			.inotify_fd = -1,
			.ops = &follow_ops,
		},
		.focus = {.vm = arg_vm, .run_dir = arg_run_dir, .target = RING_HOST},
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
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		r = -errno;
		log_error(arg_vm, "blocking signals: %s", strerror(-r));
		return r;
	}

	memcpy(root.follow.base, arg_hotkeys, sizeof(root.follow.base));
	r = follow_init(&root.follow);
	if (r >= 0)
		r = sd_event_new(&root.event);
	if (r >= 0)
		r = loop_init(&root.loop, root.event);
	if (r < 0) {
		log_error(arg_vm, "setting up: %s", strerror(-r));
		goto out;
	}
	root.follow.event = root.event;

	/* The ring first: a second helper of a running VM must touch none of its clones. */
	r = follow_join(&root.follow);
	if (r < 0)
		goto out;

	root.devices = calloc(arg_n_devices, sizeof(*root.devices));
	if (!root.devices) {
		r = -ENOMEM;
		log_error(arg_vm, "%s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < arg_n_devices; i++) {
		struct device *d = &root.devices[i];

		device_init(d, root.event, &root.loop, &root.hotkey, &device_ops, &root);
		d->src.vm = arg_vm;
		d->src.cache_dir = arg_cache_dir;
		strcpy(d->src.phys_path, arg_devices[i].phys);
		strcpy(d->src.clone_path, arg_devices[i].clone);
		d->src.toggle = arg_devices[i].toggle;
		sources[i] = &d->src;
	}
	root.n_devices = arg_n_devices;
	root.focus.devices = root.devices;
	root.focus.n_devices = root.n_devices;
	/* The clones of a helper that died, kept by systemd: taken back, not made anew. */
	fdstore_take(arg_vm, sources, root.n_devices);
	for (size_t i = 0; i < root.n_devices; i++) {
		r = device_open(&root.devices[i], &diag);
		if (r < 0) {
			log_error(arg_vm, "%s", diag.msg);
			goto out;
		}
	}

	r = sd_event_add_signal(root.event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(root.event, NULL, SIGINT, on_signal, NULL);
	if (r < 0) {
		log_error(arg_vm, "adding signal handlers: %s", strerror(-r));
		goto out;
	}

	r = follow_start(&root.follow);
	if (r < 0)
		goto out;
	snprintf(root.focus.target, sizeof(root.focus.target), "%s", root.follow.target);
	focus_status(&root.focus);
	if (arg_bus)
		root.bus = bus_open(root.event, arg_vm, &bus_ops, &root);
	follow_take_focus(&root.follow, arg_focus);
	(void)sd_notify(0, "READY=1");

	r = loop_run(&root.loop, on_input);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_error(arg_vm, "event loop: %s", strerror(-r));
out:
	helper_close(&root);
	return r;
}

int main(int argc, char *argv[])
{
	struct diag diag;
	int r;

	r = parse_argv(argc, argv, &diag);
	if (r < 0) {
		log_error(program_invocation_short_name, "%s", diag.msg);
		return 2;
	}
	if (r > 0)
		return 0;
	return run() < 0 ? 1 : 0;
}
