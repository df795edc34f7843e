/* SPDX-License-Identifier: MIT */
/*
 * The capability cache's format: what a device looks like round-trips
 * through the text file, and a hostile file (unknown items, numbers out of
 * range, repeats, no newline, too big) is refused with file:line.
 */
#include <libevdev/libevdev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "devcache.h"

TEST_MAIN();

static struct libevdev *sample(void)
{
	struct libevdev *dev = libevdev_new();
	struct input_absinfo abs = {.value = 5, .minimum = -100, .maximum = 4000, .fuzz = 1,
				    .flat = 2, .resolution = 12};
	int delay = 250, period = 33;

	libevdev_set_name(dev, "Some Vendor Keyboard");
	libevdev_set_id_bustype(dev, BUS_USB);
	libevdev_set_id_vendor(dev, 0x046d);
	libevdev_set_id_product(dev, 0xc31c);
	libevdev_set_id_version(dev, 0x111);
	for (unsigned code = KEY_ESC; code <= KEY_SCROLLLOCK; code++)
		libevdev_enable_event_code(dev, EV_KEY, code, NULL);
	libevdev_enable_event_code(dev, EV_KEY, BTN_LEFT, NULL);
	libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
	libevdev_enable_event_code(dev, EV_ABS, ABS_X, &abs);
	libevdev_enable_event_code(dev, EV_MSC, MSC_SCAN, NULL);
	libevdev_enable_event_code(dev, EV_LED, LED_CAPSL, NULL);
	libevdev_enable_event_code(dev, EV_REP, REP_DELAY, &delay);
	libevdev_enable_event_code(dev, EV_REP, REP_PERIOD, &period);
	libevdev_enable_property(dev, INPUT_PROP_POINTER);
	return dev;
}

TEST(round_trip)
{
	struct libevdev *dev = sample(), *back = NULL;
	static struct devcache c, parsed, again;
	static char text[DEVCACHE_SIZE_MAX];
	struct diag diag;
	int n;

	ASSERT_EQ(devcache_from_evdev(dev, &c), 0);
	n = devcache_format(&c, text, sizeof(text));
	ASSERT_TRUE(n > 0);
	ASSERT_CONTAINS(text,
			"vfio-kvm-devcache 1\nname Some Vendor Keyboard\nid 3 1133 49948 273\n");
	ASSERT_CONTAINS(text, "\nrel 8\n");
	ASSERT_CONTAINS(text, "\nabs 0 5 -100 4000 1 2 12\n");
	ASSERT_CONTAINS(text, "\nrep 250 33\nprop 0\n");
	ASSERT_EQ(devcache_parse(text, (size_t)n, "cache", &parsed, &diag), 0);
	ASSERT_EQ(memcmp(&parsed, &c, sizeof(c)), 0);
	ASSERT_EQ(devcache_to_evdev(&parsed, &back), 0);
	ASSERT_EQ(devcache_from_evdev(back, &again), 0);
	ASSERT_EQ(memcmp(&again, &c, sizeof(c)), 0);
	ASSERT_TRUE(libevdev_has_event_code(back, EV_KEY, KEY_A));
	ASSERT_EQ(libevdev_get_abs_maximum(back, ABS_X), 4000);
	libevdev_free(back);
	libevdev_free(dev);
}

static void refused(const char *text, const char *msg)
{
	static struct devcache c;
	struct diag diag = {{0}};

	ASSERT_EQ(devcache_parse(text, strlen(text), "f", &c, &diag), -EINVAL);
	ASSERT_CONTAINS(diag.msg, msg);
}

#define HEAD "vfio-kvm-devcache 1\nname k\nid 3 1 2 3\n"

TEST(hostile_files_are_refused)
{
	refused("", "f: empty");
	refused("vfio-kvm-devcache 2\n", "f:1: not a vfio-kvm device cache");
	refused(HEAD "key 30", "f:4: no newline");
	refused(HEAD "bogus 1\n", "f:4: unknown item 'bogus'");
	refused(HEAD "key 30 30\n", "f:4: malformed 'key'");
	refused(HEAD "key 31 30\n", "f:4: malformed 'key'");
	refused(HEAD "key 768\n", "f:4: malformed 'key'");
	refused(HEAD "key -1\n", "f:4: malformed 'key'");
	refused(HEAD "key 1  2\n", "f:4: malformed 'key'");
	refused(HEAD "key 1\nkey 2\n", "f:5: 'key' given twice");
	refused(HEAD "led 16\n", "f:4: malformed 'led'");
	refused(HEAD "abs 0 0 10 5 0 0 0\n", "f:4: malformed 'abs'");
	refused(HEAD "abs 0 0 0 5 0 0 0\nabs 0 0 0 5 0 0 0\n", "f:5: malformed 'abs'");
	refused(HEAD "abs 64 0 0 5 0 0 0\n", "f:4: malformed 'abs'");
	refused(HEAD "abs 0 0 0 99999999999999 0 0 0\n", "f:4: malformed 'abs'");
	refused(HEAD "name again\n", "f:4: 'name' given twice");
	refused("vfio-kvm-devcache 1\nid 3 1 2 3\n", "f: no name line");
	refused("vfio-kvm-devcache 1\nname k\n", "f: no id line");
	refused("vfio-kvm-devcache 1\nname k\nid 3 1 2 65536\n", "f:3: malformed 'id'");
	refused("vfio-kvm-devcache 1\nname a\tb\n", "f:2: malformed 'name'");
}

TEST(oversized_file_is_refused)
{
	static char big[DEVCACHE_SIZE_MAX + 2];
	static struct devcache c;
	struct diag diag;

	memset(big, '\n', sizeof(big));
	ASSERT_EQ(devcache_parse(big, sizeof(big), "f", &c, &diag), -EFBIG);
}

TEST(write_then_read)
{
	char dir[] = "/tmp/devcache-XXXXXX", path[128];
	struct libevdev *dev = sample();
	static struct devcache c, back;
	struct diag diag;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_EQ(devcache_from_evdev(dev, &c), 0);
	ASSERT_EQ(devcache_read(dir, "usb-kbd", &back, &diag), -ENOENT);
	ASSERT_CONTAINS(diag.msg, "usb-kbd: never seen");
	ASSERT_EQ(devcache_write(dir, "usb-kbd", &c, &diag), 0);
	ASSERT_EQ(devcache_write(dir, "usb-kbd", &c, &diag), 0);
	ASSERT_EQ(devcache_read(dir, "usb-kbd", &back, &diag), 0);
	ASSERT_EQ(memcmp(&back, &c, sizeof(c)), 0);
	ASSERT_EQ(devcache_read(dir, "../etc", &back, &diag), -EINVAL);
	snprintf(path, sizeof(path), "%s/usb-kbd", dir);
	unlink(path);
	rmdir(dir);
	libevdev_free(dev);
}
