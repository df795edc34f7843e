/* SPDX-License-Identifier: MIT */
/*
 * A tiny TAP test harness. A test file is a list of TEST(name) { … } blocks
 * and one TEST_MAIN(); each test is one TAP line, assertions print what they
 * saw with file:line and end the test. A program that cannot run where it is
 * (no /dev/uinput, not root) calls test_skip_all("why") before any test.
 */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_CASES_MAX 256
extern struct test_case test_cases[TEST_CASES_MAX];
extern unsigned test_n_cases;
extern bool test_failed;

#define TEST(name)                                                                                 \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void test_register_##name(void)                        \
	{                                                                                          \
		if (test_n_cases < TEST_CASES_MAX)                                                 \
			test_cases[test_n_cases++] = (struct test_case){#name, test_##name};       \
	}                                                                                          \
	static void test_##name(void)

/* The harness's state, defined once per program; TEST_MAIN() includes it. */
#define TEST_GLOBALS()                                                                             \
	struct test_case test_cases[TEST_CASES_MAX];                                               \
	unsigned test_n_cases;                                                                     \
	bool test_failed

#define TEST_MAIN()                                                                                \
	TEST_GLOBALS();                                                                            \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return test_run_all(argc, argv);                                                   \
	}

#define TEST_FAIL(...)                                                                             \
	do {                                                                                       \
		printf("# %s:%d: ", __FILE__, __LINE__);                                           \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		test_failed = true;                                                                \
		return;                                                                            \
	} while (0)

#define ASSERT_TRUE(e)                                                                             \
	do {                                                                                       \
		if (!(e))                                                                          \
			TEST_FAIL("expected true: %s", #e);                                        \
	} while (0)

#define ASSERT_FALSE(e)                                                                            \
	do {                                                                                       \
		if (e)                                                                             \
			TEST_FAIL("expected false: %s", #e);                                       \
	} while (0)

#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		intmax_t _a = (intmax_t)(a), _b = (intmax_t)(b);                                   \
		if (_a != _b)                                                                      \
			TEST_FAIL("%s == %s: %jd != %jd", #a, #b, _a, _b);                         \
	} while (0)

#define ASSERT_NE(a, b)                                                                            \
	do {                                                                                       \
		intmax_t _a = (intmax_t)(a), _b = (intmax_t)(b);                                   \
		if (_a == _b)                                                                      \
			TEST_FAIL("%s != %s: both %jd", #a, #b, _a);                               \
	} while (0)

#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                             \
			TEST_FAIL("%s == %s: '%s' != '%s'", #a, #b, _a ? _a : "(null)",            \
				  _b ? _b : "(null)");                                             \
	} while (0)

/* Asserts that haystack contains needle (for error messages). */
#define ASSERT_CONTAINS(haystack, needle)                                                          \
	do {                                                                                       \
		const char *_h = (haystack), *_n = (needle);                                       \
		if (!_h || !strstr(_h, _n))                                                        \
			TEST_FAIL("%s contains '%s': got '%s'", #haystack, _n, _h ? _h : "(null)"); \
	} while (0)

/* Runs the registered tests (or only those named on the command line). */
static inline int test_run_all(int argc, char **argv)
{
	unsigned n_failed = 0, n_run = 0;

	printf("1..%u\n", argc > 1 ? (unsigned)(argc - 1) : test_n_cases);
	for (unsigned i = 0; i < test_n_cases; i++) {
		bool selected = argc <= 1;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], test_cases[i].name) == 0)
				selected = true;
		if (!selected)
			continue;
		test_failed = false;
		fflush(stdout);
		test_cases[i].fn();
		n_run++;
		printf("%s %u - %s\n", test_failed ? "not ok" : "ok", n_run, test_cases[i].name);
		fflush(stdout);
		if (test_failed)
			n_failed++;
	}
	return n_failed ? 1 : 0;
}

/* Reports the whole program as skipped (TAP "1..0 # SKIP") and exits 0. */
static inline void test_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}
