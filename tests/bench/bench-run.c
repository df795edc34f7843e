/* SPDX-License-Identifier: MIT */
/*
 * bench-run: measures one forwarder on one "physical" device.
 *
 *   bench-run --kind mouse|keyboard --phase NAME:RATE:FRAMES... [--window W]
 *             [--link PATH] [--strace FILE] [--smaps FILE] -- COMMAND [ARG...]
 *
 * Creates the device, starts COMMAND (every "@DEV@" in its arguments becomes
 * the device's node) in its own process group, finds the clone it makes (the
 * new node with the device's name, or the node PATH links to), and waits
 * until a probe frame comes through. Then, per phase, injects FRAMES frames
 * at RATE per second (0: as fast as the forwarder takes them, at most W
 * frames in flight) and reads the clone with CLOCK_MONOTONIC times. Prints
 * one JSON object on stdout: per phase the added latency (clone event time
 * minus the time just before the inject write), frames lost, frames per
 * second, the CPU of COMMAND's process tree and its memory. With --strace,
 * `strace -f -c -o FILE` is attached to the process tree for the phases only
 * (not for its start-up); "syscalls" is the total of its summary and
 * "syscall_frames" the frames that came through meanwhile. --smaps copies the
 * command's /proc/PID/smaps to FILE after the last phase.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PHASES_MAX 8
#define NODES_BITS 4096
#define PROBE_ID (1u << 20)
#define ARGS_MAX 64
#define TRACED_MAX 16 /* processes of one forwarder (a shell pipeline: 3) */

struct phase {
	char name[32];
	unsigned rate;      /* frames/s; 0: flood */
	uint32_t frames;
};

static enum bench_kind arg_kind = BENCH_MOUSE;
static struct phase arg_phases[PHASES_MAX];
static size_t arg_n_phases;
static unsigned arg_window = 8;
static const char *arg_link;
static const char *arg_strace;
static const char *arg_smaps;
static char **arg_cmd;

/* One phase's shared state: the injector writes t_inj, the reader t_rx. */
struct run {
	int clone_fd;
	uint32_t n;
	uint64_t *t_inj;
	uint64_t *t_rx;
	atomic_uint seen;
	atomic_int max_seen;       /* highest frame number seen, -1: none */
	atomic_uint probes_seen;
	atomic_bool stop;
	atomic_bool gone;
	struct bench_rx rx;
	pthread_mutex_t lock;
	pthread_cond_t progress;
};

static void *reader(void *userdata)
{
	struct run *run = userdata;

	while (!atomic_load(&run->stop)) {
		struct pollfd p = {.fd = run->clone_fd, .events = POLLIN};
		struct input_event ev[64];
		ssize_t n;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(run->clone_fd, ev, sizeof(ev));
		if (n < 0 && errno == ENODEV) {
			atomic_store(&run->gone, true);
			break;
		}
		for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++) {
			uint32_t id;
			uint64_t t;

			if (!bench_rx_feed(&run->rx, &ev[i], &id, &t))
				continue;
			if (id >= PROBE_ID)
				atomic_fetch_add(&run->probes_seen, 1);
			else if (id < run->n && run->t_rx[id] == 0) {
				run->t_rx[id] = t ? t : 1;
				atomic_fetch_add(&run->seen, 1);
				if ((int)id > atomic_load(&run->max_seen))
					atomic_store(&run->max_seen, (int)id);
			}
		}
		pthread_mutex_lock(&run->lock);
		pthread_cond_broadcast(&run->progress);
		pthread_mutex_unlock(&run->lock);
	}
	return NULL;
}

/* Waits up to MS for the reader to report progress. */
static void wait_progress(struct run *run, unsigned ms)
{
	uint64_t end_ns = bench_now_ns() + (uint64_t)ms * 1000000u;
	struct timespec ts = {.tv_sec = (time_t)(end_ns / 1000000000u),
			      .tv_nsec = (long)(end_ns % 1000000000u)};

	pthread_mutex_lock(&run->lock);
	(void)pthread_cond_timedwait(&run->progress, &run->lock, &ts);
	pthread_mutex_unlock(&run->lock);
}

/*
 * Sends probe frames, two at a time (a key press ends released, so nothing
 * repeats), until one comes through. Returns how many frames were sent, or
 * -ETIMEDOUT.
 */
