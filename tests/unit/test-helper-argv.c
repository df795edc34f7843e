/* SPDX-License-Identifier: MIT */
/*
 * common/helper-argv.c: the helper's command line as written for the unit
 * and as the helper parses it. Every field survives write → parse; every
 * argv the helper refused before the contract moved here is still refused,
 * with the same message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "helper-argv.h"
#include "test.h"

#define HELPER "/usr/libexec/vfio-kvm-helper"
#define BY_ID "/dev/input/by-id/"

static void set_keys(struct keyset *set, const char *text)
{
	ASSERT_EQ(keyset_parse(text, strlen(text), set, NULL), 0);
}

static void add_device(struct helper_args *a, const char *dev, const char *toggle)
{
	struct helper_device *d = &a->devices[a->n_devices++];
	char vm[VM_NAME_MAX + 1];

	strcpy(vm, a->vm);
	snprintf(d->phys, sizeof(d->phys), BY_ID "%s", dev);
	snprintf(d->clone, sizeof(d->clone), BY_ID "%s-%s", vm, dev);
	d->toggle = (struct keyset){0};
	if (toggle)
		set_keys(&d->toggle, toggle);
}

static void assert_same(const struct helper_args *a, const struct helper_args *b)
{
	ASSERT_STREQ(a->vm, b->vm);
	ASSERT_EQ(a->n_devices, b->n_devices);
	for (size_t i = 0; i < a->n_devices; i++) {
		ASSERT_STREQ(a->devices[i].phys, b->devices[i].phys);
		ASSERT_STREQ(a->devices[i].clone, b->devices[i].clone);
		ASSERT_TRUE(keyset_equal(&a->devices[i].toggle, &b->devices[i].toggle));
		ASSERT_EQ(a->devices[i].pinned, b->devices[i].pinned);
	}
	for (size_t i = 0; i < HELPER_HOTKEYS; i++) {
		ASSERT_EQ(a->hotkeys[i].action, i);
		ASSERT_EQ(b->hotkeys[i].action, i);
		ASSERT_TRUE(keyset_equal(&a->hotkeys[i].keys, &b->hotkeys[i].keys));
	}
	ASSERT_EQ(a->focus, b->focus);
	ASSERT_EQ(a->include_host, b->include_host);
	ASSERT_EQ(a->bus, b->bus);
	ASSERT_STREQ(a->run_dir, b->run_dir);
	ASSERT_STREQ(a->cache_dir, b->cache_dir);
	ASSERT_EQ(a->on_stop, b->on_stop);
	ASSERT_STREQ(a->config, b->config);
	ASSERT_EQ(a->fixed, b->fixed);
	ASSERT_TRUE(keylist_equal(&a->host_keys, &b->host_keys));
}

static void set_host_keys(struct keylist *list, const char *text)
{
	ASSERT_EQ(keylist_parse(text, strlen(text), list, NULL), 0);
}

static size_t count(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static const char *join(char **argv)
{
	static char buf[64 * 1024];
	size_t n = 0;

	buf[0] = '\0';
	for (char **a = argv; *a; a++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", a == argv ? "" : " ", *a);
	return buf;
}

/* Writes a, parses the result back into *ret. */
static void round_trip(const struct helper_args *a, struct helper_args *ret)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct diag d = {{0}};

	ASSERT_EQ(helper_args_write(HELPER, a, &argv, &d), 0);
	ASSERT_TRUE(count(argv) <= HELPER_ARGV_MAX);
	if (helper_args_parse((int)count(argv), argv, ret, &d) != 0)
		TEST_FAIL("%s: %s", join(argv), d.msg);
}

