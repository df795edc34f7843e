/* SPDX-License-Identifier: MIT */
/*
 * Guest test: `vfio-kvm watch` and `vfio-kvm watch --json` run as a user who
 * is not root (nobody), from before any VM runs, while focus switches by
 * hand (focus, next, release), helpers stop and start and the last one
 * leaves: each prints exactly the lines a status bar should show, and exits
 * 0 on SIGINT. The notify example (examples/vfio-kvm-notify, as installed)
 * runs beside them with a stand-in notify-send and is called once per
 * switch, never for the line watch starts with.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define NOBODY 65534
/* Every helper's unit, not the one that runs the guest tests. */
#define STOP_LEFTOVER_HELPERS                                                                      \
	"units=$(systemctl list-units --plain --no-legend 'vfio-kvm-*.service' 'vktest-*.service'" \
	" | awk '$1 != \"vfio-kvm-guest-tests.service\" { print $1 }');"                           \
	" [ -z \"$units\" ] || timeout 120 systemctl stop $units"
#define NOTIFY_SCRIPT "/usr/share/doc/vfio-kvm/examples/vfio-kvm-notify"

/* A program run as nobody, its stdout read line by line. */
struct watcher {
	pid_t pid;
	int fd;
	char buf[8192];
	size_t len;
	char seen[8192]; /* every line read, for the test's output */
	size_t n_seen;
};

/*
 * Runs ARGV as nobody (in a session of its own, so that its process group
 * can be signalled), stdout to a pipe. ENV_PATH, when not NULL, is its PATH.
 */
static int watcher_start(struct watcher *w, char *const *argv, const char *env_path)
{
	int p[2];

	w->pid = -1;
	w->fd = -1;
	w->len = 0;
	w->n_seen = 0;
	w->seen[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	w->pid = fork();
	if (w->pid < 0) {
		safe_close(p[0]);
		safe_close(p[1]);
		return -errno;
	}
	if (w->pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0 || setsid() < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(126);
		if (env_path)
			setenv("PATH", env_path, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	safe_close(p[1]);
	w->fd = p[0];
	return 0;
}

/* Sends SIG to the watcher's process group and reaps it. Returns its wait status or -errno. */
static int watcher_stop(struct watcher *w, int sig)
{
	int status;

	if (w->pid <= 0)
		return -ESRCH;
	(void)kill(-w->pid, sig);
	if (waitpid(w->pid, &status, 0) < 0)
		return -errno;
	w->pid = -1;
	return status;
}

static void watcher_cleanup(struct watcher *w)
{
	if (w->pid > 0)
		(void)watcher_stop(w, SIGKILL);
	w->fd = safe_close(w->fd);
}

/*
 * The next line (without its newline) into LINE, waiting at most TIMEOUT_MS.
 * Returns 0, -ETIMEDOUT, -EPIPE at the end of the output, or -errno.
 */
static int watcher_line(struct watcher *w, char *line, size_t size, int timeout_ms)
{
	long long deadline = vt_now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(w->buf, '\n', w->len);
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - w->buf);

			snprintf(line, size, "%.*s", (int)l, w->buf);
			if (w->n_seen + l + 1 < sizeof(w->seen)) {
				memcpy(w->seen + w->n_seen, w->buf, l + 1);
				w->n_seen += l + 1;
				w->seen[w->n_seen] = '\0';
			}
			memmove(w->buf, nl + 1, w->len - l - 1);
			w->len -= l + 1;
			return 0;
		}
		if (w->len == sizeof(w->buf))
			return -ENOBUFS;
		long long left = deadline - vt_now_ms();
		struct pollfd p = {.fd = w->fd, .events = POLLIN};

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (!p.revents)
			continue;
		n = read(w->fd, w->buf + w->len, sizeof(w->buf) - w->len);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			w->len += (size_t)n;
	}
}

/* The next line is WANT. Prints what came instead. */
static int expect_line(struct watcher *w, const char *what, const char *want)
{
	char line[2048];
	int r = watcher_line(w, line, sizeof(line), VT_TIMEOUT_MS);

	if (r < 0) {
		printf("# %s: no line (%s); wanted '%s'\n", what, strerror(-r), want);
		return r;
	}
	if (strcmp(line, want) != 0) {
		printf("# %s: got '%s'\n# %s: wanted '%s'\n", what, line, what, want);
		return -EBADMSG;
	}
	return 0;
}

