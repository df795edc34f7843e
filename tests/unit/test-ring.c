/* SPDX-License-Identifier: MIT */
/*
 * The ring (common/ring.c) on a temporary run directory: joining and leaving,
 * liveness by flock (dead helpers are forked children that exit without
 * leaving), ordering, limits, and hostile entries planted by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libevdev/libevdev.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"
#include "status-file.h"
#include "test-tmpdir.h"
#include "test.h"

/* A string literal as (text, length), NULs inside included. */
#define C(s) s, sizeof(s) - 1

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static bool path_exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	path_join(path, sizeof(path), dir, name);
	return lstat(path, &st) == 0;
}

/*
 * Plants ring/<name> with content. live: returns an fd holding LOCK_EX, as a
 * running helper would (close it to "kill" the helper); else returns 0.
 */
static int plant(const char *dir, const char *name, const char *content, size_t len, bool live)
{
	char path[512];
	int fd;

	path_join(path, sizeof(path), dir, "ring");
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/ring/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len || (live && flock(fd, LOCK_EX) < 0)) {
		close(fd);
		return -EIO;
	}
	if (live)
		return fd;
	close(fd);
	return 0;
}

/* A helper that joins and dies without leaving: its entry stays, unlocked. */
static int join_and_die(const char *dir, const char *vm)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct ring_member *m;
		_exit(ring_join(dir, vm, NULL, &m, NULL) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

TEST(join_leave)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[4];
	struct keyset hk;
	struct diag d = {{0}};
	struct stat st;
	char path[512];
	size_t n = 99;

	ASSERT_TRUE(dir);
	ASSERT_EQ(keyset_parse("KEY_LEFTMETA+KEY_1", 18, &hk, &d), 0);
	ASSERT_EQ(ring_join(dir, "vm1", &hk, &m, &d), 0);
	ASSERT_TRUE(m);
	ASSERT_STREQ(ring_member_entry(m)->vm, "vm1");

	snprintf(path, sizeof(path), "%s/ring/vm1", dir);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_FALSE(path_exists(dir, "ring/.vm1.new"));

	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(e[0].vm, "vm1");
	ASSERT_TRUE(keyset_equal(&e[0].hotkey, &hk));
	ASSERT_EQ(e[0].join, ring_member_entry(m)->join);

	m = ring_leave(m);
	ASSERT_TRUE(m == NULL);
	ASSERT_FALSE(path_exists(dir, "ring/vm1"));
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 0);
}

TEST(leave_null)
{
	ASSERT_TRUE(ring_leave(NULL) == NULL);
}

TEST(join_without_hotkey)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[2];
	struct diag d = {{0}};
	size_t n;

	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ring_leave(m);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(e[0].hotkey.n, 0);
}

TEST(join_creates_run_dir)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct diag d = {{0}};
	char run[512];

	path_join(run, sizeof(run), dir, "run");
	ASSERT_EQ(ring_join(run, "vm1", NULL, &m, &d), 0);
	ASSERT_TRUE(path_exists(dir, "run/ring/vm1"));
	ASSERT_TRUE(path_exists(dir, "run/lock"));
	ring_leave(m);
}

TEST(join_twice_busy)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL, *m2 = NULL;
	struct diag d = {{0}};

	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m2, &d), -EBUSY);
	ASSERT_TRUE(m2 == NULL);
	ASSERT_CONTAINS(d.msg, "vm1: already in the ring (another helper runs)");
	/* The live entry survived the attempt. */
	ASSERT_TRUE(path_exists(dir, "ring/vm1"));
	m = ring_leave(m);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m2, &d), 0);
	ring_leave(m2);
}

TEST(join_bad_names)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	const char *bad[] = {"../x", "", ".x", "-x", "a/b", "..", "a b", "x\n", RING_HOST};
	struct ring_member *m = NULL;
	struct diag d = {{0}};
	char run[512];

	path_join(run, sizeof(run), dir, "run");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(ring_join(run, bad[i], NULL, &m, &d), -EINVAL);
		ASSERT_TRUE(m == NULL);
	}
	ASSERT_CONTAINS(d.msg, "reserved");
	ASSERT_FALSE(path_exists(dir, "x"));
	ASSERT_FALSE(path_exists(dir, "run"));
}

