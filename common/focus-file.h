/* SPDX-License-Identifier: MIT */
/*
 * Who has input focus: <run_dir>/focus, shared by every helper and the CLI.
 *
 *   target=<host|vm>\n       who has focus now
 *   previous=<host|vm>\n     who had it before the last switch (FocusChanged)
 *   generation=<n>\n         +1 on every write
 *   event=<sec>.<usec>\n     input event that caused the last switch; 0.000000
 *                            when none did (CLI, D-Bus, a VM stopping)
 *
 * The file is replaced atomically (.focus.new written, then renamed), always
 * under flock of <run_dir>/lock (ring.h), so reading needs no lock and never
 * sees half a file; it is mode 0644 so any user may read it. A missing file
 * means host, generation 0. Watch run_dir for IN_MOVED_TO named "focus".
 * No fsync: the run directory is a tmpfs and does not outlive a boot.
 *
 * Every transition (focus_file_next/set/release/drop/repair) is one call that
 * takes the lock, reads the focus file and the ring (removing dead entries),
 * decides, and writes only when the target changes (or the file needs
 * repair). A malformed file is read as "host, generation 0" by transitions
 * and replaced; focus_file_read() reports it as an error.
 *
 * Ring order: host first when include_host, then the VMs by join order; the
 * cycle wraps. A focused VM that is no longer in the ring is placed where its
 * entry was (its dead entry still tells its join time) or, once that is
 * gone, before the start of the cycle.
 *
 * Several helpers see the same hotkey press (with host focus all of them
 * read the keyboard): each calls the transition with the press's timestamp,
 * and the first to take the lock switches. The others find an event that is
 * not newer than the recorded one and do nothing. "Not newer" is: equal, or
 * older by less than FOCUS_EVENT_WINDOW_USEC (a helper that lags behind a
 * later switch); older than that means the clock was set back, and counts as
 * a new press. All helpers must stamp with the same clock (evdev's default,
 * CLOCK_REALTIME, unless they all set another with EVIOCSCLOCKID).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bounds.h"
#include "diag.h"
#include "ring.h"

#define FOCUS_FILE_NAME "focus"
/* Largest focus file we read; longer ones are malformed. */
#define FOCUS_FILE_MAX 256
#define FOCUS_EVENT_WINDOW_USEC 2000000u

/* Where focus goes when the focused VM stops (the on_stop setting). */
enum focus_on_stop {
	FOCUS_ON_STOP_NEXT, /* the target after it in ring order (the default) */
	FOCUS_ON_STOP_HOST, /* the host, whatever include_host says */
};

/* "next" or "host". */
const char *focus_on_stop_to_string(enum focus_on_stop on_stop);
/* Parses "next" or "host" into *ret. Returns 0 or -EINVAL. */
int focus_on_stop_from_string(const char *text, enum focus_on_stop *ret);

/* An input event's timestamp (input_event_sec, input_event_usec); {0, 0}: none. */
struct focus_file_stamp {
	uint64_t sec;
	uint32_t usec; /* < 1000000 */
};

struct focus_file_state {
	char target[VM_NAME_MAX + 1];   /* RING_HOST or a VM name */
	char previous[VM_NAME_MAX + 1]; /* target before the last switch */
	uint64_t generation;
	struct focus_file_stamp event;  /* cause of the last switch */
};

struct focus_file_result {
	char target[VM_NAME_MAX + 1];   /* who has focus after the call */
	char previous[VM_NAME_MAX + 1]; /* who had it before the call */
	uint64_t generation;            /* of the focus file after the call */
	bool changed;                   /* target != previous (file rewritten) */
	bool repaired;                  /* a malformed focus file was replaced */
};

/*
 * Parses focus file content (len bytes, not NUL-terminated) strictly: the
 * four lines above in that order, names that pass vm_name_check() or are
 * "host", decimal numbers without sign or leading zeros, usec exactly six
 * digits, nothing else. Returns 0, or -EBADMSG with diag; *ret untouched on
 * failure.
 */
int focus_file_parse(const char *text, size_t len, struct focus_file_state *ret, struct diag *diag);

/*
 * Formats st as focus file content into buf. Returns the length, or
 * -ENOBUFS / -EINVAL (bad name or stamp in st).
 */
int focus_file_format(const struct focus_file_state *st, char *buf, size_t size);

/*
 * Reads <run_dir>/focus without the lock. A missing run_dir or file is host,
 * generation 0, no event, and returns 0. Returns 0 and *ret, or -EBADMSG
 * (malformed, over-long, not a regular file, a symlink) or another negative
 * errno, with diag naming the file.
 */
int focus_file_read(const char *run_dir, struct focus_file_state *ret, struct diag *diag);

/*
 * The transitions. Each returns 0 with *ret filled (also when nothing
 * changed), or a negative errno with diag and *ret untouched. run_dir is
 * created when missing. They never wait for <run_dir>/lock: while another
 * process holds it they return -EWOULDBLOCK (ring_lock_take()) and the
 * caller tries again later. event is the timestamp of the input event behind the call,
 * or {0, 0} (never treated as a duplicate). A stamp with usec >= 1000000 is
 * -EINVAL.
 */

/* Moves focus to the target after the current one in ring order. */
int focus_file_next(const char *run_dir, bool include_host, struct focus_file_stamp event,
		    struct focus_file_result *ret, struct diag *diag);

/*
 * Moves focus to target: "host" (whatever include_host says) or a VM in the
 * ring. -EINVAL for a bad name, -ENOENT ("vm9: not in the ring (its helper
 * does not run)") for a VM without a live entry.
 */
int focus_file_set(const char *run_dir, const char *target, struct focus_file_stamp event,
		   struct focus_file_result *ret, struct diag *diag);

/* Moves focus to the host, always: the escape hotkey and Release(). */
int focus_file_release(const char *run_dir, struct focus_file_stamp event,
		       struct focus_file_result *ret, struct diag *diag);

/*
 * For a helper that stops: if gone->vm has focus, moves focus on as on_stop
 * says: to the host, or to the target after gone's place in ring order
 * (gone itself skipped, whether or not its entry still exists); else changes
 * nothing. Pass a copy of ring_member_entry() taken before ring_leave(), and
 * call after it.
 */
int focus_file_drop(const char *run_dir, const struct ring_entry *gone, bool include_host,
		    enum focus_on_stop on_stop, struct focus_file_result *ret,
		    struct diag *diag);

/*
 * For anyone who notices the ring changed: if the focused VM has no live
 * entry (its helper died), moves focus on as focus_file_next() would; else
 * changes nothing. Also replaces a malformed focus file.
 */
int focus_file_repair(const char *run_dir, bool include_host, struct focus_file_result *ret,
		      struct diag *diag);
