/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "hotkey.h"

int hotkey_init(struct hotkey *hk, const struct hotkey_binding *bindings, unsigned n)
{
	if (n > HOTKEY_BINDINGS_MAX)
		return -E2BIG;
	memset(hk, 0, sizeof(*hk));
	hk->armed = -1;
	return hotkey_set_bindings(hk, bindings, n);
}

int hotkey_set_bindings(struct hotkey *hk, const struct hotkey_binding *bindings, unsigned n)
{
	if (n > HOTKEY_BINDINGS_MAX)
		return -E2BIG;
	if (n > 0)
		memmove(hk->bindings, bindings, n * sizeof(*bindings));
	hk->n_bindings = n;
	hk->armed = -1;
	return 0;
}

/* The enabled binding whose keys equal the held set, or -1. */
static int hotkey_match(const struct hotkey *hk)
{
	for (unsigned i = 0; i < hk->n_bindings; i++) {
		const struct keyset *keys = &hk->bindings[i].keys;
		unsigned k;

		if (keys->n == 0 || keys->n != hk->n_held)
			continue;
		for (k = 0; k < keys->n; k++)
			if (!bit_test(hk->held, keys->codes[k]))
				break;
		if (k == keys->n)
			return (int)i;
	}
	return -1;
}

bool hotkey_feed(struct hotkey *hk, unsigned code, int value,
		 const struct hotkey_binding **ret_fired)
{
	const struct hotkey_binding *fired = NULL;
	bool forward = true;

	if (code > KEY_MAX)
		goto out;

	switch (value) {
	case 1:
		if (bit_test(hk->held, code)) {
			/* Down twice (two keyboards): state unchanged. */
			forward = !bit_test(hk->swallowed, code);
			break;
		}
		bit_set(hk->held, code);
		hk->n_held++;
		hk->armed = hotkey_match(hk);
		if (hk->armed >= 0) {
			bit_set(hk->swallowed, code);
			forward = false;
		}
		break;
	case 2:
		forward = !bit_test(hk->swallowed, code);
		break;
	case 0:
		if (!bit_test(hk->held, code))
			break;
		bit_clear(hk->held, code);
		hk->n_held--;
		if (bit_test(hk->swallowed, code)) {
			bit_clear(hk->swallowed, code);
			forward = false;
		}
		if (hk->n_held == 0 && hk->armed >= 0) {
			fired = &hk->bindings[hk->armed];
			hk->armed = -1;
		}
		break;
	default:
		break;
	}
out:
	*ret_fired = fired;
	return forward;
}

bool hotkey_is_swallowed(const struct hotkey *hk, unsigned code)
{
	return code <= KEY_MAX && bit_test(hk->swallowed, code);
}

bool hotkey_uses_key(const struct hotkey *hk, unsigned code)
{
	if (code > KEY_MAX)
		return false;
	for (unsigned i = 0; i < hk->n_bindings; i++)
		if (keyset_contains(&hk->bindings[i].keys, (uint16_t)code))
			return true;
	return false;
}
