/* SPDX-License-Identifier: MIT */
/*
 * The built hook and CLI, run as libvirtd and a user would run them, with the
 * system bus pointed at a socket that does not exist: every path tested here
 * must decide without D-Bus (or cope with its absence). For domains that are
 * not ours the bus is a socket that listens and is never answered: the hook
 * must not even connect to it (a connection left in its queue fails the test;
 * a hook waiting for the bus to answer is killed by the alarm).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounds.h"
#include "macro.h"
#include "test.h"
#include "test-tmpdir.h"

#define HOOK BUILDDIR "/vfio-kvm-hook"
#define CLI BUILDDIR "/vfio-kvm"
/* Devices that no test machine has. */
#define ABSENT "vfio-kvm-test-absent-kbd"

static const char xml_ours[] = "<domain type='kvm'><name>vm1</name><devices>"
			       "<input type='passthrough' bus='virtio'><source evdev="
			       "'/dev/input/by-id/vm1-" ABSENT "'/></input></devices></domain>";
static const char xml_not_ours[] = "<domain type='kvm'><name>vm1</name><devices>"
				   "<input type='tablet' bus='usb'/></devices></domain>";

/* DBUS_SYSTEM_BUS_ADDRESS of the programs run: nothing there, unless a test watches. */
static const char *bus_address = "unix:path=/nonexistent/vfio-kvm-test-bus";

struct result {
	int status;  /* exit code, or 128 + signal */
	char out[8192];
	char err[8192];
};

