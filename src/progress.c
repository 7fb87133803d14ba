/*
 * progress.c
 *	  Opt-in progress reports of long work: the setting
 *	  portmargin.progress_interval, the reporting clock (progress.h) and the
 *	  per-Agg-node counts of the portfolio_margin aggregates.
 *
 * Aggregates.  A transition function sees one row and a final function one
 * group, so the counts of a margin run live with the Agg node
 * (fcinfo->context) that calls them, one run per node and aggregate: a small
 * list, each entry allocated in the executor's per-query memory and unlinked
 * by a reset callback of that memory (so an ERROR, which frees it, leaves
 * nothing behind).  A run starts at the node's first row or group and ends
 * with the executor: a shutdown callback of the node's input ExprContext
 * (tmpcontext), which FreeExecutorState calls on a normal end, never after an
 * ERROR, and which no rescan calls (the output ExprContext is rescanned once
 * per group by a sorted aggregate).  A node rescanned for each outer row
 * (LATERAL) therefore reports the whole query's rows and groups.  The last
 * line of a node that finalises groups gives the time of its last group (the
 * clock is read once per group, little next to building the result), not
 * that of the executor's end, which may come much later (the rows are
 * consumed); a Partial Aggregate's, which folds rows only, gives the time up
 * to the executor's end (in a worker: until its leader has read its groups).  The
 * number of groups is known once a hashed aggregate has read its input
 * without spilling to disk (the hash table's count); otherwise, and for
 * rows, the line says how many so far.
 *
 * Parallel query: the transition functions of a Partial Aggregate run in the
 * workers (and the leader), the final function in the leader's Finalize
 * Aggregate.  Each node reports for itself and says which it is; a worker's
 * NOTICE reaches the client through the leader (PostgreSQL forwards it, with
 * "CONTEXT:  parallel worker"), the setting having been copied to the worker
 * with the leader's others.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "catalog/pg_aggregate.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "progress.h"

double		pm_progress_interval = 0.0;
volatile sig_atomic_t pm_progress_epoch = 0;

static TimeoutId progress_timeout;
static bool progress_timeout_registered = false;

/* in the SIGALRM handler: async-signal-safe, only the epoch advances */
static void
progress_timeout_handler(void)
{
	pm_progress_epoch++;
}

/*
 * The timer fires at fin or earlier (another report due sooner keeps its
 * earlier time).  One-shot: a report re-arms it for its next one, so it
 * stops by itself when no work reports (after an ERROR too).
 */
static void
arm(TimestampTz fin)
{
	if (!progress_timeout_registered)
	{
		progress_timeout = RegisterTimeout(USER_TIMEOUT, progress_timeout_handler);
		progress_timeout_registered = true;
	}
	if (!get_timeout_active(progress_timeout) || get_timeout_finish_time(progress_timeout) > fin)
		enable_timeout_at(progress_timeout, fin);
}

static inline int64
interval_us(void)
{
	return (int64) ceil(pm_progress_interval * 1e6);
}

void
pm_progress_define_guc(void)
{
	DefineCustomRealVariable("portmargin.progress_interval",
							 "Seconds between progress reports (NOTICE) of long portmargin work; 0 turns them off.",
							 "Monte Carlo scenario generation, portfolio_margin runs (rows folded, groups finalised) "
							 "and liquidation price searches report done / total at most this often, and once more "
							 "at the end when they took at least this long.",
							 &pm_progress_interval,
							 0.0, 0.0, 86400.0,
							 PGC_USERSET, GUC_UNIT_S,
							 NULL, NULL, NULL);
}

void
pm_progress_start(PmProgress *p, const char *what, const char *unit, int64 total)
{
	memset(p, 0, sizeof(*p));
	p->on = pm_progress_interval > 0.0;
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->total2 = -1;
	if (p->on)
	{
		p->epoch = pm_progress_epoch;
		p->start = p->last_report = GetCurrentTimestamp();
		arm(p->start + interval_us());
	}
}

/* "12 of 40 scenarios (30.0%)" or "12 scenarios" */
static void
append_count(StringInfo s, int64 done, int64 total, const char *unit)
{
	if (total >= 0)
		appendStringInfo(s, INT64_FORMAT " of " INT64_FORMAT " %s (%.1f%%)", done, total, unit,
						 total > 0 ? 100.0 * (double) done / (double) total : 100.0);
	else
		appendStringInfo(s, INT64_FORMAT " %s", done, unit);
}

static void
report(PmProgress *p, double elapsed, bool finished)
{
	StringInfoData s;

	initStringInfo(&s);
	if (p->unit)
		append_count(&s, p->done, p->total, p->unit);
	if (p->unit2)
	{
		if (p->unit)
			appendStringInfoString(&s, ", ");
		append_count(&s, p->done2, p->total2, p->unit2);
	}
	if (!finished && (p->unit == NULL || p->total < 0) && (p->unit2 == NULL || p->total2 < 0))
		appendStringInfoString(&s, " so far");
	ereport(NOTICE,
			(errmsg("portmargin: %s: %s, %.2f s%s", p->what, s.data, elapsed, finished ? ", finished" : ""),
			 errhidestmt(true)));
	pfree(s.data);
	p->reports++;
}

void
pm_progress_check(PmProgress *p)
{
	TimestampTz now;

	p->epoch = pm_progress_epoch;
	/* turned off during the work: the current value counts */
	if (!(pm_progress_interval > 0.0))
		return;
	now = GetCurrentTimestamp();
	if (now - p->last_report >= interval_us())
	{
		p->last_report = now;
		report(p, (double) (now - p->start) / 1e6, false);
	}
	arm(p->last_report + interval_us());
}

