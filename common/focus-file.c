/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "focus-file.h"
#include "names.h"
#include "small-file.h"

#define FOCUS_TMP_NAME ".focus.new"

enum focus_op {
	FOCUS_OP_NEXT,
	FOCUS_OP_SET,
	FOCUS_OP_DROP,
	FOCUS_OP_REPAIR,
};

const char *focus_on_stop_to_string(enum focus_on_stop on_stop)
{
	return on_stop == FOCUS_ON_STOP_HOST ? "host" : "next";
}

int focus_on_stop_from_string(const char *text, enum focus_on_stop *ret)
{
	if (strcmp(text, "next") == 0)
		*ret = FOCUS_ON_STOP_NEXT;
	else if (strcmp(text, "host") == 0)
		*ret = FOCUS_ON_STOP_HOST;
	else
		return -EINVAL;
	return 0;
}

static bool focus_name_valid(const char *name)
{
	return strcmp(name, RING_HOST) == 0 || vm_name_check(name, NULL) == 0;
}

static bool focus_stamp_valid(struct focus_file_stamp s)
{
	return s.usec < 1000000u;
}

static bool focus_stamp_none(struct focus_file_stamp s)
{
	return s.sec == 0 && s.usec == 0;
}

/* An event not newer than the last switch's: another helper already acted on it. */
static bool focus_stamp_stale(struct focus_file_stamp ev, struct focus_file_stamp last)
{
	uint64_t dsec;
	int64_t d;

	if (focus_stamp_none(ev))
		return false;
	if (ev.sec > last.sec || (ev.sec == last.sec && ev.usec > last.usec))
		return false;
	dsec = last.sec - ev.sec;
	if (dsec > FOCUS_EVENT_WINDOW_USEC / 1000000u + 1)
		return false;
	d = (int64_t)dsec * 1000000 + (int64_t)last.usec - (int64_t)ev.usec;
	return d < (int64_t)FOCUS_EVENT_WINDOW_USEC;
}

static void focus_state_default(struct focus_file_state *st)
{
	*st = (struct focus_file_state){.generation = 0};
	strcpy(st->target, RING_HOST);
	strcpy(st->previous, RING_HOST);
}

static int focus_parse_name(const char **p, const char *end, const char *key, char *out,
			    struct diag *diag)
{
	const char *value;
	size_t len;

	if (small_file_parse_field(p, end, key, &value, &len) < 0 || len == 0 || len > VM_NAME_MAX)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": no valid %s= line", key);
	memcpy(out, value, len);
	out[len] = '\0';
	if (!focus_name_valid(out))
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": %s= is not a VM name", key);
	return 0;
}

int focus_file_parse(const char *text, size_t len, struct focus_file_state *ret, struct diag *diag)
{
	struct focus_file_state st = {0};
	const char *p = text, *end = text + len, *value, *dot;
	size_t value_len;
	int r;

	r = focus_parse_name(&p, end, "target", st.target, diag);
	if (r < 0)
		return r;
	r = focus_parse_name(&p, end, "previous", st.previous, diag);
	if (r < 0)
		return r;
	if (small_file_parse_field(&p, end, "generation", &value, &value_len) < 0 ||
	    small_file_parse_u64(value, value_len, &st.generation) < 0)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": no valid generation= line");

	/* event=<sec>.<usec>, usec exactly six digits */
	if (small_file_parse_field(&p, end, "event", &value, &value_len) < 0)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": no valid event= line");
	dot = memchr(value, '.', value_len);
	if (!dot || small_file_parse_u64(value, (size_t)(dot - value), &st.event.sec) < 0 ||
	    value_len - (size_t)(dot - value) != 7)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": event= is not <sec>.<usec>");
	for (size_t i = 1; i <= 6; i++) {
		if (dot[i] < '0' || dot[i] > '9')
			return diag_set(diag, -EBADMSG,
					FOCUS_FILE_NAME ": event= is not <sec>.<usec>");
		st.event.usec = st.event.usec * 10 + (uint32_t)(dot[i] - '0');
	}

	if (p != end)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": trailing data");
	*ret = st;
	return 0;
}

int focus_file_format(const struct focus_file_state *st, char *buf, size_t size)
{
	int len;

	if (!focus_name_valid(st->target) || !focus_name_valid(st->previous) ||
	    !focus_stamp_valid(st->event))
		return -EINVAL;
	len = snprintf(buf, size,
		       "target=%s\nprevious=%s\ngeneration=%" PRIu64 "\nevent=%" PRIu64
		       ".%06" PRIu32 "\n",
		       st->target, st->previous, st->generation, st->event.sec, st->event.usec);
	if (len < 0 || (size_t)len >= size)
		return -ENOBUFS;
	return len;
}

