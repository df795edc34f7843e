/* SPDX-License-Identifier: MIT */
/*
 * Guest test 1: the helper clones a keyboard and a mouse as a user would see
 * them: same name, IDs and capabilities, phys marking the clone as ours,
 * /dev/input/by-id/<vm>-<dev> pointing at the clone, all of it in place by
 * the time READY=1 came (systemd-run returns only then).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

static void free_evdev(struct libevdev **e)
{
	libevdev_free(*e);
}

/* Compares everything a reader of the clone sees with the physical device. */
static void check_clone(const struct vt_helper *h, const struct vt_dev *dev)
{
	_cleanup_(free_evdev) struct libevdev *phys = NULL, *clone = NULL;
	_cleanup_(closep) int pfd = -1, cfd = -1;
	char link[128], target[PATH_MAX], phys_str[128];
	struct stat st;
	ssize_t len;

	vt_clone_link(h, dev, link, sizeof(link));
	ASSERT_EQ(lstat(link, &st), 0);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_TRUE(realpath(link, target) != NULL);
	ASSERT_TRUE(strncmp(target, "/dev/input/event", 16) == 0);
	ASSERT_TRUE(strcmp(target, dev->node) != 0);
	len = readlink(link, target, sizeof(target) - 1);
	ASSERT_TRUE(len > 0);

	pfd = open(dev->node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cfd = open(link, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_TRUE(pfd >= 0);
	ASSERT_TRUE(cfd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(pfd, &phys), 0);
	ASSERT_EQ(libevdev_new_from_fd(cfd, &clone), 0);

	ASSERT_STREQ(libevdev_get_name(clone), libevdev_get_name(phys));
	ASSERT_EQ(libevdev_get_id_bustype(clone), libevdev_get_id_bustype(phys));
	ASSERT_EQ(libevdev_get_id_vendor(clone), libevdev_get_id_vendor(phys));
	ASSERT_EQ(libevdev_get_id_product(clone), libevdev_get_id_product(phys));
	ASSERT_EQ(libevdev_get_id_version(clone), libevdev_get_id_version(phys));
	snprintf(phys_str, sizeof(phys_str), "vfio-kvm:%s-%s", h->vm, dev->name);
	ASSERT_STREQ(libevdev_get_phys(clone), phys_str);

	for (unsigned type = 0; type <= EV_MAX; type++) {
		int max = libevdev_event_type_get_max(type);

		if (libevdev_has_event_type(clone, type) != libevdev_has_event_type(phys, type))
			TEST_FAIL("event type %s: clone %d, physical %d",
				  libevdev_event_type_get_name(type) ?: "?",
				  libevdev_has_event_type(clone, type),
				  libevdev_has_event_type(phys, type));
		/* EV_SYN codes are the kernel's business, not the device's. */
		if (type == EV_SYN || max < 0)
			continue;
		for (unsigned code = 0; code <= (unsigned)max; code++)
			if (libevdev_has_event_code(clone, type, code) !=
			    libevdev_has_event_code(phys, type, code))
				TEST_FAIL("%s: clone %d, physical %d",
					  libevdev_event_code_get_name(type, code) ?: "?",
					  libevdev_has_event_code(clone, type, code),
					  libevdev_has_event_code(phys, type, code));
	}
	for (unsigned prop = 0; prop <= INPUT_PROP_MAX; prop++)
		ASSERT_EQ(libevdev_has_property(clone, prop), libevdev_has_property(phys, prop));
}

TEST(keyboard_and_mouse_cloned_before_ready)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};

	ASSERT_EQ(vt_dev_new_keyboard("vktest-clone-kbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("vktest-clone-mouse", &mouse), 0);
	struct vt_dev *devs[] = {kbd, mouse};
	ASSERT_EQ(vt_helper_start(&h, "vm1", devs, 2, false), 0);

	check_clone(&h, kbd);
	if (!test_failed)
		check_clone(&h, mouse);
}

TEST(clones_removed_on_stop)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL;
	_cleanup_(vt_helper_stop) struct vt_helper h = {0};
	char link[128], node[PATH_MAX];

	ASSERT_EQ(vt_dev_new_keyboard("vktest-stop-kbd", &kbd), 0);
	ASSERT_EQ(vt_helper_start(&h, "vm1", &kbd, 1, true), 0);
	vt_clone_link(&h, kbd, link, sizeof(link));
	ASSERT_TRUE(realpath(link, node) != NULL);
	vt_helper_stop(&h);
	ASSERT_EQ(vt_wait_gone(link), 0);
	ASSERT_EQ(vt_wait_gone(node), 0);
	ASSERT_EQ(vt_is_grabbed(kbd->node), 0);
}

VT_TEST_MAIN()
