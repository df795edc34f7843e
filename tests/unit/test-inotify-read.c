/* SPDX-License-Identifier: MIT */
/*
 * The helper's inotify reader (helper/inotify-read.c) on a temporary
 * directory: every record handed over once, in order, across reads; an empty
 * queue; a bad fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "inotify-read.h"
#include "macro.h"
#include "test-tmpdir.h"
#include "test.h"

TEST_MAIN();

/* Names long enough that the records fill several reads of the reader's buffer. */
#define N_FILES 100
#define NAME_FMT "%03d-a-name-long-enough-that-a-hundred-records-do-not-fit-in-one-read"

struct seen {
	int n;
	int n_out_of_order;
	int n_overflow;
};

static void on_event(const struct inotify_event *ev, void *userdata)
{
	struct seen *seen = userdata;
	char want[128];

	if (ev->mask & IN_Q_OVERFLOW) {
		seen->n_overflow++;
		return;
	}
	snprintf(want, sizeof(want), NAME_FMT, seen->n);
	if (ev->len == 0 || strcmp(ev->name, want) != 0)
		seen->n_out_of_order++;
	seen->n++;
}

TEST(every_record_once_in_order_across_reads)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-inotify");
	_cleanup_(closep) int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	struct seen seen = {0};

	ASSERT_TRUE(dir != NULL);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(inotify_add_watch(fd, dir, IN_CREATE) >= 0);
	for (int i = 0; i < N_FILES; i++) {
		char path[512];
		int file;

		snprintf(path, sizeof(path), "%s/" NAME_FMT, dir, i);
		file = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ASSERT_TRUE(file >= 0);
		close(file);
	}
	ASSERT_EQ(inotify_read_all(fd, on_event, &seen), 0);
	ASSERT_EQ(seen.n, N_FILES);
	ASSERT_EQ(seen.n_out_of_order, 0);
	ASSERT_EQ(seen.n_overflow, 0);

	/* Drained: nothing more, and no error. */
	ASSERT_EQ(inotify_read_all(fd, on_event, &seen), 0);
	ASSERT_EQ(seen.n, N_FILES);
}

TEST(read_error_is_returned)
{
	struct seen seen = {0};

	ASSERT_EQ(inotify_read_all(-1, on_event, &seen), -EBADF);
	ASSERT_EQ(seen.n, 0);
}
