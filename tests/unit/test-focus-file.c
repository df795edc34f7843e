/* SPDX-License-Identifier: MIT */
/*
 * Focus transitions (common/focus-file.c) on a temporary run directory:
 * cycling, direct focus, release, a VM leaving or dying, duplicate hotkey
 * events from several helpers (forked processes racing for the lock), and
 * tampered focus files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "focus-file.h"
#include "test-tmpdir.h"
#include "test.h"

/* A string literal as (text, length), NULs inside included. */
#define C(s) s, sizeof(s) - 1

#define NO_EVENT ((struct focus_file_stamp){0, 0})
#define AT(s, us) ((struct focus_file_stamp){(s), (us)})

static int write_focus(const char *dir, const char *content, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/focus", dir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static bool path_exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* The members of one test's ring, left when the test ends however it ends. */
struct members {
	struct ring_member *m[8];
};

static void members_leave(struct members *ms)
{
	for (size_t i = 0; i < ARRAY_SIZE(ms->m); i++)
		ms->m[i] = ring_leave(ms->m[i]);
}

static int join(const char *dir, struct members *ms, size_t i, const char *vm)
{
	return ring_join(dir, vm, NULL, &ms->m[i], NULL);
}

TEST(read_missing)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	struct focus_file_state st;
	struct diag d = {{0}};
	char run[512];

	ASSERT_EQ(focus_file_read(dir, &st, &d), 0);
	ASSERT_STREQ(st.target, "host");
	ASSERT_EQ(st.generation, 0);
	snprintf(run, sizeof(run), "%s/none", dir);
	ASSERT_EQ(focus_file_read(run, &st, &d), 0);
	ASSERT_STREQ(st.target, "host");
}

TEST(next_cycles_with_host)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	static const char *const want[] = {"vm1", "vm2", "host", "vm1"};
	struct focus_file_result res;
	struct focus_file_state st;
	struct diag d = {{0}};
	struct stat sb;
	char path[512];

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
		ASSERT_STREQ(res.target, want[i]);
		ASSERT_STREQ(res.previous, i == 0 ? "host" : want[i - 1]);
		ASSERT_TRUE(res.changed);
		ASSERT_FALSE(res.repaired);
		ASSERT_EQ(res.generation, i + 1);
	}
	ASSERT_EQ(focus_file_read(dir, &st, &d), 0);
	ASSERT_STREQ(st.target, "vm1");
	ASSERT_STREQ(st.previous, "host");
	ASSERT_EQ(st.generation, 4);
	/* World-readable, and no temporary left behind. */
	snprintf(path, sizeof(path), "%s/focus", dir);
	ASSERT_EQ(stat(path, &sb), 0);
	ASSERT_EQ(sb.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/.focus.new", dir);
	ASSERT_TRUE(stat(path, &sb) < 0);
}

TEST(next_cycles_without_host)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	static const char *const want[] = {"vm1", "vm2", "vm1", "vm2"};
	struct focus_file_result res;
	struct diag d = {{0}};

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(focus_file_next(dir, false, NO_EVENT, &res, &d), 0);
		ASSERT_STREQ(res.target, want[i]);
	}
}

