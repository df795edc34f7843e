/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <stdio.h>
#include <string.h>

#include "host-keys.h"

int host_keys_open(struct host_keys *h, const char *vm, const struct keylist *list,
		   struct diag *diag)
{
	struct host_keys n = {.fwd.fd = -1};
	struct libevdev *dev;
	char name[HOST_KEYS_NAME_MAX];
	int r;

	if (list->n == 0)
		return diag_set(diag, -EINVAL, "no host keys");
	dev = libevdev_new();
	if (!dev)
		return diag_set(diag, -ENOMEM, "cannot create the host keys device: %s",
				strerror(ENOMEM));
	/* uinput keeps 79 bytes of a name: a long VM name is cut, never refused. */
	snprintf(name, sizeof(name), "vfio-kvm host keys (%s)", vm);
	libevdev_set_name(dev, name);
	libevdev_set_id_bustype(dev, BUS_VIRTUAL);
	for (size_t i = 0; i < list->n; i++) {
		(void)libevdev_enable_event_code(dev, EV_KEY, list->codes[i], NULL);
		bit_set(n.fwd.keys, list->codes[i]);
	}
	/* Our own fd (not libevdev's managed one), so it is O_CLOEXEC and non-blocking. */
	n.fwd.fd = open("/dev/uinput", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	r = n.fwd.fd < 0 ? -errno : libevdev_uinput_create_from_device(dev, n.fwd.fd, &n.ui);
	libevdev_free(dev);
	if (r < 0) {
		safe_close(n.fwd.fd);
		return diag_set(diag, r, "cannot create the host keys device with /dev/uinput: %s",
				strerror(-r));
	}
	n.caps = *list;
	*h = n;
	return 0;
}

void host_keys_close(struct host_keys *h)
{
	if (h->ui)
		libevdev_uinput_destroy(h->ui);
	h->ui = NULL;
	h->fwd.fd = safe_close(h->fwd.fd);
}
