/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "devcache.h"
#include "names.h"
#include "quote.h"

#define DEVCACHE_LINE_MAX 4096

static const struct {
	const char *word;
	unsigned type;
	unsigned max;
} devcache_types[_DEVCACHE_TYPES] = {
	[DEVCACHE_KEY] = {"key", EV_KEY, KEY_MAX}, [DEVCACHE_REL] = {"rel", EV_REL, REL_MAX},
	[DEVCACHE_MSC] = {"msc", EV_MSC, MSC_MAX}, [DEVCACHE_SW] = {"sw", EV_SW, SW_MAX},
	[DEVCACHE_LED] = {"led", EV_LED, LED_MAX}, [DEVCACHE_SND] = {"snd", EV_SND, SND_MAX},
};

int devcache_from_evdev(const struct libevdev *dev, struct devcache *ret)
{
	const char *name = libevdev_get_name(dev);

	memset(ret, 0, sizeof(*ret));
	/* Printable only: the name is one line of the file. */
	quote_printable(ret->name, sizeof(ret->name), name);
	ret->bustype = (uint16_t)libevdev_get_id_bustype(dev);
	ret->vendor = (uint16_t)libevdev_get_id_vendor(dev);
	ret->product = (uint16_t)libevdev_get_id_product(dev);
	ret->version = (uint16_t)libevdev_get_id_version(dev);
	for (size_t t = 0; t < _DEVCACHE_TYPES; t++)
		for (unsigned code = 0; code <= devcache_types[t].max; code++)
			if (libevdev_has_event_code(dev, devcache_types[t].type, code))
				bit_set(ret->bits[t], code);
	for (unsigned code = 0; code <= ABS_MAX; code++) {
		const struct input_absinfo *abs = libevdev_get_abs_info(dev, code);

		if (libevdev_has_event_code(dev, EV_ABS, code) && abs) {
			bit_set(ret->abs_bits, code);
			ret->abs[code] = *abs;
		}
	}
	ret->rep = libevdev_has_event_type(dev, EV_REP) &&
		   libevdev_get_repeat(dev, &ret->rep_delay, &ret->rep_period) == 0;
	for (unsigned p = 0; p <= INPUT_PROP_MAX; p++)
		if (libevdev_has_property(dev, p))
			bit_set(ret->props, p);
	return 0;
}

int devcache_to_evdev(const struct devcache *c, struct libevdev **ret)
{
	struct libevdev *dev = libevdev_new();
	int r = 0;

	if (!dev)
		return -ENOMEM;
	libevdev_set_name(dev, c->name);
	libevdev_set_id_bustype(dev, c->bustype);
	libevdev_set_id_vendor(dev, c->vendor);
	libevdev_set_id_product(dev, c->product);
	libevdev_set_id_version(dev, c->version);
	for (size_t t = 0; t < _DEVCACHE_TYPES && r >= 0; t++)
		for (unsigned code = 0; code <= devcache_types[t].max && r >= 0; code++)
			if (bit_test(c->bits[t], code))
				r = libevdev_enable_event_code(dev, devcache_types[t].type, code,
							       NULL);
	for (unsigned code = 0; code <= ABS_MAX && r >= 0; code++)
		if (bit_test(c->abs_bits, code))
			r = libevdev_enable_event_code(dev, EV_ABS, code, &c->abs[code]);
	if (r >= 0 && c->rep) {
		r = libevdev_enable_event_code(dev, EV_REP, REP_DELAY, &c->rep_delay);
		if (r >= 0)
			r = libevdev_enable_event_code(dev, EV_REP, REP_PERIOD, &c->rep_period);
	}
	for (unsigned p = 0; p <= INPUT_PROP_MAX && r >= 0; p++)
		if (bit_test(c->props, p))
			r = libevdev_enable_property(dev, p);
	if (r < 0) {
		libevdev_free(dev);
		return -ENOMEM;
	}
	*ret = dev;
	return 0;
}

_printf_(4, 5) static void devcache_put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf + MIN(*n, size), size - MIN(*n, size), fmt, ap);
	va_end(ap);
	*n += r > 0 ? (size_t)r : 0;
}

static void devcache_put_bits(char *buf, size_t size, size_t *n, const char *word,
			      const unsigned long *bits, unsigned max)
{
	bool any = false;

	for (unsigned code = 0; code <= max; code++)
		if (bit_test(bits, code)) {
			devcache_put(buf, size, n, "%s %u", any ? "" : word, code);
			any = true;
		}
	if (any)
		devcache_put(buf, size, n, "\n");
}