TEST(dead_member_removed_by_list)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[4];
	struct diag d = {{0}};
	size_t n;

	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ASSERT_EQ(join_and_die(dir, "vm2"), 0);
	ASSERT_TRUE(path_exists(dir, "ring/vm2"));
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ring_leave(m);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(e[0].vm, "vm1");
	ASSERT_FALSE(path_exists(dir, "ring/vm2"));
}

/* A helper that died left its status file too: it goes with the entry, a live one's stays. */
TEST(dead_member_status_file_removed_with_it)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[4];
	struct diag d = {{0}};
	char path[512];
	size_t n;

	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ASSERT_EQ(join_and_die(dir, "vm2"), 0);
	path_join(path, sizeof(path), dir, STATUS_DIR_NAME);
	ASSERT_EQ(mkdir(path, 0755), 0);
	for (int i = 1; i <= 2; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME "/vm%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		ASSERT_TRUE(fd >= 0);
		close(fd);
	}
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 1);
	ASSERT_FALSE(path_exists(dir, "ring/vm2"));
	ASSERT_FALSE(path_exists(dir, STATUS_DIR_NAME "/vm2"));
	ASSERT_TRUE(path_exists(dir, STATUS_DIR_NAME "/vm1"));
	ring_leave(m);
}

TEST(dead_member_replaced_by_join)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct diag d = {{0}};

	ASSERT_EQ(join_and_die(dir, "vm1"), 0);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ring_leave(m);
}

TEST(dead_entry_held_by_reader_is_still_dead)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct diag d = {{0}};
	char path[512];
	int fd;

	/* A reader holding LOCK_SH on a dead entry must not look like a helper. */
	ASSERT_EQ(join_and_die(dir, "vm1"), 0);
	snprintf(path, sizeof(path), "%s/ring/vm1", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(flock(fd, LOCK_SH), 0);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	close(fd);
	ring_leave(m);
}

TEST(stale_temp_file)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[2];
	struct diag d = {{0}};
	size_t n;

	ASSERT_EQ(plant(dir, ".vm1.new", "junk", 4, false), 0);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &m, &d), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ring_leave(m);
	ASSERT_EQ(n, 1);
}

TEST(order_by_join)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *a = NULL, *b = NULL, *c = NULL;
	struct ring_entry e[4];
	struct diag d = {{0}};
	size_t n;

	ASSERT_EQ(ring_join(dir, "vm2", NULL, &b, &d), 0);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &a, &d), 0);
	ASSERT_EQ(ring_join(dir, "vm3", NULL, &c, &d), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(e[0].vm, "vm2");
	ASSERT_STREQ(e[1].vm, "vm1");
	ASSERT_STREQ(e[2].vm, "vm3");
	ASSERT_TRUE(e[0].join < e[1].join && e[1].join < e[2].join);

	/* Leaving and joining again goes to the end. */
	a = ring_leave(a);
	ASSERT_EQ(ring_join(dir, "vm1", NULL, &a, &d), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(e[0].vm, "vm2");
	ASSERT_STREQ(e[1].vm, "vm3");
	ASSERT_STREQ(e[2].vm, "vm1");

	/* Fewer slots than members: the earliest joined, and a count of the rest. */
	ASSERT_EQ(ring_list(dir, e, 2, &n, &d), 1);
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(e[1].vm, "vm3");
	ASSERT_CONTAINS(d.msg, "'vm1' ignored");
	ring_leave(a);
	ring_leave(b);
	ring_leave(c);
}

TEST(equal_join_ordered_by_name)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_entry e[4];
	struct diag d = {{0}};
	size_t n;
	int fb = plant(dir, "b", "join=5\nhotkey=\n", 15, true);
	int fa = plant(dir, "a", "join=5\nhotkey=\n", 15, true);
	int fc = plant(dir, "c", "join=4\nhotkey=\n", 15, true);

	ASSERT_TRUE(fa > 0 && fb > 0 && fc > 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	close(fa);
	close(fb);
	close(fc);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(e[0].vm, "c");
	ASSERT_STREQ(e[1].vm, "a");
	ASSERT_STREQ(e[2].vm, "b");
}

TEST(ring_full)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m[RING_VMS_MAX + 1] = {0};
	struct diag d = {{0}};
	char name[16];
	int r = 0;

	for (int i = 0; i < RING_VMS_MAX && r == 0; i++) {
		snprintf(name, sizeof(name), "vm%d", i);
		r = ring_join(dir, name, NULL, &m[i], &d);
	}
	if (r == 0)
		r = ring_join(dir, "one-more", NULL, &m[RING_VMS_MAX], &d);
	for (int i = 0; i <= RING_VMS_MAX; i++)
		ring_leave(m[i]);
	ASSERT_EQ(r, -E2BIG);
	ASSERT_CONTAINS(d.msg, "full");
}

