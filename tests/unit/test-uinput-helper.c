/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm-helper on real uinput devices: a "physical" keyboard and mouse
 * made with libevdev_uinput, the built helper run on them with clone
 * symlinks in a temporary directory. Needs root and /dev/uinput (skipped
 * otherwise). The helper is $VFIO_KVM_HELPER or ./vfio-kvm-helper (make check
 * runs in the top build directory).
 *
 * Waiting is event-driven: the test owns the NOTIFY_SOCKET the helper sends
 * READY=1 and STATUS= to, and the helper's stderr pipe closes when it exits.
 */
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "macro.h"

TEST_MAIN();

/* Generous: the guest runs under software emulation. */
#define WAIT_MS 30000
#define REP_DELAY_MS 5000 /* long, so no soft repeat sneaks into what we read */
#define REP_PERIOD_MS 100

struct rig {
	char dir[64]; /* short: the notify socket's path must fit sun_path */
	char kbd_link[300], mouse_link[300], kbd_clone[300], mouse_clone[300];
	char kbd_clone_node[64];
	struct libevdev_uinput *kbd, *mouse;
	pid_t pid;
	int notify_fd; /* datagram socket the helper notifies */
	int err_fd;    /* the helper's stderr */
	char err[4096];
	size_t err_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct libevdev_uinput *make_device(bool keyboard)
{
	struct libevdev *dev = libevdev_new();
	struct libevdev_uinput *ui = NULL;
	struct input_event rep[3] = {
		{.type = EV_REP, .code = REP_DELAY, .value = REP_DELAY_MS},
		{.type = EV_REP, .code = REP_PERIOD, .value = REP_PERIOD_MS},
		{.type = EV_SYN, .code = SYN_REPORT},
	};

	libevdev_set_name(dev, keyboard ? "vfio-kvm test keyboard" : "vfio-kvm test mouse");
	libevdev_set_id_bustype(dev, BUS_USB);
	libevdev_set_id_vendor(dev, 0x1234);
	libevdev_set_id_product(dev, keyboard ? 0x5678 : 0x5679);
	libevdev_set_id_version(dev, 0x0111);
	if (keyboard) {
		for (unsigned code = KEY_ESC; code <= KEY_SCROLLLOCK; code++)
			libevdev_enable_event_code(dev, EV_KEY, code, NULL);
		libevdev_enable_event_code(dev, EV_KEY, KEY_RIGHTCTRL, NULL);
		libevdev_enable_event_code(dev, EV_MSC, MSC_SCAN, NULL);
		libevdev_enable_event_code(dev, EV_LED, LED_CAPSL, NULL);
		libevdev_enable_event_type(dev, EV_REP);
	} else {
		libevdev_enable_event_code(dev, EV_KEY, BTN_LEFT, NULL);
		libevdev_enable_event_code(dev, EV_KEY, BTN_RIGHT, NULL);
		libevdev_enable_event_code(dev, EV_REL, REL_X, NULL);
		libevdev_enable_event_code(dev, EV_REL, REL_Y, NULL);
		libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
	}
	if (libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui) < 0)
		ui = NULL;
	else if (keyboard && write(libevdev_uinput_get_fd(ui), rep, sizeof(rep)) != sizeof(rep))
		ui = NULL; /* leaks in a failing test only */
	libevdev_free(dev);
	return ui;
}

static bool rig_open(struct rig *r)
{
	const char *tmp = getenv("TMPDIR");

	*r = (struct rig){.pid = -1, .notify_fd = -1, .err_fd = -1};
	if (!tmp || strlen(tmp) > sizeof(r->dir) - 20)
		tmp = "/tmp";
	snprintf(r->dir, sizeof(r->dir), "%s/vk-uinput-XXXXXX", tmp);
	if (!mkdtemp(r->dir))
		return false;
	snprintf(r->kbd_link, sizeof(r->kbd_link), "%s/test-kbd", r->dir);
	snprintf(r->mouse_link, sizeof(r->mouse_link), "%s/test-mouse", r->dir);
	/* The clones' directory does not exist yet: the helper creates it. */
	snprintf(r->kbd_clone, sizeof(r->kbd_clone), "%s/by-id/vmtest-test-kbd", r->dir);
	snprintf(r->mouse_clone, sizeof(r->mouse_clone), "%s/by-id/vmtest-test-mouse", r->dir);
	r->kbd = make_device(true);
	r->mouse = make_device(false);
	return r->kbd && r->mouse &&
	       symlink(libevdev_uinput_get_devnode(r->kbd), r->kbd_link) == 0 &&
	       symlink(libevdev_uinput_get_devnode(r->mouse), r->mouse_link) == 0;
}

