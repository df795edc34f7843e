/* SPDX-License-Identifier: MIT */
/*
 * bench-scale HELPER HELPERS DEVICES RATE FRAMES RUNDIR: many helpers on the
 * same physical devices, as with one helper per VM. Creates DEVICES devices
 * (the first two keyboards, the rest mice), starts HELPERS helpers (VMs
 * "scale00"…) on all of them sharing RUNDIR, the first with --focus, then
 * injects RATE frames/s on every device, FRAMES per device, and reads the
 * focused helper's clones. Prints one JSON object: frames lost, latency, the
 * focused helper's CPU and the unfocused helpers' CPU (total and the most
 * one used) and their RSS.
 */
#include <errno.h>
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

#define HELPERS_MAX 32
#define DEVICES_MAX 16
#define PROBE_ID (1u << 20)

static struct bench_dev devs[DEVICES_MAX];
static int clone_fds[DEVICES_MAX];
static struct bench_rx rxs[DEVICES_MAX];
static uint64_t *t_inj[DEVICES_MAX], *t_rx[DEVICES_MAX];
static unsigned n_devs;
static uint32_t n_frames;
static atomic_uint seen, probes_seen;
static atomic_bool stopping;

static void *reader(void *userdata)
{
	struct pollfd p[DEVICES_MAX];

	for (unsigned d = 0; d < n_devs; d++)
		p[d] = (struct pollfd){.fd = clone_fds[d], .events = POLLIN};
	while (!atomic_load(&stopping)) {
		if (poll(p, n_devs, 20) <= 0)
			continue;
		for (unsigned d = 0; d < n_devs; d++) {
			struct input_event ev[64];
			ssize_t n;

			if (!(p[d].revents & POLLIN))
				continue;
			n = read(clone_fds[d], ev, sizeof(ev));
			for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++) {
				uint32_t id;
				uint64_t t;

				if (!bench_rx_feed(&rxs[d], &ev[i], &id, &t))
					continue;
				if (id >= PROBE_ID)
					atomic_fetch_add(&probes_seen, 1);
				else if (id < n_frames && !t_rx[d][id]) {
					t_rx[d][id] = t ? t : 1;
					atomic_fetch_add(&seen, 1);
				}
			}
		}
	}
	return (void *)userdata;
}

