/* SPDX-License-Identifier: MIT */
/*
 * The config file's INI dialect, read by the small parser below rather than
 * by inih: Debian's libinih (built with its defaults) splits a line longer
 * than its 200-byte buffer into two, does not tell the handler the line number,
 * cuts section names to 49 bytes (a [vm "NAME"] header takes up to 69), says
 * nothing of a section without keys, and reads an indented line as the
 * continuation of the value above. Each of those needed a line reader of our
 * own in front of it, doing the real work; what inih added, splitting
 * "key = value", is the few lines of config_split_key() below.
 *
 * The dialect is inih's, so a file written for it reads the same:
 *   - lines end in "\n" or "\r\n"; a UTF-8 BOM may start the file; at most
 *     CONFIG_LINE_MAX bytes per line (longer is an error, never split);
 *     no control characters but tab;
 *   - blanks at the start of a line are dropped (no continuation lines);
 *   - ';' or '#' first on a line: a comment; ';' after a blank: a comment
 *     to the end of the line (not '#': "KEY_A # x" is a value);
 *   - "[section]" and [vm "NAME"], text after the ']' only a comment;
 *   - "key = value" or "key : value", blanks around key and value dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "settings.h"
#include "names.h"

/* Largest config file we read. */
#define CONFIG_FILE_MAX (64 * 1024)
/* Longest line, without its "\r\n"; a longer one is refused, never split. */
#define CONFIG_LINE_MAX 197
#define CONFIG_DEFAULT_TIMEOUT_SEC 10

enum config_section {
	SECTION_NONE,
	SECTION_HOTKEYS,
	SECTION_RING,
	SECTION_TIMEOUTS,
	SECTION_KEYS,
	SECTION_VM,
};

static const char *const config_section_names[] = {
	[SECTION_NONE] = "",
	[SECTION_HOTKEYS] = "hotkeys",
	[SECTION_RING] = "ring",
	[SECTION_TIMEOUTS] = "timeouts",
	[SECTION_KEYS] = "keys",
	[SECTION_VM] = "vm",
};

enum config_type {
	TYPE_HOTKEY,         /* a keyset, never empty */
	TYPE_HOTKEY_OR_NONE, /* a keyset; empty means none */
	TYPE_BOOL,
	TYPE_TIMEOUT,        /* seconds, 1..CONFIG_TIMEOUT_MAX_SEC */
	TYPE_HOST_KEYS,      /* key names, ',' between; empty means none */
	TYPE_ON_STOP,        /* host or next */
};

struct config_key {
	enum config_section section;
	const char *name;
	enum config_type type;
	size_t offset; /* in struct config, or in struct config_vm for SECTION_VM */
	unsigned given_bit; /* its CONFIG_GIVEN_* bit in config_vm.given or config.given, or 0 */
};

static const struct config_key config_keys[] = {
	{SECTION_HOTKEYS, "cycle", TYPE_HOTKEY, offsetof(struct config, cycle)},
	{SECTION_HOTKEYS, "host", TYPE_HOTKEY_OR_NONE, offsetof(struct config, host)},
	{SECTION_HOTKEYS, "release", TYPE_HOTKEY, offsetof(struct config, release)},
	{SECTION_RING, "include_host", TYPE_BOOL, offsetof(struct config, include_host)},
	{SECTION_RING, "focus_on_start", TYPE_BOOL, offsetof(struct config, focus_on_start),
	 CONFIG_GIVEN_FOCUS_ON_START},
	{SECTION_RING, "on_stop", TYPE_ON_STOP, offsetof(struct config, on_stop),
	 CONFIG_GIVEN_ON_STOP},
	{SECTION_KEYS, "host_keys", TYPE_HOST_KEYS, offsetof(struct config, host_keys),
	 CONFIG_GIVEN_HOST_KEYS},
	{SECTION_TIMEOUTS, "start", TYPE_TIMEOUT, offsetof(struct config, start_timeout_sec)},
	{SECTION_TIMEOUTS, "stop", TYPE_TIMEOUT, offsetof(struct config, stop_timeout_sec)},
	{SECTION_VM, "hotkey", TYPE_HOTKEY_OR_NONE, offsetof(struct config_vm, hotkey),
	 CONFIG_GIVEN_HOTKEY},
	{SECTION_VM, "host_keys", TYPE_HOST_KEYS, offsetof(struct config_vm, host_keys),
	 CONFIG_GIVEN_HOST_KEYS},
	{SECTION_VM, "focus_on_start", TYPE_BOOL, offsetof(struct config_vm, focus_on_start),
	 CONFIG_GIVEN_FOCUS_ON_START},
	{SECTION_VM, "on_stop", TYPE_ON_STOP, offsetof(struct config_vm, on_stop),
	 CONFIG_GIVEN_ON_STOP},
};

