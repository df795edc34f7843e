/* SPDX-License-Identifier: MIT */
/*
 * One or several vfio-kvm-helpers (one per VM) on the same "physical"
 * keyboard and mouse, made with libevdev_uinput, sharing a temporary run
 * directory: the rig of the uinput tests. Needs root and /dev/uinput (the
 * including program skips otherwise). The helper is $VFIO_KVM_HELPER or
 * ./vfio-kvm-helper (make check runs in the top build directory).
 *
 * Waiting is event-driven: each helper notifies its own NOTIFY_SOCKET
 * (READY=1, STATUS=Focus: …), the focus file is followed with inotify, and a
 * helper's stderr pipe closes when it exits. Every wait has a timeout.
 */
#pragma once

#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "focus-file.h"
#include "macro.h"
#include "status-file.h"

/* Generous: the guest runs under software emulation. */
#define RIG_WAIT_MS 30000
#define RIG_HELPERS_MAX 3
/* Long, so no soft repeat sneaks into what a test reads. */
#define RIG_REP_DELAY_MS 5000
#define RIG_REP_PERIOD_MS 100

/*
 * What a rig's devices have beyond the basics (rig_open_with()). RIG_LEDS:
 * the keyboard has num, caps and scroll lock LEDs. RIG_DETAIL: the keyboard
 * has a version, MSC_SCAN, the caps lock LED and a slow soft repeat, the
 * mouse a right button and a wheel.
 */
#define RIG_LEDS (1u << 0)
#define RIG_DETAIL (1u << 1)

struct rig_helper {
	char vm[16];
	char kbd_clone[300], mouse_clone[300];
	pid_t pid;
	int notify_fd; /* datagram socket the helper notifies */
	int err_fd;    /* the helper's stderr */
	int kbd;       /* the keyboard clone, opened by the test (-1 until then) */
	char err[4096];
	size_t err_len;
};

struct rig {
	char dir[64]; /* short: the notify sockets' paths must fit sun_path */
	char run_dir[128];
	char kbd_link[300], mouse_link[300];
	unsigned extras;      /* RIG_LEDS, RIG_DETAIL: what the devices have */
	const char *kbd_opts; /* appended to the keyboard's --device (",toggle=…"), or NULL */
	struct libevdev_uinput *kbd, *mouse;
	int inotify_fd; /* IN_MOVED_TO on run_dir: the focus file changed */
	struct rig_helper helpers[RIG_HELPERS_MAX];
};

static inline int64_t rig_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A "physical" keyboard or mouse with extras (RIG_LEDS, RIG_DETAIL); NULL on failure. */
static inline struct libevdev_uinput *rig_make_device(bool keyboard, unsigned extras)
{
	struct libevdev *dev = libevdev_new();
	struct libevdev_uinput *ui = NULL;
	struct input_event rep[3] = {
		{.type = EV_REP, .code = REP_DELAY, .value = RIG_REP_DELAY_MS},
		{.type = EV_REP, .code = REP_PERIOD, .value = RIG_REP_PERIOD_MS},
		{.type = EV_SYN, .code = SYN_REPORT},
	};
	bool detail = extras & RIG_DETAIL;

	libevdev_set_name(dev, keyboard ? "vfio-kvm test keyboard" : "vfio-kvm test mouse");
	libevdev_set_id_bustype(dev, BUS_USB);
	libevdev_set_id_vendor(dev, 0x1234);
	libevdev_set_id_product(dev, keyboard ? 0x5678 : 0x5679);
	if (detail)
		libevdev_set_id_version(dev, 0x0111);
	if (keyboard) {
		for (unsigned code = KEY_ESC; code <= KEY_SCROLLLOCK; code++)
			libevdev_enable_event_code(dev, EV_KEY, code, NULL);
		libevdev_enable_event_code(dev, EV_KEY, KEY_RIGHTCTRL, NULL);
		if (extras & RIG_LEDS) {
			libevdev_enable_event_code(dev, EV_LED, LED_NUML, NULL);
			libevdev_enable_event_code(dev, EV_LED, LED_SCROLLL, NULL);
		}
		if (extras & (RIG_LEDS | RIG_DETAIL))
			libevdev_enable_event_code(dev, EV_LED, LED_CAPSL, NULL);
		if (detail) {
			libevdev_enable_event_code(dev, EV_MSC, MSC_SCAN, NULL);
			libevdev_enable_event_type(dev, EV_REP);
		}
	} else {
		libevdev_enable_event_code(dev, EV_KEY, BTN_LEFT, NULL);
		libevdev_enable_event_code(dev, EV_REL, REL_X, NULL);
		libevdev_enable_event_code(dev, EV_REL, REL_Y, NULL);
		if (detail) {
			libevdev_enable_event_code(dev, EV_KEY, BTN_RIGHT, NULL);
			libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
		}
	}
	if (libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui) < 0)
		ui = NULL;
	else if (keyboard && detail &&
		 write(libevdev_uinput_get_fd(ui), rep, sizeof(rep)) != sizeof(rep)) {
		libevdev_uinput_destroy(ui);
		ui = NULL;
	}
	libevdev_free(dev);
	return ui;
}

