/* SPDX-License-Identifier: MIT */
/*
 * Small language helpers shared by every program: scope-bound cleanup
 * (_cleanup_), array sizes and bit sets. Nothing here logs or allocates.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)                                                                              \
	(sizeof(a) / sizeof((a)[0]) +                                                              \
	 0 * sizeof(char[1 - 2 * __builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0]))]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Defines fooP(type **p) that calls foo(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Closes *fd if it is open; keeps errno, so it is safe on error paths. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

/* Returns fd closed and -1, for `fd = safe_close(fd);`. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

/* Hands ownership out of a _cleanup_ variable: `return TAKE_PTR(p);`. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

/* Bit sets over unsigned long words, sized like the kernel's EVIOCGKEY buffers. */
#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define BITSET_LONGS(nbits) (((nbits) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline bool bit_test(const unsigned long *set, unsigned bit)
{
	return (set[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1UL;
}

static inline void bit_set(unsigned long *set, unsigned bit)
{
	set[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline void bit_clear(unsigned long *set, unsigned bit)
{
	set[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}
