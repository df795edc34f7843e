/* SPDX-License-Identifier: MIT */
/*
 * fwd-bare [--epoll] DEVICE: the least a forwarder can do, the benchmark's
 * yardstick. Clones DEVICE, grabs it, then per wakeup one read() of what is
 * queued and one write() of all of it to the clone. No frame tracking, no
 * SYN_DROPPED handling, no hotkeys: a limit, not a product. With --epoll it
 * waits in epoll_wait() before each read, as a program must that watches
 * more than one fd (several devices, a bus, a directory): the least such a
 * forwarder can do.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

int main(int argc, char *argv[])
{
	struct libevdev_uinput *ui = NULL;
	struct libevdev *dev = NULL;
	struct input_event buf[64];
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, ufd, r, ep = -1;
	bool use_epoll = argc == 3 && strcmp(argv[1], "--epoll") == 0;

	if (argc != 2 && !use_epoll) {
		fprintf(stderr, "usage: fwd-bare [--epoll] DEVICE\n");
		return 2;
	}
	argv += use_epoll;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC | (use_epoll ? O_NONBLOCK : 0));
	if (fd < 0 || (r = libevdev_new_from_fd(fd, &dev)) < 0 ||
	    (r = libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui)) < 0) {
		fprintf(stderr, "fwd-bare: '%s': cannot clone\n", argv[1]);
		return 1;
	}
	ufd = libevdev_uinput_get_fd(ui);
	if (use_epoll && ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
			  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)) {
		fprintf(stderr, "fwd-bare: epoll: %s\n", strerror(errno));
		return 1;
	}
	while (ioctl(fd, EVIOCGRAB, (void *)1) < 0) {
		if (errno != EBUSY) {
			fprintf(stderr, "fwd-bare: '%s': grab: %s\n", argv[1], strerror(errno));
			return 1;
		}
		usleep(10000);
	}
	for (;;) {
		ssize_t n;

		if (use_epoll && epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (write(ufd, buf, (size_t)n) != n)
			break;
	}
	return 1;
}