TEST(next_with_empty_ring)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	struct focus_file_result res;
	struct diag d = {{0}};

	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");
	ASSERT_FALSE(res.changed);
	ASSERT_EQ(focus_file_next(dir, false, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");
	ASSERT_FALSE(res.changed);
	ASSERT_EQ(res.generation, 0);
}

TEST(same_event_switches_once)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct focus_file_state st;
	struct diag d = {{0}};

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(focus_file_next(dir, true, AT(1000, 500), &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "vm1");
	ASSERT_EQ(focus_file_read(dir, &st, &d), 0);
	ASSERT_EQ(st.event.sec, 1000);
	ASSERT_EQ(st.event.usec, 500);

	/* The other helpers with the same press. */
	ASSERT_EQ(focus_file_next(dir, true, AT(1000, 500), &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_STREQ(res.target, "vm1");
	ASSERT_EQ(res.generation, 1);
	ASSERT_EQ(focus_file_set(dir, "vm2", AT(1000, 500), &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_EQ(focus_file_release(dir, AT(1000, 500), &res, &d), 0);
	ASSERT_FALSE(res.changed);
	/* A helper lagging behind: an older press within the window. */
	ASSERT_EQ(focus_file_next(dir, true, AT(999, 900000), &res, &d), 0);
	ASSERT_FALSE(res.changed);
	/* A newer press switches. */
	ASSERT_EQ(focus_file_next(dir, true, AT(1000, 501), &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "vm2");
	/* Far older: the clock was set back; a real press. */
	ASSERT_EQ(focus_file_next(dir, true, AT(10, 0), &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "host");
	/* No event is never a duplicate. */
	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_EQ(res.generation, 5);
	ASSERT_EQ(focus_file_next(dir, true, AT(1, 1000000), &res, &d), -EINVAL);
}

TEST(set_and_release)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res = {.generation = 77};
	struct diag d = {{0}};
	char path[512];
	struct stat sb;

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(focus_file_set(dir, "vm9", NO_EVENT, &res, &d), -ENOENT);
	ASSERT_CONTAINS(d.msg, "vm9: not in the ring");
	ASSERT_EQ(res.generation, 77);
	ASSERT_EQ(focus_file_set(dir, "../vm1", NO_EVENT, &res, &d), -EINVAL);
	ASSERT_EQ(focus_file_set(dir, "", NO_EVENT, &res, &d), -EINVAL);
	snprintf(path, sizeof(path), "%s/focus", dir);
	ASSERT_TRUE(stat(path, &sb) < 0);

	ASSERT_EQ(focus_file_set(dir, "vm2", NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "vm2");
	ASSERT_EQ(focus_file_set(dir, "vm2", NO_EVENT, &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_EQ(res.generation, 1);
	ASSERT_EQ(focus_file_release(dir, NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "host");
	ASSERT_STREQ(res.previous, "vm2");
	ASSERT_EQ(focus_file_release(dir, NO_EVENT, &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_EQ(res.generation, 2);
	ASSERT_EQ(focus_file_set(dir, "host", NO_EVENT, &res, &d), 0);
	ASSERT_FALSE(res.changed);
}

TEST(drop_focused_vm)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct ring_entry gone;
	struct diag d = {{0}};

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(join(dir, &ms, 2, "vm3"), 0);
	ASSERT_EQ(focus_file_set(dir, "vm2", NO_EVENT, &res, &d), 0);

	/* Not focused: nothing happens. */
	gone = *ring_member_entry(ms.m[0]);
	ms.m[0] = ring_leave(ms.m[0]);
	ASSERT_EQ(focus_file_drop(dir, &gone, true, FOCUS_ON_STOP_NEXT, &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_STREQ(res.target, "vm2");

	/* Focused: the next one takes over. */
	gone = *ring_member_entry(ms.m[1]);
	ms.m[1] = ring_leave(ms.m[1]);
	ASSERT_EQ(focus_file_drop(dir, &gone, true, FOCUS_ON_STOP_NEXT, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "vm3");
	ASSERT_STREQ(res.previous, "vm2");

	/* The last in the ring: wraps to the host... */
	gone = *ring_member_entry(ms.m[2]);
	ASSERT_EQ(focus_file_drop(dir, &gone, true, FOCUS_ON_STOP_NEXT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");

	/* ...or, without it, to the first VM; with none left, to the host anyway. */
	ASSERT_EQ(join(dir, &ms, 3, "vm4"), 0);
	ASSERT_EQ(focus_file_set(dir, "vm4", NO_EVENT, &res, &d), 0);
	gone = *ring_member_entry(ms.m[3]);
	ASSERT_EQ(focus_file_drop(dir, &gone, false, FOCUS_ON_STOP_NEXT, &res, &d), 0);
	ASSERT_STREQ(res.target, "vm3");
	gone = *ring_member_entry(ms.m[2]);
	ms.m[2] = ring_leave(ms.m[2]);
	ms.m[3] = ring_leave(ms.m[3]);
	ASSERT_EQ(focus_file_drop(dir, &gone, false, FOCUS_ON_STOP_NEXT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");

	snprintf(gone.vm, sizeof(gone.vm), "host");
	ASSERT_EQ(focus_file_drop(dir, &gone, false, FOCUS_ON_STOP_NEXT, &res, &d), -EINVAL);
}

TEST(drop_focused_vm_on_stop_host)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct ring_entry gone;
	struct diag d = {{0}};

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(focus_file_set(dir, "vm1", NO_EVENT, &res, &d), 0);

	/* Not focused: nothing happens, whatever on_stop says. */
	gone = *ring_member_entry(ms.m[1]);
	ms.m[1] = ring_leave(ms.m[1]);
	ASSERT_EQ(focus_file_drop(dir, &gone, true, FOCUS_ON_STOP_HOST, &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_STREQ(res.target, "vm1");

	/* Focused, with vm3 next in the ring: the host all the same, even without
	 * include_host. */
	ASSERT_EQ(join(dir, &ms, 2, "vm3"), 0);
	gone = *ring_member_entry(ms.m[0]);
	ms.m[0] = ring_leave(ms.m[0]);
	ASSERT_EQ(focus_file_drop(dir, &gone, false, FOCUS_ON_STOP_HOST, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.target, "host");
	ASSERT_STREQ(res.previous, "vm1");
}

TEST(on_stop_names)
{
	enum focus_on_stop o = FOCUS_ON_STOP_HOST;

	ASSERT_EQ(focus_on_stop_from_string("next", &o), 0);
	ASSERT_EQ(o, FOCUS_ON_STOP_NEXT);
	ASSERT_EQ(focus_on_stop_from_string("host", &o), 0);
	ASSERT_EQ(o, FOCUS_ON_STOP_HOST);
	ASSERT_EQ(focus_on_stop_from_string("Host", &o), -EINVAL);
	ASSERT_EQ(focus_on_stop_from_string("", &o), -EINVAL);
	ASSERT_STREQ(focus_on_stop_to_string(FOCUS_ON_STOP_NEXT), "next");
	ASSERT_STREQ(focus_on_stop_to_string(FOCUS_ON_STOP_HOST), "host");
}

/*
 * A helper that joins and takes focus, then waits until *ret_go is closed and
 * dies without leaving. Returns its pid.
 */
static pid_t helper_start(const char *dir, const char *vm, int *ret_go)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct ring_member *m;
		struct focus_file_result res;

		close(go[1]);
		close(ready[0]);
		if (ring_join(dir, vm, NULL, &m, NULL) < 0 ||
		    focus_file_set(dir, vm, NO_EVENT, &res, NULL) < 0)
			_exit(1);
		close(ready[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(ready[1]);
	/* EOF once the child is in the ring with focus (or has failed). */
	(void)read(ready[0], &c, 1);
	close(ready[0]);
	*ret_go = go[1];
	return pid;
}

static int helper_kill(pid_t pid, int go)
{
	int status;

	close(go);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

TEST(dead_focused_vm)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct diag d = {{0}};
	pid_t pid;
	int go = -1;

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	pid = helper_start(dir, "vm2", &go);
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm3"), 0);
	ASSERT_EQ(helper_kill(pid, go), 0);

	/* Its dead entry still tells its place: vm3 is next, not the start. */
	ASSERT_EQ(focus_file_repair(dir, true, &res, &d), 0);
	ASSERT_TRUE(res.changed);
	ASSERT_STREQ(res.previous, "vm2");
	ASSERT_STREQ(res.target, "vm3");
	ASSERT_EQ(focus_file_repair(dir, true, &res, &d), 0);
	ASSERT_FALSE(res.changed);

	/* With the entry gone too, the cycle starts over. */
	ms.m[1] = ring_leave(ms.m[1]);
	ASSERT_EQ(focus_file_next(dir, false, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.target, "vm1");
	ms.m[0] = ring_leave(ms.m[0]);
	ASSERT_EQ(join(dir, &ms, 2, "vm5"), 0);
	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");
	ASSERT_EQ(focus_file_set(dir, "vm5", NO_EVENT, &res, &d), 0);
	ms.m[2] = ring_leave(ms.m[2]);
	ASSERT_EQ(focus_file_next(dir, false, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.target, "host");
}

TEST(dead_focused_vm_next)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct diag d = {{0}};
	pid_t pid;
	int go = -1;

	/* focus_file_next from a VM that died also goes on from its place. */
	pid = helper_start(dir, "vm1", &go);
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(join(dir, &ms, 0, "vm2"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm3"), 0);
	ASSERT_EQ(helper_kill(pid, go), 0);
	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
	ASSERT_STREQ(res.previous, "vm1");
	ASSERT_STREQ(res.target, "vm2");
}

TEST(tampered_focus_files)
{
	static const struct {
		const char *content;
		size_t len;
	} cases[] = {
		{C("")},
		{C("target=host\n")},
		{C("target=host\nprevious=host\ngeneration=1\nevent=0.000000")},
		{C("target=../etc\nprevious=host\ngeneration=1\nevent=0.000000\n")},
		{C("target=host\nprevious=host\ngeneration=01\nevent=0.000000\n")},
		{C("target=host\nprevious=host\ngeneration=99999999999999999999\n"
		   "event=0.000000\n")},
		{C("target=host\nprevious=host\ngeneration=1\nevent=0.00000\n")},
		{C("target=host\nprevious=host\ngeneration=1\nevent=0.0000000\n")},
		{C("target=host\nprevious=host\ngeneration=1\nevent=.000000\n")},
		{C("target=host\nprevious=host\ngeneration=1\nevent=0.000000\nx")},
		{C("target=ho\0st\nprevious=host\ngeneration=1\nevent=0.000000\n")},
		{C("\x01\x02\x03\xff\xfe\n\n\n\n")},
		{C("target=\nprevious=host\ngeneration=1\nevent=0.000000\n")},
	};
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct focus_file_state st;
	struct diag d;
	char big[FOCUS_FILE_MAX + 50];

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	for (size_t i = 0; i <= ARRAY_SIZE(cases); i++) {
		if (i < ARRAY_SIZE(cases)) {
			ASSERT_EQ(write_focus(dir, cases[i].content, cases[i].len), 0);
		} else {
			memset(big, '\n', sizeof(big));
			memcpy(big, "target=host\n", 12);
			ASSERT_EQ(write_focus(dir, big, sizeof(big)), 0);
		}
		d.msg[0] = '\0';
		if (focus_file_read(dir, &st, &d) != -EBADMSG)
			TEST_FAIL("case %zu: not refused", i);
		ASSERT_CONTAINS(d.msg, "focus: ");
		/* A transition repairs it, starting from the host. */
		ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, &d), 0);
		ASSERT_TRUE(res.repaired);
		ASSERT_STREQ(res.previous, "host");
		ASSERT_STREQ(res.target, "vm1");
		ASSERT_EQ(res.generation, 1);
		ASSERT_EQ(focus_file_read(dir, &st, &d), 0);
		ASSERT_STREQ(st.target, "vm1");
	}

	/* Repaired even when the transition itself changes nothing. */
	ASSERT_EQ(write_focus(dir, "junk", 4), 0);
	ASSERT_EQ(focus_file_release(dir, NO_EVENT, &res, &d), 0);
	ASSERT_FALSE(res.changed);
	ASSERT_TRUE(res.repaired);
	ASSERT_EQ(focus_file_read(dir, &st, &d), 0);
	ASSERT_STREQ(st.target, "host");
}

TEST(hostile_focus_file_types)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	struct focus_file_result res;
	struct focus_file_state st;
	struct diag d = {{0}};
	char path[512];

	/* A FIFO must not hang the reader; a symlink is not followed. */
	snprintf(path, sizeof(path), "%s/focus", dir);
	ASSERT_EQ(mkfifo(path, 0644), 0);
	ASSERT_EQ(focus_file_read(dir, &st, &d), -EBADMSG);
	ASSERT_CONTAINS(d.msg, "not a regular file");
	ASSERT_EQ(focus_file_release(dir, NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.repaired);

	unlink(path);
	ASSERT_EQ(symlink("/etc/passwd", path), 0);
	ASSERT_EQ(focus_file_read(dir, &st, &d), -EBADMSG);
	ASSERT_CONTAINS(d.msg, "symbolic link");
	ASSERT_EQ(focus_file_release(dir, NO_EVENT, &res, &d), 0);
	ASSERT_TRUE(res.repaired);
	ASSERT_EQ(focus_file_read(dir, &st, &d), 0);

	/* A directory cannot be replaced: a clean error. */
	unlink(path);
	ASSERT_EQ(mkdir(path, 0755), 0);
	ASSERT_EQ(focus_file_read(dir, &st, &d), -EBADMSG);
	ASSERT_TRUE(focus_file_release(dir, NO_EVENT, &res, &d) < 0);
	ASSERT_CONTAINS(d.msg, "focus");
}

TEST(parse_format_roundtrip)
{
	struct focus_file_state st = {.generation = 18446744073709551615u,
				      .event = {1700000000, 42}};
	struct focus_file_state back;
	struct diag d = {{0}};
	char buf[FOCUS_FILE_MAX];
	int len;

	strcpy(st.target, "a-very_long.name+1");
	strcpy(st.previous, "host");
	len = focus_file_format(&st, buf, sizeof(buf));
	ASSERT_TRUE(len > 0);
	ASSERT_CONTAINS(buf, "event=1700000000.000042\n");
	ASSERT_EQ(focus_file_parse(buf, (size_t)len, &back, &d), 0);
	ASSERT_STREQ(back.target, st.target);
	ASSERT_STREQ(back.previous, "host");
	ASSERT_TRUE(back.generation == st.generation);
	ASSERT_EQ(back.event.sec, 1700000000);
	ASSERT_EQ(back.event.usec, 42);
	ASSERT_EQ(focus_file_format(&st, buf, 10), -ENOBUFS);
	strcpy(st.target, "../x");
	ASSERT_EQ(focus_file_format(&st, buf, sizeof(buf)), -EINVAL);
}

/*
 * n forked helpers call focus_file_next at once (released together by closing a
 * pipe); stamp(i) gives each one's event time. Returns the generation after.
 */
static int race(const char *dir, int n, bool same_event, uint64_t *ret_generation)
{
	struct focus_file_state st;
	int go[2], failed = 0;
	pid_t pids[16];

	if (n > (int)ARRAY_SIZE(pids) || pipe2(go, O_CLOEXEC) < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -errno;
		if (pids[i] == 0) {
			struct focus_file_result res;
			int r;
			struct focus_file_stamp ev =
			    same_event ? AT(5000, 1) : AT(100 * (i + 1), 0);
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			/* The lock is never waited for: a caller tries again (ring.h). */
			while ((r = focus_file_next(dir, true, ev, &res, NULL)) == -EWOULDBLOCK)
				sched_yield();
			_exit(r == 0 ? 0 : 1);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < n; i++) {
		int status;
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	if (failed)
		return -ECHILD;
	if (focus_file_read(dir, &st, NULL) < 0)
		return -EBADMSG;
	*ret_generation = st.generation;
	return 0;
}

TEST(concurrent_same_event_switches_once)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	uint64_t gen = 0;

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(race(dir, 8, true, &gen), 0);
	ASSERT_EQ(gen, 1);
}

TEST(concurrent_distinct_events_all_switch)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	uint64_t gen = 0;

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(join(dir, &ms, 1, "vm2"), 0);
	ASSERT_EQ(race(dir, 8, false, &gen), 0);
	ASSERT_EQ(gen, 8);
}

/*
 * The permission model (see ring.h): anyone may read the focus file; only
 * who may take the lock (root) may switch or read the ring. Run as a user
 * with no rights in a forked child; skipped when not root.
 */
TEST(unprivileged_reader)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	struct focus_file_result res;
	struct diag d = {{0}};
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	ASSERT_EQ(chmod(dir, 0755), 0);
	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ASSERT_EQ(focus_file_set(dir, "vm1", NO_EVENT, &res, &d), 0);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		struct ring_entry e[2];
		struct focus_file_state st;
		size_t n;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		if (focus_file_read(dir, &st, NULL) < 0 || strcmp(st.target, "vm1") != 0)
			_exit(11);
		if (ring_list(dir, e, ARRAY_SIZE(e), &n, NULL) != -EACCES)
			_exit(12);
		if (focus_file_release(dir, NO_EVENT, &res, NULL) != -EACCES)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_TRUE(path_exists(dir, "ring/vm1"));
}

TEST(inotify_sees_switch)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-focus");
	_cleanup_(members_leave) struct members ms = {{0}};
	_cleanup_(closep) int ifd = -1;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct focus_file_result res;
	bool seen = false;
	ssize_t len;

	ASSERT_EQ(join(dir, &ms, 0, "vm1"), 0);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	ASSERT_TRUE(ifd >= 0);
	ASSERT_TRUE(inotify_add_watch(ifd, dir, IN_MOVED_TO | IN_ONLYDIR) >= 0);
	ASSERT_EQ(focus_file_next(dir, true, NO_EVENT, &res, NULL), 0);
	len = read(ifd, buf, sizeof(buf));
	ASSERT_TRUE(len > 0);
	for (char *p = buf; p < buf + len;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;
		if (ev->len && strcmp(ev->name, FOCUS_FILE_NAME) == 0)
			seen = true;
		p += sizeof(*ev) + ev->len;
	}
	ASSERT_TRUE(seen);
}

TEST_MAIN()
