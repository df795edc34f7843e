/* SPDX-License-Identifier: MIT */
/*
 * common/small-file.c: bounded whole-file reads, atomic replacement and the
 * "key=value" lines of the run directory's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "small-file.h"
#include "test-tmpdir.h"
#include "test.h"

static void write_file(int dir_fd, const char *name, const char *text)
{
	_cleanup_(closep) int fd =
		openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

TEST(read_bounded)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-small");
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	char buf[6] = "xxxxx";

	ASSERT_TRUE(dir != NULL);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	write_file(dir_fd, "five", "12345");
	fd = openat(dir_fd, "five", O_RDONLY | O_CLOEXEC);
	/* One byte less than the buffer: read whole, NUL-added. */
	ASSERT_EQ(small_file_read(fd, buf, sizeof(buf)), 5);
	ASSERT_STREQ(buf, "12345");
	/* Exactly the buffer: no room for the NUL, so it is too long. */
	ASSERT_EQ(small_file_read(fd, buf, 5), -EFBIG);
	ASSERT_EQ(small_file_read(fd, buf, 0), -ENOBUFS);
	/* Not a regular file. */
	ASSERT_EQ(small_file_read(dir_fd, buf, sizeof(buf)), -EBADMSG);
}

TEST(replace_is_atomic_and_keeps_mode)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-small");
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	char buf[32];
	struct stat st;
	mode_t old_umask;

	ASSERT_TRUE(dir != NULL);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	write_file(dir_fd, "f", "old\n");
	/* Something planted under the temporary name is replaced, not written through. */
	ASSERT_EQ(symlinkat("f", dir_fd, ".f.new"), 0);
	old_umask = umask(077);
	ASSERT_EQ(small_file_replace(dir_fd, ".f.new", "f", "new\n", 4, 0644), 0);
	umask(old_umask);
	ASSERT_EQ(fstatat(dir_fd, ".f.new", &st, AT_SYMLINK_NOFOLLOW), -1);
	ASSERT_EQ(fstatat(dir_fd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT_EQ(st.st_mode & 07777, 0644);
	fd = openat(dir_fd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(small_file_read(fd, buf, sizeof(buf)), 4);
	ASSERT_STREQ(buf, "new\n");
}

TEST(replace_failure_leaves_the_file)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-small");
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	char buf[32];

	ASSERT_TRUE(dir != NULL);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	write_file(dir_fd, "f", "old\n");
	/* A directory in the way of the rename: the old file stays, the temp goes. */
	ASSERT_EQ(mkdirat(dir_fd, "d", 0755), 0);
	ASSERT_TRUE(small_file_replace(dir_fd, ".d.new", "d", "x", 1, 0644) < 0);
	ASSERT_EQ(faccessat(dir_fd, ".d.new", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	fd = openat(dir_fd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(small_file_read(fd, buf, sizeof(buf)), 4);
	ASSERT_STREQ(buf, "old\n");
}

TEST(parse_field)
{
	static const char text[] = "join=42\nhotkey=\nnonl=1";
	const char *p = text, *end = text + strlen(text), *value = NULL;
	size_t len = 99;

	ASSERT_EQ(small_file_parse_field(&p, end, "hotkey", &value, &len), -EBADMSG);
	ASSERT_TRUE(p == text && value == NULL && len == 99);
	ASSERT_EQ(small_file_parse_field(&p, end, "joi", &value, &len), -EBADMSG);
	ASSERT_EQ(small_file_parse_field(&p, end, "join", &value, &len), 0);
	ASSERT_EQ(len, 2);
	ASSERT_EQ(memcmp(value, "42", 2), 0);
	ASSERT_EQ(small_file_parse_field(&p, end, "hotkey", &value, &len), 0);
	ASSERT_EQ(len, 0);
	/* A last line without its '\n' is not a line. */
	ASSERT_EQ(small_file_parse_field(&p, end, "nonl", &value, &len), -EBADMSG);
}

TEST(parse_field_refuses_nul)
{
	static const char text[] = "k=a\0b\n";
	const char *p = text, *value;
	size_t len;

	ASSERT_EQ(small_file_parse_field(&p, text + sizeof(text) - 1, "k", &value, &len), -EBADMSG);
}

TEST(parse_u64)
{
	uint64_t v = 7;

	ASSERT_EQ(small_file_parse_u64("0", 1, &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(small_file_parse_u64("42", 2, &v), 0);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(small_file_parse_u64("18446744073709551615", 20, &v), 0);
	ASSERT_EQ(v, UINT64_MAX);
	ASSERT_EQ(small_file_parse_u64("18446744073709551616", 20, &v), -EBADMSG);
	ASSERT_EQ(small_file_parse_u64("", 0, &v), -EBADMSG);
	ASSERT_EQ(small_file_parse_u64("00", 2, &v), -EBADMSG);
	ASSERT_EQ(small_file_parse_u64("+1", 2, &v), -EBADMSG);
	ASSERT_EQ(small_file_parse_u64("1a", 2, &v), -EBADMSG);
	ASSERT_EQ(v, UINT64_MAX);
}

TEST_MAIN()
