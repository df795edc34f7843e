/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

int diag_set(struct diag *diag, int error, const char *fmt, ...)
{
	va_list ap;

	if (diag) {
		va_start(ap, fmt);
		vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
		va_end(ap);
	}
	return error;
}