static void
finish(PmProgress *p, bool at_last_activity)
{
	TimestampTz end;

	if (!p->on || !(pm_progress_interval > 0.0))
		return;
	end = at_last_activity && p->last_activity != 0 ? p->last_activity : GetCurrentTimestamp();
	if (end - p->start >= interval_us())
		report(p, (double) (end - p->start) / 1e6, true);
	p->on = false;
}

void
pm_progress_finish(PmProgress *p)
{
	finish(p, false);
}

/* ---- the portfolio_margin aggregates ---- */

typedef struct AggRun
{
	struct AggRun *next;
	AggState   *node;
	Aggref	   *aggref;			/* two margin aggregates of one node are two runs */
	const char *what;
	MemoryContextCallback unlink;
	bool		running;		/* between the first row or group and the executor's end */
	bool		combine;		/* a Finalize Aggregate: combines partial states, folds no rows */
	bool		rescanned;		/* more groups than one scan has: the total is not known */
	bool		groups;			/* the final function is margin_ffunc (portfolio_margin): groups are counted */
	PmProgress	p;
} AggRun;

static AggRun *agg_runs = NULL;

static void
agg_run_unlink(void *arg)
{
	AggRun	  **pp;

	for (pp = &agg_runs; *pp; pp = &(*pp)->next)
		if (*pp == (AggRun *) arg)
		{
			*pp = (*pp)->next;
			break;
		}
}

/* the executor ends: the last line */
static void
agg_run_end(Datum arg)
{
	AggRun	   *r = (AggRun *) DatumGetPointer(arg);

	if (r->running)
	{
		r->running = false;
		finish(&r->p, true);
	}
}

static AggRun *
agg_run(FunctionCallInfo fcinfo)
{
	AggState   *node;
	Aggref	   *aggref;
	AggRun	   *r;

	if (fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
		return NULL;			/* e.g. a window aggregate: not reported */
	node = (AggState *) fcinfo->context;
	aggref = AggGetAggref(fcinfo);
	for (r = agg_runs; r; r = r->next)
		if (r->node == node && r->aggref == aggref)
			break;
	if (r == NULL)
	{
		MemoryContext qcxt = node->ss.ps.state->es_query_cxt;
		char	   *name = aggref ? get_func_name(aggref->aggfnoid) : NULL;
		const char *role = "";

		r = MemoryContextAllocZero(qcxt, sizeof(AggRun));
		r->node = node;
		r->aggref = aggref;
		r->combine = DO_AGGSPLIT_COMBINE(node->aggsplit);
		if (DO_AGGSPLIT_SKIPFINAL(node->aggsplit))
			role = IsParallelWorker() ? psprintf(" (partial aggregate, parallel worker %d)", ParallelWorkerNumber)
				: " (partial aggregate)";
		else if (r->combine)
			role = " (finalize aggregate)";
		r->what = MemoryContextStrdup(qcxt, psprintf("%s%s", name ? name : "portfolio_margin", role));
		/* portfolio_margin_state's final function is another: its groups are not counted */
		if (aggref && !DO_AGGSPLIT_SKIPFINAL(node->aggsplit))
		{
			HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));

			if (HeapTupleIsValid(tup))
			{
				Oid			ffn = ((Form_pg_aggregate) GETSTRUCT(tup))->aggfinalfn;
				char	   *fname = OidIsValid(ffn) ? get_func_name(ffn) : NULL;

				r->groups = fname != NULL && strcmp(fname, "margin_ffunc") == 0;
				ReleaseSysCache(tup);
			}
		}
		r->unlink.func = agg_run_unlink;
		r->unlink.arg = r;
		MemoryContextRegisterResetCallback(qcxt, &r->unlink);
		r->next = agg_runs;
		agg_runs = r;
	}
	if (!r->running)
	{
		pm_progress_start(&r->p, r->what, r->combine ? "groups finalised" : "rows folded", -1);
		r->rescanned = false;
		if (!r->combine && r->groups)
			r->p.unit2 = "groups finalised";
		r->running = true;
		/* called by FreeExecutorState (not after an ERROR, not on a rescan) */
		if (node->tmpcontext)
			RegisterExprContextCallback(node->tmpcontext, agg_run_end, PointerGetDatum(r));
	}
	return r;
}

void
pm_progress_agg_row_slow(FunctionCallInfo fcinfo)
{
	AggRun	   *r = agg_run(fcinfo);

	if (r)
		pm_progress_add(&r->p, 1);
}

void
pm_progress_agg_group_slow(FunctionCallInfo fcinfo)
{
	AggRun	   *r = agg_run(fcinfo);
	AggState   *node;
	int64	   *done,
			   *total;

	if (r == NULL)
		return;
	node = r->node;
	done = r->combine ? &r->p.done : &r->p.done2;
	total = r->combine ? &r->p.total : &r->p.total2;
	(*done)++;
	/*
	 * the number of groups: known once a hash table has been filled without
	 * spilling; not for a node rescanned during the run (LATERAL: the groups
	 * add up over the scans, a table holds one scan's)
	 */
	if (node->aggstrategy == AGG_PLAIN)
		*total = 1;
	else if (node->aggstrategy == AGG_HASHED && node->num_hashes == 1 && node->table_filled &&
			 !node->hash_ever_spilled)
		*total = (int64) node->hash_ngroups_current;
	else
		*total = -1;
	if (*done > *total && *total >= 0)
		r->rescanned = true;
	if (r->rescanned)
		*total = -1;
	if (r->p.on)
	{
		/* a final function builds a composite: one clock read more is little */
		r->p.last_activity = GetCurrentTimestamp();
		if (r->p.epoch != pm_progress_epoch)
			pm_progress_check(&r->p);
	}
}
