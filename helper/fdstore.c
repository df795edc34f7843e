/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "fdstore.h"
#include "log.h"

int fdstore_name(const char *clone_path, char *buf, size_t size)
{
	const char *base = strrchr(clone_path, '/');
	size_t n = 0;

	base = base ? base + 1 : clone_path;
	for (const char *p = base; *p; p++) {
		bool escape = *p == ':' || *p == '%';

		if (n + (escape ? 3 : 1) >= MIN(size, (size_t)FDSTORE_NAME_MAX + 1))
			return -ENAMETOOLONG;
		if (escape)
			n += (size_t)snprintf(buf + n, 4, "%%%02x", (unsigned)*p);
		else
			buf[n++] = *p;
	}
	if (n == 0 || n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

static void fdstore_remove_name(const char *name)
{
	(void)sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}

void fdstore_take(const char *vm, struct source *const *sources, size_t n_sources)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	if (n < 0)
		log_warning(vm, "fds passed by systemd: %s", strerror(-n));
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "";
		struct source *match = NULL;
		char mine[FDSTORE_NAME_MAX + 1];

		for (size_t k = 0; k < n_sources && !match; k++) {
			struct source *s = sources[k];

			if (s->stored_fd < 0 &&
			    fdstore_name(s->clone_path, mine, sizeof(mine)) >= 0 &&
			    strcmp(mine, name) == 0)
				match = s;
		}
		if (match) {
			match->stored_fd = fd;
			continue;
		}
		log_warning(vm, "fd store: '%.*s' is no clone of this VM; dropped", 64, name);
		(void)close(fd);
		if (name[0])
			fdstore_remove_name(name);
	}
	for (int i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

void fdstore_add(struct source *s)
{
	char name[FDSTORE_NAME_MAX + 1], msg[FDSTORE_NAME_MAX + 32];
	int r;

	if (fdstore_name(s->clone_path, name, sizeof(name)) < 0) {
		log_warning(s->vm,
			    "'%s': name too long for the fd store; a restart makes a new clone",
			    s->clone_path);
		return;
	}
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	r = sd_pid_notify_with_fds(0, 0, msg, &s->uinput_fd, 1);
	if (r < 0)
		log_warning(s->vm, "'%s': cannot keep the clone in the fd store: %s", s->clone_path,
			    strerror(-r));
	s->stored = r > 0;
}

void fdstore_remove(struct source *s)
{
	char name[FDSTORE_NAME_MAX + 1];

	if (!s->stored)
		return;
	s->stored = false;
	if (fdstore_name(s->clone_path, name, sizeof(name)) >= 0)
		fdstore_remove_name(name);
}
