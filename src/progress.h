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
 * counts work.  When to report is told by a timer, as PostgreSQL's own
 * log_startup_progress_interval does: a one-shot timeout (utils/timeout.h)
 * whose handler only advances pm_progress_epoch, armed for the next report
 * due; the loop compares the epoch it saw last with the current one.  So
 * with the setting at 0 pm_progress_add costs one predictable branch, and
 * when on a load and a compare, with no clock read, and a report is due
 * within one iteration of its time however long the iterations are.
 * Reporting only sends a NOTICE: CHECK_FOR_INTERRUPTS stays in the loops.
 */
#ifndef PORTMARGIN_PROGRESS_H
#define PORTMARGIN_PROGRESS_H

#include "postgres.h"

#include <signal.h>

#include "fmgr.h"
#include "datatype/timestamp.h"

/* the GUC portmargin.progress_interval, seconds; 0 = off */
extern double pm_progress_interval;

/* advanced by the timer when a report may be due */
extern volatile sig_atomic_t pm_progress_epoch;

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
	sig_atomic_t epoch;			/* pm_progress_epoch when last seen */
	int			reports;		/* lines sent so far */
	TimestampTz start;
	TimestampTz last_report;
	TimestampTz last_activity;	/* 0, or when the last unit of work ended (the last line's time) */
} PmProgress;

/* defines the GUC; called once from _PG_init */
extern void pm_progress_define_guc(void);

/* start counting (reports only when the setting is > 0 now) */
extern void pm_progress_start(PmProgress *p, const char *what, const char *unit, int64 total);

/* the timer fired: report if due, arm the timer for the next report (out of line) */
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
		if (unlikely(p->epoch != pm_progress_epoch))
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
