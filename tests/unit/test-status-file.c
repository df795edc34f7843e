/* SPDX-License-Identifier: MIT */
/*
 * common/status-file.c: the format round trip, the strict parser on every
 * malformed form, the bounded read, atomic writes, and removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status-file.h"
#include "test.h"

#define BY_ID "/dev/input/by-id/"

/* In the build directory (the tests run there), removed at exit. */
static char tmpdir[] = "test-status-file.XXXXXX";
static char run_dir[sizeof(tmpdir) + 16];

static struct status *sample(void)
{
	static struct status st;

	st = (struct status){ .pid = 1234, .focus = true, .n_devices = 2 };
	strcpy(st.devices[0].physical, BY_ID "usb-kbd");
	strcpy(st.devices[0].clone, BY_ID "vm1-usb-kbd");
	st.devices[0].present = true;
	st.devices[0].grabbed = true;
	strcpy(st.devices[1].physical, BY_ID "usb-mouse");
	strcpy(st.devices[1].clone, BY_ID "vm1-usb-mouse");
	return &st;
}

static int parse(const char *text, struct status *ret, struct diag *diag)
{
	return status_parse("vm1", text, strlen(text), ret, diag);
}

static void path_in_run_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/" STATUS_DIR_NAME "/%s", run_dir, name);
}

TEST(format_and_parse_round_trip)
{
	char buf[STATUS_FILE_MAX];
	struct status got;
	struct diag diag = {};
	int len;

	len = status_format(sample(), buf, sizeof(buf));
	ASSERT_TRUE(len > 0);
	ASSERT_STREQ(buf, "pid=1234\nfocus=1\n"
			  "device=" BY_ID "usb-kbd " BY_ID "vm1-usb-kbd present=1 grabbed=1\n"
			  "device=" BY_ID "usb-mouse " BY_ID "vm1-usb-mouse present=0 grabbed=0\n");
	ASSERT_EQ(status_parse("vm1", buf, (size_t)len, &got, &diag), 0);
	ASSERT_EQ(memcmp(&got, sample(), sizeof(got)), 0);
}

TEST(parse_no_devices_and_the_most)
{
	char buf[STATUS_FILE_MAX];
	struct status st = { .pid = 1 }, got;
	int len;

	ASSERT_EQ(parse("pid=1\nfocus=0\n", &got, NULL), 0);
	ASSERT_EQ(got.pid, 1);
	ASSERT_FALSE(got.focus);
	ASSERT_EQ(got.n_devices, 0);

	/* DOMAIN_SOURCES_MAX devices with the longest names the hook gives: fits. */
	st.n_devices = DOMAIN_SOURCES_MAX;
	for (size_t i = 0; i < st.n_devices; i++) {
		snprintf(st.devices[i].physical, VK_PATH_MAX, BY_ID "%02zu%0*d", i,
			 DEVICE_NAME_MAX - 2, 0);
		snprintf(st.devices[i].clone, VK_PATH_MAX, BY_ID "%0*d-%s", VM_NAME_MAX, 0,
			 st.devices[i].physical + strlen(BY_ID));
	}
	st.pid = 4194304;
	len = status_format(&st, buf, sizeof(buf));
	ASSERT_TRUE(len > 0);
	ASSERT_EQ(status_parse("0000000000000000000000000000000000000000000000000000000000000000",
			       buf, (size_t)len, &got, NULL),
		  0);
	ASSERT_EQ(got.n_devices, DOMAIN_SOURCES_MAX);
	ASSERT_EQ(got.pid, 4194304);
}

TEST(format_refuses_what_it_cannot_hold)
{
	struct status st = *sample();
	char small[16];

	ASSERT_EQ(status_format(&st, small, sizeof(small)), -ENOBUFS);
	st.pid = 0;
	ASSERT_EQ(status_format(&st, small, sizeof(small)), -EINVAL);
	st.pid = 1;
	st.n_devices = DOMAIN_SOURCES_MAX + 1;
	ASSERT_EQ(status_format(&st, small, sizeof(small)), -EINVAL);
}

#define DEV "device=" BY_ID "kbd " BY_ID "vm1-kbd present=1 grabbed=0\n"
#define HEAD "pid=7\nfocus=1\n"

