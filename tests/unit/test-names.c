/* SPDX-License-Identifier: MIT */
/* VM and device names: what may become a file or unit name. */
#include <errno.h>

#include "bounds.h"
#include "names.h"
#include "test.h"

/* A name of len bytes of 'a'. */
static const char *name_of_length(size_t len)
{
	static char buf[256];

	memset(buf, 'a', len);
	buf[len] = '\0';
	return buf;
}

TEST(vm_valid)
{
	static const char *const good[] = {
		"win10", "a", "Win_10.gaming-vm", "vm:1", "vm@host", "x..y", "a-", "a.",
		"(parens)", "~tilde", "\"quoted\"",
	};
	struct diag diag;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (vm_name_check(good[i], &diag) != 0)
			TEST_FAIL("'%s' refused: %s", good[i], diag.msg);
	ASSERT_EQ(vm_name_check(name_of_length(VM_NAME_MAX), &diag), 0);
}

TEST(vm_empty)
{
	struct diag diag;

	ASSERT_EQ(vm_name_check("", &diag), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "empty VM name");
}

TEST(vm_too_long)
{
	struct diag diag;

	ASSERT_EQ(vm_name_check(name_of_length(VM_NAME_MAX + 1), &diag), -ENAMETOOLONG);
	ASSERT_CONTAINS(diag.msg, "VM name longer than 64 bytes");
}

TEST(vm_dot_names)
{
	struct diag diag;

	ASSERT_EQ(vm_name_check(".", &diag), -EINVAL);
	ASSERT_EQ(vm_name_check("..", &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "..: VM name may not start with '.'");
	ASSERT_EQ(vm_name_check(".hidden", &diag), -EINVAL);
}

TEST(vm_leading_dash)
{
	struct diag diag;

	ASSERT_EQ(vm_name_check("-rf", &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "-rf: VM name may not start with '-'");
}

TEST(vm_forbidden_characters)
{
	static const struct {
		const char *name;
		unsigned char bad;
	} cases[] = {
		{"a/b", '/'},    {"../x", '.'},   {"a=b", '='},    {"a,b", ','},
		{"a\\b", '\\'},  {"a b", ' '},    {"a\tb", '\t'},  {"a\nb", '\n'},
		{"a\x1b[", 0x1b}, {"a\x7f", 0x7f}, {"caf\xc3\xa9", 0xc3},
	};
	struct diag diag;
	char expect[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (vm_name_check(cases[i].name, &diag) != -EINVAL)
			TEST_FAIL("'%s' accepted", cases[i].name);
		if (cases[i].bad == '.')
			continue; /* refused for its leading '.' */
		snprintf(expect, sizeof(expect), "forbidden character 0x%02x", cases[i].bad);
		ASSERT_CONTAINS(diag.msg, expect);
	}
}

TEST(vm_message_is_printable)
{
	struct diag diag;

	/* The name is hostile: it is quoted with '?' for bytes a terminal would act on. */
	ASSERT_EQ(vm_name_check("a\x1b]0;x\x07", &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "a?]0;x?: VM name has a forbidden character 0x1b at byte 1");
}

TEST(vm_diag_may_be_null)
{
	ASSERT_EQ(vm_name_check("a/b", NULL), -EINVAL);
}

TEST(device_valid)
{
	static const char *const good[] = {
		"usb-Logitech_USB_Receiver-if02-event-mouse",
		"usb-046d_C52B-event-kbd",
		"platform-i8042-serio-0-event-kbd",
		"usb-Razer_Razer_BlackWidow_Chroma-if01-event-kbd",
	};
	struct diag diag;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (device_name_check(good[i], good[i], &diag) != 0)
			TEST_FAIL("'%s' refused: %s", good[i], diag.msg);
	ASSERT_EQ(device_name_check(name_of_length(DEVICE_NAME_MAX), "x", &diag), 0);
}

/*
 * Names of /dev/input/by-path links, as udev's path_id makes them for devices
 * without a by-id link (laptop keyboards and touchpads, I2C, some Bluetooth):
 * ':' '.' '_' and '@' among them. They become the <dev> of a source too.
 */
TEST(device_by_path_names_valid)
{
	static const char *const good[] = {
		"platform-i8042-serio-0-event-kbd",
		"platform-i8042-serio-1-event-mouse",
		"pci-0000:00:14.0-usb-0:1:1.0-event-mouse",
		"pci-0000:00:14.0-usb-0:3.2:1.0-event-kbd",
		"pci-0000:00:15.1-platform-i2c_designware.1-event-mouse",
		"platform-AMDI0010:03-event-mouse",
		"platform-thinkpad_acpi-event",
		"pci-0000:00:1f.3-platform-skl_hda_dsp_generic-event",
		"platform-soc@0-event",
	};
	struct diag diag;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (device_name_check(good[i], good[i], &diag) != 0)
			TEST_FAIL("'%s' refused: %s", good[i], diag.msg);
}

/* A comma ends an option in QEMU's -object input-linux,evdev=… and in --device: refused. */
TEST(device_comma_refused_in_by_path_names)
{
	struct diag diag;

	ASSERT_EQ(device_name_check("platform-soc@0,1-event", "src", &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "src: device name has a forbidden character 0x2c at byte 14");
}

TEST(device_by_path_twin)
{
	char buf[64];

	ASSERT_EQ(device_by_path("/dev/input/by-id/platform-i8042-serio-0-event-kbd", buf,
				 sizeof(buf)),
		  1);
	ASSERT_STREQ(buf, "/dev/input/by-path/platform-i8042-serio-0-event-kbd");
	ASSERT_EQ(device_by_path("/tmp/x/by-id/k", buf, sizeof(buf)), 1);
	ASSERT_STREQ(buf, "/tmp/x/by-path/k");
	/* Only a path in a by-id directory has one. */
	ASSERT_EQ(device_by_path("/dev/input/event3", buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "");
	ASSERT_EQ(device_by_path("/dev/input/xby-id/k", buf, sizeof(buf)), 0);
	ASSERT_EQ(device_by_path("by-id/k", buf, sizeof(buf)), 0);
	ASSERT_EQ(device_by_path("/by-id/k", buf, sizeof(buf)), 1);
	ASSERT_STREQ(buf, "/by-path/k");
	ASSERT_EQ(device_by_path("k", buf, sizeof(buf)), 0);
	ASSERT_EQ(device_by_path("/dev/input/by-id/0123456789012345678901234567890123456789012345",
				 buf, sizeof(buf)),
		  -ENAMETOOLONG);
	ASSERT_STREQ(buf, "");
}

TEST(device_too_long)
{
	struct diag diag;

	ASSERT_EQ(device_name_check(name_of_length(DEVICE_NAME_MAX + 1), "src", &diag),
		  -ENAMETOOLONG);
	ASSERT_STREQ(diag.msg, "src: device name longer than 190 bytes");
}

TEST(device_bad)
{
	static const char *const bad[] = {
		"", ".", "..", "../../../etc/shadow", "-event-kbd", "a/b", "a b", "a=b", "a,b",
		"a\\b", "a\x01", "a\x7f",
	};
	struct diag diag;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (device_name_check(bad[i], "x", &diag) != -EINVAL)
			TEST_FAIL("'%s' accepted", bad[i]);
}

TEST(device_message_names_source)
{
	struct diag diag;

	ASSERT_EQ(device_name_check("a/b", "/dev/input/by-id/win10-a/b", &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "/dev/input/by-id/win10-a/b: "
			       "device name has a forbidden character 0x2f at byte 1");
}

TEST_MAIN()