/* Starts the helper with extra arguments (NULL-terminated) after the devices. */
static bool rig_start(struct rig *r, const char *const *extra)
{
	const char *helper = getenv("VFIO_KVM_HELPER");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char kbd_arg[700], mouse_arg[700], run_dir[128];
	/* A ring of its own, and no system bus: the test must not meet a real one. */
	const char *argv[20] = {"vfio-kvm-helper", "--vm", "vmtest", "--device", kbd_arg,
				"--device", mouse_arg, "--run-dir", run_dir, "--no-bus"};
	size_t argc = 10;
	int err[2];

	if (!helper)
		helper = "./vfio-kvm-helper";
	snprintf(kbd_arg, sizeof(kbd_arg), "%s=%s,toggle=KEY_LEFTCTRL+KEY_RIGHTCTRL", r->kbd_link,
		 r->kbd_clone);
	snprintf(mouse_arg, sizeof(mouse_arg), "%s=%s", r->mouse_link, r->mouse_clone);
	snprintf(run_dir, sizeof(run_dir), "%s/run", r->dir);
	for (; extra && *extra && argc < ARRAY_SIZE(argv) - 1; extra++)
		argv[argc++] = *extra;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", r->dir) >=
	    sizeof(sa.sun_path))
		return false;
	r->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->notify_fd < 0 || bind(r->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0)
		return false;
	fflush(stdout);
	r->pid = fork();
	if (r->pid < 0)
		return false;
	if (r->pid == 0) {
		/* A test that fails half-way must not leave a helper holding grabs. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(err[1], STDERR_FILENO);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		execv(helper, (char *const *)argv);
		fprintf(stderr, "cannot run '%s'\n", helper);
		_exit(127);
	}
	close(err[1]);
	r->err_fd = err[0];
	return true;
}

/* Reads what the helper wrote on stderr; false at EOF. */
static bool rig_read_err(struct rig *r)
{
	ssize_t n = read(r->err_fd, r->err + r->err_len, sizeof(r->err) - 1 - r->err_len);

	if (n <= 0)
		return false;
	r->err_len += (size_t)n;
	r->err[r->err_len] = '\0';
	return true;
}

/* Waits for a notification line equal to line (e.g. "READY=1"); false on timeout or exit. */
static bool rig_wait_notify(struct rig *r, const char *line)
{
	int64_t end = now_ms() + WAIT_MS;

	for (int64_t left; (left = end - now_ms()) > 0;) {
		struct pollfd p[2] = {{r->notify_fd, POLLIN, 0}, {r->err_fd, POLLIN, 0}};
		char msg[512];
		ssize_t n;

		if (poll(p, 2, (int)left) < 0)
			return false;
		if (p[1].revents && !rig_read_err(r))
			return false; /* the helper exited */
		while ((n = recv(r->notify_fd, msg, sizeof(msg) - 1, 0)) > 0) {
			char *save = NULL;

			msg[n] = '\0';
			for (char *l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				if (strcmp(l, line) == 0)
					return true;
		}
	}
	return false;
}

/* SIGTERM (or nothing if sig is 0), waits for the exit; returns the exit status or -1. */
static int rig_stop(struct rig *r, int sig)
{
	int64_t end = now_ms() + WAIT_MS;
	int status;

	if (r->pid <= 0)
		return -1;
	if (sig)
		kill(r->pid, sig);
	for (int64_t left; (left = end - now_ms()) > 0;) {
		struct pollfd p = {r->err_fd, POLLIN, 0};

		if (poll(&p, 1, (int)left) < 0 || (p.revents && !rig_read_err(r)))
			break;
	}
	if (now_ms() >= end)
		kill(r->pid, SIGKILL);
	if (waitpid(r->pid, &status, 0) < 0)
		return -1;
	r->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void rig_close(struct rig *r)
{
	char path[400];

	if (r->pid > 0)
		(void)rig_stop(r, SIGKILL);
	if (r->err_len)
		printf("# helper said: %s", r->err);
	safe_close(r->notify_fd);
	safe_close(r->err_fd);
	libevdev_uinput_destroy(r->kbd);
	libevdev_uinput_destroy(r->mouse);
	unlink(r->kbd_link);
	unlink(r->mouse_link);
	unlink(r->kbd_clone);
	unlink(r->mouse_clone);
	snprintf(path, sizeof(path), "%s/notify", r->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/by-id", r->dir);
	rmdir(path);
	/* What the ring leaves behind once the helper stopped. */
	for (const char *const *f = (const char *const[]){"run/focus", "run/lock", "run/ring",
							   "run/status", "run", NULL};
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, *f);
		if (unlink(path) < 0)
			rmdir(path);
	}
	rmdir(r->dir);
}

static void send_events(struct libevdev_uinput *ui, const unsigned (*evs)[3], size_t n)
{
	for (size_t i = 0; i < n; i++)
		libevdev_uinput_write_event(ui, evs[i][0], evs[i][1], (int)evs[i][2]);
}

#define SEND(ui, ...)                                                                              \
	do {                                                                                       \
		static const unsigned _evs[][3] = {__VA_ARGS__};                                   \
		send_events(ui, _evs, ARRAY_SIZE(_evs));                                           \
	} while (0)
#define K(code, value) {EV_KEY, code, value}, {EV_SYN, SYN_REPORT, 0}

/*
 * Reads n events from fd (with a timeout) as text: "+30" key 30 down,
 * "-30" up, "R0:5" EV_REL, "." SYN_REPORT, "?t:c:v" anything else.
 */
static void read_events(int fd, size_t n, char *out, size_t size)
{
	int64_t end = now_ms() + WAIT_MS;
	size_t used = 0, got = 0;

	out[0] = '\0';
	for (int64_t left; got < n && (left = end - now_ms()) > 0;) {
		struct pollfd p = {fd, POLLIN, 0};
		struct input_event ev;

		if (poll(&p, 1, (int)left) <= 0)
			break;
		while (got < n && read(fd, &ev, sizeof(ev)) == sizeof(ev)) {
			const char *sep = used ? " " : "";

			got++;
			if (ev.type == EV_SYN && ev.code == SYN_REPORT)
				used += (size_t)snprintf(out + used, size - used, "%s.", sep);
			else if (ev.type == EV_KEY)
				used += (size_t)snprintf(out + used, size - used, "%s%c%u", sep,
							 ev.value ? '+' : '-', ev.code);
			else if (ev.type == EV_REL)
				used += (size_t)snprintf(out + used, size - used, "%sR%u:%d", sep,
							 ev.code, ev.value);
			else
				used += (size_t)snprintf(out + used, size - used, "%s?%u:%u:%d", sep,
							 ev.type, ev.code, ev.value);
			if (used >= size)
				return;
		}
	}
}

static int open_node(const char *path)
{
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* 1 if someone else holds a grab on the device at path, 0 if not, -1 on error. */
static int grabbed_by_other(const char *path)
{
	_cleanup_(closep) int fd = open_node(path);

	if (fd < 0)
		return -1;
	if (ioctl(fd, EVIOCGRAB, (void *)1) == 0) {
		ioctl(fd, EVIOCGRAB, (void *)0);
		return 0;
	}
	return errno == EBUSY ? 1 : -1;
}

static bool keys_down(int fd)
{
	unsigned long keys[BITSET_LONGS(KEY_CNT)] = {0};

	if (ioctl(fd, EVIOCGKEY(sizeof(keys)), keys) < 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i])
			return true;
	return false;
}

TEST(clone_mirrors_device_and_cleans_up)
{
	static const char *const focus[] = {"--focus", NULL};
	struct rig r;
	struct libevdev *clone = NULL;
	char target[256], node[256];
	int fd, delay = 0, period = 0;
	ssize_t n;

	if (!rig_open(&r) || !rig_start(&r, focus))
		TEST_FAIL("cannot set up: %s", strerror(errno));
	if (!rig_wait_notify(&r, "READY=1")) {
		rig_close(&r);
		TEST_FAIL("no READY=1");
	}
	n = readlink(r.kbd_clone, target, sizeof(target) - 1);
	ASSERT_TRUE(n > 0);
	target[n] = '\0';
	ASSERT_TRUE(strncmp(target, "/dev/input/event", 16) == 0);
	snprintf(node, sizeof(node), "%s", target);

	fd = open_node(r.kbd_clone);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(fd, &clone), 0);
	ASSERT_STREQ(libevdev_get_name(clone), "vfio-kvm test keyboard");
	ASSERT_STREQ(libevdev_get_phys(clone), "vfio-kvm:vmtest-test-kbd");
	ASSERT_EQ(libevdev_get_id_bustype(clone), BUS_USB);
	ASSERT_EQ(libevdev_get_id_vendor(clone), 0x1234);
	ASSERT_EQ(libevdev_get_id_product(clone), 0x5678);
	ASSERT_EQ(libevdev_get_id_version(clone), 0x0111);
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, KEY_A));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, KEY_RIGHTCTRL));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_MSC, MSC_SCAN));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_LED, LED_CAPSL));
	ASSERT_FALSE(libevdev_has_event_code(clone, EV_KEY, KEY_F11));
	/* Repeat settings copied from the physical device. */
	ASSERT_EQ(libevdev_get_repeat(clone, &delay, &period), 0);
	ASSERT_EQ(delay, REP_DELAY_MS);
	ASSERT_EQ(period, REP_PERIOD_MS);
	libevdev_free(clone);
	close(fd);

	fd = open_node(r.mouse_clone);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(libevdev_new_from_fd(fd, &clone), 0);
	ASSERT_STREQ(libevdev_get_name(clone), "vfio-kvm test mouse");
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_REL, REL_WHEEL));
	ASSERT_TRUE(libevdev_has_event_code(clone, EV_KEY, BTN_LEFT));
	ASSERT_FALSE(libevdev_has_event_code(clone, EV_KEY, KEY_A));
	libevdev_free(clone);
	close(fd);

	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.kbd)), 1);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.mouse)), 1);

	ASSERT_EQ(rig_stop(&r, SIGTERM), 0);
	ASSERT_EQ(access(r.kbd_clone, F_OK), -1);
	ASSERT_EQ(access(r.mouse_clone, F_OK), -1);
	ASSERT_EQ(access(node, F_OK), -1);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.kbd)), 0);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.mouse)), 0);
	rig_close(&r);
}