struct config_parser {
	const char *file; /* for messages */
	unsigned line;
	enum config_section section;
	struct config_vm *vm; /* the current [vm "…"] section */
	unsigned seen_sections; /* bit per enum config_section */
	unsigned seen_keys;     /* bit per config_keys[] entry, of the current section */
	unsigned key_line[ARRAY_SIZE(config_keys)];
	unsigned vm_line[RING_VMS_MAX];        /* line of each [vm] header */
	unsigned vm_hotkey_line[RING_VMS_MAX]; /* line of each vm's hotkey */
	struct diag *diag;
	struct config config;
};

/* Sets diag to "file:line: message" and returns error; parsing stops at the first. */
_printf_(4, 5) static int config_fail(struct config_parser *p, unsigned line, int error,
				      const char *fmt, ...)
{
	char msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return diag_set(p->diag, error, "%s:%u: %s", p->file, line, msg);
}

void config_defaults(struct config *ret)
{
	*ret = (struct config){
		.include_host = true,
		.start_timeout_sec = CONFIG_DEFAULT_TIMEOUT_SEC,
		.stop_timeout_sec = CONFIG_DEFAULT_TIMEOUT_SEC,
	};
	/* Constant, known-good text: these cannot fail. */
	(void)keyset_parse(CONFIG_DEFAULT_CYCLE, strlen(CONFIG_DEFAULT_CYCLE), &ret->cycle, NULL);
	(void)keyset_parse(CONFIG_DEFAULT_HOST, strlen(CONFIG_DEFAULT_HOST), &ret->host, NULL);
	(void)keyset_parse(CONFIG_DEFAULT_RELEASE, strlen(CONFIG_DEFAULT_RELEASE), &ret->release,
			   NULL);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses "[vm "NAME"]" (after the "vm") and opens that VM's section. */
static int config_open_vm(struct config_parser *p, const char *s, const char *end,
			  const char **ret_after)
{
	char name[VM_NAME_MAX + 2];
	struct diag name_diag;
	const char *quote;
	size_t n;
	int r;

	while (s < end && is_blank(*s))
		s++;
	quote = s < end && *s == '"' ? memchr(s + 1, '"', (size_t)(end - s - 1)) : NULL;
	if (!quote || quote + 1 >= end || quote[1] != ']')
		return config_fail(p, p->line, -EINVAL, "expected [vm \"NAME\"]");
	s++;

	/* A copy one byte longer than allowed is enough for vm_name_check to say "too long". */
	n = MIN((size_t)(quote - s), sizeof(name) - 1);
	memcpy(name, s, n);
	name[n] = '\0';
	r = vm_name_check(name, &name_diag);
	if (r < 0)
		return config_fail(p, p->line, r, "%s", name_diag.msg);

	for (size_t i = 0; i < p->config.n_vms; i++)
		if (strcmp(p->config.vms[i].name, name) == 0)
			return config_fail(p, p->line, -EINVAL,
					   "section [vm \"%s\"] given twice (first on line %u)",
					   name, p->vm_line[i]);
	if (p->config.n_vms >= RING_VMS_MAX)
		return config_fail(p, p->line, -E2BIG, "more than %d [vm] sections", RING_VMS_MAX);

	p->vm_line[p->config.n_vms] = p->line;
	p->vm = &p->config.vms[p->config.n_vms++];
	memcpy(p->vm->name, name, n + 1);
	p->section = SECTION_VM;
	*ret_after = quote + 2;
	return 0;
}

/* Parses a line that starts with '[' and makes it the current section. */
static int config_open_section(struct config_parser *p, const char *s, size_t len)
{
	const char *end = s + len, *after = end, *rbracket;
	size_t name_len;
	int r;

	p->seen_keys = 0;
	p->vm = NULL;
	s++;
	if (end - s >= 3 && memcmp(s, "vm", 2) == 0 &&
	    (is_blank(s[2]) || s[2] == '"' || s[2] == ']')) {
		r = config_open_vm(p, s + 2, end, &after);
		if (r < 0)
			return r;
	} else {
		rbracket = memchr(s, ']', (size_t)(end - s));
		if (!rbracket)
			return config_fail(p, p->line, -EINVAL, "section header without ']'");
		name_len = (size_t)(rbracket - s);
		p->section = SECTION_NONE;
		for (size_t i = SECTION_NONE + 1; i < ARRAY_SIZE(config_section_names); i++)
			if (i != SECTION_VM && strlen(config_section_names[i]) == name_len &&
			    memcmp(config_section_names[i], s, name_len) == 0)
				p->section = (enum config_section)i;
		if (p->section == SECTION_NONE)
			return config_fail(p, p->line, -EINVAL, "unknown section [%.*s]",
					   (int)name_len, s);
		if (p->seen_sections & (1U << p->section))
			return config_fail(p, p->line, -EINVAL, "section [%s] given twice",
					   config_section_names[p->section]);
		p->seen_sections |= 1U << p->section;
		after = rbracket + 1;
	}

	while (after < end && is_blank(*after))
		after++;
	if (after < end && *after != ';' && *after != '#')
		return config_fail(p, p->line, -EINVAL, "unexpected text after section header");
	return 0;
}

/* Writes the section as written in the file ("hotkeys", "vm \"x\"") into buf. */
static const char *config_section_label(const struct config_parser *p, char *buf, size_t size)
{
	if (p->section == SECTION_VM)
		snprintf(buf, size, "vm \"%s\"", p->vm->name);
	else
		snprintf(buf, size, "%s", config_section_names[p->section]);
	return buf;
}

static int config_parse_timeout(const char *value, unsigned *ret)
{
	unsigned v = 0;

	if (!*value)
		return -EINVAL;
	for (const char *c = value; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*c - '0');
		if (v > CONFIG_TIMEOUT_MAX_SEC)
			return -ERANGE;
	}
	if (v == 0)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int config_set(struct config_parser *p, const struct config_key *key, const char *value)
{
	void *field = (char *)(key->section == SECTION_VM ? (void *)p->vm : (void *)&p->config) +
		      key->offset;
	struct diag kd;
	int r;

	switch (key->type) {
	case TYPE_HOTKEY:
	case TYPE_HOTKEY_OR_NONE:
		if (!*value) {
			if (key->type == TYPE_HOTKEY)
				return config_fail(p, p->line, -EINVAL, "'%s' may not be empty",
						   key->name);
			*(struct keyset *)field = (struct keyset){0};
			return 0;
		}
		r = keyset_parse(value, strlen(value), field, &kd);
		if (r < 0)
			return config_fail(p, p->line, r, "bad '%s': %s", key->name, kd.msg);
		return 0;
	case TYPE_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
			 strcmp(value, "0") == 0)
			*(bool *)field = false;
		else
			return config_fail(p, p->line, -EINVAL,
					   "bad '%s': '%s' is not yes, no, true, false, 1 or 0",
					   key->name, value);
		return 0;
	case TYPE_TIMEOUT:
		r = config_parse_timeout(value, field);
		if (r < 0)
			return config_fail(p, p->line, r,
					   "bad '%s': '%s' is not a number of seconds, 1 to %d",
					   key->name, value, CONFIG_TIMEOUT_MAX_SEC);
		return 0;
	case TYPE_HOST_KEYS:
		r = keylist_parse(value, strlen(value), field, &kd);
		if (r < 0)
			return config_fail(p, p->line, r, "bad '%s': %s", key->name, kd.msg);
		return 0;
	case TYPE_ON_STOP:
		if (focus_on_stop_from_string(value, field) < 0)
			return config_fail(p, p->line, -EINVAL,
					   "bad '%s': '%s' is not host or next", key->name,
					   value);
		return 0;
	}
	return config_fail(p, p->line, -EINVAL, "internal error: key '%s'", key->name);
}

