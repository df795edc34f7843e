/* SPDX-License-Identifier: MIT */
/*
 * helper/polkit.c against a stand-in bus daemon and polkit on a socket pair:
 * root goes ahead without asking polkit; anyone else gets polkit's verdict,
 * asked with the caller's bus name, our action and the caller's interactive
 * flag; polkit missing means only root; a bounded number of checks, each
 * within its timeout; every check ends exactly once, at free too.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "polkit.h"
#include "test.h"

TEST_MAIN();

#define WAIT_MS 5000
#define CALLS_MAX 8

/* What the stand-in answers: polkit's verdict, or an error in its place. */
struct fake {
	sd_bus *bus;        /* the daemon's end */
	uint32_t uid;       /* every caller's */
	const char *uid_error; /* GetConnectionUnixUser's error name; NULL: uid */
	const char *error;  /* CheckAuthorization's error name; NULL: a verdict */
	int authorized;
	bool silent;        /* answers nothing (a stuck polkit) */
	unsigned n_uid_questions, n_checks;
	sd_bus_message *held[CALLS_MAX]; /* unanswered questions, kept for the test's end */
	unsigned n_held;
	/* The last CheckAuthorization's arguments. */
	char subject_kind[64], subject_name[64], action[64], cancellation[16];
	uint32_t flags;
	unsigned n_details;
};

/* What ops->done was told, per call. */
struct outcome {
	unsigned n_done;
	unsigned tag;
	int r;
	char msg[DIAG_MAX];
	sd_bus_message *call;
};

struct rig {
	struct fake fake;
	sd_bus *helper; /* the helper's end */
	struct polkit *polkit;
	struct outcome out[CALLS_MAX];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_done(void *userdata, sd_bus_message *call, unsigned tag, int r,
		    const struct diag *diag)
{
	struct rig *rig = userdata;
	struct outcome *o = &rig->out[tag];

	o->n_done++;
	o->tag = tag;
	o->r = r;
	o->call = call;
	snprintf(o->msg, sizeof(o->msg), "%s", r < 0 ? diag->msg : "");
}

static const struct polkit_ops ops = {.done = on_done};

static int read_subject(struct fake *f, sd_bus_message *m)
{
	const char *kind, *key, *name, *action, *cancellation;
	int r;

	r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &kind);
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_read(m, "{sv}", &key, "s", &name);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_read(m, "s", &action);
	if (r >= 0) {
		f->n_details = 0;
		r = sd_bus_message_enter_container(m, 'a', "{ss}");
		while (r >= 0 && (r = sd_bus_message_skip(m, "{ss}")) > 0)
			f->n_details++;
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0)
		r = sd_bus_message_read(m, "us", &f->flags, &cancellation);
	if (r < 0)
		return r;
	snprintf(f->subject_kind, sizeof(f->subject_kind), "%s", kind);
	snprintf(f->subject_name, sizeof(f->subject_name), "%s=%s", key, name);
	snprintf(f->action, sizeof(f->action), "%s", action);
	snprintf(f->cancellation, sizeof(f->cancellation), "%s", cancellation);
	return 0;
}

/* The stand-in's side: the bus daemon's GetConnectionUnixUser and polkit's CheckAuthorization. */
static int fake_on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fake *f = userdata;

	if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus", "GetConnectionUnixUser")) {
		f->n_uid_questions++;
		if (f->uid_error)
			return sd_bus_reply_method_errorf(m, f->uid_error, "stand-in error"), 1;
		return sd_bus_reply_method_return(m, "u", f->uid) < 0 ? 0 : 1;
	}
	if (!sd_bus_message_is_method_call(m, "org.freedesktop.PolicyKit1.Authority",
					   "CheckAuthorization"))
		return 0;
	f->n_checks++;
	if (read_subject(f, m) < 0)
		return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "bad arguments"), 1;
	if (f->silent) {
		if (f->n_held < CALLS_MAX)
			f->held[f->n_held++] = sd_bus_message_ref(m);
		return 1;
	}
	if (f->error)
		(void)sd_bus_reply_method_errorf(m, f->error, "stand-in error");
	else
		(void)sd_bus_reply_method_return(m, "(bba{ss})", f->authorized, 0, 0);
	return 1;
}

