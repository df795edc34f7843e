/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

#include "bench.h"

#define BENCH_PROCS_MAX 8192

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_dev_new(enum bench_kind kind, const char *tag, struct bench_dev *ret)
{
	struct libevdev *evdev = libevdev_new();
	const char *node;
	int r;

	if (!evdev)
		return -ENOMEM;
	memset(ret, 0, sizeof(*ret));
	ret->kind = kind;
	ret->fd = -1;
	snprintf(ret->name, sizeof(ret->name), "vkbench %s", tag);
	libevdev_set_name(evdev, ret->name);
	libevdev_set_id_bustype(evdev, BUS_USB);
	libevdev_set_id_vendor(evdev, 0x1d6b);
	libevdev_set_id_product(evdev, kind == BENCH_MOUSE ? 0x0b01 : 0x0b02);
	libevdev_enable_event_code(evdev, EV_MSC, MSC_SCAN, NULL);
	if (kind == BENCH_MOUSE) {
		libevdev_enable_event_code(evdev, EV_REL, REL_X, NULL);
		libevdev_enable_event_code(evdev, EV_REL, REL_Y, NULL);
		libevdev_enable_event_code(evdev, EV_REL, REL_WHEEL, NULL);
		libevdev_enable_event_code(evdev, EV_REL, REL_HWHEEL, NULL);
		for (unsigned code = BTN_LEFT; code <= BTN_TASK; code++)
			libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
	} else {
		int rep[2] = {250, 33};

		for (unsigned code = KEY_ESC; code <= KEY_MICMUTE; code++)
			libevdev_enable_event_code(evdev, EV_KEY, code, NULL);
		for (unsigned code = LED_NUML; code <= LED_KANA; code++)
			libevdev_enable_event_code(evdev, EV_LED, code, NULL);
		libevdev_enable_event_code(evdev, EV_REP, REP_DELAY, &rep[0]);
		libevdev_enable_event_code(evdev, EV_REP, REP_PERIOD, &rep[1]);
	}
	r = libevdev_uinput_create_from_device(evdev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ret->uidev);
	libevdev_free(evdev);
	if (r < 0)
		return r;
	ret->fd = libevdev_uinput_get_fd(ret->uidev);
	node = libevdev_uinput_get_devnode(ret->uidev);
	if (!node) {
		bench_dev_free(ret);
		return -ENODEV;
	}
	snprintf(ret->node, sizeof(ret->node), "%s", node);
	return 0;
}

void bench_dev_free(struct bench_dev *d)
{
	if (d->uidev)
		libevdev_uinput_destroy(d->uidev);
	d->uidev = NULL;
	d->fd = -1;
}

int bench_inject(struct bench_dev *d, uint32_t id, uint64_t *ret_ns)
{
	struct input_event ev[3];
	uint64_t t;
	ssize_t n;

	memset(ev, 0, sizeof(ev));

	if (d->kind == BENCH_MOUSE) {
		ev[0].type = EV_REL, ev[0].code = REL_X, ev[0].value = 1 + (int32_t)(id & 1023);
		ev[1].type = EV_REL, ev[1].code = REL_Y, ev[1].value = 1 + (int32_t)(id >> 10);
	} else {
		/* Press and release in turn, so every key event changes state. */
		d->key_down = !d->key_down;
		ev[0].type = EV_MSC, ev[0].code = MSC_SCAN, ev[0].value = 1 + (int32_t)id;
		ev[1].type = EV_KEY, ev[1].code = KEY_A, ev[1].value = d->key_down;
	}
	ev[2].type = EV_SYN, ev[2].code = SYN_REPORT;
	t = bench_now_ns();
	do
		n = write(d->fd, ev, sizeof(ev));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*ret_ns = t;
	return n == (ssize_t)sizeof(ev) ? 0 : -EIO;
}