TEST(forwards_frames_in_order)
{
	static const char *const focus[] = {"--focus", NULL};
	struct rig r;
	char got[1024];
	_cleanup_(closep) int kbd = -1;
	_cleanup_(closep) int mouse = -1;

	if (!rig_open(&r) || !rig_start(&r, focus) || !rig_wait_notify(&r, "READY=1")) {
		rig_close(&r);
		TEST_FAIL("helper not ready");
	}
	kbd = open_node(r.kbd_clone);
	mouse = open_node(r.mouse_clone);
	ASSERT_TRUE(kbd >= 0 && mouse >= 0);

	SEND(r.kbd, {EV_MSC, MSC_SCAN, 30}, K(KEY_A, 1), K(KEY_A, 0), K(KEY_B, 1), K(KEY_B, 0));
	SEND(r.mouse, {EV_REL, REL_X, 5}, {EV_REL, REL_Y, (unsigned)-3}, {EV_SYN, SYN_REPORT, 0},
	     K(BTN_LEFT, 1), K(BTN_LEFT, 0));
	read_events(kbd, 9, got, sizeof(got));
	ASSERT_STREQ(got, "?4:4:30 +30 . -30 . +48 . -48 .");
	read_events(mouse, 7, got, sizeof(got));
	ASSERT_STREQ(got, "R0:5 R1:-3 . +272 . -272 .");
	ASSERT_EQ(rig_stop(&r, SIGTERM), 0);
	rig_close(&r);
}