static int probe(struct bench_dev *dev, struct run *run, unsigned timeout_s)
{
	uint64_t t;

	for (unsigned i = 0; i < timeout_s; i++) {
		uint64_t end = bench_now_ns() + 1000000000u;

		if (bench_inject(dev, PROBE_ID + 2 * i, &t) < 0 ||
		    bench_inject(dev, PROBE_ID + 2 * i + 1, &t) < 0)
			return -EIO;
		while (atomic_load(&run->probes_seen) == 0 && bench_now_ns() < end)
			wait_progress(run, 50);
		if (atomic_load(&run->probes_seen) > 0) {
			/* Late answers to earlier probes come within this. */
			usleep(300000);
			return 2 * ((int)i + 1);
		}
	}
	return -ETIMEDOUT;
}

static void add_ns(struct timespec *ts, uint64_t ns)
{
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

/* Injects one phase's frames; returns how many were late by over one period. */
static uint32_t inject(struct bench_dev *dev, struct run *run, const struct phase *ph)
{
	uint64_t period = ph->rate ? 1000000000u / ph->rate : 0;
	struct timespec next;
	uint32_t late = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint32_t i = 0; i < ph->frames; i++) {
		if (ph->rate) {
			uint64_t now, due;

			add_ns(&next, period);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
				;
			now = bench_now_ns();
			due = (uint64_t)next.tv_sec * 1000000000u + (uint64_t)next.tv_nsec;
			if (now > due + period) {
				/* Behind: no burst to catch up, the rate just falls. */
				late++;
				clock_gettime(CLOCK_MONOTONIC, &next);
			}
		} else {
			uint64_t stall = bench_now_ns();

			while ((int64_t)i - 1 - atomic_load(&run->max_seen) >= (int64_t)arg_window &&
			       bench_now_ns() - stall < 200000000u && !atomic_load(&run->gone))
				wait_progress(run, 5);
		}
		if (bench_inject(dev, i, &run->t_inj[i]) < 0)
			break;
	}
	return late;
}

/* Runs one phase and prints its figures. Returns the frames that came through. */
static uint32_t run_phase(struct bench_dev *dev, struct run *run, const struct phase *ph,
			  pid_t pid, bool first)
{
	uint64_t *lat = calloc(ph->frames, sizeof(uint64_t));
	uint64_t first_inj = 0, last_inj = 0, last_rx = 0;
	struct bench_mem mem;
	struct bench_cpu c0, c1;
	uint32_t late, seen, n_lat = 0, last_seen;
	pthread_t thread;

	run->n = ph->frames;
	run->t_inj = calloc(ph->frames, sizeof(uint64_t));
	run->t_rx = calloc(ph->frames, sizeof(uint64_t));
	if (!lat || !run->t_inj || !run->t_rx) {
		fprintf(stderr, "bench-run: out of memory\n");
		exit(1);
	}
	atomic_store(&run->seen, 0);
	atomic_store(&run->max_seen, -1);
	atomic_store(&run->stop, false);
	pthread_create(&thread, NULL, reader, run);

	bench_tree_cpu(pid, &c0);
	late = inject(dev, run, ph);
	/* The tail: wait while frames keep coming, a bound once they stop. */
	last_seen = UINT32_MAX;
	while (atomic_load(&run->seen) < ph->frames && !atomic_load(&run->gone)) {
		seen = atomic_load(&run->seen);
		if (seen == last_seen)
			break;
		last_seen = seen;
		usleep(arg_strace ? 2000000 : 500000);
	}
	bench_tree_cpu(pid, &c1);
	bench_tree_mem(pid, &mem);
	atomic_store(&run->stop, true);
	pthread_join(thread, NULL);

	for (uint32_t i = 0; i < ph->frames; i++) {
		if (!run->t_inj[i])
			continue;
		if (!first_inj)
			first_inj = run->t_inj[i];
		last_inj = run->t_inj[i];
		if (!run->t_rx[i])
			continue;
		lat[n_lat++] = run->t_rx[i] > run->t_inj[i] ? run->t_rx[i] - run->t_inj[i] : 0;
		if (run->t_rx[i] > last_rx)
			last_rx = run->t_rx[i];
	}
	seen = atomic_load(&run->seen);
	printf("%s\"%s\":{\"rate\":%u,\"frames\":%u,\"rate_hz\":%.1f,\"late\":%u,"
	       "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"lost\":%u,\"fps\":%.1f,"
	       "\"cpu_us_per_1000\":%.1f,\"cpu_tick_us_per_1000\":%.1f,\"rss_kb\":%llu,"
	       "\"dirty_kb\":%llu,"
	       "\"rx_dropped\":%llu}",
	       first ? "" : ",", ph->name, ph->rate, ph->frames,
	       last_inj > first_inj ? (double)(ph->frames - 1) * 1e9 / (double)(last_inj - first_inj)
				    : 0.0,
	       late, (double)bench_quantile(lat, n_lat, 0.5) / 1000.0,
	       (double)bench_quantile(lat, n_lat, 0.99) / 1000.0,
	       (double)bench_quantile(lat, n_lat, 1.0) / 1000.0, ph->frames - seen,
	       last_rx > first_inj ? (double)seen * 1e9 / (double)(last_rx - first_inj) : 0.0,
	       (double)(c1.sched_ns - c0.sched_ns) / (double)ph->frames,
	       (double)(c1.tick_ns - c0.tick_ns) / (double)ph->frames, (unsigned long long)mem.rss_kb,
	       (unsigned long long)mem.dirty_kb,
	       (unsigned long long)run->rx.n_dropped);
	fflush(stdout);
	free(run->t_inj);
	free(run->t_rx);
	free(lat);
	run->t_inj = run->t_rx = NULL;
	return seen;
}