int bench_rx_feed(struct bench_rx *rx, const struct input_event *ev, uint32_t *ret_id,
		  uint64_t *ret_ns)
{
	int done = 0;

	switch (ev->type) {
	case EV_REL:
		if (ev->code == REL_X)
			rx->x = ev->value;
		else if (ev->code == REL_Y)
			rx->y = ev->value;
		return 0;
	case EV_MSC:
		if (ev->code == MSC_SCAN)
			rx->scan = ev->value;
		return 0;
	case EV_SYN:
		break;
	default:
		return 0;
	}
	if (ev->code == SYN_DROPPED)
		rx->n_dropped++;
	else if (ev->code == SYN_REPORT) {
		if (rx->kind == BENCH_MOUSE && rx->x > 0 && rx->y > 0) {
			*ret_id = (uint32_t)(rx->y - 1) << 10 | (uint32_t)(rx->x - 1);
			done = 1;
		} else if (rx->kind == BENCH_KEYBOARD && rx->scan > 0) {
			*ret_id = (uint32_t)rx->scan - 1;
			done = 1;
		}
		if (done)
			*ret_ns = (uint64_t)ev->input_event_sec * 1000000000u +
				  (uint64_t)ev->input_event_usec * 1000u;
	} else
		return 0;
	rx->x = rx->y = rx->scan = 0;
	return done;
}

int bench_open_clone(const char *node)
{
	int clk = CLOCK_MONOTONIC;
	int fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, EVIOCSCLOCKID, &clk) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int node_number(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "event", 5) != 0)
		return -1;
	n = strtol(name + 5, &end, 10);
	return *end || end == name + 5 || n < 0 || n > INT_MAX ? -1 : (int)n;
}

void bench_nodes_snapshot(unsigned long *seen, size_t n_bits)
{
	const size_t bits = 8 * sizeof(long);
	DIR *dir = opendir("/dev/input");
	struct dirent *de;

	memset(seen, 0, (n_bits + bits - 1) / bits * sizeof(long));
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int n = node_number(de->d_name);

		if (n >= 0 && (size_t)n < n_bits)
			seen[n / bits] |= 1ul << (n % bits);
	}
	closedir(dir);
}

/* Reads the first line of a small file into buf; "" when it cannot. */
static void read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool clone_found(const unsigned long *seen, size_t n_bits, const char *name,
			const char *link, char *ret, size_t n)
{
	const size_t bits = 8 * sizeof(long);
	char path[PATH_MAX], text[256];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (link) {
		char *real = realpath(link, NULL);

		if (!real)
			return false;
		snprintf(ret, n, "%s", real);
		free(real);
		return true;
	}
	dir = opendir("/dev/input");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		int k = node_number(de->d_name);

		if (k < 0 || ((size_t)k < n_bits && (seen[k / bits] >> (k % bits)) & 1))
			continue;
		snprintf(path, sizeof(path), "/sys/class/input/%s/device/name", de->d_name);
		read_line(path, text, sizeof(text));
		if (strcmp(text, name) == 0) {
			snprintf(ret, n, "/dev/input/%s", de->d_name);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

int bench_wait_clone(const unsigned long *seen, size_t n_bits, const char *name,
		     const char *link, int timeout_ms, char *ret, size_t n)
{
	uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (ino >= 0) {
		(void)inotify_add_watch(ino, "/dev/input", IN_CREATE | IN_MOVED_TO | IN_ATTRIB);
		(void)inotify_add_watch(ino, "/dev/input/by-id", IN_CREATE | IN_MOVED_TO);
	}
	for (;;) {
		struct pollfd p = {.fd = ino, .events = POLLIN};
		char buf[4096];

		if (clone_found(seen, n_bits, name, link, ret, n)) {
			if (ino >= 0)
				close(ino);
			return 0;
		}
		if (bench_now_ns() > end)
			break;
		/* The by-id directory may appear later: poll() also has a bound. */
		if (poll(&p, ino >= 0, 100) > 0)
			while (read(ino, buf, sizeof(buf)) > 0)
				;
	}
	if (ino >= 0)
		close(ino);
	return -ETIMEDOUT;
}

struct proc {
	pid_t pid, ppid;
	uint64_t ticks;
};

/* Lists every process: pid, parent and utime+stime. Returns the count. */
static size_t procs_list(struct proc *p, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!dir)
		return 0;
	while (n < max && (de = readdir(dir))) {
		char path[64], buf[1024], *s;
		unsigned long utime, stime;
		int ppid;
		FILE *f;
		long pid = strtol(de->d_name, &s, 10);

		if (*s || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		s = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!s || !(s = strrchr(buf, ')')))
			continue;
		/* After "(comm)": state ppid pgrp session tty tpgid flags minflt
		 * cminflt majflt cmajflt utime stime. */
		if (sscanf(s + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
			   &utime, &stime) != 3)
			continue;
		p[n++] = (struct proc){.pid = (pid_t)pid, .ppid = ppid, .ticks = utime + stime};
	}
	closedir(dir);
	return n;
}

/* Marks PID and its descendants in IN (parallel to P). Returns how many. */
static size_t procs_tree(const struct proc *p, size_t n, pid_t pid, bool *in)
{
	size_t count = 0;
	bool more = true;

	for (size_t i = 0; i < n; i++) {
		in[i] = p[i].pid == pid;
		count += in[i];
	}
	while (more) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			for (size_t j = 0; j < n; j++)
				if (in[j] && p[j].pid == p[i].ppid) {
					in[i] = more = true;
					count++;
					break;
				}
		}
	}
	return count;
}

