/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "small-file.h"

int small_file_read(int fd, char *buf, size_t size)
{
	struct stat st;
	size_t total = 0;

	if (size == 0)
		return -ENOBUFS;
	if (fstat(fd, &st) < 0)
		return small_file_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	/* Read one byte more than allowed, to tell "exactly full" from "too long". */
	while (total < size) {
		ssize_t r = pread(fd, buf + total, size - total, (off_t)total);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return small_file_errno();
		}
		if (r == 0)
			break;
		total += (size_t)r;
	}
	if (total >= size)
		return -EFBIG;
	buf[total] = '\0';
	return (int)total;
}

int small_file_replace(int dir_fd, const char *tmp_name, const char *name, const char *buf,
		      size_t len, mode_t mode)
{
	_cleanup_(closep) int fd = -1;
	ssize_t w;
	int r;

	if (unlinkat(dir_fd, tmp_name, 0) < 0 && errno != ENOENT)
		return small_file_errno();
	fd = openat(dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return small_file_errno();
	if (fchmod(fd, mode) < 0)
		goto fail;
	w = write(fd, buf, len);
	if (w < 0)
		goto fail;
	if ((size_t)w != len) {
		errno = EIO;
		goto fail;
	}
	if (close(TAKE_FD(fd)) < 0 || renameat(dir_fd, tmp_name, dir_fd, name) < 0)
		goto fail;
	return 0;
fail:
	r = small_file_errno();
	(void)unlinkat(dir_fd, tmp_name, 0);
	return r;
}

int small_file_parse_field(const char **p, const char *end, const char *key, const char **ret_value,
		     size_t *ret_len)
{
	size_t key_len = strlen(key);
	const char *value, *nl;

	if ((size_t)(end - *p) <= key_len || memcmp(*p, key, key_len) != 0 || (*p)[key_len] != '=')
		return -EBADMSG;
	value = *p + key_len + 1;
	nl = memchr(value, '\n', (size_t)(end - value));
	if (!nl || memchr(value, '\0', (size_t)(nl - value)))
		return -EBADMSG;
	*ret_value = value;
	*ret_len = (size_t)(nl - value);
	*p = nl + 1;
	return 0;
}

int small_file_parse_u64(const char *text, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && text[0] == '0'))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (text[i] < '0' || text[i] > '9')
			return -EBADMSG;
		d = (unsigned)(text[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}
