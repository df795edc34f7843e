/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "helper-argv.h"
#include "names.h"
#include "settings.h"

static const char *const helper_hotkey_names[HELPER_HOTKEYS] = {
	[HOTKEY_CYCLE] = "cycle",
	[HOTKEY_HOST] = "host",
	[HOTKEY_RELEASE] = "release",
	[HOTKEY_DIRECT] = "direct",
};

void helper_args_help(FILE *out, const char *program)
{
	fprintf(out,
		"%s --vm NAME --device PHYS=CLONE[,toggle=KEYS][,focus=always] [--device ...]...\n"
		"        [--focus] [--hotkey ACTION=KEYS]... [--host-keys KEY,KEY...]\n"
		"        [--run-dir DIR] [--no-host] [--on-stop host|next] [--config FILE]\n"
		"        [--fixed SETTING,...] [--no-bus] [--cache-dir DIR] [--help]\n\n"
		"Clones input devices with uinput for one VM and forwards events to the clones\n"
		"while the VM has focus.\n\n"
		"  --vm NAME           the VM's name\n"
		"  --device PHYS=CLONE the physical device and the symlink to create for its\n"
		"                      clone (absolute paths); toggle= is QEMU's grab toggle;\n"
		"                      focus=always keeps it with the VM whatever has the focus\n"
		"  --focus             start with focus\n"
		"  --hotkey ACTION=KEYS  ACTION: cycle, host, release or direct; KEYS: e.g.\n"
		"                      KEY_LEFTCTRL+KEY_RIGHTCTRL (empty disables, but not\n"
		"                      release); direct jumps to this VM from anywhere\n"
		"  --host-keys KEY,KEY...  keys that go to the host while the VM has focus\n"
		"  --run-dir DIR       the ring and focus file (default " RUN_DIR ")\n"
		"  --no-host           the cycle hotkey skips the host\n"
		"  --on-stop host|next where focus goes when this VM stops with it (next)\n"
		"  --config FILE       the config to re-read on SIGHUP (default: none)\n"
		"  --fixed SETTING,... settings a reload keeps (they came from the domain XML):\n"
		"                      direct, host-keys, on-stop\n"
		"  --no-bus            do not connect to the D-Bus system bus\n"
		"  --cache-dir DIR     device capabilities seen before (default " CACHE_DIR ")\n"
		"  --help              show this help\n",
		program);
}

/* Names of the HELPER_FIXED_* bits, in bit order. */
static const char *const helper_fixed_names[] = {"direct", "host-keys", "on-stop"};

static void helper_hotkey_default(struct helper_args *a, enum hotkey_action action,
				  const char *text)
{
	a->hotkeys[action] = (struct hotkey_binding){.action = action};
	/* Constant, known-good text: cannot fail. */
	if (text)
		(void)keyset_parse(text, strlen(text), &a->hotkeys[action].keys, NULL);
}

void helper_args_init(struct helper_args *ret)
{
	*ret = (struct helper_args){
		.include_host = true,
		.bus = true,
		.run_dir = RUN_DIR,
		.cache_dir = CACHE_DIR,
	};
	helper_hotkey_default(ret, HOTKEY_CYCLE, CONFIG_DEFAULT_CYCLE);
	helper_hotkey_default(ret, HOTKEY_HOST, CONFIG_DEFAULT_HOST);
	helper_hotkey_default(ret, HOTKEY_RELEASE, CONFIG_DEFAULT_RELEASE);
	helper_hotkey_default(ret, HOTKEY_DIRECT, NULL);
}

char **helper_argv_free(char **argv)
{
	if (!argv)
		return NULL;
	for (char **s = argv; *s; s++)
		free(*s);
	free(argv);
	return NULL;
}

/* Appends one formatted string to v (sized HELPER_ARGV_MAX + 1, NULL-filled). */
_printf_(3, 4) static int argv_add(char **v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	if (*n >= HELPER_ARGV_MAX)
		return -E2BIG;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	v[(*n)++] = s;
	return 0;
}