TEST(round_trip_every_field)
{
	struct helper_args a, b;

	helper_args_init(&a);
	strcpy(a.vm, "win-11_a.b");
	add_device(&a, "usb-Logitech_USB_Receiver-if02-event-mouse", NULL);
	add_device(&a, "usb-046d_C52B-event-kbd", "KEY_LEFTCTRL+KEY_RIGHTCTRL");
	add_device(&a, "platform-i8042-serio-0-event-kbd", "KEY_SCROLLLOCK");
	set_keys(&a.hotkeys[HOTKEY_CYCLE].keys, "KEY_PAUSE");
	set_keys(&a.hotkeys[HOTKEY_HOST].keys, "KEY_LEFTMETA+KEY_H");
	set_keys(&a.hotkeys[HOTKEY_RELEASE].keys, "KEY_LEFTCTRL+KEY_LEFTALT+KEY_ESC");
	set_keys(&a.hotkeys[HOTKEY_DIRECT].keys, "KEY_LEFTALT+KEY_1");
	a.focus = true;
	a.include_host = false;
	a.bus = false;
	strcpy(a.run_dir, "/tmp/vk run");
	strcpy(a.cache_dir, "/var/tmp/vk-cache");
	a.devices[0].pinned = true;
	set_host_keys(&a.host_keys, "KEY_VOLUMEUP, KEY_VOLUMEDOWN, KEY_MUTE, KEY_PLAYPAUSE");
	a.on_stop = FOCUS_ON_STOP_HOST;
	strcpy(a.config, "/etc/vfio-kvm.conf");
	a.fixed = HELPER_FIXED_DIRECT | HELPER_FIXED_HOST_KEYS | HELPER_FIXED_ON_STOP;
	round_trip(&a, &b);
	assert_same(&a, &b);
}

/* The reload settings as written: only what differs from the helper's default. */
TEST(round_trip_reload_settings)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a, b;

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	add_device(&a, "kbd", NULL);
	ASSERT_EQ(a.on_stop, FOCUS_ON_STOP_NEXT);
	ASSERT_STREQ(a.config, "");
	ASSERT_EQ(a.fixed, 0);
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), 0);
	ASSERT_FALSE(strstr(join(argv), "--on-stop"));
	ASSERT_FALSE(strstr(join(argv), "--config"));
	ASSERT_FALSE(strstr(join(argv), "--fixed"));
	argv = helper_argv_free(argv);

	a.fixed = HELPER_FIXED_ON_STOP;
	a.on_stop = FOCUS_ON_STOP_HOST;
	strcpy(a.config, "/etc/vfio-kvm.conf");
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), 0);
	ASSERT_CONTAINS(join(argv),
			" --on-stop host --config /etc/vfio-kvm.conf --fixed on-stop");
	round_trip(&a, &b);
	assert_same(&a, &b);
}

TEST(round_trip_pinned_devices_and_host_keys_as_written)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a, b;

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	add_device(&a, "kbd", "KEY_SCROLLLOCK");
	add_device(&a, "usb-Xbox_Controller-event-joystick", NULL);
	add_device(&a, "pci-0000:00:14.0-usb-0:1:1.0-event-mouse", NULL);
	a.devices[0].pinned = true;
	a.devices[1].pinned = true;
	set_host_keys(&a.host_keys, "KEY_MUTE,KEY_VOLUMEUP,KEY_VOLUMEDOWN");
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), 0);
	ASSERT_CONTAINS(join(argv), " --device " BY_ID "kbd=" BY_ID "vm1-kbd,toggle=KEY_SCROLLLOCK"
				    ",focus=always --device ");
	ASSERT_CONTAINS(join(argv), BY_ID "vm1-usb-Xbox_Controller-event-joystick,focus=always "
				    "--device " BY_ID "pci-0000:00:14.0-usb-0:1:1.0-event-mouse="
				    BY_ID "vm1-pci-0000:00:14.0-usb-0:1:1.0-event-mouse --hotkey");
	/* Sorted by code: KEY_MUTE 113, KEY_VOLUMEDOWN 114, KEY_VOLUMEUP 115. */
	ASSERT_CONTAINS(join(argv), " --host-keys KEY_MUTE,KEY_VOLUMEDOWN,KEY_VOLUMEUP");
	round_trip(&a, &b);
	assert_same(&a, &b);
	ASSERT_TRUE(b.devices[0].pinned && b.devices[1].pinned && !b.devices[2].pinned);
	ASSERT_EQ(b.host_keys.n, 3);
}