static uint64_t sched_ns(pid_t pid)
{
	char path[64], line[128];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char file[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
		read_line(file, line, sizeof(line));
		sum += strtoull(line, NULL, 10);
	}
	closedir(dir);
	return sum;
}

static struct proc procs[BENCH_PROCS_MAX];
static bool procs_in[BENCH_PROCS_MAX];

void bench_tree_cpu(pid_t pid, struct bench_cpu *ret)
{
	size_t n = procs_list(procs, BENCH_PROCS_MAX);
	long hz = sysconf(_SC_CLK_TCK);

	*ret = (struct bench_cpu){0};
	procs_tree(procs, n, pid, procs_in);
	for (size_t i = 0; i < n; i++)
		if (procs_in[i]) {
			ret->sched_ns += sched_ns(procs[i].pid);
			ret->tick_ns += procs[i].ticks * (1000000000u / (uint64_t)(hz > 0 ? hz : 100));
		}
}

/* Adds the "Rss:" and "Private_Dirty:" lines of /proc/PID/smaps_rollup to *mem. */
static void smaps_rollup_add(pid_t pid, struct bench_mem *mem)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Rss:", 4) == 0)
			mem->rss_kb += strtoull(line + 4, NULL, 10);
		else if (strncmp(line, "Private_Dirty:", 14) == 0)
			mem->dirty_kb += strtoull(line + 14, NULL, 10);
	}
	fclose(f);
}

void bench_tree_mem(pid_t pid, struct bench_mem *ret)
{
	size_t n = procs_list(procs, BENCH_PROCS_MAX);

	*ret = (struct bench_mem){0};
	procs_tree(procs, n, pid, procs_in);
	for (size_t i = 0; i < n; i++)
		if (procs_in[i])
			smaps_rollup_add(procs[i].pid, ret);
}

size_t bench_tree_pids(pid_t pid, pid_t *ret, size_t max)
{
	size_t n = procs_list(procs, BENCH_PROCS_MAX), count = 0;

	procs_tree(procs, n, pid, procs_in);
	for (size_t i = 0; i < n && count < max; i++)
		if (procs_in[i])
			ret[count++] = procs[i].pid;
	return count;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_quantile(uint64_t *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	k = (size_t)(q * (double)n + 0.999999);
	return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}