TEST(list_missing_dir)
{
	struct ring_entry e[2];
	struct diag d = {{0}};
	size_t n = 7;

	ASSERT_EQ(ring_list("/nonexistent/vfio-kvm-run", e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 0);
}

/*
 * Live entries (a lock is held) whose content is hostile: each is named in the
 * diag and still listed (its helper runs), after the good ones, by name,
 * without a hotkey.
 */
TEST(hostile_live_entries)
{
	static const struct {
		const char *name;
		const char *content;
		size_t len;
	} cases[] = {
		{"empty", C("")},
		{"truncated", C("join=12")},
		{"nohotkey", C("join=12\n")},
		{"badkey", C("join=12\nhotkey=KEY_NOPE\n")},
		{"zero", C("join=012\nhotkey=\n")},
		{"overflow", C("join=99999999999999999999\nhotkey=\n")},
		{"negative", C("join=-1\nhotkey=\n")},
		{"trailing", C("join=1\nhotkey=\nx")},
		{"nul", C("join=1\nhotkey=KEY_A\0\n")},
		{"binary", C("\x7f" "ELF\x01\x02\xff\xfe\n\n")},
		{"crlf", C("join=1\r\nhotkey=\r\n")},
		{"spaces", C("join = 1\nhotkey=\n")},
	};
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[RING_VMS_MAX];
	struct diag d = {{0}};
	char big[RING_ENTRY_MAX + 100];
	int fds[ARRAY_SIZE(cases) + 1];
	size_t n;
	int r;

	ASSERT_EQ(ring_join(dir, "good", NULL, &m, &d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fds[i] = plant(dir, cases[i].name, cases[i].content, cases[i].len, true);
		ASSERT_TRUE(fds[i] > 0);
	}
	memset(big, 'x', sizeof(big));
	memcpy(big, "join=1\nhotkey=", 14);
	fds[ARRAY_SIZE(cases)] = plant(dir, "oversized", big, sizeof(big), true);

	r = ring_list(dir, e, ARRAY_SIZE(e), &n, &d);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
	ring_leave(m);
	ASSERT_EQ(r, (int)ARRAY_SIZE(fds));
	ASSERT_EQ(n, 1 + ARRAY_SIZE(fds));
	ASSERT_STREQ(e[0].vm, "good");
	ASSERT_STREQ(e[1].vm, "badkey");
	ASSERT_STREQ(e[n - 1].vm, "zero");
	for (size_t i = 1; i < n; i++) {
		ASSERT_TRUE(e[i].join == UINT64_MAX);
		ASSERT_EQ(e[i].hotkey.n, 0);
	}
	ASSERT_CONTAINS(d.msg, "ring/");
	/* Live entries are never removed, however broken. */
	ASSERT_TRUE(path_exists(dir, "ring/binary"));
}

TEST(hostile_names_and_types)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_member *m = NULL;
	struct ring_entry e[4];
	struct diag d = {{0}};
	char path[512];
	size_t n;
	int r, f1, f2;

	ASSERT_EQ(ring_join(dir, "good", NULL, &m, &d), 0);
	f1 = plant(dir, "a=b", "join=1\nhotkey=\n", 15, true);
	f2 = plant(dir, RING_HOST, "join=1\nhotkey=\n", 15, true);
	ASSERT_TRUE(f1 > 0 && f2 > 0);
	snprintf(path, sizeof(path), "%s/ring/link", dir);
	ASSERT_EQ(symlink("../../../etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/ring/fifo", dir);
	ASSERT_EQ(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/ring/adir", dir);
	ASSERT_EQ(mkdir(path, 0700), 0);

	r = ring_list(dir, e, ARRAY_SIZE(e), &n, &d);
	close(f1);
	close(f2);
	ring_leave(m);
	ASSERT_EQ(r, 5);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(e[0].vm, "good");
	/* Nothing we do not understand is removed. */
	ASSERT_TRUE(path_exists(dir, "ring/link"));
	ASSERT_TRUE(path_exists(dir, "ring/adir"));
}

TEST(bad_name_is_named_as_it_is)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_entry e[2];
	struct diag d = {{0}};
	char path[512];
	size_t n;
	int f1, f2;

	/* A space is shown as it is, inside the quotes; an escape byte is not. */
	f1 = plant(dir, "my vm", "join=1\nhotkey=\n", 15, true);
	ASSERT_TRUE(f1 > 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 1);
	ASSERT_EQ(n, 0);
	ASSERT_STREQ(d.msg, "ring: 'my vm' is not a VM name");
	f2 = plant(dir, "x\x1b[2J", "join=1\nhotkey=\n", 15, true);
	ASSERT_TRUE(f2 > 0);
	close(f1);
	path_join(path, sizeof(path), dir, "ring/my vm");
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 1);
	ASSERT_STREQ(d.msg, "ring: 'x?[2J' is not a VM name");
	close(f2);
}

TEST(dead_hostile_entry_removed)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
	struct ring_entry e[2];
	struct diag d = {{0}};
	size_t n;

	/* Nobody holds it: dead, whatever it says. */
	ASSERT_EQ(plant(dir, "vm1", "\xff\xfe", 2, false), 0);
	ASSERT_EQ(ring_list(dir, e, ARRAY_SIZE(e), &n, &d), 0);
	ASSERT_EQ(n, 0);
	ASSERT_FALSE(path_exists(dir, "ring/vm1"));
}