/* Processes both ends until nothing is left, or waits for either (at most until END). */
static bool step(struct rig *rig, long long end)
{
	struct pollfd fds[2] = {
		{.fd = sd_bus_get_fd(rig->fake.bus), .events = POLLIN},
		{.fd = sd_bus_get_fd(rig->helper), .events = POLLIN},
	};
	uint64_t until = 0;
	long long left = end - now_ms();
	int a = sd_bus_process(rig->fake.bus, NULL), b = sd_bus_process(rig->helper, NULL);

	if (a < 0 || b < 0 || left <= 0)
		return false;
	if (a > 0 || b > 0)
		return true;
	/* The helper's end has a call timeout to keep: wake for it. */
	if (sd_bus_get_timeout(rig->helper, &until) > 0 && until != UINT64_MAX) {
		struct timespec ts;
		long long due;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		due = ((long long)until - (ts.tv_sec * 1000000LL + ts.tv_nsec / 1000)) / 1000 + 1;
		if (due < left)
			left = due < 0 ? 0 : due;
	}
	return poll(fds, 2, (int)left) >= 0;
}

static bool wait_done(struct rig *rig, unsigned tag)
{
	long long end = now_ms() + WAIT_MS;

	while (rig->out[tag].n_done == 0)
		if (!step(rig, end))
			return false;
	return true;
}

/* Runs until nothing moves for a moment: what would happen has happened. */
static void settle(struct rig *rig)
{
	long long end = now_ms() + 200;

	while (step(rig, end))
		;
}

static int rig_open(struct rig *rig, const struct polkit_limits *limits)
{
	int sv[2], r;
	sd_id128_t id;

	*rig = (struct rig){.fake.uid = 1000, .fake.authorized = 1};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -errno;
	r = sd_id128_randomize(&id);
	if (r >= 0)
		r = sd_bus_new(&rig->fake.bus);
	if (r >= 0)
		r = sd_bus_set_fd(rig->fake.bus, sv[0], sv[0]);
	if (r >= 0)
		r = sd_bus_set_server(rig->fake.bus, 1, id);
	if (r >= 0)
		r = sd_bus_set_anonymous(rig->fake.bus, 1);
	if (r >= 0)
		r = sd_bus_add_filter(rig->fake.bus, NULL, fake_on_message, &rig->fake);
	if (r >= 0)
		r = sd_bus_start(rig->fake.bus);
	if (r >= 0)
		r = sd_bus_new(&rig->helper);
	if (r >= 0)
		r = sd_bus_set_fd(rig->helper, sv[1], sv[1]);
	if (r >= 0)
		r = sd_bus_set_anonymous(rig->helper, 1);
	if (r >= 0)
		r = sd_bus_start(rig->helper);
	if (r < 0)
		return r;
	rig->polkit = polkit_new(rig->helper, limits, &ops, rig);
	return rig->polkit ? 0 : -ENOMEM;
}

static void rig_close(struct rig *rig)
{
	rig->polkit = polkit_free(rig->polkit);
	for (unsigned i = 0; i < rig->fake.n_held; i++)
		sd_bus_message_unref(rig->fake.held[i]);
	rig->helper = sd_bus_flush_close_unref(rig->helper);
	rig->fake.bus = sd_bus_flush_close_unref(rig->fake.bus);
}

/*
 * A method call from SENDER as the helper would receive it: made on the
 * stand-in's end and sent over, then started as check TAG when it arrives.
 */
struct arrival {
	struct rig *rig;
	unsigned tag;
	int r;
	char msg[DIAG_MAX];
	bool arrived;
};

static int on_arrival(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct arrival *a = userdata;
	struct diag diag = {};

	if (!sd_bus_message_is_method_call(m, "vfio.kvm", NULL))
		return 0;
	a->arrived = true;
	a->r = polkit_check(a->rig->polkit, m, a->tag, &diag);
	snprintf(a->msg, sizeof(a->msg), "%s", a->r < 0 ? diag.msg : "");
	return 1;
}

/* Returns polkit_check()'s result for a call from sender, its reason in rig's arrival. */
static int call_from(struct rig *rig, const char *sender, bool interactive, unsigned tag,
		     char *ret_msg, size_t size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *filter = NULL;
	struct arrival a = {.rig = rig, .tag = tag};
	long long end = now_ms() + WAIT_MS;
	int r;

	r = sd_bus_message_new_method_call(rig->fake.bus, &m, "vfio.kvm", "/vfio/kvm", "vfio.kvm",
					   "Next");
	if (r >= 0 && sender)
		r = sd_bus_message_set_sender(m, sender);
	if (r >= 0)
		r = sd_bus_message_set_allow_interactive_authorization(m, interactive);
	if (r >= 0)
		r = sd_bus_message_set_expect_reply(m, 0);
	if (r >= 0)
		r = sd_bus_add_filter(rig->helper, &filter, on_arrival, &a);
	if (r >= 0)
		r = sd_bus_send(rig->fake.bus, m, NULL);
	if (r < 0)
		return r;
	while (!a.arrived)
		if (!step(rig, end))
			return -ETIMEDOUT;
	if (ret_msg)
		snprintf(ret_msg, size, "%s", a.msg);
	return a.r;
}

