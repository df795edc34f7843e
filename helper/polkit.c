/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "polkit.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
/* CheckAuthorization's flags: AllowUserInteraction. */
#define POLKIT_FLAG_ALLOW_INTERACTION 1u

const struct polkit_limits polkit_limits_default = {
	.max_checks = POLKIT_CHECKS_MAX,
	.timeout_usec = POLKIT_CHECK_TIMEOUT_USEC,
};

/* One check: first the caller's uid from the bus daemon, then polkit's answer. */
struct polkit_check {
	struct polkit *polkit;
	sd_bus_message *call; /* referenced while the check runs; NULL: slot free */
	sd_bus_slot *slot;    /* the question being asked */
	unsigned tag;
	uint64_t deadline; /* CLOCK_MONOTONIC µs */
};

struct polkit {
	sd_bus *bus;
	const struct polkit_ops *ops;
	void *userdata;
	struct polkit_limits limits;
	size_t n_running;
	struct polkit_check checks[POLKIT_CHECKS_MAX];
};

static uint64_t polkit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool polkit_error_is_absent(const char *name)
{
	/* Not on the bus and not activatable (dbus-daemon, dbus-broker), or its
	 * activation failed: the service is missing, masked or broken. */
	return strcmp(name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0 ||
	       strcmp(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) == 0 ||
	       strncmp(name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0 ||
	       strncmp(name, "org.freedesktop.systemd1.", 25) == 0;
}

static bool polkit_error_is_timeout(const char *name)
{
	return strcmp(name, SD_BUS_ERROR_NO_REPLY) == 0 || strcmp(name, SD_BUS_ERROR_TIMEOUT) == 0 ||
	       strcmp(name, "org.freedesktop.DBus.Error.TimedOut") == 0;
}

int polkit_reply_verdict(sd_bus_message *reply, struct diag *diag)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int authorized, challenge, r;

	if (e && polkit_error_is_absent(e->name))
		return diag_set(diag, -EOPNOTSUPP,
				"only root may switch focus: polkit is not installed "
				"(" POLKIT_NAME " is not on the system bus)");
	if (e && polkit_error_is_timeout(e->name))
		return diag_set(diag, -ETIMEDOUT, "polkit did not answer in time; focus unchanged");
	if (e)
		return diag_set(diag, -EACCES, "polkit could not check the caller: %s",
				e->message ? e->message : e->name);
	/* (bba{ss}): is_authorized, is_challenge, details. */
	r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_STRUCT, "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0)
		return diag_set(diag, -EACCES, "polkit's answer is malformed: %s", strerror(-r));
	if (!authorized)
		return diag_set(diag, -EACCES,
				"not authorized to switch focus (polkit action "
				POLKIT_ACTION_SWITCH_FOCUS ")");
	return 0;
}

/* Ends c with r and diag: the slot is dropped, then the owner is told. */
static void polkit_check_end(struct polkit_check *c, int r, const struct diag *diag)
{
	struct polkit *p = c->polkit;
	sd_bus_message *call = c->call;
	unsigned tag = c->tag;

	/* Safe from within the slot's own callback: sd-bus holds a reference there. */
	c->slot = sd_bus_slot_unref(c->slot);
	c->call = NULL;
	p->n_running--;
	p->ops->done(p->userdata, call, tag, r, diag);
	sd_bus_message_unref(call);
}

/* Sends m for c, within what is left of c's time. */
static int polkit_check_send(struct polkit_check *c, sd_bus_message *m,
			     sd_bus_message_handler_t callback)
{
	uint64_t now = polkit_now();
	uint64_t left = c->deadline > now ? c->deadline - now : 1;

	return sd_bus_call_async(c->polkit->bus, &c->slot, m, callback, c, left);
}

static int polkit_on_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct polkit_check *c = userdata;
	struct diag diag = {};
	int r = polkit_reply_verdict(reply, &diag);

	polkit_check_end(c, r, &diag);
	return 0;
}

