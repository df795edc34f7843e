/* SPDX-License-Identifier: MIT */
/*
 * The built `vfio-kvm status | focus | next | release` against a temporary
 * run directory whose ring members this test joins itself (ring_join() in
 * this process: they stay live while it holds them). The config is always
 * named with --config, so the machine's /etc/vfio-kvm.conf plays no part.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"
#include "status-file.h"
#include "test.h"

#define CLI BUILDDIR "/vfio-kvm"
#define BY_ID "/dev/input/by-id/"
#define NOBODY 65534

struct result {
	int status; /* exit code, or 128 + signal */
	char out[16384];
	char err[4096];
};

/* In the build directory (the tests run there), removed at exit. */
static char tmpdir[] = "test-cli-focus.XXXXXX";
static char run_dir[64], odd_dir[64], conf_default[64], conf_no_host[64];
static struct ring_member *members[4];
static bool as_nobody;

static void slurp(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;

	while (n < size - 1 && (k = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
}

/* Runs the CLI with argv (after argv[0]); stdin is /dev/null. */
static void run(struct result *res, char *const args[])
{
	char *argv[16] = { CLI };
	int out[2], err[2], status;
	pid_t pid;

	for (size_t i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (as_nobody && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(126);
		alarm(10); /* survives exec: a hang becomes SIGALRM */
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	slurp(out[0], res->out, sizeof(res->out));
	slurp(err[0], res->err, sizeof(res->err));
	waitpid(pid, &status, 0);
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define RUN(res, ...) run(res, (char *const[]){ __VA_ARGS__, NULL })

/* ---- a tiny JSON checker: is the text exactly one valid JSON value? ---- */

static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string_end(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_container(const char *p, char close, bool object, int depth)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = json_string_end(json_ws(p));
			if (!p || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_container(p, '}', true, depth);
	case '[':
		return json_container(p, ']', false, depth);
	case '"':
		return json_string_end(p);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
		return p;
	}
}

static bool json_valid(const char *text)
{
	const char *end = json_value(text, 0);

	return end && *json_ws(end) == '\0';
}

/* ---- the ring ---- */

static void join(size_t i, const char *dir, const char *vm, const char *hotkey)
{
	struct keyset keys = {};
	struct diag diag = {};

	if (hotkey && keyset_parse(hotkey, strlen(hotkey), &keys, &diag) < 0)
		abort();
	if (ring_join(dir, vm, hotkey ? &keys : NULL, &members[i], &diag) < 0) {
		printf("# %s\n", diag.msg);
		abort();
	}
}

static void write_status(const char *dir, const char *vm, size_t n_devices)
{
	static const char *const devs[] = { "usb-Logitech_USB_Keyboard-event-kbd", "usb-mouse" };
	struct status st = { .pid = 4242, .focus = false, .n_devices = n_devices };
	struct diag diag = {};

	for (size_t i = 0; i < n_devices; i++) {
		snprintf(st.devices[i].physical, VK_PATH_MAX, BY_ID "%s", devs[i]);
		snprintf(st.devices[i].clone, VK_PATH_MAX, BY_ID "%s-%s", vm, devs[i]);
		st.devices[i].present = i == 0;
		st.devices[i].grabbed = i == 0;
	}
	if (status_write(dir, vm, &st, &diag) < 0) {
		printf("# %s\n", diag.msg);
		abort();
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Puts focus back on the host before a test that counts on it. */
static void release(void)
{
	struct result res;

	RUN(&res, "release", "--run-dir", run_dir);
	if (res.status != 0)
		abort();
}

/* The column of mark on the first line that holds needle (before mark), or -1. */
static int column_of(const char *text, const char *needle, const char *mark)
{
	const char *hit = strstr(text, needle), *line, *at;

	if (!hit)
		return -1;
	for (line = hit; line > text && line[-1] != '\n'; line--)
		;
	at = strstr(hit, mark);
	return at ? (int)(at - line) : -1;
}

TEST(status_lists_the_ring_in_order_with_devices)
{
	struct result res;
	const char *vm1, *vm2, *vm3;

	release();
	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	ASSERT_TRUE(starts_with(res.out, "focus: host (generation "));
	ASSERT_CONTAINS(res.out, ")\nring:\n* host\n  vm1  ");
	/* Columns: the longest name ("host"), the longest state ("(no status)"). */
	vm1 = strstr(res.out, "\n  vm1   pid 4242     hotkey KEY_LEFTALT+KEY_1\n");
	vm2 = strstr(res.out, "\n  vm2   pid 4242\n    (no devices)\n");
	vm3 = strstr(res.out, "\n  vm3   (no status)\n");
	ASSERT_TRUE(vm1 && vm2 && vm3);
	ASSERT_TRUE(vm1 < vm2 && vm2 < vm3);
	ASSERT_CONTAINS(res.out, "    " BY_ID "usb-Logitech_USB_Keyboard-event-kbd -> " BY_ID
				 "vm1-usb-Logitech_USB_Keyboard-event-kbd  present yes  grabbed yes\n");
	ASSERT_CONTAINS(res.out, "    " BY_ID "usb-mouse                           -> " BY_ID
				 "vm1-usb-mouse   ");
	ASSERT_CONTAINS(res.out, "   present no   grabbed no\n");
	/* Aligned: the arrows and the flags line up. */
	ASSERT_EQ(column_of(res.out, "usb-mouse", " -> "),
		  column_of(res.out, "usb-Logitech", " -> "));
	ASSERT_EQ(column_of(res.out, "usb-mouse", " present "),
		  column_of(res.out, "usb-Logitech", " present "));
}

TEST(status_json_is_one_valid_object)
{
	struct result res;

	release();
	RUN(&res, "status", "--json", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	ASSERT_TRUE(json_valid(res.out));
	ASSERT_EQ(strchr(res.out, '\n') - res.out, (long)strlen(res.out) - 1);
	ASSERT_TRUE(starts_with(res.out, "{\"focus\":{\"target\":\"host\",\"previous\":\""));
	ASSERT_CONTAINS(res.out, ",\"include_host\":true,\"ring\":[{\"name\":\"host\",\"host\":"
				 "true,\"focus\":true},{\"name\":\"vm1\"");
	ASSERT_CONTAINS(res.out, "\"hotkey\":\"KEY_LEFTALT+KEY_1\",\"status\":{\"pid\":4242,"
				 "\"devices\":[{\"physical\":\"" BY_ID "usb-Logitech_USB_Keyboard-"
				 "event-kbd\",\"clone\":\"" BY_ID "vm1-usb-Logitech_USB_Keyboard-"
				 "event-kbd\",\"present\":true,\"grabbed\":true},");
	ASSERT_CONTAINS(res.out, "{\"name\":\"vm2\",\"host\":false,\"focus\":false,\"hotkey\":null,"
				 "\"status\":{\"pid\":4242,\"devices\":[]}}");
	ASSERT_CONTAINS(res.out, "{\"name\":\"vm3\",\"host\":false,\"focus\":false,\"hotkey\":null,"
				 "\"status\":null}]}\n");
}

TEST(next_cycles_and_wraps)
{
	static const char *const expect[] = { "focus: vm1 (was host)\n", "focus: vm2 (was vm1)\n",
					      "focus: vm3 (was vm2)\n", "focus: host (was vm3)\n" };
	struct result res;

	release();
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		RUN(&res, "next", "--run-dir", run_dir, "--config", conf_default);
		ASSERT_EQ(res.status, 0);
		ASSERT_STREQ(res.out, expect[i]);
		ASSERT_STREQ(res.err, "");
	}
	/* Without the host in the cycle, vm3 wraps to vm1. */
	RUN(&res, "focus", "vm3", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 0);
	RUN(&res, "next", "--run-dir", run_dir, "--config", conf_no_host);
	ASSERT_STREQ(res.out, "focus: vm1 (was vm3)\n");
	RUN(&res, "release", "--run-dir", run_dir);
	ASSERT_STREQ(res.out, "focus: host (was vm1)\n");
}

TEST(focus_release_and_status_agree)
{
	struct result res;

	release();
	RUN(&res, "focus", "vm2", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.out, "focus: vm2 (was host)\n");
	RUN(&res, "focus", "--run-dir", run_dir, "vm2");
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.out, "focus: already vm2\n");

	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, ", was host)\n");
	ASSERT_CONTAINS(res.out, "\n  host\n");
	ASSERT_CONTAINS(res.out, "\n* vm2   pid 4242\n");
	RUN(&res, "status", "--json", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_TRUE(json_valid(res.out));
	ASSERT_CONTAINS(res.out, "{\"name\":\"vm2\",\"host\":false,\"focus\":true,");

	RUN(&res, "release", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.out, "focus: host (was vm2)\n");
	RUN(&res, "release", "--run-dir", run_dir);
	ASSERT_STREQ(res.out, "focus: already host\n");
	RUN(&res, "focus", "host", "--run-dir", run_dir);
	ASSERT_STREQ(res.out, "focus: already host\n");
}

TEST(focus_unknown_or_bad_target_fails)
{
	struct result res;

	RUN(&res, "focus", "vm9", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.out, "");
	ASSERT_STREQ(res.err, "vfio-kvm: no VM 'vm9' in the ring\n");
	RUN(&res, "focus", "../x", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: ");
	ASSERT_EQ(strchr(res.err, '\n') - res.err, (long)strlen(res.err) - 1);
}

TEST(a_held_lock_is_waited_for_then_named)
{
	char path[128];
	struct result res;
	int fd;

	/* Another open file of the lock: to the CLI, another process holding it. */
	snprintf(path, sizeof(path), "%s/" RING_LOCK_NAME, run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	RUN(&res, "release", "--run-dir", run_dir);
	close(fd);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.out, "");
	ASSERT_CONTAINS(res.err, "/" RING_LOCK_NAME ": held by another process; try again\n");
	RUN(&res, "release", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 0);
}

TEST(usage_errors_exit_2)
{
	struct result res;

	RUN(&res, "focus", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 2);
	ASSERT_CONTAINS(res.err, "Usage: vfio-kvm focus TARGET");
	RUN(&res, "focus", "vm1", "vm2");
	ASSERT_EQ(res.status, 2);
	RUN(&res, "next", "vm1");
	ASSERT_EQ(res.status, 2);
	RUN(&res, "release", "--config", conf_default);
	ASSERT_EQ(res.status, 2);
	RUN(&res, "status", "--frob");
	ASSERT_EQ(res.status, 2);
	RUN(&res, "status", "--run-dir");
	ASSERT_EQ(res.status, 2);
	RUN(&res, "--help");
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "  status [--json] [--run-dir DIR]");
	ASSERT_CONTAINS(res.out, "  focus TARGET [--run-dir DIR]\n  next [--run-dir DIR]");
}

TEST(status_without_the_host_and_with_bad_status_files)
{
	struct result res;
	char path[128];
	FILE *f;

	release();
	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_no_host);
	ASSERT_EQ(res.status, 0);
	ASSERT_TRUE(starts_with(res.out, "focus: host (generation "));
	ASSERT_CONTAINS(res.out, "\nring (the host is not in the cycle):\n  vm1  pid 4242");
	ASSERT_FALSE(strstr(res.out, "\n  host\n") || strstr(res.out, "\n* host\n"));

	snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME "/vm3", run_dir);
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	fputs("pid=1\nfocus=0\ndevice=relative x present=1 grabbed=1\n", f);
	fclose(f);
	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_default);
	unlink(path);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "\n  vm3   (status unreadable)\n    vm3: status file, line 3: ");

	/* Every string escaped: a run directory name with '"', '\' and a control byte. */
	ASSERT_EQ(mkfifo(path, 0644), 0);
	RUN(&res, "status", "--json", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_TRUE(json_valid(res.out));
	ASSERT_CONTAINS(res.out, "\"name\":\"vm3\",\"host\":false,\"focus\":false,\"hotkey\":null,"
				 "\"status\":null,\"status_error\":\"");
	unlink(path);
	join(3, odd_dir, "odd", NULL);
	snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME, odd_dir);
	ASSERT_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME "/odd", odd_dir);
	ASSERT_EQ(mkfifo(path, 0644), 0);
	RUN(&res, "status", "--json", "--run-dir", odd_dir, "--config", conf_default);
	members[3] = ring_leave(members[3]);
	ASSERT_EQ(res.status, 0);
	ASSERT_TRUE(json_valid(res.out));
	ASSERT_CONTAINS(res.out, "q\\\"\\\\\\u0001d/status/odd: not a regular file\"");
}

TEST(status_of_an_empty_or_missing_run_dir)
{
	struct result res;
	char missing[96];

	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	RUN(&res, "status", "--run-dir", missing, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.out, "focus: host (generation 0)\nring:\n* host\n  (no VM's helper runs)\n");
	RUN(&res, "status", "--json", "--run-dir", missing, "--config", conf_no_host);
	ASSERT_STREQ(res.out, "{\"focus\":{\"target\":\"host\",\"previous\":\"host\","
			      "\"generation\":0},\"include_host\":false,\"ring\":[]}\n");
	RUN(&res, "status", "--run-dir", missing, "--config", missing);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.err, "vfio-kvm: ");
}

