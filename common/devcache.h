/* SPDX-License-Identifier: MIT */
/*
 * The capability cache: what a physical input device looked like the last
 * time a helper opened it, one small text file per device under CACHE_DIR
 * (/var/lib/vfio-kvm/<dev>, <dev> as in /dev/input/by-id/<dev>), so that a VM
 * can start while the device is absent (a wireless keyboard switched off):
 * its clone is made from the cache and the helper waits for the device.
 *
 * Format (version 1), one item per line, numbers decimal:
 *
 *   vfio-kvm-devcache 1
 *   name <device name, printable ASCII, to the end of the line>
 *   id <bustype> <vendor> <product> <version>
 *   <type> <code>...        for type key, rel, msc, sw, led, snd (codes ascending)
 *   abs <code> <value> <min> <max> <fuzz> <flat> <resolution>   one line per axis
 *   rep <delay> <period>    the device repeats keys
 *   prop <property>...
 *
 * The file is hostile input when read back: at most DEVCACHE_SIZE_MAX bytes,
 * every line known, every number in range, nothing twice; anything else is
 * an error naming file:line. Nothing here logs.
 */
#pragma once

#include <linux/input.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "macro.h"

#define DEVCACHE_SIZE_MAX (64 * 1024)
#define DEVCACHE_NAME_MAX 127
#define DEVCACHE_HEADER "vfio-kvm-devcache 1"

struct libevdev;

/* The code types a cache holds a bit set for, in file order. */
enum devcache_type { DEVCACHE_KEY, DEVCACHE_REL, DEVCACHE_MSC, DEVCACHE_SW, DEVCACHE_LED,
		     DEVCACHE_SND, _DEVCACHE_TYPES };

struct devcache {
	char name[DEVCACHE_NAME_MAX + 1];
	uint16_t bustype, vendor, product, version;
	unsigned long bits[_DEVCACHE_TYPES][BITSET_LONGS(KEY_CNT)];
	unsigned long abs_bits[BITSET_LONGS(ABS_CNT)];
	struct input_absinfo abs[ABS_CNT];
	bool rep;
	int rep_delay, rep_period;
	unsigned long props[BITSET_LONGS(INPUT_PROP_CNT)];
};

/* Fills *ret from a device's capabilities. Returns 0. */
int devcache_from_evdev(const struct libevdev *dev, struct devcache *ret);

/*
 * Builds a libevdev device (no fd) with c's name, IDs, capabilities, abs info
 * and repeat settings: what libevdev_uinput_create_from_device() needs. The
 * caller frees it with libevdev_free(). Returns 0 or -ENOMEM.
 */
int devcache_to_evdev(const struct devcache *c, struct libevdev **ret);

/* Writes c in the file format into buf. Returns the length, or -ENOBUFS if size is too small. */
int devcache_format(const struct devcache *c, char *buf, size_t size);

/*
 * Parses text (len bytes, not NUL-terminated) into *ret; what names the input
 * in messages ("path:line: …"). Returns 0, or -EINVAL/-EFBIG with diag; *ret is
 * untouched on failure.
 */
int devcache_parse(const char *text, size_t len, const char *what, struct devcache *ret,
		   struct diag *diag);

/*
 * dir/<device>: device must pass device_name_check(). Returns the length, or
 * -EINVAL/-ENAMETOOLONG with diag.
 */
int devcache_path(const char *dir, const char *device, char *buf, size_t size, struct diag *diag);

/*
 * Writes the cache of device (name as in by-id) to dir, atomically (a
 * temporary file renamed over the old one; unchanged content is not
 * rewritten). Returns 0 or a negative errno with diag.
 */
int devcache_write(const char *dir, const char *device, const struct devcache *c,
		   struct diag *diag);

/*
 * Reads and parses dir/<device>. Returns 0, -ENOENT (never seen; diag says
 * so) or another negative errno with diag.
 */
int devcache_read(const char *dir, const char *device, struct devcache *ret, struct diag *diag);