TEST(parse_refuses_every_malformed_form)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "", 1 },
		{ "\n", 1 },
		{ "pid=0\nfocus=0\n", 1 },
		{ "pid=-1\nfocus=0\n", 1 },
		{ "pid=+1\nfocus=0\n", 1 },
		{ "pid=01\nfocus=0\n", 1 },
		{ "pid=2147483648\nfocus=0\n", 1 },
		{ "pid=99999999999999999999999\nfocus=0\n", 1 },
		{ "pid= 1\nfocus=0\n", 1 },
		{ "pid=1 \nfocus=0\n", 1 },
		{ "PID=1\nfocus=0\n", 1 },
		{ "focus=0\npid=1\n", 1 },
		{ "pid=1\r\nfocus=0\n", 1 },
		{ "pid=1\n", 2 },
		{ "pid=1\nfocus=2\n", 2 },
		{ "pid=1\nfocus=\n", 2 },
		{ "pid=1\nfocus=1", 2 },
		{ "pid=1\nfocus=yes\n", 2 },
		{ HEAD "focus=1\n", 3 },
		{ HEAD "\n", 3 },
		{ HEAD "device=\n", 3 },
		{ HEAD DEV "device=" BY_ID "kbd2 " BY_ID "vm1-kbd2 present=1 grabbed=0", 4 },
		{ HEAD "device=" BY_ID "kbd\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd present=1\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd present=1 grabbed=0 x=1\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd present=2 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd grabbed=0 present=1\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd present=1  grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd  " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "vm1-kbd present=1 grabbed=0\r\n", 3 },
		{ HEAD "device=dev/input/by-id/kbd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "k\tbd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "k\x1b[2Jbd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "k\x7f " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "k\xc3\xa9 " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "../../../etc/passwd " BY_ID "vm1-kbd present=1 grabbed=0\n",
		  3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "../vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID ".. present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID " " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID ".kbd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "-kbd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "k=bd " BY_ID "vm1-kbd present=1 grabbed=0\n", 3 },
		{ HEAD "device=" BY_ID "kbd " BY_ID "kbd present=1 grabbed=0\n", 3 },
		{ HEAD DEV DEV, 4 },
		{ HEAD DEV "device=" BY_ID "kbd " BY_ID "vm1-other present=1 grabbed=0\n", 4 },
		{ HEAD DEV "garbage\n", 4 },
	};
	struct status got = { .pid = 99 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag diag = {};
		char want[64];

		snprintf(want, sizeof(want), "vm1: status file, line %u: ", bad[i].line);
		if (parse(bad[i].text, &got, &diag) != -EBADMSG)
			TEST_FAIL("accepted case %zu: '%s'", i, bad[i].text);
		if (!strstr(diag.msg, want))
			TEST_FAIL("case %zu: '%s' lacks '%s'", i, diag.msg, want);
		ASSERT_EQ(got.pid, 99); /* untouched */
		ASSERT_TRUE(strchr(diag.msg, '\n') == NULL);
	}
}

TEST(parse_refuses_nul_and_too_many_devices)
{
	static const char nul[] = HEAD "device=" BY_ID "kbd\0x " BY_ID "vm1-kbd present=1 grabbed=0\n";
	char buf[STATUS_FILE_MAX + 2], *p = buf;
	struct diag diag = {};
	struct status got;

	ASSERT_EQ(status_parse("vm1", nul, sizeof(nul) - 1, &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "vm1: status file, line 3: ");

	p += sprintf(p, HEAD);
	for (int i = 0; i <= DOMAIN_SOURCES_MAX; i++)
		p += sprintf(p, "device=" BY_ID "k%d " BY_ID "vm1-k%d present=1 grabbed=1\n", i, i);
	ASSERT_EQ(parse(buf, &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "line 35: more than 32 devices");

	memset(buf, '\n', sizeof(buf));
	ASSERT_EQ(status_parse("vm1", buf, STATUS_FILE_MAX + 1, &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "vm1: status file longer than");
}

TEST(write_read_remove)
{
	char path[256];
	struct diag diag = {};
	struct status got, changed;
	struct stat st;

	umask(022);
	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), -ENOENT); /* no run dir yet */
	ASSERT_CONTAINS(diag.msg, "vm1: no status file");
	ASSERT_EQ(status_remove(run_dir, "vm1"), 0);
	diag = (struct diag){};
	ASSERT_EQ(status_write(run_dir, "vm1", sample(), &diag), 0);
	ASSERT_STREQ(diag.msg, "");

	path_in_run_dir(path, sizeof(path), "");
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0755);
	path_in_run_dir(path, sizeof(path), "vm1");
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0644);
	path_in_run_dir(path, sizeof(path), ".vm1.new");
	ASSERT_EQ(access(path, F_OK), -1);

	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), 0);
	ASSERT_EQ(memcmp(&got, sample(), sizeof(got)), 0);
	ASSERT_EQ(status_read(run_dir, "vm2", &got, &diag), -ENOENT);

	/* Rewritten in place. */
	changed = *sample();
	changed.devices[1].present = true;
	ASSERT_EQ(status_write(run_dir, "vm1", &changed, &diag), 0);
	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), 0);
	ASSERT_TRUE(got.devices[1].present);

	ASSERT_EQ(status_remove(run_dir, "vm1"), 0);
	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), -ENOENT);
	ASSERT_EQ(status_remove(run_dir, "vm1"), 0);
}