int devcache_format(const struct devcache *c, char *buf, size_t size)
{
	size_t n = 0;

	devcache_put(buf, size, &n, DEVCACHE_HEADER "\nname %s\nid %u %u %u %u\n", c->name,
		     c->bustype, c->vendor, c->product, c->version);
	for (size_t t = 0; t < _DEVCACHE_TYPES; t++)
		devcache_put_bits(buf, size, &n, devcache_types[t].word, c->bits[t],
				  devcache_types[t].max);
	for (unsigned code = 0; code <= ABS_MAX; code++)
		if (bit_test(c->abs_bits, code)) {
			const struct input_absinfo *a = &c->abs[code];

			devcache_put(buf, size, &n, "abs %u %d %d %d %d %d %d\n", code, a->value,
				     a->minimum, a->maximum, a->fuzz, a->flat, a->resolution);
		}
	if (c->rep)
		devcache_put(buf, size, &n, "rep %d %d\n", c->rep_delay, c->rep_period);
	devcache_put_bits(buf, size, &n, "prop", c->props, INPUT_PROP_MAX);
	if (n >= size)
		return -ENOBUFS;
	return (int)n;
}

/* One decimal number of the line at *p, in [min, max]; moves *p past it and one space. */
static bool devcache_number(const char **p, long long min, long long max, long long *ret)
{
	long long v = 0;
	bool neg = **p == '-';
	const char *s = *p + neg;
	size_t digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 12) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || (*s != ' ' && *s != '\0') || (neg && v == 0))
		return false;
	v = neg ? -v : v;
	if (v < min || v > max)
		return false;
	*p = *s == ' ' ? s + 1 : s;
	*ret = v;
	return true;
}

/* Parses one line (NUL-terminated, no newline) into c; seen tracks items already read. */
static int devcache_line(char *line, struct devcache *c, unsigned *seen, const char *what,
			 unsigned lineno, struct diag *diag)
{
	char *space = strchr(line, ' ');
	const char *p = space ? space + 1 : line + strlen(line);
	long long v[7];
	unsigned item;

	if (space)
		*space = '\0';
	if (strcmp(line, "name") == 0) {
		item = 0;
		if (strlen(p) > DEVCACHE_NAME_MAX)
			goto bad;
		for (const char *q = p; *q; q++)
			if (*q < 0x20 || *q == 0x7f)
				goto bad;
		strcpy(c->name, p);
	} else if (strcmp(line, "id") == 0) {
		item = 1;
		for (int i = 0; i < 4; i++)
			if (!devcache_number(&p, 0, UINT16_MAX, &v[i]))
				goto bad;
		c->bustype = (uint16_t)v[0];
		c->vendor = (uint16_t)v[1];
		c->product = (uint16_t)v[2];
		c->version = (uint16_t)v[3];
	} else if (strcmp(line, "abs") == 0) {
		if (!devcache_number(&p, 0, ABS_MAX, &v[0]))
			goto bad;
		for (int i = 1; i < 7; i++)
			if (!devcache_number(&p, INT32_MIN, INT32_MAX, &v[i]))
				goto bad;
		if (bit_test(c->abs_bits, (unsigned)v[0]) || v[2] > v[3])
			goto bad;
		bit_set(c->abs_bits, (unsigned)v[0]);
		c->abs[v[0]] = (struct input_absinfo){(int32_t)v[1], (int32_t)v[2], (int32_t)v[3],
						      (int32_t)v[4], (int32_t)v[5], (int32_t)v[6]};
		return 0; /* one line per axis: repeats are checked per code */
	} else if (strcmp(line, "rep") == 0) {
		item = 2;
		if (!devcache_number(&p, 0, 60000, &v[0]) || !devcache_number(&p, 0, 60000, &v[1]))
			goto bad;
		c->rep = true;
		c->rep_delay = (int)v[0];
		c->rep_period = (int)v[1];
	} else {
		unsigned long *bits = NULL;
		unsigned max = 0;

		item = 3;
		if (strcmp(line, "prop") == 0) {
			bits = c->props;
			max = INPUT_PROP_MAX;
		}
		for (size_t t = 0; !bits && t < _DEVCACHE_TYPES; t++)
			if (strcmp(line, devcache_types[t].word) == 0) {
				bits = c->bits[t];
				max = devcache_types[t].max;
				item = 4 + (unsigned)t;
			}
		if (!bits)
			return diag_set(diag, -EINVAL, "%s:%u: unknown item '%.32s'", what, lineno,
					line);
		if (*seen & (1u << item))
			goto twice;
		for (long long last = -1; *p;) {
			if (!devcache_number(&p, 0, max, &v[0]) || v[0] <= last)
				goto bad;
			bit_set(bits, (unsigned)v[0]);
			last = v[0];
		}
	}
	if (*seen & (1u << item))
		goto twice;
	*seen |= 1u << item;
	return 0;
twice:
	return diag_set(diag, -EINVAL, "%s:%u: '%s' given twice", what, lineno, line);
bad:
	return diag_set(diag, -EINVAL, "%s:%u: malformed '%s' line", what, lineno, line);
}