/* Opens a rig whose devices have extras (RIG_LEDS, RIG_DETAIL); false on failure. */
static inline bool rig_open_with(struct rig *r, unsigned extras)
{
	const char *tmp = getenv("TMPDIR");

	*r = (struct rig){.inotify_fd = -1, .extras = extras};
	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		r->helpers[i] = (struct rig_helper){.pid = -1, .notify_fd = -1, .err_fd = -1,
						    .kbd = -1};
	if (!tmp || strlen(tmp) > sizeof(r->dir) - 20)
		tmp = "/tmp";
	snprintf(r->dir, sizeof(r->dir), "%s/vk-rig-XXXXXX", tmp);
	if (!mkdtemp(r->dir))
		return false;
	snprintf(r->run_dir, sizeof(r->run_dir), "%s/run", r->dir);
	snprintf(r->kbd_link, sizeof(r->kbd_link), "%s/test-kbd", r->dir);
	snprintf(r->mouse_link, sizeof(r->mouse_link), "%s/test-mouse", r->dir);
	if (mkdir(r->run_dir, 0755) < 0)
		return false;
	r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->inotify_fd < 0 || inotify_add_watch(r->inotify_fd, r->run_dir, IN_MOVED_TO) < 0)
		return false;
	r->kbd = rig_make_device(true, extras);
	r->mouse = rig_make_device(false, extras);
	return r->kbd && r->mouse &&
	       symlink(libevdev_uinput_get_devnode(r->kbd), r->kbd_link) == 0 &&
	       symlink(libevdev_uinput_get_devnode(r->mouse), r->mouse_link) == 0;
}

static inline bool rig_open(struct rig *r)
{
	return rig_open_with(r, 0);
}

/* Starts helper i for vm with extra arguments (NULL-terminated) after the common ones. */
static inline bool rig_start(struct rig *r, size_t i, const char *vm, bool bus,
			     const char *const *extra)
{
	struct rig_helper *p = &r->helpers[i];
	const char *helper = getenv("VFIO_KVM_HELPER");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char kbd_arg[700], mouse_arg[700], dir[sizeof(r->dir)];
	const char *argv[24] = {"vfio-kvm-helper", "--vm",  vm,	     "--device", kbd_arg,
				"--device",	   mouse_arg, "--run-dir", r->run_dir};
	size_t argc = 9;
	int err[2];

	if (!helper)
		helper = "./vfio-kvm-helper";
	snprintf(p->vm, sizeof(p->vm), "%s", vm);
	/* Through a copy: the compiler cannot tell r->dir from the buffers written. */
	snprintf(dir, sizeof(dir), "%s", r->dir);
	snprintf(p->kbd_clone, sizeof(p->kbd_clone), "%s/by-id/%s-test-kbd", dir, vm);
	snprintf(p->mouse_clone, sizeof(p->mouse_clone), "%s/by-id/%s-test-mouse", dir, vm);
	snprintf(kbd_arg, sizeof(kbd_arg), "%s=%s%s", r->kbd_link, p->kbd_clone,
		 r->kbd_opts ? r->kbd_opts : "");
	snprintf(mouse_arg, sizeof(mouse_arg), "%s=%s", r->mouse_link, p->mouse_clone);
	if (!bus)
		argv[argc++] = "--no-bus";
	for (; extra && *extra && argc < ARRAY_SIZE(argv) - 1; extra++)
		argv[argc++] = *extra;

	/* Per slot: two helpers of one VM (the second refused) each get their own. */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify-%zu-%s", r->dir, i, vm) >=
	    sizeof(sa.sun_path))
		return false;
	p->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->notify_fd < 0 || bind(p->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0)
		return false;
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		return false;
	if (p->pid == 0) {
		/* A test that fails half-way must not leave a helper holding grabs. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(err[1], STDERR_FILENO);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execv(helper, (char *const *)argv);
		fprintf(stderr, "cannot run '%s'\n", helper);
		_exit(127);
	}
	close(err[1]);
	p->err_fd = err[0];
	return true;
}

/* Reads what the helper wrote on stderr; false at EOF. */
static inline bool rig_read_err(struct rig_helper *p)
{
	ssize_t n = read(p->err_fd, p->err + p->err_len, sizeof(p->err) - 1 - p->err_len);

	if (n <= 0)
		return false;
	p->err_len += (size_t)n;
	p->err[p->err_len] = '\0';
	return true;
}

/* Waits until helper p's stderr holds text; false on timeout or exit. */
static inline bool rig_wait_err(struct rig_helper *p, const char *text)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;

	for (int64_t left; !strstr(p->err, text);) {
		struct pollfd pfd = {p->err_fd, POLLIN, 0};

		left = end - rig_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || !rig_read_err(p))
			return false;
	}
	return true;
}