TEST(write_refuses_bad_names_and_content)
{
	struct status st = *sample();
	struct diag diag = {};
	struct status got;

	ASSERT_EQ(status_write(run_dir, "../x", &st, &diag), -EINVAL);
	ASSERT_EQ(status_write(run_dir, "host", &st, &diag), -EINVAL);
	ASSERT_EQ(status_read(run_dir, "../x", &got, &diag), -EINVAL);
	ASSERT_EQ(status_remove(run_dir, "a/b"), -EINVAL);

	strcpy(st.devices[0].physical, "relative");
	ASSERT_EQ(status_write(run_dir, "vm1", &st, &diag), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "vm1: status file, line 3: ");
	st = *sample();
	st.pid = -5;
	ASSERT_EQ(status_write(run_dir, "vm1", &st, &diag), -EINVAL);
	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), -ENOENT);
}

TEST(read_is_bounded_and_refuses_odd_files)
{
	char path[256], target[256];
	struct diag diag = {};
	struct status got;
	FILE *f;

	ASSERT_EQ(status_write(run_dir, "vm1", sample(), &diag), 0);

	path_in_run_dir(path, sizeof(path), "big");
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "pid=1\nfocus=0\n");
	for (int i = 0; i < STATUS_FILE_MAX; i++)
		fputc('\n', f);
	fclose(f);
	ASSERT_EQ(status_read(run_dir, "big", &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "big: status file longer than 16384 bytes");

	/* Not followed, not hung on. */
	path_in_run_dir(path, sizeof(path), "link");
	path_in_run_dir(target, sizeof(target), "vm1");
	ASSERT_EQ(symlink(target, path), 0);
	ASSERT_EQ(status_read(run_dir, "link", &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "symbolic link");
	path_in_run_dir(path, sizeof(path), "fifo");
	ASSERT_EQ(mkfifo(path, 0644), 0);
	ASSERT_EQ(status_read(run_dir, "fifo", &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "not a regular file");

	/* A planted temp file is replaced, not written through. */
	path_in_run_dir(path, sizeof(path), ".vm2.new");
	ASSERT_EQ(symlink(target, path), 0);
	ASSERT_EQ(status_write(run_dir, "vm2", sample(), &diag), 0);
	ASSERT_EQ(status_read(run_dir, "vm1", &got, &diag), 0);
	ASSERT_EQ(status_read(run_dir, "vm2", &got, &diag), 0);

	/* Malformed on disk: the VM and line are named. */
	path_in_run_dir(path, sizeof(path), "vm3");
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "pid=1\nfocus=0\ndevice=nope\n");
	fclose(f);
	ASSERT_EQ(status_read(run_dir, "vm3", &got, &diag), -EBADMSG);
	ASSERT_CONTAINS(diag.msg, "vm3: status file, line 3: ");

	static const char *const names[] = { "big", "link", "fifo", "vm1", "vm2", "vm3" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_run_dir(path, sizeof(path), names[i]);
		unlink(path);
	}
}

static void cleanup(void)
{
	char path[256];

	path_in_run_dir(path, sizeof(path), "");
	rmdir(path);
	rmdir(run_dir);
	rmdir(tmpdir);
}

__attribute__((constructor)) static void setup(void)
{
	if (!mkdtemp(tmpdir))
		abort();
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmpdir);
	atexit(cleanup);
}

TEST_MAIN()