TEST(a_vm_that_left_is_gone)
{
	struct result res;

	release();
	RUN(&res, "focus", "vm3", "--run-dir", run_dir);
	ASSERT_STREQ(res.out, "focus: vm3 (was host)\n");
	members[2] = ring_leave(members[2]);
	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_default);
	ASSERT_EQ(res.status, 0);
	ASSERT_FALSE(strstr(res.out, "vm3\n"));
	ASSERT_CONTAINS(res.out, "focus: vm3 (generation ");
	ASSERT_CONTAINS(res.out, " - not in the ring\n");
	RUN(&res, "focus", "vm3", "--run-dir", run_dir);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: no VM 'vm3' in the ring\n");
	RUN(&res, "release", "--run-dir", run_dir);
	ASSERT_STREQ(res.out, "focus: host (was vm3)\n");
	join(2, run_dir, "vm3", NULL);
}

TEST(the_ring_needs_root)
{
	struct result res;

	/* The ring's owner may read it (ring.h): only root can try as someone else. */
	if (geteuid() != 0) {
		printf("# not root: cannot run the CLI as a user who does not own the ring\n");
		return;
	}
	as_nobody = true;
	RUN(&res, "status", "--run-dir", run_dir, "--config", conf_default);
	as_nobody = false;
	if (res.status == 126 || res.status == 127) {
		printf("# cannot run the CLI as uid %d here; not checked\n", NOBODY);
		return;
	}
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.out, "");
	ASSERT_STREQ(res.err, "vfio-kvm: reading the ring needs root\n");
	as_nobody = true;
	RUN(&res, "next", "--run-dir", run_dir, "--config", conf_default);
	as_nobody = false;
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: changing focus needs root\n");
}

static void cleanup(void)
{
	char cmd[256];

	for (size_t i = 0; i < ARRAY_SIZE(members); i++)
		members[i] = ring_leave(members[i]);
	/* Only what this test made: the directory from mkdtemp() above. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

__attribute__((constructor(200))) static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755) < 0)
		abort();
	atexit(cleanup);
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmpdir);
	snprintf(odd_dir, sizeof(odd_dir), "%s/q\"\\\001d", tmpdir);
	snprintf(conf_default, sizeof(conf_default), "%s/default.conf", tmpdir);
	snprintf(conf_no_host, sizeof(conf_no_host), "%s/no-host.conf", tmpdir);
	write_file(conf_default, "");
	write_file(conf_no_host, "[ring]\ninclude_host = no\n");
	join(0, run_dir, "vm1", "KEY_LEFTALT+KEY_1");
	join(1, run_dir, "vm2", NULL);
	join(2, run_dir, "vm3", NULL);
	write_status(run_dir, "vm1", 2);
	write_status(run_dir, "vm2", 0);
}

TEST_MAIN()
