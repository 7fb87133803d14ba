/*
 * progress.h
 *	  Opt-in progress reports of long work (doc/progress.md).
 *
 * With portmargin.progress_interval = s > 0 (seconds; 0, the default, is
 * off) long operations send
 *
 *   NOTICE:  portmargin: <what>: <done> of <total> <unit> (<pct>%), <elapsed> s
 *   NOTICE:  portmargin: <what>: <done> <unit> so far, <elapsed> s     (total unknown)
 *
 * at most every s seconds, and one last line ending in ", finished" when the
 * work took s seconds or more.  A PmProgress lives on the caller's stack
 * (or, for an aggregate, with the Agg node: progress.c); pm_progress_add
 * counts work and, when the setting is off, costs one predictable branch.
 * When on, the clock is read every `stride` calls, the stride adapting so
 * that reads are about 10 ms apart (doubling while they come faster than
 * 2.5 ms, halving while slower than 10 ms; from 1 to 2^20): an iteration of
 * 10 ns and one of a second are both checked often enough and cheaply.
 * Reporting only sends a NOTICE: CHECK_FOR_INTERRUPTS stays in the loops.
 */
#ifndef PORTMARGIN_PROGRESS_H
#define PORTMARGIN_PROGRESS_H

#include "postgres.h"

#include "fmgr.h"
#include "portability/instr_time.h"

/* the GUC portmargin.progress_interval, seconds; 0 = off */
extern double pm_progress_interval;

typedef struct PmProgress
{
	bool		on;				/* reporting (the setting was > 0 at the start) */
	const char *what;			/* e.g. "monte_carlo_scenarios" */
	const char *unit;			/* e.g. "scenarios" */
	int64		done;
	int64		total;			/* < 0: unknown */
	const char *unit2;			/* a second count (NULL: none), e.g. "groups finalised" */
	int64		done2;
	int64		total2;			/* < 0: unknown */
	int			stride;			/* calls between clock reads */
	int			countdown;		/* calls until the next clock read */
	int			reports;		/* lines sent so far */
	instr_time	start;
	instr_time	last_check;
	instr_time	last_report;
} PmProgress;

/* defines the GUC; called once from _PG_init */
extern void pm_progress_define_guc(void);

/* start counting (reports only when the setting is > 0 now) */
extern void pm_progress_start(PmProgress *p, const char *what, const char *unit, int64 total);

/* read the clock, adapt the stride, report if due (out of line) */
extern void pm_progress_check(PmProgress *p);

/* the last line, when the work took the interval or longer */
extern void pm_progress_finish(PmProgress *p);

/* n more units of work done */
static inline void
pm_progress_add(PmProgress *p, int64 n)
{
	if (unlikely(p->on))
	{
		p->done += n;
		if (--p->countdown <= 0)
			pm_progress_check(p);
	}
}

/*
 * The portfolio_margin aggregates (margin_agg.c): one row folded by a
 * transition function, one group finalised by a final function.  Counted
 * per Agg node (progress.c); the last line comes when the node ends.
 */
extern void pm_progress_agg_row_slow(FunctionCallInfo fcinfo);
extern void pm_progress_agg_group_slow(FunctionCallInfo fcinfo);

static inline void
pm_progress_agg_row(FunctionCallInfo fcinfo)
{
	if (unlikely(pm_progress_interval > 0.0))
		pm_progress_agg_row_slow(fcinfo);
}

static inline void
pm_progress_agg_group(FunctionCallInfo fcinfo)
{
	if (unlikely(pm_progress_interval > 0.0))
		pm_progress_agg_group_slow(fcinfo);
}

#endif							/* PORTMARGIN_PROGRESS_H */