static int config_handle_key(struct config_parser *p, const char *name, const char *value)
{
	char label[VM_NAME_MAX + 8];

	if (p->section == SECTION_NONE)
		return config_fail(p, p->line, -EINVAL, "key '%s' before any [section]", name);

	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const struct config_key *key = &config_keys[i];

		if (key->section != p->section || strcmp(key->name, name) != 0)
			continue;
		if (p->seen_keys & (1U << i))
			return config_fail(p, p->line, -EINVAL, "key '%s' given twice in [%s]",
					   name, config_section_label(p, label, sizeof(label)));
		p->seen_keys |= 1U << i;
		if (p->section == SECTION_VM) {
			p->vm->given |= key->given_bit;
			if (key->given_bit == CONFIG_GIVEN_HOTKEY)
				p->vm_hotkey_line[p->vm - p->config.vms] = p->line;
		} else {
			p->config.given |= key->given_bit;
			p->key_line[i] = p->line;
		}
		return config_set(p, key, value);
	}
	return config_fail(p, p->line, -EINVAL, "unknown key '%s' in [%s]", name,
			   config_section_label(p, label, sizeof(label)));
}

/*
 * The first of chars in s, or of an inline comment (';' after a blank), or
 * the end of s.
 */
static char *config_find(char *s, const char *chars)
{
	bool after_blank = false;

	for (; *s; s++) {
		if ((chars && strchr(chars, *s)) || (after_blank && *s == ';'))
			break;
		after_blank = is_blank(*s);
	}
	return s;
}

