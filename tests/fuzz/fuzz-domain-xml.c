/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the domain XML parser: any input must give 0 or a
 * negative errno with a one-line message, never a crash, a leak or output,
 * and a successful parse must only hold names the name checks accept.
 */
#include <stdint.h>
#include <string.h>

#include "domain-xml.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain domain;
	struct diag diag = {{0}};
	char path[VK_PATH_MAX];
	int r;

	r = domain_xml_parse((const char *)data, size, &domain, &diag);
	if (r > 0)
		__builtin_trap();
	if (r < 0) {
		if (diag.msg[0] == '\0' || strchr(diag.msg, '\n'))
			__builtin_trap();
		return 0;
	}
	if (domain.n_sources > DOMAIN_SOURCES_MAX || domain.hotkey.n > KEYSET_MAX)
		__builtin_trap();
	/* Routing settings: host keys sorted and unique; on_stop one of the two. */
	if (domain.host_keys.n > KEYLIST_MAX ||
	    (domain.on_stop != FOCUS_ON_STOP_NEXT && domain.on_stop != FOCUS_ON_STOP_HOST))
		__builtin_trap();
	for (size_t i = 1; i < domain.host_keys.n; i++)
		if (domain.host_keys.codes[i - 1] >= domain.host_keys.codes[i])
			__builtin_trap();
	/* A pinned device is a source: no source, nothing pinned (checked below per source). */
	if (domain.n_sources == 0 && domain.given & ~(unsigned)(DOMAIN_GIVEN_HOTKEY |
								DOMAIN_GIVEN_HOST_KEYS |
								DOMAIN_GIVEN_FOCUS_ON_START |
								DOMAIN_GIVEN_ON_STOP))
		__builtin_trap();
	if (domain.n_sources > 0 && vm_name_check(domain.name, NULL) < 0)
		__builtin_trap();
	for (size_t i = 0; i < domain.n_sources; i++) {
		const struct domain_source *source = &domain.sources[i];

		if (device_name_check(source->device, "fuzz", NULL) < 0 ||
		    source->grab_toggle.n > KEYSET_MAX || !source_kind_to_string(source->kind))
			__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (strcmp(domain.sources[j].device, source->device) == 0)
				__builtin_trap();
		if (domain_source_physical_path(source, path, sizeof(path)) < 0 ||
		    domain_source_clone_path(&domain, source, path, sizeof(path)) < 0)
			__builtin_trap();
	}
	return 0;
}
