/* SPDX-License-Identifier: MIT */
/*
 * Shared parts of the forwarding benchmark (bench-run, bench-scale): the
 * "physical" devices made with uinput, frames shaped like real hardware that
 * carry their own number, and per-process-tree CPU and memory figures. Runs
 * as root where /dev/uinput exists (the test guest).
 */
#pragma once

#include <linux/input.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libevdev/libevdev-uinput.h>

enum bench_kind {
	BENCH_MOUSE,    /* REL_X + REL_Y + SYN_REPORT */
	BENCH_KEYBOARD, /* MSC_SCAN + KEY + SYN_REPORT */
};

/* A "physical" device made with uinput. */
struct bench_dev {
	enum bench_kind kind;
	struct libevdev_uinput *uidev;
	int fd;          /* the uinput fd, written for each frame */
	bool key_down;   /* keyboard: KEY_A is down (frames press and release in turn) */
	char node[64];   /* /dev/input/eventN */
	char name[80];   /* its name, which clones made from it copy */
};

/*
 * Creates a mouse or keyboard named "vkbench <tag>" with USB-like IDs.
 * Returns 0 or a negative errno; the caller frees with bench_dev_free().
 */
int bench_dev_new(enum bench_kind kind, const char *tag, struct bench_dev *ret);
void bench_dev_free(struct bench_dev *d);

/*
 * Writes frame ID (its number travels in REL_X/REL_Y or MSC_SCAN) as one
 * write(), the way a driver reports one packet. Stores CLOCK_MONOTONIC just
 * before the write in *ret_ns. Returns 0 or a negative errno.
 */
int bench_inject(struct bench_dev *d, uint32_t id, uint64_t *ret_ns);

/* Follows a clone's events; a finished frame yields its number and time. */
struct bench_rx {
	enum bench_kind kind;
	int32_t x, y, scan;  /* parts of the pending frame's number; 0: not seen */
	uint64_t n_dropped;  /* SYN_DROPPED seen: the reader fell behind */
};

/*
 * Feeds one event. Returns 1 and the frame's number and time (ns,
 * CLOCK_MONOTONIC if the fd was set so) at SYN_REPORT, 0 otherwise.
 */
int bench_rx_feed(struct bench_rx *rx, const struct input_event *ev, uint32_t *ret_id,
		  uint64_t *ret_ns);

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/*
 * Opens an event node for reading, O_NONBLOCK, with CLOCK_MONOTONIC times.
 * Returns the fd or a negative errno.
 */
int bench_open_clone(const char *node);

/*
 * Lists /dev/input/event* numbers into SEEN (bits, size N_BITS); used to
 * tell a new node from an old one.
 */
void bench_nodes_snapshot(unsigned long *seen, size_t n_bits);

/*
 * Waits up to TIMEOUT_MS for an event node that is not in SEEN and whose
 * device is named NAME (or, with LINK not NULL, the node LINK resolves to).
 * Stores "/dev/input/eventN" in RET (size N). Returns 0 or -ETIMEDOUT.
 */
int bench_wait_clone(const unsigned long *seen, size_t n_bits, const char *name,
		     const char *link, int timeout_ms, char *ret, size_t n);

/* CPU used by PID and all its descendants: on-CPU ns from schedstat and
 * utime+stime from stat (in ns, tick resolution). Missing pieces count 0. */
struct bench_cpu {
	uint64_t sched_ns;
	uint64_t tick_ns;
};
void bench_tree_cpu(pid_t pid, struct bench_cpu *ret);

/*
 * Memory of PID and its descendants, in KiB: resident (Rss, which counts
 * every library page mapped, shared or not) and dirty private (pages the
 * process wrote: heap, stack, relocated library data; what one more such
 * process costs, as the read-only library pages are shared).
 */
struct bench_mem {
	uint64_t rss_kb;
	uint64_t dirty_kb;
};
void bench_tree_mem(pid_t pid, struct bench_mem *ret);

/* Stores PID and its descendants in RET (at most MAX). Returns how many. */
size_t bench_tree_pids(pid_t pid, pid_t *ret, size_t max);

/* Sorts V (N values) and returns the Q-quantile (0..1), nearest rank. */
uint64_t bench_quantile(uint64_t *v, size_t n, double q);
