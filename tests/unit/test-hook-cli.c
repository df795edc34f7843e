/* SPDX-License-Identifier: MIT */
/*
 * The built hook and CLI, run as libvirtd and a user would run them, with the
 * system bus pointed at a socket that does not exist: every path tested here
 * must decide without D-Bus (or cope with its absence).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounds.h"
#include "test.h"

#define HOOK BUILDDIR "/vfio-kvm-hook"
#define CLI BUILDDIR "/vfio-kvm"
/* Devices that no test machine has. */
#define ABSENT "vfio-kvm-test-absent-kbd"

static const char xml_ours[] = "<domain type='kvm'><name>vm1</name><devices>"
			       "<input type='passthrough' bus='virtio'><source evdev="
			       "'/dev/input/by-id/vm1-" ABSENT "'/></input></devices></domain>";
static const char xml_not_ours[] = "<domain type='kvm'><name>vm1</name><devices>"
				   "<input type='tablet' bus='usb'/></devices></domain>";

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
		setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/vfio-kvm-test-bus", 1);
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

TEST(hook_prepare_bad_xml)
{
	struct result res;

	hook("prepare", "begin", "<domain><name>vm1</name><devices>", &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_EQ(count_lines(res.err), 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: ");
}

TEST(hook_prepare_empty_stdin)
{
	struct result res;

	hook("prepare", "begin", "", &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_EQ(count_lines(res.err), 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: ");
}

TEST(hook_prepare_name_mismatch)
{
	struct result res;
	char *argv[] = { HOOK, "vm2", "prepare", "begin", "-", NULL };

	run(argv, xml_ours, strlen(xml_ours), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm2: the domain XML from stdin is for 'vm1'\n");
}

/* The argv name is hostile until it matches the XML: the message stays one line. */
TEST(hook_prepare_tames_the_argv_name)
{
	struct result res;
	char *argv[] = { HOOK, "vm\n\033[2Jx", "prepare", "begin", "-", NULL };

	run(argv, xml_ours, strlen(xml_ours), &res);
	ASSERT_EQ(res.status, 1);
	ASSERT_STREQ(res.err, "vfio-kvm: vm??[2Jx: the domain XML from stdin is for 'vm1'\n");
}

TEST(hook_prepare_oversize)
{
	size_t len = DOMAIN_XML_MAX + 4096;
	char *big = malloc(len);
	struct result res;

	memset(big, ' ', len);
	memcpy(big, xml_not_ours, strlen(xml_not_ours));
	run((char *[]){ HOOK, "vm1", "prepare", "begin", "-", NULL }, big, len, &res);
	free(big);
	ASSERT_EQ(res.status, 1);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: the domain XML from stdin is larger than");
	ASSERT_EQ(count_lines(res.err), 1);
}

TEST(hook_reconnect_always_exits_0)
{
	struct result res;

	hook("reconnect", "begin", xml_ours, &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_CONTAINS(res.err, "vfio-kvm: vm1: cannot connect to the system bus");
	hook("reconnect", "begin", "not xml", &res);
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
	ASSERT_CONTAINS(res.out, "  direct   KEY_LEFTALT+KEY_1 (from the config)\n");
	ASSERT_CONTAINS(res.out, "helper: " HELPER_PATH " --vm vm1 --device /dev/input/by-id/");
	ASSERT_CONTAINS(res.out, "--hotkey direct=KEY_LEFTALT+KEY_1\n");
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
					     "bad.xml",   "start.xml", "no-host.conf", "host.xml" };
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
