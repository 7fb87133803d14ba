/*
 * var_tail_sql.c
 *	  SQL glue for the tail of a VaR / ES margin: tail_scenarios (of a P&L
 *	  vector, or of an account's P&L under a joint scenario set) and
 *	  position_contributions (per-position Euler contributions that add up
 *	  to the var method's margin).  The numerics are in var_tail.c and
 *	  tailstat.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/tuplestore.h"

#include "scenario.h"
#include "sqlargs.h"
#include "var_tail.h"

/* the set's scenario weights, or NULL when all are 1 */
static double *
vt_set_weights(const PmScenarioSet *s)
{
	const PmScenario *sc = PM_SET_SCENARIOS(s);
	double	   *w = NULL;
	int			i;

	for (i = 0; i < s->nscenarios && w == NULL; i++)
		if (sc[i].weight != 1.0)
			w = palloc_extended(sizeof(double) * s->nscenarios, MCXT_ALLOC_HUGE);
	if (w)
		for (i = 0; i < s->nscenarios; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			w[i] = sc[i].weight;
		}
	return w;
}

/* pm_set_tail with its buffers; an account P&L that is not finite is 22003 naming the scenario */
static void
vt_tail(const char *fname, const double *pnl, const double *w, int n, int detect_equal, double alpha, int es,
		int floor_count, double buffer, PmSetTail *r)
{
	double	   *work = palloc_extended(sizeof(double) * 4 * (Size) n, MCXT_ALLOC_HUGE);
	int		   *itail = palloc_extended(sizeof(int) * (Size) n, MCXT_ALLOC_HUGE);

	r->tail = palloc_extended(sizeof(int) * (Size) n, MCXT_ALLOC_HUGE);
	r->weight = palloc_extended(sizeof(double) * (Size) n, MCXT_ALLOC_HUGE);
	r->share = palloc_extended(sizeof(double) * (Size) n, MCXT_ALLOC_HUGE);
	pm_set_tail(pnl, w, n, detect_equal, alpha, es, floor_count, buffer, r, work, itail, pm_check_interrupts, NULL);
	if (r->status == PM_TAIL_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the P&L in scenario %d is out of range for type double precision", fname,
						r->bad_scenario + 1)));
	if (r->status == PM_TAIL_OVERFLOW)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the mean of the tail losses is out of range for type double precision", fname)));
	if (r->status != PM_TAIL_OK)
		elog(ERROR, "%s: unexpected tail status %d", fname, (int) r->status);	/* inputs were checked */
	pfree(work);
	pfree(itail);
}