/* Takes <run_dir>/lock the way any root process could; closing *ret drops it. */
static inline bool rig_hold_lock(struct rig *r, int *ret)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/" RING_LOCK_NAME, r->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		safe_close(fd);
		return false;
	}
	*ret = fd;
	return true;
}

/* Waits for a notification line of helper i equal to line; false on timeout or exit. */
static inline bool rig_wait_notify(struct rig *r, size_t i, const char *line)
{
	struct rig_helper *p = &r->helpers[i];
	int64_t end = rig_now_ms() + RIG_WAIT_MS;

	for (int64_t left; (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd[2] = {{p->notify_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
		char msg[512];
		ssize_t n;

		if (poll(pfd, 2, (int)left) < 0)
			return false;
		if (pfd[1].revents && !rig_read_err(p))
			return false; /* the helper exited */
		while ((n = recv(p->notify_fd, msg, sizeof(msg) - 1, 0)) > 0) {
			char *save = NULL;

			msg[n] = '\0';
			for (char *l = strtok_r(msg, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				if (strcmp(l, line) == 0)
					return true;
		}
	}
	return false;
}

/* Waits until every running helper said "STATUS=Focus: <target>" (all grabs done). */
static inline bool rig_wait_status(struct rig *r, const char *target)
{
	char line[128];

	snprintf(line, sizeof(line), "STATUS=Focus: %s", target);
	for (size_t i = 0; i < RIG_HELPERS_MAX; i++)
		if (r->helpers[i].pid > 0 && !rig_wait_notify(r, i, line))
			return false;
	return true;
}

/* Signals helper i (sig 0: none) and waits for its exit; the exit status or -1. */
static inline int rig_stop(struct rig *r, size_t i, int sig)
{
	struct rig_helper *p = &r->helpers[i];
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	int status;

	if (p->pid <= 0)
		return -1;
	if (sig)
		kill(p->pid, sig);
	for (int64_t left; (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd = {p->err_fd, POLLIN, 0};

		if (poll(&pfd, 1, (int)left) < 0 || (pfd.revents && !rig_read_err(p)))
			break;
	}
	if (rig_now_ms() >= end)
		kill(p->pid, SIGKILL);
	if (waitpid(p->pid, &status, 0) < 0)
		return -1;
	p->pid = -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline void rig_close(struct rig *r)
{
	char path[400];

	for (size_t i = 0; i < RIG_HELPERS_MAX; i++) {
		struct rig_helper *p = &r->helpers[i];

		if (p->pid > 0)
			(void)rig_stop(r, i, SIGKILL);
		if (p->err_len)
			printf("# %s said: %s", p->vm, p->err);
		safe_close(p->notify_fd);
		safe_close(p->err_fd);
		safe_close(p->kbd);
		if (!p->vm[0])
			continue;
		unlink(p->kbd_clone);
		unlink(p->mouse_clone);
		snprintf(path, sizeof(path), "%s/notify-%zu-%s", r->dir, i, p->vm);
		unlink(path);
		snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME "/%s", r->run_dir, p->vm);
		unlink(path);
		snprintf(path, sizeof(path), "%s/" RING_DIR_NAME "/%s", r->run_dir, p->vm);
		unlink(path);
	}
	safe_close(r->inotify_fd);
	libevdev_uinput_destroy(r->kbd);
	libevdev_uinput_destroy(r->mouse);
	unlink(r->kbd_link);
	unlink(r->mouse_link);
	snprintf(path, sizeof(path), "%s/by-id", r->dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/" FOCUS_FILE_NAME, r->run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" RING_LOCK_NAME, r->run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" STATUS_DIR_NAME, r->run_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/" RING_DIR_NAME, r->run_dir);
	rmdir(path);
	rmdir(r->run_dir);
	rmdir(r->dir);
}

/*
 * Waits until the focus file names target with at least generation gen;
 * returns the state read then in *ret. False on timeout.
 */
static inline bool rig_wait_focus(struct rig *r, const char *target, uint64_t gen,
				  struct focus_file_state *ret)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;

	for (;;) {
		struct pollfd pfd = {r->inotify_fd, POLLIN, 0};
		char buf[4096];
		int64_t left;

		/* Drain first, then read: a change after the read wakes the poll. */
		while (read(r->inotify_fd, buf, sizeof(buf)) > 0)
			;
		if (focus_file_read(r->run_dir, ret, NULL) == 0 &&
		    strcmp(ret->target, target) == 0 && ret->generation >= gen)
			return true;
		left = end - rig_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
	}
}

static inline void rig_send(struct libevdev_uinput *ui, const unsigned (*evs)[3], size_t n)
{
	for (size_t i = 0; i < n; i++)
		libevdev_uinput_write_event(ui, evs[i][0], evs[i][1], (int)evs[i][2]);
}

#define SEND(ui, ...)                                                                              \
	do {                                                                                       \
		static const unsigned _evs[][3] = {__VA_ARGS__};                                   \
		rig_send(ui, _evs, ARRAY_SIZE(_evs));                                              \
	} while (0)
#define K(code, value) {EV_KEY, code, value}, {EV_SYN, SYN_REPORT, 0}

/* The default hotkeys (common/settings.h), pressed and released in full. */
#define PRESS_CYCLE(ui)                                                                            \
	SEND(ui, K(KEY_LEFTCTRL, 1), K(KEY_RIGHTCTRL, 1), K(KEY_RIGHTCTRL, 0), K(KEY_LEFTCTRL, 0))
#define PRESS_WITH_CTRLS(ui, key)                                                                  \
	SEND(ui, K(KEY_LEFTCTRL, 1), K(KEY_RIGHTCTRL, 1), K(key, 1), K(key, 0),                    \
	     K(KEY_RIGHTCTRL, 0), K(KEY_LEFTCTRL, 0))

/* 1 if someone else holds a grab on the device at path, 0 if not, -1 on error. */
static inline int rig_grabbed(const char *path)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, EVIOCGRAB, (void *)1) == 0) {
		ioctl(fd, EVIOCGRAB, (void *)0);
		return 0;
	}
	return errno == EBUSY ? 1 : -1;
}

/*
 * Appends ev to the text at out (used of size taken) and returns the new
 * length: "+30" key 30 down, "-30" up, "R0:5" EV_REL, "." SYN_REPORT,
 * "?t:c:v" anything else; events are separated by a space.
 */
static inline size_t rig_format_event(const struct input_event *ev, char *out, size_t size,
				      size_t used)
{
	const char *sep = used ? " " : "";

	if (ev->type == EV_SYN && ev->code == SYN_REPORT)
		return used + (size_t)snprintf(out + used, size - used, "%s.", sep);
	if (ev->type == EV_KEY)
		return used + (size_t)snprintf(out + used, size - used, "%s%c%u", sep,
					       ev->value ? '+' : '-', ev->code);
	if (ev->type == EV_REL)
		return used + (size_t)snprintf(out + used, size - used, "%sR%u:%d", sep, ev->code,
					       ev->value);
	return used + (size_t)snprintf(out + used, size - used, "%s?%u:%u:%d", sep, ev->type,
				       ev->code, ev->value);
}

/* Reads what is queued on a clone fd now (non-blocking) as text, like
 * "+30 . -30 ."; "" when nothing is. */
static inline void rig_pending(int fd, char *out, size_t size)
{
	struct input_event ev;
	size_t used = 0;

	out[0] = '\0';
	while (used < size && read(fd, &ev, sizeof(ev)) == sizeof(ev))
		used = rig_format_event(&ev, out, size, used);
}

/* Waits (poll, with the timeout) until fd has n events, and returns them as text. */
static inline void rig_read_events(int fd, size_t n, char *out, size_t size)
{
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	size_t got = 0, used = 0;

	out[0] = '\0';
	for (int64_t left; got < n && (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		struct input_event ev;

		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		while (got < n && read(fd, &ev, sizeof(ev)) == sizeof(ev)) {
			got++;
			used = rig_format_event(&ev, out, size, used);
			if (used >= size)
				return;
		}
	}
}

/* Keys down on the device behind fd (EVIOCGKEY, which also drops the key events queued on
 * fd), or -1. */
static inline int rig_keys_down(int fd)
{
	unsigned long keys[BITSET_LONGS(KEY_CNT)] = {0};
	int n = 0;

	if (ioctl(fd, EVIOCGKEY(sizeof(keys)), keys) < 0)
		return -1;
	for (size_t w = 0; w < ARRAY_SIZE(keys); w++)
		n += __builtin_popcountl(keys[w]);
	return n;
}

/* Whether helper vm's status file says every device is grabbed (1), none is (0), or neither. */
static inline int rig_grabs(struct rig *r, const char *vm)
{
	struct status st;
	size_t grabbed = 0;

	if (status_read(r->run_dir, vm, &st, NULL) < 0 || st.n_devices == 0)
		return -1;
	for (size_t i = 0; i < st.n_devices; i++)
		grabbed += st.devices[i].grabbed;
	return grabbed == st.n_devices ? 1 : grabbed == 0 ? 0 : -1;
}

/* What vm's status file says of its keyboard (device 0), and the helper's pid. */
struct rig_seen {
	pid_t pid;
	bool present, grabbed;
};

/* Reads vm's status file into *ret; false if it cannot be read or lists no device. */
static inline bool rig_read_seen(struct rig *r, const char *vm, struct rig_seen *ret)
{
	struct status st;

	if (status_read(r->run_dir, vm, &st, NULL) < 0 || st.n_devices == 0)
		return false;
	*ret = (struct rig_seen){st.pid, st.devices[0].present, st.devices[0].grabbed};
	return true;
}

/*
 * Waits until vm's status file shows the keyboard present/grabbed as asked
 * (-1: either) and, with not_pid, a pid other than not_pid. Event-driven: the
 * status file is replaced by rename. False on timeout.
 */
static inline bool rig_wait_seen(struct rig *r, const char *vm, int present, int grabbed,
				 pid_t not_pid)
{
	char dir[300];
	int64_t end = rig_now_ms() + RIG_WAIT_MS;
	_cleanup_(closep) int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	snprintf(dir, sizeof(dir), "%s/" STATUS_DIR_NAME, r->run_dir);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE) < 0)
		return false;
	for (int64_t left; (left = end - rig_now_ms()) > 0;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		char buf[4096];
		struct rig_seen s;

		while (read(fd, buf, sizeof(buf)) > 0)
			;
		if (rig_read_seen(r, vm, &s) && (present < 0 || s.present == present) &&
		    (grabbed < 0 || s.grabbed == grabbed) && (!not_pid || s.pid != not_pid))
			return true;
		if (poll(&pfd, 1, (int)left) < 0)
			return false;
	}
	return false;
}

/* Runs before the tests: the whole program is skipped where it cannot run. */
__attribute__((constructor(200))) static void rig_check_environment(void)
{
	int fd;

	if (geteuid() != 0)
		test_skip_all("needs root");
	fd = open("/dev/uinput", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		test_skip_all("no /dev/uinput");
	close(fd);
}