#define OPEN(rig, limits)                                                                          \
	do {                                                                                       \
		int _r = rig_open(rig, limits);                                                    \
		if (_r < 0) {                                                                      \
			rig_close(rig);                                                            \
			TEST_FAIL("cannot set up: %s", strerror(-_r));                             \
		}                                                                                  \
	} while (0)

TEST(root_goes_ahead_without_asking_polkit)
{
	struct rig rig;

	OPEN(&rig, NULL);
	rig.fake.uid = 0;
	rig.fake.error = SD_BUS_ERROR_SERVICE_UNKNOWN; /* and no polkit at all */
	ASSERT_EQ(call_from(&rig, ":1.7", false, 0, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 0));
	ASSERT_EQ(rig.out[0].r, 0);
	ASSERT_EQ(rig.fake.n_uid_questions, 1);
	ASSERT_EQ(rig.fake.n_checks, 0);
	ASSERT_EQ(polkit_checks_running(rig.polkit), 0);
	rig_close(&rig);
}

TEST(polkit_is_asked_about_the_caller_and_our_action)
{
	struct rig rig;

	OPEN(&rig, NULL);
	ASSERT_EQ(call_from(&rig, ":1.42", true, 1, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 1));
	ASSERT_EQ(rig.out[1].r, 0);
	ASSERT_EQ(rig.fake.n_checks, 1);
	ASSERT_STREQ(rig.fake.subject_kind, "system-bus-name");
	ASSERT_STREQ(rig.fake.subject_name, "name=:1.42");
	ASSERT_STREQ(rig.fake.action, "vfio.kvm.switch-focus");
	ASSERT_EQ(rig.fake.n_details, 0);
	ASSERT_EQ(rig.fake.flags, 1);
	ASSERT_STREQ(rig.fake.cancellation, "");

	/* A caller that does not allow interaction is not prompted for a password. */
	ASSERT_EQ(call_from(&rig, ":1.43", false, 2, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 2));
	ASSERT_EQ(rig.out[2].r, 0);
	ASSERT_STREQ(rig.fake.subject_name, "name=:1.43");
	ASSERT_EQ(rig.fake.flags, 0);
	rig_close(&rig);
}

TEST(a_user_polkit_refuses_is_told_why)
{
	struct rig rig;

	OPEN(&rig, NULL);
	rig.fake.authorized = 0;
	ASSERT_EQ(call_from(&rig, ":1.42", true, 0, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 0));
	ASSERT_EQ(rig.out[0].r, -EACCES);
	ASSERT_STREQ(rig.out[0].msg,
		     "not authorized to switch focus (polkit action vfio.kvm.switch-focus)");
	rig_close(&rig);
}

TEST(without_polkit_only_root)
{
	static const char *const absent[] = {
		SD_BUS_ERROR_SERVICE_UNKNOWN,
		SD_BUS_ERROR_NAME_HAS_NO_OWNER,
		"org.freedesktop.systemd1.UnitMasked",
		"org.freedesktop.DBus.Error.Spawn.ChildExited",
	};
	struct rig rig;

	OPEN(&rig, NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(absent); i++) {
		rig.fake.error = absent[i];
		ASSERT_EQ(call_from(&rig, ":1.42", true, i, NULL, 0), 0);
		ASSERT_TRUE(wait_done(&rig, i));
		ASSERT_EQ(rig.out[i].r, -EOPNOTSUPP);
		ASSERT_STREQ(rig.out[i].msg, "only root may switch focus: polkit is not installed "
					     "(org.freedesktop.PolicyKit1 is not on the system bus)");
	}
	/* polkit there but failing is not "not installed". */
	rig.fake.error = "org.freedesktop.PolicyKit1.Error.Failed";
	ASSERT_EQ(call_from(&rig, ":1.42", true, 5, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 5));
	ASSERT_EQ(rig.out[5].r, -EACCES);
	ASSERT_STREQ(rig.out[5].msg, "polkit could not check the caller: stand-in error");
	rig_close(&rig);
}

