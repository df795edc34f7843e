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
#include "fdstore.h"
#include "focus.h"
#include "helper.h"
#include "log.h"
#include "names.h"
#include "presence.h"
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
		.vm = arg_vm,
		.run_dir = arg_run_dir,
		.cache_dir = arg_cache_dir,
		.include_host = arg_include_host,
		.direct = arg_hotkeys[HOTKEY_DIRECT].keys,
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
		log_error(arg_vm, "blocking signals: %s", strerror(-r));
		return r;
	}

	memcpy(h.base, arg_hotkeys, sizeof(h.base));
	r = follow_init(&h);
	if (r >= 0)
		r = sd_event_new(&h.event);
	if (r >= 0)
		r = loop_init(&h.loop, h.event);
	if (r < 0) {
		log_error(arg_vm, "setting up: %s", strerror(-r));
		goto out;
	}

	h.sources = calloc(arg_n_devices, sizeof(*h.sources));
	if (!h.sources) {
		r = -ENOMEM;
		log_error(arg_vm, "%s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < arg_n_devices; i++) {
		struct source *s = &h.sources[i];

		s->helper = &h;
		s->fd = s->uinput_fd = s->stored_fd = s->watch_fd = -1;
		s->wd_dir = s->wd_parent = s->wd_node_dir = -1;
		strcpy(s->phys_path, arg_devices[i].phys);
		strcpy(s->clone_path, arg_devices[i].clone);
		s->toggle = arg_devices[i].toggle;
	}
	h.n_sources = arg_n_devices;
	/* The clones of a helper that died, kept by systemd: taken back, not made anew. */
	fdstore_take(&h);
	for (size_t i = 0; i < arg_n_devices; i++) {
		struct source *s = &h.sources[i];

		r = source_open(s, &h.hotkey, &diag);
		if (r < 0) {
			log_error(arg_vm, "%s", diag.msg);
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
			log_error(arg_vm, "'%s': %s", s->phys_path, strerror(-r));
			goto out;
		}
	}

	r = sd_event_add_signal(h.event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(h.event, NULL, SIGINT, on_signal, NULL);
	if (r < 0) {
		log_error(arg_vm, "adding signal handlers: %s", strerror(-r));
		goto out;
	}

	r = follow_start(&h);
	if (r < 0)
		goto out;
	if (arg_bus)
		h.bus = bus_open(&h);
	follow_take_focus(&h, arg_focus);
	(void)sd_notify(0, "READY=1");

	r = loop_run(&h.loop, on_input);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		log_error(arg_vm, "event loop: %s", strerror(-r));
out:
	helper_close(&h);
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
