/* SPDX-License-Identifier: MIT */
/*
 * fwd-bare DEVICE: the least a forwarder can do, the benchmark's yardstick.
 * Clones DEVICE, grabs it, then per wakeup one read() of what is queued and
 * one write() of all of it to the clone. No frame tracking, no SYN_DROPPED
 * handling, no hotkeys: a limit, not a product.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

int main(int argc, char *argv[])
{
	struct libevdev_uinput *ui = NULL;
	struct libevdev *dev = NULL;
	struct input_event buf[64];
	int fd, ufd, r;

	if (argc != 2) {
		fprintf(stderr, "usage: fwd-bare DEVICE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r = libevdev_new_from_fd(fd, &dev)) < 0 ||
	    (r = libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui)) < 0) {
		fprintf(stderr, "fwd-bare: '%s': cannot clone\n", argv[1]);
		return 1;
	}
	ufd = libevdev_uinput_get_fd(ui);
	while (ioctl(fd, EVIOCGRAB, (void *)1) < 0) {
		if (errno != EBUSY) {
			fprintf(stderr, "fwd-bare: '%s': grab: %s\n", argv[1], strerror(errno));
			return 1;
		}
		usleep(10000);
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(ufd, buf, (size_t)n) != n)
			break;
	}
	return 1;
}