static int focus_read_at(int run_fd, struct focus_file_state *ret, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	char buf[FOCUS_FILE_MAX + 1] = "";
	int r;

	fd = openat(run_fd, FOCUS_FILE_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		focus_state_default(ret);
		return 0;
	}
	if (fd < 0 && errno == ELOOP)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": is a symbolic link");
	if (fd < 0) {
		r = ring_errno();
		return diag_set(diag, r, FOCUS_FILE_NAME ": %s", strerror(-r));
	}
	r = small_file_read(fd, buf, sizeof(buf));
	if (r == -EFBIG)
		return diag_set(diag, -EBADMSG, FOCUS_FILE_NAME ": longer than %d bytes",
				FOCUS_FILE_MAX);
	if (r == -EBADMSG)
		return diag_set(diag, r, FOCUS_FILE_NAME ": not a regular file");
	if (r < 0)
		return diag_set(diag, r, FOCUS_FILE_NAME ": %s", strerror(-r));
	return focus_file_parse(buf, (size_t)r, ret, diag);
}

int focus_file_read(const char *run_dir, struct focus_file_state *ret, struct diag *diag)
{
	_cleanup_(closep) int run_fd = ring_run_dir_open(run_dir, false, diag);

	if (run_fd == -ENOENT) {
		focus_state_default(ret);
		return 0;
	}
	if (run_fd < 0)
		return run_fd;
	return focus_read_at(run_fd, ret, diag);
}

/* Replaces <run_fd>/focus: the caller holds the lock, so one temp name will do. */
static int focus_write_at(int run_fd, const struct focus_file_state *st, struct diag *diag)
{
	char buf[FOCUS_FILE_MAX];
	int len, r;

	len = focus_file_format(st, buf, sizeof(buf));
	if (len < 0)
		return diag_set(diag, len, FOCUS_FILE_NAME ": cannot format the new state");
	r = small_file_replace(run_fd, FOCUS_TMP_NAME, FOCUS_FILE_NAME, buf, (size_t)len, 0644);
	if (r < 0)
		return diag_set(diag, r, FOCUS_FILE_NAME ": %s", strerror(-r));
	return 0;
}

static int focus_entry_cmp(const struct ring_entry *a, const struct ring_entry *b)
{
	if (a->join != b->join)
		return a->join < b->join ? -1 : 1;
	return strcmp(a->vm, b->vm);
}

static const struct ring_entry *focus_ring_find(const struct ring_entry *ring, size_t n,
						const char *vm)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ring[i].vm, vm) == 0)
			return &ring[i];
	return NULL;
}

/*
 * The target after pos in ring order (ring sorted, as ring_list() gives it).
 * pos NULL is the host's place, before every VM; skip is a VM to leave out.
 */
static const char *focus_after(const struct ring_entry *ring, size_t n, bool include_host,
			       const struct ring_entry *pos, const char *skip)
{
	const char *first = NULL;

	for (size_t i = 0; i < n; i++) {
		if (skip && strcmp(ring[i].vm, skip) == 0)
			continue;
		if (!first)
			first = ring[i].vm;
		if (!pos || focus_entry_cmp(&ring[i], pos) > 0)
			return ring[i].vm;
	}
	/* Wrapped around. */
	if (include_host || !first)
		return RING_HOST;
	return first;
}

/*
 * Where focus goes next from cur. A VM that left is placed by its dead entry
 * (known) or, with its place lost, before the start of the cycle.
 */
static const char *focus_next_of(const struct ring_entry *ring, size_t n, bool include_host,
				 const char *cur, const struct ring_entry *cur_entry)
{
	const struct ring_entry *pos;

	if (strcmp(cur, RING_HOST) == 0)
		return focus_after(ring, n, include_host, NULL, NULL);
	pos = focus_ring_find(ring, n, cur);
	if (!pos)
		pos = cur_entry;
	if (!pos)
		return include_host ? RING_HOST : focus_after(ring, n, include_host, NULL, NULL);
	return focus_after(ring, n, include_host, pos, cur);
}

static int focus_transition(const char *run_dir, enum focus_op op, const char *target,
			    const struct ring_entry *gone, bool include_host,
			    enum focus_on_stop on_stop, struct focus_file_stamp event,
			    struct focus_file_result *ret, struct diag *diag)
{
	_cleanup_(closep) int run_fd = -1, lock_fd = -1;
	struct ring_entry ring[RING_VMS_MAX], cur_entry;
	struct focus_file_state cur, next;
	struct diag scratch = {{0}};
	const char *to;
	bool repair = false, have_cur_entry = false, is_vm;
	size_t n = 0;
	int r;

	if (!focus_stamp_valid(event))
		return diag_set(diag, -EINVAL, "event time: usec %" PRIu32 " out of range",
				event.usec);

	run_fd = ring_run_dir_open(run_dir, true, diag);
	if (run_fd < 0)
		return run_fd;
	lock_fd = ring_lock_take(run_fd, diag);
	if (lock_fd < 0)
		return lock_fd;