static int polkit_ask_authorization(struct polkit_check *c, struct diag *diag)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	const char *sender = sd_bus_message_get_sender(c->call);
	uint32_t flags = sd_bus_message_get_allow_interactive_authorization(c->call) > 0
				 ? POLKIT_FLAG_ALLOW_INTERACTION
				 : 0;
	int r;

	if (!sender)
		return diag_set(diag, -EACCES, "cannot tell who called: the message has no sender");
	r = sd_bus_message_new_method_call(c->polkit->bus, &m, POLKIT_NAME, POLKIT_PATH,
					   POLKIT_INTERFACE, "CheckAuthorization");
	/* subject, action_id, details, flags, cancellation_id */
	if (r >= 0)
		r = sd_bus_message_append(m, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
					  sender, POLKIT_ACTION_SWITCH_FOCUS, 0, flags, "");
	if (r >= 0)
		r = polkit_check_send(c, m, polkit_on_authorization);
	if (r < 0)
		return diag_set(diag, -EACCES, "cannot ask polkit: %s", strerror(-r));
	return 0;
}

/* The caller's uid: root goes ahead, anyone else is polkit's to judge. */
static int polkit_on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	struct polkit_check *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	struct diag diag = {};
	uint32_t uid;
	int r;

	c->slot = sd_bus_slot_unref(c->slot);
	if (e) {
		r = polkit_error_is_timeout(e->name) ? -ETIMEDOUT : -EACCES;
		diag_set(&diag, r, "cannot tell who called: %s", e->message ? e->message : e->name);
	} else if ((r = sd_bus_message_read(reply, "u", &uid)) < 0) {
		diag_set(&diag, -EACCES, "cannot tell who called: %s", strerror(-r));
		r = -EACCES;
	} else if (uid == 0) {
		r = 0;
	} else {
		r = polkit_ask_authorization(c, &diag);
		if (r >= 0)
			return 0;
	}
	polkit_check_end(c, r, &diag);
	return 0;
}

int polkit_check(struct polkit *p, sd_bus_message *call, unsigned tag, struct diag *diag)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	const char *sender = sd_bus_message_get_sender(call);
	struct polkit_check *c = NULL;
	int r;

	if (p->n_running >= p->limits.max_checks)
		return diag_set(diag, -EBUSY,
				"too many authorization checks running (%zu); try again",
				p->n_running);
	if (!sender)
		return diag_set(diag, -EACCES, "cannot tell who called: the message has no sender");
	for (size_t i = 0; i < p->limits.max_checks && !c; i++)
		if (!p->checks[i].call)
			c = &p->checks[i];
	*c = (struct polkit_check){
		.polkit = p,
		.tag = tag,
		.deadline = polkit_now() + p->limits.timeout_usec,
	};
	/* The bus daemon knows the uid of each connection (SO_PEERCRED). */
	r = sd_bus_message_new_method_call(p->bus, &m, "org.freedesktop.DBus",
					   "/org/freedesktop/DBus", "org.freedesktop.DBus",
					   "GetConnectionUnixUser");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", sender);
	if (r >= 0)
		r = polkit_check_send(c, m, polkit_on_uid);
	if (r < 0) {
		c->slot = sd_bus_slot_unref(c->slot);
		return diag_set(diag, r, "cannot tell who called: %s", strerror(-r));
	}
	c->call = sd_bus_message_ref(call);
	p->n_running++;
	return 0;
}

size_t polkit_checks_running(const struct polkit *p)
{
	return p->n_running;
}

struct polkit *polkit_new(sd_bus *bus, const struct polkit_limits *limits,
			  const struct polkit_ops *ops, void *userdata)
{
	struct polkit *p;

	if (!limits)
		limits = &polkit_limits_default;
	if (limits->max_checks == 0 || limits->max_checks > POLKIT_CHECKS_MAX)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->bus = bus;
	p->ops = ops;
	p->userdata = userdata;
	p->limits = *limits;
	return p;
}

struct polkit *polkit_free(struct polkit *p)
{
	struct diag diag;

	if (!p)
		return NULL;
	diag_set(&diag, -ESHUTDOWN, "the helper is stopping; try again");
	for (size_t i = 0; i < p->limits.max_checks; i++)
		if (p->checks[i].call)
			polkit_check_end(&p->checks[i], -ESHUTDOWN, &diag);
	free(p);
	return NULL;
}