static pid_t spawn(const char *dev_node)
{
	char *argv[ARGS_MAX + 1];
	size_t n = 0;
	pid_t pid;

	for (size_t i = 0; arg_cmd[i] && i < ARGS_MAX; i++) {
		size_t len = strlen(arg_cmd[i]) + 1;
		char *s;

		for (const char *at = arg_cmd[i]; (at = strstr(at, "@DEV@")); at += 5)
			len += strlen(dev_node);
		/* Leaks once per run: the child execs right away. */
		s = malloc(len);
		if (!s)
			return -ENOMEM;
		s[0] = '\0';
		for (const char *p = arg_cmd[i];;) {
			const char *at = strstr(p, "@DEV@");

			if (!at) {
				strcat(s, p);
				break;
			}
			strncat(s, p, (size_t)(at - p));
			strcat(s, dev_node);
			p = at + 5;
		}
		argv[n++] = s;
	}
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "bench-run: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* Stops the command: SIGTERM to its process group, SIGKILL after 30 s. */
static void stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Attaches `strace -f -c` to the command's processes. Returns strace's pid or -errno. */
static pid_t strace_attach(pid_t pid)
{
	pid_t pids[TRACED_MAX], tracer;
	size_t n = bench_tree_pids(pid, pids, TRACED_MAX);
	char *argv[8 + 2 * TRACED_MAX + 1], pid_text[TRACED_MAX][16];
	size_t k = 0;

	argv[k++] = (char *)"strace";
	argv[k++] = (char *)"-f";
	argv[k++] = (char *)"-c";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)arg_strace;
	for (size_t i = 0; i < n; i++) {
		snprintf(pid_text[i], sizeof(pid_text[i]), "%d", (int)pids[i]);
		argv[k++] = (char *)"-p";
		argv[k++] = pid_text[i];
	}
	argv[k] = NULL;
	tracer = fork();
	if (tracer < 0)
		return -errno;
	if (tracer == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "bench-run: strace: %s\n", strerror(errno));
		_exit(127);
	}
	/* strace attaches in a moment; the phases must not start before. */
	sleep(2);
	return tracer;
}

/* Detaches strace (SIGINT) and returns the total of its summary, or -1. */
static long strace_detach(pid_t tracer)
{
	long total = -1;
	char line[256];
	FILE *f;

	kill(tracer, SIGINT);
	waitpid(tracer, NULL, 0);
	f = fopen(arg_strace, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[32];
		long calls;

		/* "100.00 0.001 12 345 [errors] total": calls is the fourth field. */
		if (sscanf(line, "%*f %*f %*d %ld %31s", &calls, name) == 2 &&
		    (strcmp(name, "total") == 0 || strstr(line, " total")))
			total = calls;
	}
	fclose(f);
	return total;
}