	focus_state_default(&cur);
	r = focus_read_at(run_fd, &cur, diag);
	if (r == -EBADMSG) {
		focus_state_default(&cur);
		repair = true;
	} else if (r < 0)
		return r;

	/* Read before the listing below removes it: a dead entry still knows its place. */
	is_vm = strcmp(cur.target, RING_HOST) != 0;
	if (is_vm && ring_entry_read(run_fd, cur.target, &cur_entry, NULL) >= 0)
		have_cur_entry = true;

	/* Unusable entries are left out of the ring; only failing to read it is an error. */
	r = ring_list_locked(run_fd, ring, ARRAY_SIZE(ring), &n, &scratch);
	if (r < 0)
		return diag_set(diag, r, "%s", scratch.msg);

	switch (op) {
	case FOCUS_OP_NEXT:
		to = focus_stamp_stale(event, cur.event)
			     ? cur.target
			     : focus_next_of(ring, n, include_host, cur.target,
					     have_cur_entry ? &cur_entry : NULL);
		break;
	case FOCUS_OP_SET:
		if (strcmp(target, RING_HOST) != 0 && !focus_ring_find(ring, n, target))
			return diag_set(diag, -ENOENT,
					"%s: not in the ring (its helper does not run)", target);
		to = focus_stamp_stale(event, cur.event) ? cur.target : target;
		break;
	case FOCUS_OP_DROP:
		if (strcmp(cur.target, gone->vm) != 0)
			to = cur.target;
		else if (on_stop == FOCUS_ON_STOP_HOST)
			to = RING_HOST;
		else
			to = focus_after(ring, n, include_host, gone, gone->vm);
		break;
	case FOCUS_OP_REPAIR:
		to = is_vm && !focus_ring_find(ring, n, cur.target)
			     ? focus_next_of(ring, n, include_host, cur.target,
					     have_cur_entry ? &cur_entry : NULL)
			     : cur.target;
		break;
	default:
		return diag_set(diag, -EINVAL, "unknown focus transition");
	}

	next = cur;
	if (strcmp(to, cur.target) != 0) {
		strcpy(next.previous, cur.target);
		strcpy(next.target, to);
		next.event = event;
	}
	if (strcmp(to, cur.target) != 0 || repair) {
		next.generation = cur.generation + 1;
		r = focus_write_at(run_fd, &next, diag);
		if (r < 0)
			return r;
	}

	*ret = (struct focus_file_result){
		.generation = next.generation,
		.changed = strcmp(to, cur.target) != 0,
		.repaired = repair,
	};
	strcpy(ret->previous, cur.target);
	strcpy(ret->target, next.target);
	return 0;
}

int focus_file_next(const char *run_dir, bool include_host, struct focus_file_stamp event,
		    struct focus_file_result *ret, struct diag *diag)
{
	return focus_transition(run_dir, FOCUS_OP_NEXT, NULL, NULL, include_host,
				FOCUS_ON_STOP_NEXT, event, ret, diag);
}

int focus_file_set(const char *run_dir, const char *target, struct focus_file_stamp event,
		   struct focus_file_result *ret, struct diag *diag)
{
	if (strcmp(target, RING_HOST) != 0) {
		int r = vm_name_check(target, diag);
		if (r < 0)
			return r;
	}
	return focus_transition(run_dir, FOCUS_OP_SET, target, NULL, false,
				FOCUS_ON_STOP_NEXT, event, ret, diag);
}

int focus_file_release(const char *run_dir, struct focus_file_stamp event,
		       struct focus_file_result *ret, struct diag *diag)
{
	return focus_transition(run_dir, FOCUS_OP_SET, RING_HOST, NULL, false,
				FOCUS_ON_STOP_NEXT, event, ret, diag);
}

int focus_file_drop(const char *run_dir, const struct ring_entry *gone, bool include_host,
		    enum focus_on_stop on_stop, struct focus_file_result *ret,
		    struct diag *diag)
{
	int r = vm_name_check(gone->vm, diag);

	if (r < 0)
		return r;
	if (strcmp(gone->vm, RING_HOST) == 0)
		return diag_set(diag, -EINVAL, "'" RING_HOST "' is not a VM");
	return focus_transition(run_dir, FOCUS_OP_DROP, NULL, gone, include_host, on_stop,
				(struct focus_file_stamp){0, 0}, ret, diag);
}

int focus_file_repair(const char *run_dir, bool include_host, struct focus_file_result *ret,
		      struct diag *diag)
{
	return focus_transition(run_dir, FOCUS_OP_REPAIR, NULL, NULL, include_host,
				FOCUS_ON_STOP_NEXT, (struct focus_file_stamp){0, 0}, ret, diag);
}
