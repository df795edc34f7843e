/* SPDX-License-Identifier: MIT */
/*
 * helper/reload.c: the ExecReload side (--reload PID) against a stand-in
 * helper that answers the way the real one does: a SIGHUP read from a
 * signalfd, answered with reload_answer().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reload.h"
#include "test.h"

/*
 * Forks a stand-in helper that reads one SIGHUP and answers applied (or
 * not). Returns its pid once it listens, or -1.
 */
static pid_t standin_start(bool applied)
{
	int ready[2];
	sigset_t hup;
	pid_t pid;
	char c = 0;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct signalfd_siginfo si;
		int fd;

		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		sigprocmask(SIG_BLOCK, &hup, NULL);
		fd = signalfd(-1, &hup, SFD_CLOEXEC);
		if (fd < 0 || write(ready[1], &c, 1) != 1)
			_exit(2);
		if (read(fd, &si, sizeof(si)) != sizeof(si))
			_exit(3);
		reload_answer(&si, applied);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

/* The stand-in's exit status (128 + signal when killed), or -1. */
static int standin_wait(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *pid_text(pid_t pid)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return buf;
}

TEST(applied)
{
	pid_t pid = standin_start(true);

	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(reload_request(pid_text(pid)), 0);
	ASSERT_EQ(standin_wait(pid), 0);
}

TEST(refused)
{
	pid_t pid = standin_start(false);

	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(reload_request(pid_text(pid)), -EINVAL);
	ASSERT_EQ(standin_wait(pid), 0);
}

/* kill -HUP asks for no answer: the sender is never signalled. */
TEST(plain_sighup_is_not_answered)
{
	sigset_t answers, pending;
	pid_t pid = standin_start(true);

	ASSERT_TRUE(pid > 0);
	sigemptyset(&answers);
	sigaddset(&answers, SIGUSR1);
	sigaddset(&answers, SIGUSR2);
	ASSERT_EQ(sigprocmask(SIG_BLOCK, &answers, NULL), 0);
	ASSERT_EQ(kill(pid, SIGHUP), 0);
	ASSERT_EQ(standin_wait(pid), 0);
	ASSERT_EQ(sigpending(&pending), 0);
	ASSERT_FALSE(sigismember(&pending, SIGUSR1));
	ASSERT_FALSE(sigismember(&pending, SIGUSR2));
}

TEST(bad_pid)
{
	ASSERT_EQ(reload_request(""), -EINVAL);
	ASSERT_EQ(reload_request("1"), -EINVAL);
	ASSERT_EQ(reload_request("12x"), -EINVAL);
	ASSERT_EQ(reload_request("-5"), -EINVAL);
	ASSERT_EQ(reload_request("99999999999"), -EINVAL);
	/* $MAINPID left unexpanded, as when there is no main process. */
	ASSERT_EQ(reload_request("$MAINPID"), -EINVAL);
}

TEST_MAIN()
