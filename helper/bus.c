/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "bounds.h"
#include "bus.h"
#include "log.h"
#include "polkit.h"

/* RequestName replies (D-Bus specification). */
#define BUS_REPLY_PRIMARY_OWNER 1
#define BUS_REPLY_IN_QUEUE 2
#define BUS_REPLY_ALREADY_OWNER 4
/* Lower than input: the bus never delays an event on its way to a clone. */
#define BUS_PRIORITY 10
/* For the one blocking call, at exit. */
#define BUS_STOP_TIMEOUT_USEC (2 * 1000000u)
/*
 * A method whose transition finds <run_dir>/lock held is answered later: it
 * is tried again from a timer (first after BUS_RETRY_FIRST_USEC, then twice
 * as long each time, at most BUS_RETRY_MAX_USEC apart) until the lock is
 * free or BUS_RETRY_TOTAL_USEC have passed, as the CLI waits. Helpers hold
 * the lock for moments; a caller should not see that as an error.
 */
#define BUS_DEFERRED_MAX 8
#define BUS_RETRY_FIRST_USEC 10000u
#define BUS_RETRY_MAX_USEC 250000u
#define BUS_RETRY_TOTAL_USEC (3 * 1000000u)

enum bus_call {
	BUS_CALL_NEXT,
	BUS_CALL_FOCUS,
	BUS_CALL_RELEASE,
};

/* A method call waiting for the lock; m is referenced until it is answered. */
struct bus_deferred {
	sd_bus_message *m;
	enum bus_call call;
	uint64_t deadline; /* CLOCK_MONOTONIC µs: answer with the error from then on */
};

struct bus {
	const char *vm;
	const struct bus_ops *ops;
	void *userdata;
	sd_bus *bus;
	sd_bus_slot *object;
	sd_bus_slot *sleep; /* logind's PrepareForSleep */
	struct polkit *polkit; /* who may call the methods */
	bool name_warned; /* a failure to take the name was logged */
	struct bus_deferred deferred[BUS_DEFERRED_MAX];
	size_t n_deferred;
	sd_event_source *retry; /* tries the deferred calls again */
	uint64_t retry_usec;    /* the next retry's delay */
};

struct bus_announcement {
	struct bus *bus;
	char target[VM_NAME_MAX + 1];
	char previous[VM_NAME_MAX + 1];
};

static int bus_get_target(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply, void *userdata,
			  sd_bus_error *error)
{
	struct bus *b = userdata;
	char target[VM_NAME_MAX + 1];
	struct diag diag;

	if (b->ops->target(b->userdata, target, sizeof(target), &diag) < 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, diag.msg);
	return sd_bus_message_append(reply, "s", target);
}

/* Runs the transition m asks for. Returns 0 or a negative errno with diag. */
static int bus_call_run(struct bus *b, sd_bus_message *m, enum bus_call call, struct diag *diag)
{
	const char *target;
	int r;

	switch (call) {
	case BUS_CALL_NEXT:
		return b->ops->next(b->userdata, diag);
	case BUS_CALL_RELEASE:
		return b->ops->release(b->userdata, diag);
	case BUS_CALL_FOCUS:
		/* Read again on every try: a deferred call runs more than once. */
		r = sd_bus_message_rewind(m, true);
		if (r >= 0)
			r = sd_bus_message_read(m, "s", &target);
		if (r < 0)
			return diag_set(diag, r, "Focus: %s", strerror(-r));
		r = b->ops->focus(b->userdata, target, diag);
		/* A valid name without a running helper: say it the caller's way. */
		if (r == -ENOENT)
			return diag_set(diag, -EINVAL, "no VM '%s' in the ring", target);
		return r;
	}
	return diag_set(diag, -EINVAL, "unknown call");
}

/* Answers m for transition result r: an empty reply or a clear error. */
static int bus_call_answer(sd_bus_message *m, int r, const struct diag *diag)
{
	if (r == -EINVAL)
		return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "%s", diag->msg);
	if (r < 0)
		return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "%s", diag->msg);
	return sd_bus_reply_method_return(m, NULL);
}