static char *config_rstrip(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/*
 * Splits a key line (no leading blanks) into *ret_name and *ret_value,
 * in place. Returns 0, or -EINVAL when it has no '=' or ':' before a comment.
 */
static int config_split_key(char *line, char **ret_name, char **ret_value)
{
	char *sep = config_find(line, "=:"), *value;

	if (*sep != '=' && *sep != ':')
		return -EINVAL;
	*sep = '\0';
	value = sep + 1;
	*config_find(value, NULL) = '\0';
	while (is_blank(*value))
		value++;
	*ret_name = config_rstrip(line);
	*ret_value = config_rstrip(value);
	return 0;
}

/* One line of the file (len bytes, no '\n'), numbered p->line. */
static int config_parse_line(struct config_parser *p, const char *s, size_t len)
{
	char buf[CONFIG_LINE_MAX + 1], *name, *value;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > CONFIG_LINE_MAX)
		return config_fail(p, p->line, -EINVAL, "line longer than %d bytes",
				   CONFIG_LINE_MAX);
	if (p->line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return config_fail(p, p->line, -EINVAL, "control character 0x%02x", c);
	}
	while (len > 0 && is_blank(*s)) {
		s++;
		len--;
	}

	if (len > 0 && s[0] == '[')
		return config_open_section(p, s, len);
	if (len == 0 || s[0] == ';' || s[0] == '#')
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (config_split_key(buf, &name, &value) < 0)
		return config_fail(p, p->line, -EINVAL, "expected 'key = value'");
	return config_handle_key(p, name, value);
}

struct config_hotkey_use {
	const struct keyset *set;
	unsigned line; /* 0: the default */
	char what[VM_NAME_MAX + 32];
};