TEST(round_trip_defaults_and_what_is_written)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a, b;

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	add_device(&a, "kbd", NULL);
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), 0);
	/* What a default unit's ExecStart has always held: no flags, no directories. */
	ASSERT_STREQ(join(argv), HELPER " --vm vm1 --device " BY_ID "kbd=" BY_ID "vm1-kbd"
				 " --hotkey cycle=KEY_LEFTCTRL+KEY_RIGHTCTRL"
				 " --hotkey host=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H"
				 " --hotkey release=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC");
	round_trip(&a, &b);
	assert_same(&a, &b);
}

TEST(round_trip_every_device)
{
	struct helper_args a, b;
	char dev[32];

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	for (int i = 0; i < DOMAIN_SOURCES_MAX; i++) {
		snprintf(dev, sizeof(dev), "k%d", i);
		add_device(&a, dev, i % 2 ? "KEY_LEFTCTRL+KEY_RIGHTCTRL" : NULL);
	}
	set_keys(&a.hotkeys[HOTKEY_DIRECT].keys, "KEY_F1");
	a.focus = true;
	a.include_host = false;
	a.bus = false;
	strcpy(a.run_dir, "/r");
	strcpy(a.cache_dir, "/c");
	round_trip(&a, &b);
	assert_same(&a, &b);
}

TEST(round_trip_disabled_hotkeys)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a, b;

	/* "host =" in the config disables it: the helper must not fall back to its default. */
	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	add_device(&a, "kbd", NULL);
	a.hotkeys[HOTKEY_HOST].keys = (struct keyset){0};
	round_trip(&a, &b);
	assert_same(&a, &b);
	a.hotkeys[HOTKEY_CYCLE].keys = (struct keyset){0};
	round_trip(&a, &b);
	assert_same(&a, &b);
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), 0);
	ASSERT_CONTAINS(join(argv), " --hotkey cycle= --hotkey host= --hotkey release=KEY_");
}

TEST(write_refuses_an_empty_release)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a;
	struct diag d;

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	add_device(&a, "kbd", NULL);
	a.hotkeys[HOTKEY_RELEASE].keys = (struct keyset){0};
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, &d), -EINVAL);
	ASSERT_STREQ(d.msg, "vm1: the release hotkey may not be empty");
	ASSERT_TRUE(argv == NULL);
}

TEST(write_refuses_too_many_devices)
{
	_cleanup_(helper_argv_freep) char **argv = NULL;
	struct helper_args a;

	helper_args_init(&a);
	strcpy(a.vm, "vm1");
	a.n_devices = DOMAIN_SOURCES_MAX + 1;
	ASSERT_EQ(helper_args_write(HELPER, &a, &argv, NULL), -E2BIG);
	ASSERT_TRUE(argv == NULL);
}

/* Parses the NULL-terminated arguments after the program name. */
static int parse(struct helper_args *ret, struct diag *d, ...)
{
	char *argv[2 * HELPER_ARGV_MAX] = {(char *)"vfio-kvm-helper"};
	int argc = 1;
	va_list ap;

	va_start(ap, d);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return helper_args_parse(argc, argv, ret, d);
}

#define DEV "--device", BY_ID "kbd=" BY_ID "vm1-kbd"

TEST(parse_help)
{
	struct helper_args a;

	ASSERT_EQ(parse(&a, NULL, "--vm", "vm1", "--help", NULL), 1);
	ASSERT_EQ(parse(&a, NULL, "--help", "--frob", NULL), 1);
}