/* No line comes within VT_QUIET_MS. */
static int expect_quiet(struct watcher *w, const char *what)
{
	char line[2048];
	int r = watcher_line(w, line, sizeof(line), VT_QUIET_MS);

	if (r == -ETIMEDOUT)
		return 0;
	printf("# %s: unexpected %s '%s'\n", what, r == 0 ? "line" : "end", r == 0 ? line : "");
	return r == 0 ? -EEXIST : r;
}

static const char *json(const char *kind, const char *target)
{
	static char buf[512];

	if (strcmp(kind, "idle") == 0)
		return "{\"text\":\"host\",\"alt\":\"idle\",\"class\":\"idle\","
		       "\"tooltip\":\"Keyboard and mouse: host (no VM runs)\",\"target\":\"host\"}";
	snprintf(buf, sizeof(buf),
	         "{\"text\":\"%s\",\"alt\":\"%s\",\"class\":\"%s\","
	         "\"tooltip\":\"Keyboard and mouse: %s\",\"target\":\"%s\"}",
	         target, kind, kind, target, target);
	return buf;
}

struct rig {
	struct vt_dev *kbd;
	struct vt_helper vm1, vm2;
	struct watcher plain, json, notify;
	char dir[64];
};

static void rig_teardown(struct rig *r)
{
	watcher_cleanup(&r->plain);
	watcher_cleanup(&r->json);
	watcher_cleanup(&r->notify);
	vt_helper_stop(&r->vm1);
	vt_helper_stop(&r->vm2);
	r->kbd = vt_dev_free(r->kbd);
	if (r->dir[0])
		vt_sh(NULL, 0, "rm -rf '%s'", r->dir);
}

/* Both watchers see the switch to TARGET (a VM or "host" while VMs run). */
static int both_see(struct rig *r, const char *target)
{
	int e = expect_line(&r->plain, "watch", target);

	if (e >= 0)
		e = expect_line(&r->json, "watch --json",
		                json(strcmp(target, "host") == 0 ? "host" : "vm", target));
	return e;
}

static int cli(const char *cmd)
{
	char out[512];
	int e = vt_sh(out, sizeof(out), "timeout 30 vfio-kvm %s", cmd);

	if (e != 0)
		printf("# vfio-kvm %s: exit %d: %s", cmd, e, out);
	return e == 0 ? 0 : -EIO;
}

/* The stand-in notify-send: one line per call, its arguments, in DIR/calls. */
static int write_fake_notify_send(struct rig *r)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/notify-send", r->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$*\" >>'%s/calls'\n", r->dir);
	if (fclose(f) != 0 || chmod(path, 0755) < 0 || chmod(r->dir, 0755) < 0 ||
	    chown(r->dir, NOBODY, NOBODY) < 0)
		return -errno;
	return 0;
}

