/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reload.h"

int reload_request(const char *pid_text)
{
	const char *who = "reload";
	struct timespec timeout = {RELOAD_WAIT_SEC, 0};
	union sigval value = {.sival_int = RELOAD_COOKIE};
	sigset_t answers;
	siginfo_t info;
	char *end = NULL;
	long pid;
	int r;

	errno = 0;
	pid = strtol(pid_text, &end, 10);
	if (errno != 0 || !end || *end || end == pid_text || pid <= 1 || pid > INT32_MAX) {
		log_error(who, "'%.32s' is not a process id", pid_text);
		return -EINVAL;
	}
	/* Blocked before asking: an answer that comes at once waits for sigtimedwait. */
	sigemptyset(&answers);
	sigaddset(&answers, SIGUSR1);
	sigaddset(&answers, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &answers, NULL) < 0 ||
	    sigqueue((pid_t)pid, SIGHUP, value) < 0) {
		r = -errno;
		log_error(who, "process %ld: %s", pid, strerror(-r));
		return r;
	}
	for (;;) {
		if (sigtimedwait(&answers, &info, &timeout) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			if (r == -EAGAIN)
				r = -ETIMEDOUT;
			log_error(who, "process %ld did not answer in %d s", pid, RELOAD_WAIT_SEC);
			return r;
		}
		/* Only the helper's answer counts. */
		if (info.si_pid == (pid_t)pid)
			break;
	}
	if (info.si_signo == SIGUSR2) {
		log_error(who, "the config was refused; the settings in effect stay (see the "
			       "helper's message above)");
		return -EINVAL;
	}
	return 0;
}

void reload_answer(const struct signalfd_siginfo *si, bool applied)
{
	if (si->ssi_code != SI_QUEUE || si->ssi_int != RELOAD_COOKIE || si->ssi_pid <= 1 ||
	    (pid_t)si->ssi_pid == getpid())
		return;
	(void)kill((pid_t)si->ssi_pid, applied ? SIGUSR1 : SIGUSR2);
}