/* Copies the command's /proc/PID/smaps to --smaps FILE: where its RSS is. */
static void copy_smaps(pid_t pid)
{
	char path[64], buf[4096];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	in = fopen(path, "re");
	out = fopen(arg_smaps, "we");
	while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

static int parse_argv(int argc, char *argv[])
{
	static const struct option options[] = {
		{"kind", required_argument, NULL, 'k'},
		{"phase", required_argument, NULL, 'p'},
		{"window", required_argument, NULL, 'w'},
		{"link", required_argument, NULL, 'l'},
		{"strace", required_argument, NULL, 's'},
		{"smaps", required_argument, NULL, 'm'},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
		switch (c) {
		case 'k':
			if (strcmp(optarg, "mouse") && strcmp(optarg, "keyboard"))
				return -EINVAL;
			arg_kind = strcmp(optarg, "mouse") == 0 ? BENCH_MOUSE : BENCH_KEYBOARD;
			break;
		case 'p': {
			struct phase *ph = &arg_phases[arg_n_phases];

			if (arg_n_phases == PHASES_MAX ||
			    sscanf(optarg, "%31[a-z0-9_-]:%u:%u", ph->name, &ph->rate, &ph->frames) != 3 ||
			    ph->frames == 0 || ph->frames >= PROBE_ID || ph->rate > 1000000)
				return -EINVAL;
			arg_n_phases++;
			break;
		}
		case 'w':
			arg_window = (unsigned)atoi(optarg);
			if (arg_window == 0 || arg_window > 1000)
				return -EINVAL;
			break;
		case 'l':
			arg_link = optarg;
			break;
		case 's':
			arg_strace = optarg;
			break;
		case 'm':
			arg_smaps = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind >= argc)
		return -EINVAL;
	arg_cmd = argv + optind;
	return 0;
}

int main(int argc, char *argv[])
{
	static unsigned long seen[NODES_BITS / (8 * sizeof(long))];
	struct run run = {.clone_fd = -1};
	struct bench_dev dev;
	char clone[256];
	pthread_t thread;
	long syscalls = -1;
	uint64_t traced_frames = 0;
	pid_t pid, tracer = -1;
	int r, probes;

	if (parse_argv(argc, argv) < 0) {
		fprintf(stderr, "usage: bench-run --kind mouse|keyboard --phase NAME:RATE:FRAMES... "
				"[--window W] [--link PATH] [--strace FILE] [--smaps FILE] -- COMMAND...\n");
		return 2;
	}
	r = bench_dev_new(arg_kind, arg_kind == BENCH_MOUSE ? "mouse" : "keyboard", &dev);
	if (r < 0) {
		fprintf(stderr, "bench-run: creating the device: %s\n", strerror(-r));
		return 1;
	}
	bench_nodes_snapshot(seen, NODES_BITS);
	pid = spawn(dev.node);
	if (pid < 0) {
		fprintf(stderr, "bench-run: starting the command: %s\n", strerror((int)-pid));
		return 1;
	}
	r = bench_wait_clone(seen, NODES_BITS, dev.name, arg_link, 60000, clone, sizeof(clone));
	if (r >= 0)
		r = run.clone_fd = bench_open_clone(clone);
	if (r < 0) {
		fprintf(stderr, "bench-run: no clone of '%s': %s\n", dev.node, strerror(-r));
		stop(pid);
		return 1;
	}
	run.rx.kind = arg_kind;
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.progress, NULL);
	run.n = 0;
	pthread_create(&thread, NULL, reader, &run);
	probes = probe(&dev, &run, 60);
	atomic_store(&run.stop, true);
	pthread_join(thread, NULL);
	if (probes < 0) {
		fprintf(stderr, "bench-run: nothing came through '%s'\n", clone);
		stop(pid);
		return 1;
	}

	printf("{\"kind\":\"%s\",\"probes\":%d,\"phases\":{",
	       arg_kind == BENCH_MOUSE ? "mouse" : "keyboard", probes);
	if (arg_strace) {
		tracer = strace_attach(pid);
		if (tracer < 0)
			fprintf(stderr, "bench-run: strace: %s\n", strerror((int)-tracer));
	}
	for (size_t i = 0; i < arg_n_phases; i++)
		traced_frames += run_phase(&dev, &run, &arg_phases[i], pid, i == 0);
	if (tracer > 0)
		syscalls = strace_detach(tracer);
	if (arg_smaps)
		copy_smaps(pid);
	stop(pid);
	printf("},\"syscalls\":%ld,\"syscall_frames\":%llu}\n", syscalls,
	       (unsigned long long)traced_frames);
	close(run.clone_fd);
	bench_dev_free(&dev);
	return 0;
}