static uint64_t bus_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void bus_arm_retry(struct bus *b)
{
	(void)sd_event_source_set_time_relative(b->retry, b->retry_usec);
	(void)sd_event_source_set_enabled(b->retry, SD_EVENT_ONESHOT);
	b->retry_usec = b->retry_usec * 2 > BUS_RETRY_MAX_USEC ? BUS_RETRY_MAX_USEC
							       : b->retry_usec * 2;
}

static int bus_on_retry(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct bus *b = userdata;
	uint64_t now = bus_now();
	size_t kept = 0;

	for (size_t i = 0; i < b->n_deferred; i++) {
		struct bus_deferred *d = &b->deferred[i];
		struct diag diag;
		int r = bus_call_run(b, d->m, d->call, &diag);

		if (r == -EWOULDBLOCK && now < d->deadline) {
			b->deferred[kept++] = *d;
			continue;
		}
		(void)bus_call_answer(d->m, r, &diag);
		d->m = sd_bus_message_unref(d->m);
	}
	b->n_deferred = kept;
	if (kept > 0)
		bus_arm_retry(b);
	return 0;
}

/* Keeps m to be answered once the lock is free. Returns 0, or -ENOBUFS when
 * too many wait already (the caller answers with the lock's error). */
static int bus_defer(struct bus *b, sd_bus_message *m, enum bus_call call)
{
	if (!b->retry || b->n_deferred >= BUS_DEFERRED_MAX)
		return -ENOBUFS;
	b->deferred[b->n_deferred++] = (struct bus_deferred){
		.m = sd_bus_message_ref(m),
		.call = call,
		.deadline = bus_now() + BUS_RETRY_TOTAL_USEC,
	};
	if (b->n_deferred == 1) {
		b->retry_usec = BUS_RETRY_FIRST_USEC;
		bus_arm_retry(b);
	}
	return 0;
}

/* An authorized call: answered now, or later when the lock is held. */
static void bus_method_run(struct bus *b, sd_bus_message *m, enum bus_call call)
{
	struct diag diag;
	int r = bus_call_run(b, m, call, &diag);

	if (r == -EWOULDBLOCK && bus_defer(b, m, call) >= 0)
		return;
	(void)bus_call_answer(m, r, &diag);
}

/* The check of m ended: the call runs, or is answered with why not. */
static void bus_on_checked(void *userdata, sd_bus_message *m, unsigned tag, int r,
			   const struct diag *diag)
{
	struct bus *b = userdata;

	if (r >= 0) {
		bus_method_run(b, m, (enum bus_call)tag);
		return;
	}
	if (r == -ESHUTDOWN)
		(void)sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "%s: %s", b->vm, diag->msg);
	else
		(void)sd_bus_reply_method_errorf(m, SD_BUS_ERROR_ACCESS_DENIED, "%s", diag->msg);
}

static const struct polkit_ops bus_polkit_ops = {
	.done = bus_on_checked,
};

/*
 * One path for the three methods: root, or a caller polkit allows, gets the
 * transition; the check runs asynchronously and bus_on_checked() answers.
 */
static int bus_method(sd_bus_message *m, struct bus *b, enum bus_call call)
{
	struct diag diag;
	int r = polkit_check(b->polkit, m, call, &diag);

	if (r == -EBUSY)
		r = sd_bus_reply_method_errorf(m, SD_BUS_ERROR_LIMITS_EXCEEDED, "%s", diag.msg);
	else if (r < 0)
		r = sd_bus_reply_method_errorf(m, SD_BUS_ERROR_ACCESS_DENIED, "%s", diag.msg);
	return r < 0 ? r : 1;
}

static int bus_method_next(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return bus_method(m, userdata, BUS_CALL_NEXT);
}

static int bus_method_focus(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return bus_method(m, userdata, BUS_CALL_FOCUS);
}

static int bus_method_release(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return bus_method(m, userdata, BUS_CALL_RELEASE);
}