int devcache_parse(const char *text, size_t len, const char *what, struct devcache *ret,
		   struct diag *diag)
{
	_cleanup_(freep) struct devcache *c = calloc(1, sizeof(*c));
	char line[DEVCACHE_LINE_MAX + 1];
	unsigned seen = 0, lineno = 0;
	size_t pos = 0;
	int r;

	if (!c)
		return diag_set(diag, -ENOMEM, "%s: out of memory", what);
	if (len > DEVCACHE_SIZE_MAX)
		return diag_set(diag, -EFBIG, "%s: larger than %d bytes", what, DEVCACHE_SIZE_MAX);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (!nl)
			return diag_set(diag, -EINVAL, "%s:%u: no newline at the end", what,
					lineno);
		if (n > DEVCACHE_LINE_MAX)
			return diag_set(diag, -EINVAL, "%s:%u: line too long", what, lineno);
		if (memchr(text + pos, '\0', n))
			return diag_set(diag, -EINVAL, "%s:%u: NUL byte", what, lineno);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (lineno == 1) {
			if (strcmp(line, DEVCACHE_HEADER) != 0)
				return diag_set(diag, -EINVAL, "%s:1: not a vfio-kvm device cache",
						what);
			continue;
		}
		r = devcache_line(line, c, &seen, what, lineno, diag);
		if (r < 0)
			return r;
	}
	if (lineno == 0)
		return diag_set(diag, -EINVAL, "%s: empty", what);
	if ((seen & 3) != 3)
		return diag_set(diag, -EINVAL, "%s: no %s line", what, seen & 1 ? "id" : "name");
	*ret = *c;
	return 0;
}

int devcache_path(const char *dir, const char *device, char *buf, size_t size, struct diag *diag)
{
	int r = device_name_check(device, device, diag);

	if (r < 0)
		return r;
	r = snprintf(buf, size, "%s/%s", dir, device);
	if (r < 0 || (size_t)r >= size)
		return diag_set(diag, -ENAMETOOLONG, "'%s/%s': path too long", dir, device);
	return r;
}

/* Reads at most DEVCACHE_SIZE_MAX + 1 bytes of path into buf. */
static ssize_t devcache_slurp(const char *path, char *buf)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < DEVCACHE_SIZE_MAX + 1) {
		ssize_t r = read(fd, buf + n, DEVCACHE_SIZE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int devcache_read(const char *dir, const char *device, struct devcache *ret, struct diag *diag)
{
	_cleanup_(freep) char *buf = malloc(DEVCACHE_SIZE_MAX + 1);
	char path[VK_PATH_MAX];
	ssize_t n;
	int r;

	r = devcache_path(dir, device, path, sizeof(path), diag);
	if (r < 0)
		return r;
	if (!buf)
		return diag_set(diag, -ENOMEM, "%s: out of memory", path);
	n = devcache_slurp(path, buf);
	if (n == -ENOENT)
		return diag_set(diag, -ENOENT, "%s: never seen (no %s)", device, path);
	if (n < 0)
		return diag_set(diag, (int)n, "%s: %s", path, strerror((int)-n));
	return devcache_parse(buf, (size_t)n, path, ret, diag);
}

int devcache_write(const char *dir, const char *device, const struct devcache *c,
		   struct diag *diag)
{
	_cleanup_(freep) char *text = malloc(DEVCACHE_SIZE_MAX + 1);
	_cleanup_(freep) char *old = malloc(DEVCACHE_SIZE_MAX + 1);
	char path[VK_PATH_MAX], tmp[VK_PATH_MAX + 32];
	_cleanup_(closep) int fd = -1;
	ssize_t n_old;
	int n, r;

	r = devcache_path(dir, device, path, sizeof(path), diag);
	if (r < 0)
		return r;
	if (!text || !old)
		return diag_set(diag, -ENOMEM, "%s: out of memory", path);
	n = devcache_format(c, text, DEVCACHE_SIZE_MAX + 1);
	if (n < 0 || n > DEVCACHE_SIZE_MAX)
		return diag_set(diag, -EFBIG, "%s: too much to cache", path);
	n_old = devcache_slurp(path, old);
	if (n_old == n && memcmp(old, text, (size_t)n) == 0)
		return 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, device, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return diag_set(diag, -errno, "%s: %s", tmp, strerror(errno));
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		(void)unlink(tmp);
		return diag_set(diag, r, "%s: %s", tmp, strerror(-r));
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return diag_set(diag, r, "%s: %s", path, strerror(-r));
	}
	return 0;
}
