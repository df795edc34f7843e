/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <unistd.h>

#include "inotify-read.h"

int inotify_read_all(int fd, void (*on_event)(const struct inotify_event *ev, void *userdata),
		     void *userdata)
{
	/* Room for many records; the kernel never splits one across reads. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return 0;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			on_event(ev, userdata);
		}
	}
}
