/*
 * portmargin.c
 *	  Module entry point: PG_MODULE_MAGIC and _PG_init.
 *
 * GSL's default error handler calls abort(), which would take the whole
 * server down; it is switched off here, once per backend, and every GSL
 * call in portmargin checks its status instead.
 *
 * Settings: portmargin.progress_interval (doc/progress.md), and
 * portmargin.maintain_shipped (read by the trigger protect_shipped_rows;
 * defined here because the prefix is reserved).  The prefix is reserved,
 * so that a misspelt portmargin.* setting is an error, not a silent
 * placeholder.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include <gsl/gsl_errno.h>

#include "progress.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	static bool maintain_shipped = false;

	gsl_set_error_handler_off();
	pm_progress_define_guc();
	/* read with current_setting() by the trigger protect_shipped_rows */
	DefineCustomBoolVariable("portmargin.maintain_shipped",
							 "When on, the shipped rows of portmargin's configuration tables can be changed (for extension scripts).",
							 "Otherwise the trigger protect_shipped_rows refuses to, because pg_dump keeps only user rows.",
							 &maintain_shipped, false, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("portmargin");
}