TEST(parse_failure_leaves_ret_untouched)
{
	struct helper_args a, b;
	struct diag d;

	helper_args_init(&a);
	strcpy(a.vm, "before");
	ASSERT_EQ(parse(&a, &d, "--vm", "vm1", DEV, "--hotkey", "release=", NULL), -EINVAL);
	ASSERT_STREQ(a.vm, "before");
	ASSERT_EQ(a.n_devices, 0);
	ASSERT_EQ(parse(&b, &d, "--vm", "vm1", DEV, NULL), 0);
	ASSERT_STREQ(b.vm, "vm1");
	ASSERT_EQ(b.n_devices, 1);
	ASSERT_TRUE(b.include_host && b.bus && !b.focus);
	ASSERT_STREQ(b.run_dir, RUN_DIR);
	ASSERT_STREQ(b.cache_dir, CACHE_DIR);
}

struct refusal {
	int error;
	const char *msg;
	const char *args[8];
};

#define X10 "xxxxxxxxxx"
/* 190 bytes: DEVICE_NAME_MAX. */
#define LONG190 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

static const struct refusal refusals[] = {
	{-EINVAL, "--vm is required", {DEV}},
	{-EINVAL, "--vm given twice", {"--vm", "vm1", "--vm", "vm2", DEV}},
	{-EINVAL, "a/b: VM name has a forbidden character 0x2f at byte 1", {"--vm", "a/b", DEV}},
	{-EINVAL, "at least one --device is required", {"--vm", "vm1"}},
	{-EINVAL, "--device '/a': expected PHYS=CLONE", {"--vm", "vm1", "--device", "/a"}},
	{-EINVAL, "'rel': not an absolute path", {"--vm", "vm1", "--device", "rel=/x/vm1-rel"}},
	{-EINVAL, "'rel': not an absolute path", {"--vm", "vm1", "--device", "/x/rel=rel"}},
	{-EINVAL, "device path with a control character",
	 {"--vm", "vm1", "--device", "/x/a\tb=/x/vm1-a"}},
	{-EINVAL, "'/x/../kbd': path contains '..'",
	 {"--vm", "vm1", "--device", "/x/../kbd=/x/vm1-kbd"}},
	{-EINVAL, "'/x/..': path contains '..'", {"--vm", "vm1", "--device", "/x/kbd=/x/.."}},
	{-EINVAL, "device name may not start with '.'",
	 {"--vm", "vm1", "--device", "/x/.kbd=/x/vm1-kbd"}},
	{-EINVAL, "device name has a forbidden character 0x3d",
	 {"--vm", "vm1", "--device", "/x/kbd=/x/vm1-a=b"}},
	/* "<vm>-" does not count against a clone's device name, but does for a source. */
	{-ENAMETOOLONG, "device name longer than 190 bytes",
	 {"--vm", "vm1", "--device", "/x/x" LONG190 "=/x/vm1-" LONG190}},
	{-ENAMETOOLONG, "--device: path longer than 511 bytes",
	 {"--vm", "vm1", "--device",
	  "/" LONG190 "/" LONG190 "/" LONG190 "=/x/vm1-kbd"}},
	{-EINVAL, "--device '/x/vm1-a': path used twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a", "--device", "/x/b=/x/vm1-a"}},
	{-EINVAL, "--device '/x/vm1-b': path used twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a", "--device", "/x/a=/x/vm1-b"}},
	{-EINVAL, "--device '/x/a': path used twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/a"}},
	{-EINVAL, "--device '/x/vm1-b': path used twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a", "--device", "/x/vm1-a=/x/vm1-b"}},
	{-EINVAL, "--device '/x/a': path used twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a", "--device", "/x/b=/x/a"}},
	{-EINVAL, "--device '/x/vm1-a': unknown option 'grab=all'",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,grab=all"}},
	{-EINVAL, "KEY_NOPE", {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,toggle=KEY_NOPE"}},
	{-EINVAL, "--device '/x/vm1-a': unknown option 'focus=host'",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,focus=host"}},
	{-EINVAL, "--device '/x/vm1-a': unknown option ''",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,focus=always,"}},
	{-EINVAL, "--device '/x/vm1-a': option 'focus=always' given twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,focus=always,focus=always"}},
	{-EINVAL, "--device '/x/vm1-a': option 'toggle=KEY_A' given twice",
	 {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,toggle=KEY_B,toggle=KEY_A"}},
	{-EINVAL, "empty hotkey", {"--vm", "vm1", "--device", "/x/a=/x/vm1-a,toggle="}},
	{-EINVAL, "host keys: unknown key name 'KEY_NOPE'",
	 {"--vm", "vm1", DEV, "--host-keys", "KEY_MUTE,KEY_NOPE"}},
	{-EINVAL, "host keys: key 'KEY_MUTE' given twice",
	 {"--vm", "vm1", DEV, "--host-keys", "KEY_MUTE,KEY_MUTE"}},
	{-EINVAL, "--host-keys given twice",
	 {"--vm", "vm1", DEV, "--host-keys", "KEY_MUTE", "--host-keys", "KEY_VOLUMEUP"}},
	{-EINVAL, "option '--host-keys' needs a value", {"--vm", "vm1", DEV, "--host-keys"}},
	{-EINVAL, "--hotkey 'next=KEY_A': expected cycle|host|release|direct=KEYS",
	 {"--vm", "vm1", DEV, "--hotkey", "next=KEY_A"}},
	{-EINVAL, "--hotkey 'cycle': expected cycle|host|release|direct=KEYS",
	 {"--vm", "vm1", DEV, "--hotkey", "cycle"}},
	{-EINVAL, "--hotkey release: may not be empty",
	 {"--vm", "vm1", DEV, "--hotkey", "release="}},
	{-EINVAL, "KEY_NOPE", {"--vm", "vm1", DEV, "--hotkey", "direct=KEY_NOPE"}},
	{-EINVAL, "--hotkey cycle and host: same keys",
	 {"--vm", "vm1", DEV, "--hotkey", "host=KEY_LEFTCTRL+KEY_RIGHTCTRL"}},
	{-EINVAL, "--hotkey cycle and direct: same keys",
	 {"--vm", "vm1", DEV, "--hotkey", "direct=KEY_RIGHTCTRL+KEY_LEFTCTRL"}},
	{-EINVAL, "--run-dir 'run': not an absolute path",
	 {"--vm", "vm1", DEV, "--run-dir", "run"}},
	{-ENAMETOOLONG, "--run-dir: longer than 256 bytes",
	 {"--vm", "vm1", DEV, "--run-dir", "/" LONG190 "/" LONG190}},
	{-EINVAL, "--cache-dir with a control character",
	 {"--vm", "vm1", DEV, "--cache-dir", "/a\nb"}},
	{-EINVAL, "--on-stop 'previous': expected host or next",
	 {"--vm", "vm1", DEV, "--on-stop", "previous"}},
	{-EINVAL, "--config 'etc/x.conf': not an absolute path",
	 {"--vm", "vm1", DEV, "--config", "etc/x.conf"}},
	{-EINVAL, "--fixed 'cycle': expected direct, host-keys or on-stop",
	 {"--vm", "vm1", DEV, "--fixed", "direct,cycle"}},
	{-EINVAL, "--fixed '': expected direct, host-keys or on-stop",
	 {"--vm", "vm1", DEV, "--fixed", "direct,"}},
	{-EINVAL, "--fixed: 'on-stop' given twice",
	 {"--vm", "vm1", DEV, "--fixed", "on-stop,on-stop"}},
	{-EINVAL, "unknown option '--frob'", {"--vm", "vm1", DEV, "--frob"}},
	{-EINVAL, "unknown option '--focus=1'", {"--vm", "vm1", DEV, "--focus=1"}},
	{-EINVAL, "option '--vm' needs a value", {DEV, "--vm"}},
	{-EINVAL, "unexpected argument 'extra'", {"--vm", "vm1", DEV, "extra"}},
};

TEST(parse_refusals)
{
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		const struct refusal *t = &refusals[i];
		char *argv[16] = {(char *)"vfio-kvm-helper"};
		struct helper_args a;
		struct diag d = {{0}};
		int argc = 1, r;

		for (size_t j = 0; j < ARRAY_SIZE(t->args) && t->args[j]; j++)
			argv[argc++] = (char *)t->args[j];
		r = helper_args_parse(argc, argv, &a, &d);
		if (r != t->error || !strstr(d.msg, t->msg))
			TEST_FAIL("case %zu: %d '%s', expected %d '%s'", i, r, d.msg, t->error,
				  t->msg);
	}
}

TEST(parse_refuses_more_devices_than_clones)
{
	char *argv[3 + 2 * (DOMAIN_SOURCES_MAX + 1)] = {(char *)"vfio-kvm-helper", (char *)"--vm",
							 (char *)"vm1"};
	char paths[DOMAIN_SOURCES_MAX + 1][64];
	struct helper_args a;
	struct diag d;
	int argc = 3;

	for (int i = 0; i <= DOMAIN_SOURCES_MAX; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/x/k%d=/x/vm1-k%d", i, i);
		argv[argc++] = (char *)"--device";
		argv[argc++] = paths[i];
	}
	ASSERT_EQ(helper_args_parse(argc, argv, &a, &d), -E2BIG);
	ASSERT_STREQ(d.msg, "more than 32 --device");
	ASSERT_EQ(helper_args_parse(argc - 2, argv, &a, &d), 0);
	ASSERT_EQ(a.n_devices, DOMAIN_SOURCES_MAX);
}

TEST(parse_empty_disables_but_absent_keeps_default)
{
	struct helper_args a, defaults;

	helper_args_init(&defaults);
	ASSERT_EQ(parse(&a, NULL, "--vm", "vm1", DEV, "--hotkey", "host=", "--hotkey", "cycle=",
			NULL),
		  0);
	ASSERT_EQ(a.hotkeys[HOTKEY_HOST].keys.n, 0);
	ASSERT_EQ(a.hotkeys[HOTKEY_CYCLE].keys.n, 0);
	ASSERT_TRUE(keyset_equal(&a.hotkeys[HOTKEY_RELEASE].keys,
				 &defaults.hotkeys[HOTKEY_RELEASE].keys));
	ASSERT_EQ(a.hotkeys[HOTKEY_DIRECT].keys.n, 0);
	ASSERT_EQ(parse(&a, NULL, "--vm", "vm1", DEV, NULL), 0);
	ASSERT_TRUE(
		keyset_equal(&a.hotkeys[HOTKEY_HOST].keys, &defaults.hotkeys[HOTKEY_HOST].keys));
}

TEST(parse_device_options_in_any_order)
{
	struct helper_args a;
	struct diag d;

	ASSERT_EQ(parse(&a, &d, "--vm", "vm1", "--device",
			BY_ID "kbd=" BY_ID "vm1-kbd,focus=always,toggle=KEY_LEFTALT+KEY_RIGHTALT",
			"--host-keys", "", NULL),
		  0);
	ASSERT_TRUE(a.devices[0].pinned);
	ASSERT_EQ(a.devices[0].toggle.n, 2);
	ASSERT_EQ(a.host_keys.n, 0);
	ASSERT_EQ(parse(&a, &d, "--vm", "vm1", DEV, NULL), 0);
	ASSERT_TRUE(!a.devices[0].pinned);
	ASSERT_EQ(a.host_keys.n, 0);
}

TEST(help_text)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	ASSERT_TRUE(f != NULL);
	helper_args_help(f, "vfio-kvm-helper");
	fclose(f);
	ASSERT_CONTAINS(buf,
			"vfio-kvm-helper --vm NAME --device PHYS=CLONE[,toggle=KEYS][,focus=always]");
	ASSERT_CONTAINS(buf, "--host-keys KEY,KEY...  keys that go to the host");
	ASSERT_CONTAINS(buf, "--run-dir DIR       the ring and focus file (default " RUN_DIR ")");
}

TEST_MAIN()