/* Anyone may call the methods (config/vfio.kvm.conf); bus_method() asks polkit. */
static const sd_bus_vtable bus_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Target", "s", bus_get_target, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_SIGNAL_WITH_ARGS("FocusChanged", SD_BUS_ARGS("s", target, "s", previous), 0),
	SD_BUS_METHOD("Next", "", "", bus_method_next, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Focus", SD_BUS_ARGS("s", target), SD_BUS_NO_RESULT,
				bus_method_focus, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Release", "", "", bus_method_release, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

/* Logs a RequestName that did not make us the owner, once: it repeats on every switch. */
static void bus_check_name_reply(struct bus *b, sd_bus_message *reply)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	uint32_t ret = 0;

	if (b->name_warned)
		return;
	if (e) {
		log_warning(b->vm, "D-Bus: cannot own '" BUS_NAME "': %s",
			    e->message ? e->message : e->name);
		b->name_warned = true;
	} else if (sd_bus_message_read(reply, "u", &ret) >= 0 && ret == BUS_REPLY_IN_QUEUE) {
		log_warning(b->vm, "D-Bus: '" BUS_NAME "' is held by a process that does "
			    "not give it up; focus changes are announced under another name");
		b->name_warned = true;
	}
}

static void bus_emit(struct bus *b, const char *target, const char *previous)
{
	int r = sd_bus_emit_signal(b->bus, BUS_PATH, BUS_INTERFACE, "FocusChanged", "ss", target,
				   previous);

	if (r >= 0)
		r = sd_bus_emit_properties_changed(b->bus, BUS_PATH, BUS_INTERFACE, "Target", NULL);
	if (r < 0)
		log_warning(b->vm, "D-Bus: cannot announce focus '%s': %s", target,
			    strerror(-r));
}

/* The first request: waiting in the queue behind another helper is the normal case. */
static int bus_on_queued(sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (e && !b->name_warned) {
		log_warning(b->vm, "D-Bus: cannot own '" BUS_NAME "': %s",
			    e->message ? e->message : e->name);
		b->name_warned = true;
	}
	return 0;
}

static int bus_on_taken(sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct bus_announcement *a = userdata;

	/* Emitted even without the name: a listener on our object still hears it. */
	bus_check_name_reply(a->bus, reply);
	bus_emit(a->bus, a->target, a->previous);
	return 0;
}

void bus_announce(struct bus *b, const char *target, const char *previous)
{
	_cleanup_(freep) struct bus_announcement *a = calloc(1, sizeof(*a));
	sd_bus_slot *slot = NULL;
	int r;

	if (!a || strlen(target) > VM_NAME_MAX || strlen(previous) > VM_NAME_MAX) {
		log_warning(b->vm, "D-Bus: cannot announce focus '%s'", target);
		return;
	}
	a->bus = b;
	strcpy(a->target, target);
	strcpy(a->previous, previous);
	r = sd_bus_request_name_async(b->bus, &slot, BUS_NAME,
				      SD_BUS_NAME_REPLACE_EXISTING | SD_BUS_NAME_ALLOW_REPLACEMENT |
					      SD_BUS_NAME_QUEUE,
				      bus_on_taken, a);
	if (r < 0) {
		log_warning(b->vm, "D-Bus: cannot announce focus '%s': %s", target,
			    strerror(-r));
		return;
	}
	/* The bus owns the slot from here and frees a with it. */
	(void)sd_bus_slot_set_destroy_callback(slot, free);
	(void)sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);
	a = NULL;
}

void bus_announce_now(struct bus *b, const char *target, const char *previous)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	(void)sd_bus_set_method_call_timeout(b->bus, BUS_STOP_TIMEOUT_USEC);
	r = sd_bus_call_method(b->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "RequestName", NULL, &reply, "su", BUS_NAME,
			       (uint32_t)(SD_BUS_NAME_REPLACE_EXISTING |
					  SD_BUS_NAME_ALLOW_REPLACEMENT | SD_BUS_NAME_QUEUE));
	if (r >= 0)
		bus_check_name_reply(b, reply);
	bus_emit(b, target, previous);
	(void)sd_bus_flush(b->bus);
}

/*
 * logind's PrepareForSleep(b): true before the machine sleeps, false after it
 * woke up. Before: nothing to do (no key can be pressed while it sleeps; keys
 * still down on the clones are released at resume, when their sources are
 * closed). After: every source is reopened by name, as after an unplug: a USB
 * device often comes back as a new node under the same link, and the fd we
 * hold may be dead or, worse, still open on a node nobody types on.
 */
static int bus_on_sleep(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;
	int sleeping;

	if (sd_bus_message_read(m, "b", &sleeping) < 0)
		return 0;
	if (sleeping) {
		log_info(b->vm, "the system goes to sleep");
		return 0;
	}
	log_info(b->vm, "the system woke up: reopening the devices");
	b->ops->resumed(b->userdata);
	return 0;
}