TEST(entry_parse)
{
	struct ring_entry e;
	struct diag d = {{0}};
	const char *ok = "join=123\nhotkey=KEY_LEFTCTRL+KEY_F1\n";

	ASSERT_EQ(ring_entry_parse("vm1", ok, strlen(ok), &e, &d), 0);
	ASSERT_EQ(e.join, 123);
	ASSERT_EQ(e.hotkey.n, 2);
	ASSERT_TRUE(keyset_contains(&e.hotkey, KEY_F1));
	ASSERT_EQ(ring_entry_parse("vm1", "join=0\nhotkey=\n", 15, &e, &d), 0);
	ASSERT_EQ(e.join, 0);
	ASSERT_EQ(ring_entry_parse("vm1", "join=18446744073709551615\nhotkey=\n", 34, &e, &d), 0);
	ASSERT_EQ(e.join == UINT64_MAX, 1);
	ASSERT_EQ(ring_entry_parse("vm1", "join=18446744073709551616\nhotkey=\n", 34, &e, &d),
		  -EBADMSG);
	ASSERT_EQ(ring_entry_parse("vm1", "hotkey=\njoin=1\n", 15, &e, &d), -EBADMSG);
	ASSERT_EQ(ring_entry_parse("vm1", "join=1\nhotkey=KEY_A+\n", 21, &e, &d), -EBADMSG);
	ASSERT_CONTAINS(d.msg, "ring/vm1: hotkey");
	ASSERT_EQ(ring_entry_parse("../vm1", "join=1\nhotkey=\n", 15, &e, &d), -EBADMSG);
	/* Length is honoured: the same text cut short fails. */
	ASSERT_EQ(ring_entry_parse("vm1", ok, strlen(ok) - 1, &e, &d), -EBADMSG);
}

TEST_MAIN()
