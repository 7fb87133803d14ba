/*
 * portmargin.c
 *	  Module entry point: PG_MODULE_MAGIC and _PG_init.
 *
 * GSL's default error handler calls abort(), which would take the whole
 * server down; it is switched off here, once per backend, and every GSL
 * call in portmargin checks its status instead.
 */
#include "postgres.h"

#include "fmgr.h"

#include <gsl/gsl_errno.h>

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	gsl_set_error_handler_off();
}