static int bus_on_sleep_match(sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct bus *b = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	if (e)
		log_warning(b->vm, "D-Bus: cannot follow logind's PrepareForSleep: %s; "
			    "devices are not reopened after sleep", e->message ? e->message : e->name);
	return 0;
}

struct bus *bus_open(sd_event *event, const char *vm, const struct bus_ops *ops,
		     void *userdata)
{
	_cleanup_(freep) struct bus *b = calloc(1, sizeof(*b));
	const char *step = "connecting to the system bus";
	int r;

	if (!b) {
		log_warning(vm, "D-Bus: %s", strerror(ENOMEM));
		return NULL;
	}
	b->vm = vm;
	b->ops = ops;
	b->userdata = userdata;
	r = sd_bus_open_system(&b->bus);
	if (r >= 0) {
		step = "attaching to the event loop";
		r = sd_bus_attach_event(b->bus, event, BUS_PRIORITY);
	}
	/* Kept open after the loop ends: a helper that stops may still have to announce. */
	if (r >= 0)
		r = sd_bus_set_close_on_exit(b->bus, 0);
	if (r >= 0) {
		step = "setting up a timer";
		r = sd_event_add_time_relative(event, &b->retry, CLOCK_MONOTONIC,
					       BUS_RETRY_FIRST_USEC, 0, bus_on_retry, b);
	}
	if (r >= 0)
		r = sd_event_source_set_enabled(b->retry, SD_EVENT_OFF);
	if (r >= 0) {
		step = "setting up the polkit client";
		b->polkit = polkit_new(b->bus, NULL, &bus_polkit_ops, b);
		if (!b->polkit)
			r = -ENOMEM;
	}
	if (r >= 0) {
		step = "exporting " BUS_PATH;
		r = sd_bus_add_object_vtable(b->bus, &b->object, BUS_PATH, BUS_INTERFACE,
					     bus_vtable, b);
	}
	if (r >= 0) {
		step = "requesting " BUS_NAME;
		r = sd_bus_request_name_async(b->bus, NULL, BUS_NAME,
					      SD_BUS_NAME_ALLOW_REPLACEMENT | SD_BUS_NAME_QUEUE,
					      bus_on_queued, b);
	}
	if (r >= 0) {
		step = "following logind's PrepareForSleep";
		r = sd_bus_match_signal_async(b->bus, &b->sleep, "org.freedesktop.login1",
					      "/org/freedesktop/login1",
					      "org.freedesktop.login1.Manager", "PrepareForSleep",
					      bus_on_sleep, bus_on_sleep_match, b);
	}
	if (r < 0) {
		log_warning(vm, "D-Bus: %s: %s; focus changes are not announced", step,
			    strerror(-r));
		b->sleep = sd_bus_slot_unref(b->sleep);
		b->object = sd_bus_slot_unref(b->object);
		b->polkit = polkit_free(b->polkit);
		b->retry = sd_event_source_disable_unref(b->retry);
		b->bus = sd_bus_flush_close_unref(b->bus);
		return NULL;
	}
	return TAKE_PTR(b);
}

struct bus *bus_close(struct bus *b)
{
	if (!b)
		return NULL;
	/* Calls still being checked or waiting for the lock get an answer, not a timeout. */
	b->polkit = polkit_free(b->polkit);
	for (size_t i = 0; i < b->n_deferred; i++) {
		(void)sd_bus_reply_method_errorf(b->deferred[i].m, SD_BUS_ERROR_FAILED,
						 "%s: the helper is stopping; try again", b->vm);
		b->deferred[i].m = sd_bus_message_unref(b->deferred[i].m);
	}
	b->n_deferred = 0;
	b->retry = sd_event_source_disable_unref(b->retry);
	b->sleep = sd_bus_slot_unref(b->sleep);
	b->object = sd_bus_slot_unref(b->object);
	if (b->bus) {
		(void)sd_bus_flush(b->bus);
		(void)sd_bus_detach_event(b->bus);
	}
	b->bus = sd_bus_flush_close_unref(b->bus);
	free(b);
	return NULL;
}