TEST(a_call_without_sender_is_refused_at_once)
{
	struct rig rig;
	char msg[DIAG_MAX];

	OPEN(&rig, NULL);
	ASSERT_EQ(call_from(&rig, NULL, true, 0, msg, sizeof(msg)), -EACCES);
	ASSERT_STREQ(msg, "cannot tell who called: the message has no sender");
	ASSERT_EQ(polkit_checks_running(rig.polkit), 0);
	settle(&rig);
	ASSERT_EQ(rig.out[0].n_done, 0);
	rig_close(&rig);
}

TEST(checks_are_bounded_and_time_out)
{
	const struct polkit_limits limits = {.max_checks = 2, .timeout_usec = 300000};
	struct rig rig;
	char msg[DIAG_MAX];
	long long start;

	OPEN(&rig, &limits);
	rig.fake.silent = true;
	start = now_ms();
	ASSERT_EQ(call_from(&rig, ":1.1", true, 0, NULL, 0), 0);
	ASSERT_EQ(call_from(&rig, ":1.2", true, 1, NULL, 0), 0);
	ASSERT_EQ(polkit_checks_running(rig.polkit), 2);
	ASSERT_EQ(call_from(&rig, ":1.3", true, 2, msg, sizeof(msg)), -EBUSY);
	ASSERT_STREQ(msg, "too many authorization checks running (2); try again");

	/* A polkit that never answers: each check ends once, at its timeout. */
	ASSERT_TRUE(wait_done(&rig, 0));
	ASSERT_TRUE(wait_done(&rig, 1));
	ASSERT_TRUE(now_ms() - start >= 300);
	for (unsigned i = 0; i < 2; i++) {
		ASSERT_EQ(rig.out[i].r, -ETIMEDOUT);
		ASSERT_STREQ(rig.out[i].msg, "polkit did not answer in time; focus unchanged");
	}
	ASSERT_EQ(polkit_checks_running(rig.polkit), 0);

	/* Room again. */
	rig.fake.silent = false;
	ASSERT_EQ(call_from(&rig, ":1.4", true, 3, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 3));
	ASSERT_EQ(rig.out[3].r, 0);
	settle(&rig);
	for (unsigned i = 0; i < 4; i++)
		ASSERT_EQ(rig.out[i].n_done, i == 2 ? 0 : 1);
	rig_close(&rig);
}

TEST(free_ends_every_running_check_once)
{
	struct rig rig;

	OPEN(&rig, NULL);
	rig.fake.silent = true;
	ASSERT_EQ(call_from(&rig, ":1.1", true, 0, NULL, 0), 0);
	ASSERT_EQ(call_from(&rig, ":1.2", true, 1, NULL, 0), 0);
	/* Wait until polkit holds both questions. */
	for (long long end = now_ms() + WAIT_MS; rig.fake.n_held < 2;)
		ASSERT_TRUE(step(&rig, end));
	rig.polkit = polkit_free(rig.polkit);
	for (unsigned i = 0; i < 2; i++) {
		ASSERT_EQ(rig.out[i].n_done, 1);
		ASSERT_EQ(rig.out[i].r, -ESHUTDOWN);
		ASSERT_STREQ(rig.out[i].msg, "the helper is stopping; try again");
	}
	/* polkit's late answers find no check: nothing more happens. */
	for (unsigned i = 0; i < rig.fake.n_held; i++)
		(void)sd_bus_reply_method_return(rig.fake.held[i], "(bba{ss})", 1, 0, 0);
	settle(&rig);
	for (unsigned i = 0; i < 2; i++)
		ASSERT_EQ(rig.out[i].n_done, 1);
	rig_close(&rig);
}

TEST(a_caller_gone_before_its_uid_is_known_is_refused)
{
	struct rig rig;

	OPEN(&rig, NULL);
	rig.fake.uid_error = SD_BUS_ERROR_NAME_HAS_NO_OWNER;
	ASSERT_EQ(call_from(&rig, ":1.42", true, 0, NULL, 0), 0);
	ASSERT_TRUE(wait_done(&rig, 0));
	ASSERT_EQ(rig.out[0].r, -EACCES);
	ASSERT_STREQ(rig.out[0].msg, "cannot tell who called: stand-in error");
	ASSERT_EQ(rig.fake.n_checks, 0);
	rig_close(&rig);
}