static size_t slurp(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;

	while (n < size - 1 && (k = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
	return n;
}

/*
 * Runs argv with input on stdin (NULL: a pipe kept open and never written, so
 * a program that reads stdin hangs until the alarm kills it), input_len bytes.
 */
static void run(char *const argv[], const char *input, size_t input_len, struct result *res)
{
	int in[2], out[2], err[2], status;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
		alarm(10); /* survives exec: a hang becomes SIGALRM */
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input) {
		size_t n = 0;
		while (n < input_len) {
			ssize_t k = write(in[1], input + n, input_len - n);
			if (k <= 0)
				break; /* EPIPE: it stopped reading, which is its right */
			n += (size_t)k;
		}
		close(in[1]);
	}
	slurp(out[0], res->out, sizeof(res->out));
	slurp(err[0], res->err, sizeof(res->err));
	waitpid(pid, &status, 0);
	if (!input)
		close(in[1]);
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void hook(const char *op, const char *sub, const char *xml, struct result *res)
{
	char *argv[] = { HOOK, "vm1", (char *)op, (char *)sub, "-", NULL };

	run(argv, xml, xml ? strlen(xml) : 0, res);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(hook_other_operations_exit_at_once_without_reading)
{
	static const char *const ops[][2] = { { "start", "begin" },   { "started", "begin" },
					      { "stopped", "end" },   { "migrate", "begin" },
					      { "restore", "begin" }, { "attach", "begin" },
					      { "prepare", "end" },   { "frobnicate", "-" } };
	struct result res;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		hook(ops[i][0], ops[i][1], NULL, &res);
		ASSERT_EQ(res.status, 0);
		ASSERT_STREQ(res.err, "");
	}
}

TEST(hook_prepare_not_ours_needs_no_bus)
{
	struct result res;

	hook("prepare", "begin", xml_not_ours, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	ASSERT_STREQ(res.out, "");
}

TEST(hook_prepare_missing_device)
{
	struct result res;

	hook("prepare", "begin", xml_ours, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm1: /dev/input/by-id/" ABSENT " does not exist\n");
}

/* Ours (it names vm1's path), but not well-formed. */
TEST(hook_prepare_bad_xml)
{
	struct result res;

	hook("prepare", "begin",
	     "<domain><name>vm1</name><devices><input type='passthrough'>"
	     "<source evdev='/dev/input/by-id/vm1-kbd'/>",
	     &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_EQ(count_lines(res.err), 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: ");
}

/* Names nobody's path: not ours, whatever it is. */
TEST(hook_prepare_empty_or_garbage_stdin_is_not_ours)
{
	struct result res;

	hook("prepare", "begin", "", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	hook("prepare", "begin", "<domain><name>vm1</name><devices>", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	hook("prepare", "begin", "\xff\xfe<\0d\0o\0m\0", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
}

/* vm1's path, but the XML is another VM's: libvirt would never send that. */
TEST(hook_prepare_name_mismatch)
{
	struct result res;
	char *argv[] = { HOOK, "vm2", "prepare", "begin", "-", NULL };
	static const char xml[] = "<domain><name>vm1</name><devices><input type='passthrough'>"
				  "<source evdev='/dev/input/by-id/vm2-kbd'/></input></devices>"
				  "</domain>";

	run(argv, xml, strlen(xml), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm2: the domain XML from stdin is for 'vm1'\n");
	/* A domain that names vm1's path is not vm2's. */
	run(argv, xml_ours, strlen(xml_ours), &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
}

/* The argv name is hostile: the message stays one line. */
TEST(hook_prepare_tames_the_argv_name)
{
	struct result res;
	char *argv[] = { HOOK, "vm\n\033[2Jx", "prepare", "begin", "-", NULL };
	static const char xml[] = "<domain><name>vm&#10;&#27;[2Jx</name><devices>"
				  "<input type='passthrough'><source evdev='/dev/input/by-id/"
				  "vm&#10;&#x1b;[2Jx-kbd'/></input></devices></domain>";

	run(argv, xml, strlen(xml), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm??[2Jx: VM name has a forbidden character 0x0a at "
			      "byte 2; vfio-kvm cannot clone devices for this VM\n");
	/* Not ours: nothing to say about the name. */
	run(argv, xml_ours, strlen(xml_ours), &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
}

/* A domain of ours over the limit, with its path first or last. */
TEST(hook_prepare_ours_oversize)
{
	size_t len = DOMAIN_XML_MAX + 4096;
	_cleanup_(freep) char *big = malloc(len);
	static const char tail[] = "<!-- /dev/input/by-id/vm1-kbd -->";
	struct result res;

	ASSERT_TRUE(big != NULL);
	memset(big, ' ', len);
	memcpy(big, xml_ours, strlen(xml_ours));
	run((char *[]){ HOOK, "vm1", "prepare", "begin", "-", NULL }, big, len, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm1: the domain XML from stdin is larger than 16777216 "
			      "bytes\n");

	memset(big, ' ', len);
	memcpy(big, xml_not_ours, strlen(xml_not_ours));
	memcpy(big + len - strlen(tail), tail, strlen(tail));
	run((char *[]){ HOOK, "vm1", "prepare", "begin", "-", NULL }, big, len, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm1: the domain XML from stdin is larger than 16777216 "
			      "bytes\n");
}

TEST(hook_reconnect_always_exits_0)
{
	struct result res;

	hook("reconnect", "begin", xml_ours, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: cannot connect to the system bus");
	hook("reconnect", "begin", "not xml /dev/input/by-id/vm1-kbd", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(count_lines(res.err), 1);
	hook("reconnect", "begin", xml_not_ours, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
}

TEST(hook_release_reports_unreachable_bus)
{
	struct result res;

	hook("release", "end", NULL, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm1: cannot connect to the system bus: "
			      "No such file or directory\n");
}

static const char xml_host[] = "<domain type='kvm'><name>host</name><devices>"
			       "<input type='passthrough' bus='virtio'><source evdev="
			       "'/dev/input/by-id/host-" ABSENT "'/></input></devices></domain>";
static const char xml_host_not_ours[] = "<domain type='kvm'><name>host</name><devices/></domain>";
#define HOST_REFUSED                                                                               \
	"vfio-kvm: host: a VM may not be named 'host': the name stands for the host as a focus "   \
	"target; rename the VM\n"

TEST(hook_prepare_refuses_a_vm_named_host)
{
	struct result res;
	char *argv[] = { HOOK, "host", "prepare", "begin", "-", NULL };

	run(argv, xml_host, strlen(xml_host), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, HOST_REFUSED);
	/* Not ours (no sources of ours): such a VM starts as if we were not there. */
	run(argv, xml_host_not_ours, strlen(xml_host_not_ours), &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
}

TEST(hook_usage)
{
	struct result res;

	run((char *[]){ HOOK, "vm1", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
}

/* ---- domains that are not ours ---- */

/* A bus that listens and never answers, in a scratch directory. */
struct bus_watch {
	int fd;
	char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
};

static void bus_watch_begin(struct bus_watch *w, const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", dir);
	w->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(w->fd, 16) < 0)
		abort();
	snprintf(w->address, sizeof(w->address), "unix:path=%s", sa.sun_path);
	bus_address = w->address;
}

/* Connections made to the bus since the last call (the queue is drained). */
static int bus_watch_connections(struct bus_watch *w)
{
	int n = 0, fd;

	while ((fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(fd);
		n++;
	}
	return n;
}

static void bus_watch_end(struct bus_watch *w)
{
	close(w->fd);
	bus_address = "unix:path=/nonexistent/vfio-kvm-test-bus";
}

static char *read_data(const char *name, size_t *ret_len)
{
	char path[512];
	char *buf = malloc(65536);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		abort();
	n = read(fd, buf, 65535);
	close(fd);
	if (n <= 0)
		abort();
	buf[n] = '\0';
	*ret_len = (size_t)n;
	return buf;
}

/* The text of <name>, as libvirt passes it in argv (the corpus names hold no references). */
static void name_of(const char *xml, char *buf, size_t size)
{
	const char *b = strstr(xml, "<name>"), *e = b ? strstr(b, "</name>") : NULL;

	if (!e)
		abort();
	b += strlen("<name>");
	snprintf(buf, size, "%.*s", (int)(e - b), b);
}

/*
 * As libvirt runs the hook for the VM: prepare, reconnect, release. Each
 * exits 0, prints nothing and starts nothing: no connection to the bus.
 * release reads no stdin and knows only the name: it may ask systemd to stop
 * a unit only for a name vfio-kvm could have used.
 */
static void hook_leaves_alone(struct bus_watch *w, const char *label, const char *xml,
			      size_t len, bool name_usable)
{
	static const char *const ops[][2] = { { "prepare", "begin" }, { "reconnect", "begin" },
					      { "release", "end" } };
	char name[1024];

	name_of(xml, name, sizeof(name));
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		bool release = strcmp(ops[i][0], "release") == 0;
		struct result res;

		if (release && name_usable)
			continue;
		run((char *[]){ HOOK, name, (char *)ops[i][0], (char *)ops[i][1], "-", NULL },
		    release ? NULL : xml, len, &res);
		if (res.status != 0 || res.err[0] || res.out[0] || bus_watch_connections(w) != 0)
			TEST_FAIL("%s: %s %s: exit %d, stderr '%s', stdout '%s', or it connected to "
				  "the bus",
				  label, ops[i][0], ops[i][1], res.status, res.err, res.out);
	}
}

/* name_usable: a VM name vfio-kvm could have given a unit (release may ask systemd). */
static const struct {
	const char *file;
	bool name_usable;
} not_ours[] = {
	{ "not-ours/win11-virt-manager.xml", true },
	{ "not-ours/name-200-bytes.xml", false },
	{ "not-ours/name-spaces.xml", false },
	{ "not-ours/name-utf8.xml", false },
	{ "not-ours/qemu-commandline.xml", true },
	{ "not-ours/other-evdev.xml", true },
	{ "not-ours/other-namespace-metadata.xml", true },
};

TEST(hook_leaves_domains_that_are_not_ours_alone)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-hook-bus");
	struct bus_watch w;

	ASSERT_TRUE(dir != NULL);
	bus_watch_begin(&w, dir);
	for (size_t i = 0; i < ARRAY_SIZE(not_ours); i++) {
		size_t len;
		_cleanup_(freep) char *xml = read_data(not_ours[i].file, &len);

		hook_leaves_alone(&w, not_ours[i].file, xml, len, not_ours[i].name_usable);
	}
	bus_watch_end(&w);
}

/* The Windows 11 guest with a metadata block of SIZE bytes (2 MiB, 20 MiB). */
static char *win11_with_metadata(size_t size, size_t *ret_len)
{
	static const char open_tag[] = "<blob:data xmlns:blob='urn:example:blob'>",
			  close_tag[] = "</blob:data>";
	size_t len;
	_cleanup_(freep) char *xml = read_data("not-ours/win11-virt-manager.xml", &len);
	const char *at = strstr(xml, "<metadata>");
	size_t head = (size_t)(at - xml) + strlen("<metadata>"), n = 0;
	char *big = malloc(len + size + 64);

	if (!at || !big)
		abort();
	memcpy(big, xml, head);
	n = head;
	memcpy(big + n, open_tag, strlen(open_tag));
	n += strlen(open_tag);
	for (size_t i = 0; i < size; i++)
		big[n++] = (i % 77 == 76) ? '\n' : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[i % 32];
	memcpy(big + n, close_tag, strlen(close_tag));
	n += strlen(close_tag);
	memcpy(big + n, xml + head, len - head);
	n += len - head;
	*ret_len = n;
	return big;
}

TEST(hook_leaves_huge_domains_that_are_not_ours_alone)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-hook-bus");
	struct bus_watch w;
	size_t len;

	ASSERT_TRUE(dir != NULL);
	bus_watch_begin(&w, dir);
	{
		_cleanup_(freep) char *xml = win11_with_metadata(2 * 1024 * 1024, &len);

		hook_leaves_alone(&w, "2 MiB of metadata", xml, len, true);
	}
	{
		_cleanup_(freep) char *xml = win11_with_metadata(DOMAIN_XML_MAX + 1024, &len);

		hook_leaves_alone(&w, "more metadata than DOMAIN_XML_MAX", xml, len, true);
	}
	bus_watch_end(&w);
}

/* A path in a comment makes the domain ours to read, but there is nothing to clone. */
TEST(hook_prepare_path_outside_inputs_starts_nothing)
{
	_cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-hook-bus");
	static const char xml[] = "<domain><name>vm1</name><!-- was /dev/input/by-id/vm1-kbd -->"
				  "<devices/></domain>";
	struct bus_watch w;
	struct result res;

	ASSERT_TRUE(dir != NULL);
	bus_watch_begin(&w, dir);
	hook("prepare", "begin", xml, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	ASSERT_EQ(bus_watch_connections(&w), 0);
	bus_watch_end(&w);
}

/* Ours with a name vfio-kvm cannot use: refused, in one line. */
TEST(hook_prepare_ours_with_a_200_byte_name)
{
	char name[201], xml[1024];
	struct result res;

	memset(name, 'a', 200);
	name[200] = '\0';
	snprintf(xml, sizeof(xml),
		 "<domain type='kvm'><name>%s</name><devices><input type='passthrough' "
		 "bus='virtio'><source evdev='/dev/input/by-id/%s-kbd'/></input></devices>"
		 "</domain>",
		 name, name);
	run((char *[]){ HOOK, name, "prepare", "begin", "-", NULL }, xml, strlen(xml), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_EQ(count_lines(res.err), 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: "
				 "VM name longer than 64 bytes; vfio-kvm cannot clone devices for "
				 "this VM\n");
}

/* libvirt escapes & < > ' " in attribute values and text: still found, and ours. */
TEST(hook_prepare_ours_with_an_escaped_name)
{
	static const char xml[] =
		"<domain type='kvm'><name>a&amp;b&apos;c&quot;d&lt;e&gt;f</name><devices>"
		"<input type='passthrough' bus='virtio'><source evdev='/dev/input/by-id/"
		"a&amp;b&apos;c&quot;d&lt;e&gt;f-" ABSENT "'/></input></devices></domain>";
	struct result res;

	run((char *[]){ HOOK, "a&b'c\"d<e>f", "prepare", "begin", "-", NULL }, xml, strlen(xml),
	    &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: a&b'c\"d<e>f: /dev/input/by-id/" ABSENT
			      " does not exist\n");
}

/* ---- vfio-kvm ---- */

/* In the build directory (the tests run there), removed at exit. */
static char tmpdir[] = "test-hook-cli.XXXXXX";

static const char *tmpfile_with(const char *name, const char *text)
{
	static char path[4][256];
	static unsigned next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "we");
	fputs(text, f);
	fclose(f);
	return p;
}

TEST(cli_check_good)
{
	struct result res;
	const char *conf = tmpfile_with("good.conf", "[vm \"vm1\"]\nhotkey = KEY_LEFTALT+KEY_1\n");
	const char *xml = tmpfile_with("good.xml", xml_ours);

	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", (char *)xml, NULL }, "", 0,
	    &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	ASSERT_CONTAINS(res.out, "VM vm1: unit vfio-kvm-vm1.service\n");
	ASSERT_CONTAINS(res.out, "  passthrough /dev/input/by-id/" ABSENT
				 " -> /dev/input/by-id/vm1-" ABSENT " (not present now)\n");
	ASSERT_CONTAINS(res.out, "  direct   KEY_LEFTALT+KEY_1 (config [vm])\n");
	ASSERT_CONTAINS(res.out, "helper: " HELPER_PATH " --vm vm1 --device /dev/input/by-id/");
	ASSERT_CONTAINS(res.out, "--hotkey direct=KEY_LEFTALT+KEY_1 --config /etc/vfio-kvm.conf\n");
}

/* Every routing setting in effect, and where it comes from, as a user reads it. */
TEST(cli_check_routing_settings)
{
	static const char xml[] =
	    "<domain type='kvm'><name>vm1</name><metadata><vfiokvm:settings "
	    "xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>\n<vfiokvm:host-keys>"
	    "<vfiokvm:key value='KEY_VOLUMEUP'/><vfiokvm:key value='KEY_MUTE'/>"
	    "</vfiokvm:host-keys>\n<vfiokvm:device name='" ABSENT "-pad' focus='always'/>\n"
	    "<vfiokvm:on-stop value='host'/></vfiokvm:settings></metadata><devices>"
	    "<input type='passthrough' bus='virtio'><source evdev='/dev/input/by-id/vm1-" ABSENT
	    "'/></input><input type='passthrough' bus='virtio'><source evdev="
	    "'/dev/input/by-id/vm1-" ABSENT "-pad'/></input></devices></domain>";
	struct result res;
	const char *conf = tmpfile_with("routing.conf",
					"[ring]\nfocus_on_start = yes\non_stop = next\n"
					"[keys]\nhost_keys = KEY_PLAYPAUSE\n"
					"[vm \"vm2\"]\nhost_keys =\n");
	const char *xml_path = tmpfile_with("routing.xml", xml);

	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", (char *)xml_path, NULL },
	    "", 0, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(res.err, "");
	/* The config alone. */
	ASSERT_CONTAINS(res.out,
			"\nfocus_on_start: yes\non_stop: next\nhost_keys: KEY_PLAYPAUSE\n");
	ASSERT_CONTAINS(res.out, "[vm \"vm2\"]:\n  direct   (none)\n"
				 "  host_keys: (none) (config [vm])\n"
				 "  focus_on_start: yes (config)\n  on_stop: next (config)\n");
	/* The domain: the XML over the config. */
	ASSERT_CONTAINS(res.out,
			"/dev/input/by-id/vm1-" ABSENT "-pad (focus=always) (not present now)\n");
	ASSERT_CONTAINS(res.out, "  host_keys: KEY_MUTE,KEY_VOLUMEUP (domain XML)\n"
				 "  focus_on_start: yes (config)\n  on_stop: host (domain XML)\n");
	ASSERT_CONTAINS(res.out, " --focus --hotkey cycle=");
	ASSERT_CONTAINS(res.out,
			" --on-stop host --config /etc/vfio-kvm.conf --fixed host-keys,on-stop\n");

	/* A pinned device that is not one of the domain's sources: named, with its line. */
	conf = tmpfile_with("bad.xml",
			    "<domain type='kvm'><name>vm1</name><metadata>\n<vfiokvm:settings "
			    "xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>\n"
			    "<vfiokvm:device name='pad' focus='always'/></vfiokvm:settings>"
			    "</metadata><devices><input type='passthrough' bus='virtio'><source "
			    "evdev='/dev/input/by-id/vm1-kbd'/></input></devices></domain>");
	run((char *[]){ CLI, "check", "--xml", (char *)conf, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_CONTAINS(res.err, "bad.xml: vm1: domain XML line 3: <vfiokvm:device name='pad'> is "
				 "not one of the domain's input sources of ours "
				 "(/dev/input/by-id/vm1-pad)\n");
}

TEST(cli_check_stdin_not_ours)
{
	struct result res;
	const char *conf = tmpfile_with("empty.conf", "");

	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", "-", NULL }, xml_not_ours,
	    strlen(xml_not_ours), &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "VM vm1: no input devices of ours");
}

TEST(cli_check_bad_config)
{
	struct result res;
	const char *conf = tmpfile_with("bad.conf", "[hotkeys]\ncycle = KEY_NOPE\n");

	run((char *[]){ CLI, "check", "--config", (char *)conf, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_CONTAINS(res.err, "bad.conf:2");
	ASSERT_EQ(count_lines(res.err), 1);
}

TEST(cli_check_missing_config_named)
{
	struct result res;

	run((char *[]){ CLI, "check", "--config", "/nonexistent/vfio-kvm.conf", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
}

TEST(cli_check_bad_xml)
{
	struct result res;
	const char *conf = tmpfile_with("empty.conf", "");
	const char *xml = tmpfile_with(
		"bad.xml", "<domain><name>vm1</name><devices><input type='passthrough'>"
			   "<source evdev='/dev/input/by-id/vm1-../x'/></input></devices></domain>");

	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", (char *)xml, NULL }, "", 0,
	    &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_EQ(count_lines(res.err), 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: ");
}

TEST(cli_usage_and_help)
{
	struct result res;

	run((char *[]){ CLI, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
	run((char *[]){ CLI, "frob", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
	run((char *[]){ CLI, "check", "extra", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
	run((char *[]){ CLI, "start", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
	run((char *[]){ CLI, "stop", "a", "b", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 2);
	run((char *[]){ CLI, "--help", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "start VM [--xml FILE|-]");
	run((char *[]){ CLI, "--version", NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "vfio-kvm " PACKAGE_VERSION);
}

TEST(cli_start_checks_before_the_bus)
{
	struct result res;
	const char *xml = tmpfile_with("start.xml", xml_ours);

	run((char *[]){ CLI, "start", "vm2", "--xml", (char *)xml, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_CONTAINS(res.err, "is for 'vm1'");
	run((char *[]){ CLI, "start", "vm1", "--xml", (char *)xml, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm1: /dev/input/by-id/" ABSENT " does not exist\n");
	run((char *[]){ CLI, "start", "../x", "--xml", (char *)xml, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
}

TEST(cli_start_and_check_refuse_a_vm_named_host)
{
	struct result res;
	const char *xml = tmpfile_with("host.xml", xml_host);
	const char *conf = tmpfile_with("empty.conf", "");

	run((char *[]){ CLI, "start", "host", "--xml", (char *)xml, NULL }, "", 0, &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, HOST_REFUSED);
	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", (char *)xml, NULL }, "", 0,
	    &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, HOST_REFUSED);
}

TEST(cli_check_passes_no_host_to_the_helper)
{
	struct result res;
	const char *conf = tmpfile_with("no-host.conf", "[ring]\ninclude_host = no\n");
	const char *xml = tmpfile_with("good.xml", xml_ours);

	run((char *[]){ CLI, "check", "--config", (char *)conf, "--xml", (char *)xml, NULL }, "", 0,
	    &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.out, "include_host: no\n");
	ASSERT_CONTAINS(res.out, "vm1-" ABSENT " --no-host --hotkey cycle=");
}

static void cleanup(void)
{
	static const char *const names[] = { "good.conf", "good.xml",  "empty.conf",  "bad.conf",
					     "bad.xml",   "start.xml", "no-host.conf", "host.xml",
					     "routing.conf", "routing.xml" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

__attribute__((constructor)) static void setup(void)
{
	if (!mkdtemp(tmpdir))
		abort();
	atexit(cleanup);
}

TEST_MAIN()