/*
 * An empty set is written as "ACTION=" (disabled), except direct, whose
 * default is none: leaving an empty cycle or host hotkey out would give the
 * helper its default instead.
 */
static int argv_add_hotkey(char **v, size_t *n, const char *vm, enum hotkey_action action,
			   const struct keyset *set, struct diag *diag)
{
	const char *name = helper_hotkey_names[action];
	char text[KEYSET_TEXT_MAX] = "";

	if (set->n == 0 && action == HOTKEY_DIRECT)
		return 0;
	if (set->n == 0 && action == HOTKEY_RELEASE)
		return diag_set(diag, -EINVAL, "%s: the release hotkey may not be empty", vm);
	if (set->n > 0 && keyset_format(set, text, sizeof(text)) < 0)
		return diag_set(diag, -EINVAL, "hotkey '%s' cannot be written out", name);
	if (argv_add(v, n, "--hotkey") < 0 || argv_add(v, n, "%s=%s", name, text) < 0)
		return -ENOMEM;
	return 0;
}

static int argv_add_device(char **v, size_t *n, const char *vm, const struct helper_device *d,
			   struct diag *diag)
{
	char toggle[KEYSET_TEXT_MAX] = "";

	if (d->toggle.n > 0 && keyset_format(&d->toggle, toggle, sizeof(toggle)) < 0)
		return diag_set(diag, -EINVAL, "%s: device '%s': grab toggle cannot be written out",
				vm, d->clone);
	if (argv_add(v, n, "--device") < 0 ||
	    argv_add(v, n, "%s=%s%s%s%s", d->phys, d->clone, toggle[0] ? ",toggle=" : "", toggle,
		     d->pinned ? ",focus=always" : "") < 0)
		return -ENOMEM;
	return 0;
}

/* Left out when empty: no host keys is the helper's default. */
static int argv_add_host_keys(char **v, size_t *n, const char *vm, const struct keylist *keys,
			      struct diag *diag)
{
	char text[KEYLIST_TEXT_MAX];

	if (keys->n == 0)
		return 0;
	if (keylist_format(keys, text, sizeof(text)) < 0)
		return diag_set(diag, -EINVAL, "%s: host keys cannot be written out", vm);
	if (argv_add(v, n, "--host-keys") < 0 || argv_add(v, n, "%s", text) < 0)
		return -ENOMEM;
	return 0;
}