static pid_t start_helper(const char *helper, unsigned k, const char *run_dir, bool focus)
{
	char vm[16], args[DEVICES_MAX][160];
	char *argv[2 * DEVICES_MAX + 12];
	size_t n = 0;
	pid_t pid;

	snprintf(vm, sizeof(vm), "scale%02u", k);
	argv[n++] = (char *)helper;
	argv[n++] = (char *)"--vm";
	argv[n++] = vm;
	for (unsigned d = 0; d < n_devs; d++) {
		snprintf(args[d], sizeof(args[d]), "%s=/dev/input/by-id/%s-d%u", devs[d].node, vm, d);
		argv[n++] = (char *)"--device";
		argv[n++] = args[d];
	}
	if (focus)
		argv[n++] = (char *)"--focus";
	argv[n++] = (char *)"--run-dir";
	argv[n++] = (char *)run_dir;
	argv[n++] = (char *)"--no-bus";
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(helper, argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char *argv[])
{
	static unsigned long none[1];
	pid_t pids[HELPERS_MAX];
	struct bench_cpu c0[HELPERS_MAX], c1[HELPERS_MAX];
	uint64_t *lat, unfocused_ns = 0, unfocused_max = 0, period;
	struct bench_mem mem, unfocused_mem = {0}, focused_mem;
	unsigned n_helpers, rate, started = 0;
	uint32_t n_lat = 0, late = 0;
	struct timespec next;
	pthread_t thread;
	int r = 1;

	if (argc != 7) {
		fprintf(stderr, "usage: bench-scale HELPER HELPERS DEVICES RATE FRAMES RUNDIR\n");
		return 2;
	}
	n_helpers = (unsigned)atoi(argv[2]);
	n_devs = (unsigned)atoi(argv[3]);
	rate = (unsigned)atoi(argv[4]);
	n_frames = (uint32_t)atoi(argv[5]);
	if (n_helpers < 1 || n_helpers > HELPERS_MAX || n_devs < 1 || n_devs > DEVICES_MAX ||
	    rate < 1 || rate > 100000 || n_frames < 1 || n_frames >= PROBE_ID)
		return 2;
	period = 1000000000u / rate;
	for (unsigned d = 0; d < n_devs; d++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "scale%u", d);
		if (bench_dev_new(d < 2 ? BENCH_KEYBOARD : BENCH_MOUSE, tag, &devs[d]) < 0) {
			fprintf(stderr, "bench-scale: cannot create device %u\n", d);
			goto out;
		}
		rxs[d].kind = devs[d].kind;
		t_inj[d] = calloc(n_frames, sizeof(uint64_t));
		t_rx[d] = calloc(n_frames, sizeof(uint64_t));
		if (!t_inj[d] || !t_rx[d])
			goto out;
	}
	/* Started one after another: each waits for the last clone of the one before. */
	for (unsigned k = 0; k < n_helpers; k++) {
		char link[96], node[256];

		pids[k] = start_helper(argv[1], k, argv[6], k == 0);
		if (pids[k] < 0)
			goto out;
		started++;
		snprintf(link, sizeof(link), "/dev/input/by-id/scale%02u-d%u", k, n_devs - 1);
		if (bench_wait_clone(none, 0, "", link, 60000, node, sizeof(node)) < 0) {
			fprintf(stderr, "bench-scale: helper %u made no clones\n", k);
			goto out;
		}
		if (k == 0)
			for (unsigned d = 0; d < n_devs; d++) {
				snprintf(link, sizeof(link), "/dev/input/by-id/scale00-d%u", d);
				if (bench_wait_clone(none, 0, "", link, 10000, node, sizeof(node)) < 0 ||
				    (clone_fds[d] = bench_open_clone(node)) < 0)
					goto out;
			}
	}
	pthread_create(&thread, NULL, reader, NULL);
	/* Every device forwards to the focused helper's clones before the run. */
	for (unsigned d = 0; d < n_devs; d++) {
		unsigned before = atomic_load(&probes_seen);
		uint64_t t;

		for (unsigned i = 0; i < 300 && atomic_load(&probes_seen) == before; i++) {
			if (i % 20 == 0) {
				(void)bench_inject(&devs[d], PROBE_ID + i, &t);
				(void)bench_inject(&devs[d], PROBE_ID + i + 1, &t);
			}
			usleep(50000);
		}
	}
	usleep(500000);
	for (unsigned k = 0; k < n_helpers; k++)
		bench_tree_cpu(pids[k], &c0[k]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint32_t i = 0; i < n_frames; i++) {
		uint64_t ns = (uint64_t)next.tv_nsec + period, now;

		next.tv_sec += (time_t)(ns / 1000000000u);
		next.tv_nsec = (long)(ns % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		for (unsigned d = 0; d < n_devs; d++)
			(void)bench_inject(&devs[d], i, &t_inj[d][i]);
		now = bench_now_ns();
		if (now > (uint64_t)next.tv_sec * 1000000000u + (uint64_t)next.tv_nsec + period) {
			late++;
			clock_gettime(CLOCK_MONOTONIC, &next);
		}
	}
	for (unsigned last = UINT32_MAX; atomic_load(&seen) != last;) {
		last = atomic_load(&seen);
		usleep(500000);
	}
	for (unsigned k = 0; k < n_helpers; k++) {
		bench_tree_cpu(pids[k], &c1[k]);
		if (k > 0) {
			uint64_t ns = c1[k].sched_ns - c0[k].sched_ns;

			unfocused_ns += ns;
			if (ns > unfocused_max)
				unfocused_max = ns;
			bench_tree_mem(pids[k], &mem);
			unfocused_mem.rss_kb += mem.rss_kb;
			unfocused_mem.dirty_kb += mem.dirty_kb;
		}
	}
	bench_tree_mem(pids[0], &focused_mem);
	atomic_store(&stopping, true);
	pthread_join(thread, NULL);

	lat = calloc((size_t)n_frames * n_devs, sizeof(uint64_t));
	if (!lat)
		goto out;
	for (unsigned d = 0; d < n_devs; d++)
		for (uint32_t i = 0; i < n_frames; i++)
			if (t_rx[d][i] && t_inj[d][i])
				lat[n_lat++] = t_rx[d][i] > t_inj[d][i] ? t_rx[d][i] - t_inj[d][i] : 0;
	printf("{\"helpers\":%u,\"devices\":%u,\"rate\":%u,\"frames_per_device\":%u,\"late\":%u,"
	       "\"lost\":%u,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
	       "\"focused_cpu_us\":%.1f,\"unfocused_cpu_us\":%.1f,\"unfocused_cpu_us_max\":%.1f,"
	       "\"unfocused_rss_kb_avg\":%llu,\"unfocused_dirty_kb_avg\":%llu,"
	       "\"focused_rss_kb\":%llu,\"focused_dirty_kb\":%llu}\n",
	       n_helpers, n_devs, rate, n_frames, late, n_frames * n_devs - atomic_load(&seen),
	       (double)bench_quantile(lat, n_lat, 0.5) / 1000.0,
	       (double)bench_quantile(lat, n_lat, 0.99) / 1000.0,
	       (double)bench_quantile(lat, n_lat, 1.0) / 1000.0,
	       (double)(c1[0].sched_ns - c0[0].sched_ns) / 1000.0, (double)unfocused_ns / 1000.0,
	       (double)unfocused_max / 1000.0,
	       (unsigned long long)(n_helpers > 1 ? unfocused_mem.rss_kb / (n_helpers - 1) : 0),
	       (unsigned long long)(n_helpers > 1 ? unfocused_mem.dirty_kb / (n_helpers - 1) : 0),
	       (unsigned long long)focused_mem.rss_kb, (unsigned long long)focused_mem.dirty_kb);
	free(lat);
	r = 0;
out:
	/* Unfocused first: the focused one hands focus on when it leaves. */
	for (unsigned k = started; k-- > 0;)
		kill(pids[k], SIGTERM);
	for (unsigned k = 0; k < started; k++)
		waitpid(pids[k], NULL, 0);
	for (unsigned d = 0; d < n_devs; d++)
		bench_dev_free(&devs[d]);
	return r;
}