TEST(watch_as_a_user_through_switches_and_helpers)
{
	_cleanup_(rig_teardown) struct rig r = {.plain.fd = -1, .json.fd = -1, .notify.fd = -1};
	char *const plain_argv[] = {(char *)"vfio-kvm", (char *)"watch", NULL};
	char *const json_argv[] = {(char *)"vfio-kvm", (char *)"watch", (char *)"--json", NULL};
	char *const notify_argv[] = {(char *)NOTIFY_SCRIPT, NULL};
	char path[160], out[4096];
	int status;

	r.plain.pid = r.json.pid = r.notify.pid = -1;
	snprintf(r.dir, sizeof(r.dir), "/tmp/vktest-watch.XXXXXX");
	ASSERT_TRUE(mkdtemp(r.dir) != NULL);
	ASSERT_EQ(write_fake_notify_send(&r), 0);
	snprintf(path, sizeof(path), "%s:/usr/sbin:/usr/bin:/sbin:/bin", r.dir);
	ASSERT_EQ(vt_dev_new_keyboard("wkbd", &r.kbd), 0);

	/* No VM runs (none left by a program cut short): the host has the devices. */
	vt_sh(NULL, 0, "%s", STOP_LEFTOVER_HELPERS);
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "! timeout 20 busctl --system status vfio.kvm"), 0);
	ASSERT_EQ(watcher_start(&r.plain, plain_argv, NULL), 0);
	ASSERT_EQ(watcher_start(&r.json, json_argv, NULL), 0);
	ASSERT_EQ(watcher_start(&r.notify, notify_argv, path), 0);
	ASSERT_EQ(expect_line(&r.plain, "watch", "host"), 0);
	ASSERT_EQ(expect_line(&r.json, "watch --json", json("idle", NULL)), 0);
	/* The notify script's watch prints to the script only: wait for its connection. */
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "test \"$(busctl --system list --unique --no-legend |"
	                                    " grep -c ' vfio-kvm .* nobody ')\" -ge 3"),
	          0);

	/* The first helper brings the name: the state again, unchanged in plain. */
	ASSERT_EQ(vt_helper_start(&r.vm1, "vm1", &r.kbd, 1, false), 0);
	ASSERT_EQ(expect_line(&r.json, "watch --json", json("host", "host")), 0);
	ASSERT_EQ(vt_helper_start(&r.vm2, "vm2", &r.kbd, 1, false), 0);

	/* Three switches. */
	ASSERT_EQ(cli("focus vm1"), 0);
	ASSERT_EQ(both_see(&r, "vm1"), 0);
	ASSERT_EQ(cli("next"), 0);
	ASSERT_EQ(both_see(&r, "vm2"), 0);
	ASSERT_EQ(cli("release"), 0);
	ASSERT_EQ(both_see(&r, "host"), 0);
	ASSERT_EQ(expect_quiet(&r.plain, "watch"), 0);

	/* The focused VM's helper stops: focus moves on past it, to the host. */
	ASSERT_EQ(cli("focus vm2"), 0);
	ASSERT_EQ(both_see(&r, "vm2"), 0);
	vt_helper_stop(&r.vm2);
	ASSERT_EQ(both_see(&r, "host"), 0);

	/* The last helper stops (host focused): the name goes, JSON says idle. */
	vt_helper_stop(&r.vm1);
	ASSERT_EQ(expect_line(&r.json, "watch --json", json("idle", NULL)), 0);
	ASSERT_EQ(expect_quiet(&r.plain, "watch"), 0);

	/* A helper starts again: the name is back and watch follows it. */
	ASSERT_EQ(vt_helper_start(&r.vm1, "vm1", &r.kbd, 1, false), 0);
	ASSERT_EQ(expect_line(&r.json, "watch --json", json("host", "host")), 0);
	ASSERT_EQ(cli("focus vm1"), 0);
	ASSERT_EQ(both_see(&r, "vm1"), 0);

	/* The last helper stops while focused: host, then idle. */
	vt_helper_stop(&r.vm1);
	ASSERT_EQ(both_see(&r, "host"), 0);
	ASSERT_EQ(expect_line(&r.json, "watch --json", json("idle", NULL)), 0);
	ASSERT_EQ(expect_quiet(&r.plain, "watch"), 0);
	ASSERT_EQ(expect_quiet(&r.json, "watch --json"), 0);

	/* SIGINT: exit 0, nothing more printed. */
	status = watcher_stop(&r.plain, SIGINT);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = watcher_stop(&r.json, SIGINT);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(watcher_line(&r.plain, out, sizeof(out), VT_TIMEOUT_MS), -EPIPE);
	ASSERT_EQ(watcher_line(&r.json, out, sizeof(out), VT_TIMEOUT_MS), -EPIPE);
	vt_comment("vfio-kvm watch", r.plain.seen);
	vt_comment("vfio-kvm watch --json", r.json.seen);

	/* notify-send: once per switch, in order, not for the first line. */
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "test \"$(wc -l <%s/calls)\" -ge 7", r.dir), 0);
	(void)watcher_stop(&r.notify, SIGTERM);
	ASSERT_EQ(vt_sh(out, sizeof(out), "sed 's/^.*Keyboard and mouse: //' %s/calls", r.dir), 0);
	ASSERT_STREQ(out, "vm1\nvm2\nhost\nvm2\nhost\nvm1\nhost\n");
	ASSERT_EQ(vt_sh(out, sizeof(out), "head -n 1 %s/calls", r.dir), 0);
	ASSERT_STREQ(out, "--app-name=vfio-kvm --icon=input-keyboard --expire-time=3000 "
	                  "--hint=string:x-canonical-private-synchronous:vfio-kvm "
	                  "Keyboard and mouse: vm1\n");
}

VT_TEST_MAIN()