int helper_args_write(const char *helper, const struct helper_args *args, char ***ret_argv,
		      struct diag *diag)
{
	_cleanup_(helper_argv_freep) char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (args->n_devices > DOMAIN_SOURCES_MAX)
		return diag_set(diag, -E2BIG, "%s: more than %d devices", args->vm,
				DOMAIN_SOURCES_MAX);
	v = calloc(HELPER_ARGV_MAX + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	if (argv_add(v, &n, "%s", helper) < 0 || argv_add(v, &n, "--vm") < 0 ||
	    argv_add(v, &n, "%s", args->vm) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < args->n_devices; i++) {
		r = argv_add_device(v, &n, args->vm, &args->devices[i], diag);
		if (r < 0)
			return r;
	}
	if (args->focus && argv_add(v, &n, "--focus") < 0)
		return -ENOMEM;
	if (!args->include_host && argv_add(v, &n, "--no-host") < 0)
		return -ENOMEM;
	for (size_t a = 0; a < HELPER_HOTKEYS && r >= 0; a++)
		r = argv_add_hotkey(v, &n, args->vm, (enum hotkey_action)a, &args->hotkeys[a].keys,
				    diag);
	if (r < 0)
		return r;
	r = argv_add_host_keys(v, &n, args->vm, &args->host_keys, diag);
	if (r < 0)
		return r;
	if (args->on_stop != FOCUS_ON_STOP_NEXT &&
	    (argv_add(v, &n, "--on-stop") < 0 ||
	     argv_add(v, &n, "%s", focus_on_stop_to_string(args->on_stop)) < 0))
		return -ENOMEM;
	if (args->config[0] &&
	    (argv_add(v, &n, "--config") < 0 || argv_add(v, &n, "%s", args->config) < 0))
		return -ENOMEM;
	if (args->fixed) {
		char fixed[64] = "";

		for (size_t i = 0; i < ARRAY_SIZE(helper_fixed_names); i++)
			if (args->fixed & (1U << i))
				snprintf(fixed + strlen(fixed), sizeof(fixed) - strlen(fixed),
					 "%s%s", fixed[0] ? "," : "", helper_fixed_names[i]);
		if (argv_add(v, &n, "--fixed") < 0 || argv_add(v, &n, "%s", fixed) < 0)
			return -ENOMEM;
	}
	if (!args->bus && argv_add(v, &n, "--no-bus") < 0)
		return -ENOMEM;
	if (strcmp(args->run_dir, RUN_DIR) != 0 &&
	    (argv_add(v, &n, "--run-dir") < 0 || argv_add(v, &n, "%s", args->run_dir) < 0))
		return -ENOMEM;
	if (strcmp(args->cache_dir, CACHE_DIR) != 0 &&
	    (argv_add(v, &n, "--cache-dir") < 0 || argv_add(v, &n, "%s", args->cache_dir) < 0))
		return -ENOMEM;

	*ret_argv = TAKE_PTR(v);
	return 0;
}

/*
 * An absolute path without "..", control characters, or a last component
 * that could not be a device name. For a clone, "<vm>-" before the device
 * name does not count against the device name's length.
 */
static int check_path(const char *vm, const char *path, bool clone, struct diag *diag)
{
	const char *base = strrchr(path, '/');
	size_t vm_len = strlen(vm);

	if (path[0] != '/')
		return diag_set(diag, -EINVAL, "'%s': not an absolute path", path);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return diag_set(diag, -EINVAL, "device path with a control character");
	for (const char *p = path; p; p = strchr(p + 1, '/'))
		if (strncmp(p, "/..", 3) == 0 && (p[3] == '/' || p[3] == '\0'))
			return diag_set(diag, -EINVAL, "'%s': path contains '..'", path);
	base++;
	if (clone && vm_len > 0 && strncmp(base, vm, vm_len) == 0 && base[vm_len] == '-' &&
	    base[vm_len + 1] != '\0')
		base += vm_len + 1;
	return device_name_check(base, path, diag);
}

/* Room is left for "/ring/<vm>" and the like after it. */
static int check_dir(const char *option, const char *path, struct diag *diag)
{
	if (path[0] != '/')
		return diag_set(diag, -EINVAL, "%s '%.64s': not an absolute path", option, path);
	if (strlen(path) > HELPER_DIR_MAX)
		return diag_set(diag, -ENAMETOOLONG, "%s: longer than %d bytes", option,
				HELPER_DIR_MAX);
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return diag_set(diag, -EINVAL, "%s with a control character", option);
	return 0;
}

static int parse_device(struct helper_args *a, const char *text, struct diag *diag)
{
	struct helper_device *d = &a->devices[a->n_devices];
	const char *eq = strchr(text, '='), *comma;
	size_t phys_len, clone_len;
	bool toggle_seen = false;
	int r;

	if (a->n_devices >= DOMAIN_SOURCES_MAX)
		return diag_set(diag, -E2BIG, "more than %d --device", DOMAIN_SOURCES_MAX);
	if (!eq)
		return diag_set(diag, -EINVAL, "--device '%.*s': expected PHYS=CLONE", 200, text);
	comma = strchr(eq + 1, ',');
	phys_len = (size_t)(eq - text);
	clone_len = comma ? (size_t)(comma - eq - 1) : strlen(eq + 1);
	if (phys_len >= VK_PATH_MAX || clone_len >= VK_PATH_MAX)
		return diag_set(diag, -ENAMETOOLONG, "--device: path longer than %d bytes",
				VK_PATH_MAX - 1);
	*d = (struct helper_device){0};
	memcpy(d->phys, text, phys_len);
	memcpy(d->clone, eq + 1, clone_len);

	for (const char *opt = comma ? comma + 1 : NULL; opt;) {
		const char *next = strchr(opt, ',');
		size_t len = next ? (size_t)(next - opt) : strlen(opt);

		bool toggle = len >= 7 && strncmp(opt, "toggle=", 7) == 0;
		bool pin = len == 12 && strncmp(opt, "focus=always", 12) == 0;

		if (!toggle && !pin)
			return diag_set(diag, -EINVAL, "--device '%s': unknown option '%.*s'",
					d->clone, (int)MIN(len, 64), opt);
		if ((toggle && toggle_seen) || (pin && d->pinned))
			return diag_set(diag, -EINVAL, "--device '%s': option '%.*s' given twice",
					d->clone, (int)MIN(len, 64), opt);
		if (toggle) {
			r = keyset_parse(opt + 7, len - 7, &d->toggle, diag);
			if (r < 0)
				return r;
			toggle_seen = true;
		} else
			d->pinned = true;
		opt = next ? next + 1 : NULL;
	}
	r = check_path(a->vm, d->phys, false, diag);
	if (r < 0)
		return r;
	r = check_path(a->vm, d->clone, true, diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i <= a->n_devices; i++) {
		const struct helper_device *o = &a->devices[i];

		if (strcmp(d->clone, d->phys) == 0 || strcmp(o->phys, d->clone) == 0 ||
		    (i < a->n_devices && (strcmp(o->clone, d->clone) == 0 ||
					  strcmp(o->phys, d->phys) == 0 ||
					  strcmp(o->clone, d->phys) == 0)))
			return diag_set(diag, -EINVAL, "--device '%s': path used twice", d->clone);
	}
	a->n_devices++;
	return 0;
}

static int parse_hotkey(struct helper_args *a, const char *text, struct diag *diag)
{
	const char *eq = strchr(text, '=');
	struct keyset keys = {0};
	size_t i;
	int r;

	for (i = 0; i < HELPER_HOTKEYS; i++)
		if (eq && strlen(helper_hotkey_names[i]) == (size_t)(eq - text) &&
		    strncmp(text, helper_hotkey_names[i], (size_t)(eq - text)) == 0)
			break;
	if (i == HELPER_HOTKEYS)
		return diag_set(diag, -EINVAL, "--hotkey '%.*s': expected %s=KEYS", 64, text,
				"cycle|host|release|direct");
	if (eq[1] == '\0') {
		if (i == HOTKEY_RELEASE)
			return diag_set(diag, -EINVAL, "--hotkey release: may not be empty");
	} else {
		r = keyset_parse(eq + 1, strlen(eq + 1), &keys, diag);
		if (r < 0)
			return r;
	}
	a->hotkeys[i].keys = keys;
	return 0;
}

/* "direct,host-keys,on-stop": each at most once. */
static int parse_fixed(struct helper_args *a, const char *text, struct diag *diag)
{
	unsigned fixed = 0;

	for (const char *s = text;;) {
		size_t len = strcspn(s, ",");
		size_t i;

		for (i = 0; i < ARRAY_SIZE(helper_fixed_names); i++)
			if (strlen(helper_fixed_names[i]) == len &&
			    strncmp(s, helper_fixed_names[i], len) == 0)
				break;
		if (i == ARRAY_SIZE(helper_fixed_names))
			return diag_set(diag, -EINVAL,
					"--fixed '%.*s': expected direct, host-keys or on-stop",
					(int)MIN(len, (size_t)64), s);
		if (fixed & (1U << i))
			return diag_set(diag, -EINVAL, "--fixed: '%s' given twice",
					helper_fixed_names[i]);
		fixed |= 1U << i;
		if (!s[len])
			break;
		s += len + 1;
	}
	a->fixed = fixed;
	return 0;
}

static int parse_options(int argc, char *argv[], struct helper_args *a, struct diag *diag)
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
		{"host-keys", required_argument, NULL, 'K'},
		{"on-stop", required_argument, NULL, 'o'},
		{"config", required_argument, NULL, 'C'},
		{"fixed", required_argument, NULL, 'x'},
		{},
	};
	/* Devices are checked after all options: the clone name check needs --vm. */
	const char *devices[DOMAIN_SOURCES_MAX];
	size_t n_devices = 0;
	bool host_keys_seen = false;
	int c, r;

	/* 0, not 1: getopt starts afresh, so a second parse (a test) sees all of argv. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			return 1;
		case 'v':
			if (a->vm[0])
				return diag_set(diag, -EINVAL, "--vm given twice");
			r = vm_name_check(optarg, diag);
			if (r < 0)
				return r;
			strcpy(a->vm, optarg);
			break;
		case 'd':
			if (n_devices >= DOMAIN_SOURCES_MAX)
				return diag_set(diag, -E2BIG, "more than %d --device",
						DOMAIN_SOURCES_MAX);
			devices[n_devices++] = optarg;
			break;
		case 'f':
			a->focus = true;
			break;
		case 'k':
			r = parse_hotkey(a, optarg, diag);
			if (r < 0)
				return r;
			break;
		case 'r':
			r = check_dir("--run-dir", optarg, diag);
			if (r < 0)
				return r;
			strcpy(a->run_dir, optarg);
			break;
		case 'H':
			a->include_host = false;
			break;
		case 'B':
			a->bus = false;
			break;
		case 'c':
			r = check_dir("--cache-dir", optarg, diag);
			if (r < 0)
				return r;
			strcpy(a->cache_dir, optarg);
			break;
		case 'K':
			if (host_keys_seen)
				return diag_set(diag, -EINVAL, "--host-keys given twice");
			r = keylist_parse(optarg, strlen(optarg), &a->host_keys, diag);
			if (r < 0)
				return r;
			host_keys_seen = true;
			break;
		case 'o':
			if (focus_on_stop_from_string(optarg, &a->on_stop) < 0)
				return diag_set(diag, -EINVAL,
						"--on-stop '%.64s': expected host or next", optarg);
			break;
		case 'C':
			r = check_dir("--config", optarg, diag);
			if (r < 0)
				return r;
			strcpy(a->config, optarg);
			break;
		case 'x':
			r = parse_fixed(a, optarg, diag);
			if (r < 0)
				return r;
			break;
		case ':':
			return diag_set(diag, -EINVAL, "option '%.64s' needs a value",
					argv[optind - 1]);
		default:
			return diag_set(diag, -EINVAL, "unknown option '%.64s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return diag_set(diag, -EINVAL, "unexpected argument '%.64s'", argv[optind]);
	if (!a->vm[0])
		return diag_set(diag, -EINVAL, "--vm is required");
	if (n_devices == 0)
		return diag_set(diag, -EINVAL, "at least one --device is required");
	for (size_t i = 0; i < n_devices; i++) {
		r = parse_device(a, devices[i], diag);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < HELPER_HOTKEYS; i++)
		for (size_t j = i + 1; j < HELPER_HOTKEYS; j++)
			if (a->hotkeys[i].keys.n > 0 &&
			    keyset_equal(&a->hotkeys[i].keys, &a->hotkeys[j].keys))
				return diag_set(diag, -EINVAL, "--hotkey %s and %s: same keys",
						helper_hotkey_names[i], helper_hotkey_names[j]);
	return 0;
}

int helper_args_parse(int argc, char *argv[], struct helper_args *ret, struct diag *diag)
{
	struct helper_args *a = malloc(sizeof(*a));
	int r;

	/* About 33 KiB: on the heap, and copied out only when all of argv is good. */
	if (!a)
		return diag_set(diag, -ENOMEM, "out of memory");
	helper_args_init(a);
	r = parse_options(argc, argv, a, diag);
	if (r == 0)
		*ret = *a;
	free(a);
	return r;
}