/* the rows (scenario, pnl, weight) of a tail */
static void
vt_return_tail(FunctionCallInfo fcinfo, const double *pnl, const PmSetTail *r)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < r->ntail; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(r->tail[i] + 1);
		values[1] = Float8GetDatum(pnl[r->tail[i]]);
		values[2] = Float8GetDatum(pm_finite_result("weight", r->weight[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}


/*
 * tail_scenarios(pnl float8[], confidence float8, statistic text DEFAULT
 * 'es', weights float8[] DEFAULT NULL) RETURNS TABLE (scenario, pnl, weight)
 */
PG_FUNCTION_INFO_V1(portmargin_tail_scenarios);
Datum
portmargin_tail_scenarios(PG_FUNCTION_ARGS)
{
	int			n,
				es;
	double	   *pnl = pm_float8_array_arg(fcinfo, 0, "pnl", 1, &n, NULL, NULL);
	double	   *w = NULL;
	double		confidence;
	PmSetTail	r;

	if (n == 0)
		pm_arg_error("pnl", "the array is empty");
	confidence = pm_confidence_arg(fcinfo, 1);
	es = pm_statistic_arg(fcinfo, 2);
	if (!PG_ARGISNULL(3))
		w = pm_weights_arg(fcinfo, 3, n, 1.0);	/* as a scenario set's */
	vt_tail("tail_scenarios", pnl, w, n, false, confidence, es, 0, 0.0, &r);
	vt_return_tail(fcinfo, pnl, &r);
	return (Datum) 0;
}

/* tail_scenarios(set scenario_set, pnl float8[]): the binding group's tail, under the set's parameters */
PG_FUNCTION_INFO_V1(portmargin_tail_scenarios_set);
Datum
portmargin_tail_scenarios_set(PG_FUNCTION_ARGS)
{
	PmScenarioSet *s = pm_var_set_arg(fcinfo, 0, "set");
	int			n;
	double	   *pnl = pm_float8_array_arg(fcinfo, 1, "pnl", 1, &n, NULL, NULL);
	PmSetTail	r;

	if (n != s->nscenarios)
		pm_arg_error("pnl", psprintf("%d elements for a set of %d scenarios", n, s->nscenarios));
	vt_tail("tail_scenarios", pnl, vt_set_weights(s), n, true, s->params[PM_P_VAR_CONFIDENCE],
			s->params[PM_P_VAR_STATISTIC] > 0.0, (int) s->params[PM_P_VAR_FLOOR_COUNT],
			s->params[PM_P_VAR_BUFFER], &r);
	vt_return_tail(fcinfo, pnl, &r);
	return (Datum) 0;
}

/*
 * position_contributions(set scenario_set, pnl float8[], quantities float8[]
 * DEFAULT NULL) RETURNS TABLE (ordinal, contribution): pnl holds one P&L
 * vector per position (a k x n array, or k n elements position by
 * position), quantities one factor per position (NULL: 1).  The account's
 * P&L is the sum of quantities[i] x pnl[i] (added in row order); each
 * position's contribution is its Euler contribution to the set's margin of
 * that P&L.
 */
PG_FUNCTION_INFO_V1(portmargin_position_contributions);
Datum
portmargin_position_contributions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PmScenarioSet *s = pm_var_set_arg(fcinfo, 0, "set");
	int			S = s->nscenarios,
				total,
				ndim,
				dims[2],
				k,
				nq,
				i,
				j;
	double	   *rows = pm_float8_array_arg(fcinfo, 1, "pnl", 2, &total, &ndim, dims);
	double	   *q = NULL,
			   *acc,
			   *contribution;
	double		buffer = s->params[PM_P_VAR_BUFFER];
	PmSetTail	r;

	if (total == 0)
		pm_arg_error("pnl", "the array is empty");
	if (ndim == 2 && dims[1] != S)
		pm_arg_error("pnl", psprintf("%d x %d: each position's row needs the set's %d scenarios", dims[0], dims[1], S));
	if (total % S != 0)
		pm_arg_error("pnl", psprintf("%d elements are not a whole number of rows of the set's %d scenarios", total, S));
	k = total / S;
	if (!PG_ARGISNULL(2))
	{
		q = pm_float8_array_arg(fcinfo, 2, "quantities", 1, &nq, NULL, NULL);
		if (nq != k)
			pm_arg_error("quantities", psprintf("%d elements for %d positions", nq, k));
	}
	/* the account's P&L: the rows added in order */
	acc = palloc_extended(sizeof(double) * S, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < k; i++)
	{
		const double *row = rows + (Size) i * S;
		double		qi = q ? q[i] : 1.0;

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < S; j++)
			acc[j] += row[j] * qi;
	}
	vt_tail("position_contributions", acc, vt_set_weights(s), S, true, s->params[PM_P_VAR_CONFIDENCE],
			s->params[PM_P_VAR_STATISTIC] > 0.0, (int) s->params[PM_P_VAR_FLOOR_COUNT], buffer, &r);
	contribution = palloc_extended(sizeof(double) * k, MCXT_ALLOC_HUGE);
	pm_position_contributions(rows, q, k, S, &r, buffer, contribution, pm_check_interrupts, NULL);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < k; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(i + 1);
		values[1] = Float8GetDatum(pm_finite_result("contribution", contribution[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
