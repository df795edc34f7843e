/* SPDX-License-Identifier: MIT */
/*
 * fwd-libevdev DEVICE: a forwarder written the way most C and Rust ones are:
 * libevdev_next_event() in a blocking loop, SYN_DROPPED handled with
 * libevdev's sync mode, and one libevdev_uinput_write_event() (one write())
 * per event.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

int main(int argc, char *argv[])
{
	struct libevdev_uinput *ui = NULL;
	struct libevdev *dev = NULL;
	int fd, r;

	if (argc != 2) {
		fprintf(stderr, "usage: fwd-libevdev DEVICE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || libevdev_new_from_fd(fd, &dev) < 0 ||
	    libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui) < 0 ||
	    libevdev_grab(dev, LIBEVDEV_GRAB) < 0) {
		fprintf(stderr, "fwd-libevdev: '%s': cannot clone or grab\n", argv[1]);
		return 1;
	}
	for (;;) {
		struct input_event ev;

		r = libevdev_next_event(dev, LIBEVDEV_READ_FLAG_NORMAL | LIBEVDEV_READ_FLAG_BLOCKING,
					&ev);
		if (r == LIBEVDEV_READ_STATUS_SYNC) {
			/* ev is the SYN_DROPPED: replay the state difference libevdev made. */
			while (libevdev_next_event(dev, LIBEVDEV_READ_FLAG_SYNC, &ev) ==
			       LIBEVDEV_READ_STATUS_SYNC)
				libevdev_uinput_write_event(ui, ev.type, ev.code, ev.value);
			continue;
		}
		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r < 0)
			break;
		libevdev_uinput_write_event(ui, ev.type, ev.code, ev.value);
	}
	return 1;
}