/* One key combination may serve one purpose only: refuse ambiguous configs. */
static int config_check_conflicts(struct config_parser *p)
{
	struct config_hotkey_use uses[3 + RING_VMS_MAX];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const struct config_key *key = &config_keys[i];

		if (key->section != SECTION_HOTKEYS)
			continue;
		uses[n].set = (const struct keyset *)((const char *)&p->config + key->offset);
		uses[n].line = p->key_line[i];
		snprintf(uses[n].what, sizeof(uses[n].what), "'%s'", key->name);
		n++;
	}
	for (size_t i = 0; i < p->config.n_vms; i++) {
		uses[n].set = &p->config.vms[i].hotkey;
		uses[n].line = p->vm_hotkey_line[i];
		snprintf(uses[n].what, sizeof(uses[n].what), "the hotkey of [vm \"%s\"]",
			 p->config.vms[i].name);
		n++;
	}

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			const struct config_hotkey_use *a = &uses[i], *b = &uses[j];

			if (a->set->n == 0 || !keyset_equal(a->set, b->set))
				continue;
			if (a->line > b->line) {
				const struct config_hotkey_use *t = a;
				a = b;
				b = t;
			}
			return config_fail(p, b->line, -EINVAL, "%s is the same as %s%s", b->what,
					   a->what, a->line ? "" : " (default)");
		}
	return 0;
}

static int config_parse_buffer(const char *text, size_t len, const char *file,
			       struct config *ret, struct diag *diag)
{
	struct config_parser p = {
		.file = file,
		.diag = diag,
	};
	size_t pos = 0;
	int r;

	if (len > CONFIG_FILE_MAX)
		return diag_set(diag, -EFBIG, "%s: larger than %d bytes", file, CONFIG_FILE_MAX);
	config_defaults(&p.config);

	/* The text after the last '\n' is a line too, when there is any. */
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - s) : len - pos;

		pos += line_len + (nl != NULL);
		p.line++;
		r = config_parse_line(&p, s, line_len);
		if (r < 0)
			return r;
	}

	r = config_check_conflicts(&p);
	if (r < 0)
		return r;
	*ret = p.config;
	return 0;
}

int config_parse_string(const char *text, const char *name, struct config *ret, struct diag *diag)
{
	return config_parse_buffer(text, strlen(text), name, ret, diag);
}

int config_load(const char *path, bool missing_ok, struct config *ret, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok) {
			config_defaults(ret);
			return 0;
		}
		return diag_set(diag, r, "%s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return diag_set(diag, r, "%s: %s", path, strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return diag_set(diag, -EINVAL, "%s: not a regular file", path);

	/* One byte more than allowed tells a file that is too large. */
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf)
		return diag_set(diag, -ENOMEM, "%s: out of memory", path);
	while (len <= CONFIG_FILE_MAX) {
		ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			return diag_set(diag, r, "%s: %s", path, strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return config_parse_buffer(buf, len, path, ret, diag);
}

const struct config_vm *config_find_vm(const struct config *config, const char *vm)
{
	if (!vm)
		return NULL;
	for (size_t i = 0; i < config->n_vms; i++)
		if (strcmp(config->vms[i].name, vm) == 0)
			return &config->vms[i];
	return NULL;
}

void config_vm_resolve(const struct config *config, const char *vm, struct config_vm *ret)
{
	const struct config_vm *section = config_find_vm(config, vm);

	*ret = (struct config_vm){
		.host_keys = config->host_keys,
		.focus_on_start = config->focus_on_start,
		.on_stop = config->on_stop,
	};
	if (vm)
		snprintf(ret->name, sizeof(ret->name), "%s", vm);
	if (!section)
		return;
	ret->given = section->given;
	ret->hotkey = section->hotkey;
	if (section->given & CONFIG_GIVEN_HOST_KEYS)
		ret->host_keys = section->host_keys;
	if (section->given & CONFIG_GIVEN_FOCUS_ON_START)
		ret->focus_on_start = section->focus_on_start;
	if (section->given & CONFIG_GIVEN_ON_STOP)
		ret->on_stop = section->on_stop;
}