TEST(cycle_hotkey_moves_focus_and_releases_keys)
{
	struct rig r;
	char got[1024];
	_cleanup_(closep) int kbd = -1;
	_cleanup_(closep) int mouse = -1;

	if (!rig_open(&r) || !rig_start(&r, (const char *const[]){"--focus", NULL}) ||
	    !rig_wait_notify(&r, "READY=1")) {
		rig_close(&r);
		TEST_FAIL("helper not ready");
	}
	kbd = open_node(r.kbd_clone);
	mouse = open_node(r.mouse_clone);
	ASSERT_TRUE(kbd >= 0 && mouse >= 0);

	/* A mouse button held across the switch is released on the clone. */
	SEND(r.mouse, K(BTN_LEFT, 1));
	read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "+272 .");
	SEND(r.kbd, K(KEY_LEFTCTRL, 1), K(KEY_RIGHTCTRL, 1), K(KEY_RIGHTCTRL, 0),
	     K(KEY_LEFTCTRL, 0));
	ASSERT_TRUE(rig_wait_notify(&r, "STATUS=Focus: host"));
	read_events(kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+29 . -29 .");
	read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "-272 .");
	ASSERT_FALSE(keys_down(kbd));
	ASSERT_FALSE(keys_down(mouse));
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.kbd)), 0);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.mouse)), 0);

	/* Unfocused: typing reaches the host only. Cycle back while the button is still
	 * down: the mouse is grabbed only after it is released. */
	SEND(r.kbd, K(KEY_B, 1), K(KEY_B, 0));
	SEND(r.kbd, K(KEY_RIGHTCTRL, 1), K(KEY_LEFTCTRL, 1), K(KEY_LEFTCTRL, 0),
	     K(KEY_RIGHTCTRL, 0));
	ASSERT_TRUE(rig_wait_notify(&r,
				    "STATUS=Focus: vmtest, waiting for keys to be released"));
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.mouse)), 0);
	SEND(r.mouse, K(BTN_LEFT, 0));
	ASSERT_TRUE(rig_wait_notify(&r, "STATUS=Focus: vmtest"));
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.kbd)), 1);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.mouse)), 1);

	SEND(r.kbd, K(KEY_C, 1), K(KEY_C, 0));
	SEND(r.mouse, {EV_REL, REL_WHEEL, 1}, {EV_SYN, SYN_REPORT, 0});
	read_events(kbd, 4, got, sizeof(got));
	ASSERT_STREQ(got, "+46 . -46 .");
	read_events(mouse, 2, got, sizeof(got));
	ASSERT_STREQ(got, "R8:1 .");
	ASSERT_EQ(rig_stop(&r, SIGTERM), 0);
	rig_close(&r);
}

TEST(failed_setup_undoes_everything)
{
	struct rig r;
	const char *const extra[] = {"--device", "/nonexistent/test-gone=/nonexistent/vmtest-gone",
				     NULL};

	if (!rig_open(&r) || !rig_start(&r, extra))
		TEST_FAIL("cannot set up");
	ASSERT_EQ(rig_stop(&r, 0), 1);
	ASSERT_CONTAINS(r.err,
			"<3>vmtest: '/nonexistent/test-gone' does not exist and was never seen");
	ASSERT_EQ(access(r.kbd_clone, F_OK), -1);
	ASSERT_EQ(access(r.mouse_clone, F_OK), -1);
	ASSERT_EQ(grabbed_by_other(libevdev_uinput_get_devnode(r.kbd)), 0);
	rig_close(&r);
}

/* Runs before the tests: the whole program is skipped where it cannot run. */
__attribute__((constructor(200))) static void check_environment(void)
{
	int fd;

	if (geteuid() != 0)
		test_skip_all("needs root");
	fd = open("/dev/uinput", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		test_skip_all("no /dev/uinput");
	close(fd);
}
