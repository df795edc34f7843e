/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "announce.h"

bool announce_decide(const char *previous, const char *target, const char *me,
		     const struct ring_entry *ring, size_t n)
{
	/* The one involved VM that still runs: the gainer, or for the host the loser. */
	const char *who = strcmp(target, RING_HOST) != 0 ? target : previous;

	if (strcmp(previous, target) == 0 || strcmp(who, RING_HOST) == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(ring[i].vm, who) == 0)
			return strcmp(who, me) == 0;
	return n > 0 && strcmp(ring[0].vm, me) == 0;
}
