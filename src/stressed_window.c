/*
 * stressed_window.c
 *	  The most stressed period of a history for a book: of the windows of
 *	  `window` consecutive scenarios of a P&L series (oldest first, e.g. a
 *	  book's P&L under historical_scenarios' overlapping scenarios), the one
 *	  whose VaR or expected shortfall is the highest (EMIR RTS 153/2013 art.
 *	  26; FRTB's stressed period).  Each window's statistic is tailstat.c's,
 *	  as value_at_risk and expected_shortfall compute it.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"

#include "sqlargs.h"
#include "tailstat.h"

/*
 * stressed_window(pnl float8[], window_size integer, confidence float8,
 *                 statistic text, days date[])
 *   -> (first_scenario, last_scenario, first_day, last_day, value, windows)
 */
PG_FUNCTION_INFO_V1(portmargin_stressed_window);
Datum
portmargin_stressed_window(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	double	   *pnl,
			   *work,
				confidence,
				best = -INFINITY;
	int			n,
				window,
				statistic,
				nwin,
				best_s = 0,
				s,
				i;
	DateADT    *days = NULL;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		isnull[6] = {false, false, false, false, false, false};

	pm_need_arg(fcinfo, 1, "window_size", "");
	pnl = pm_float8_array_arg(fcinfo, 0, "pnl", 1, &n, NULL, NULL);
	if (n == 0)
		pm_arg_error("pnl", "the array is empty");
	window = PG_GETARG_INT32(1);
	if (window < 1)
		pm_domain_error("window_size", window, "an integer of at least 1 (scenarios)");
	if (window > n)
		pm_arg_error("window_size", psprintf("%d scenarios is longer than the history (%d scenarios)", window, n));
	confidence = pm_confidence_arg(fcinfo, 2);
	statistic = pm_statistic_arg(fcinfo, 3);
	if (!PG_ARGISNULL(4))
	{
		int			nd;

		arr = PG_GETARG_ARRAYTYPE_P(4);
		deconstruct_array(arr, DATEOID, 4, true, TYPALIGN_INT, &elems, &nulls, &nd);
		if (nd != n)
			pm_arg_error("days", psprintf("%d days for %d scenarios", nd, n));
		days = palloc(sizeof(DateADT) * (Size) n);
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				pm_arg_error("days", psprintf("element %d is NULL", i + 1));
			days[i] = DatumGetDateADT(elems[i]);
		}
	}

	/* every window, oldest first; the first one with the highest statistic wins ties */
	nwin = n - window + 1;
	work = palloc_extended(sizeof(double) * 2 * (Size) window, MCXT_ALLOC_HUGE);
	for (s = 0; s < nwin; s++)
	{
		PmTail		t;
		double		v;

		CHECK_FOR_INTERRUPTS();
		if (pm_tail(pnl + s, NULL, window, confidence, &t, NULL, NULL, work, pm_check_interrupts, NULL) != PM_TAIL_OK)
			elog(ERROR, "stressed_window: unexpected tail status");	/* finite inputs were checked */
		v = statistic ? t.es : t.var;
		if (v > best)
		{
			best = v;
			best_s = s;
		}
	}

	tupdesc = pm_result_tupdesc(fcinfo);
	values[0] = Int32GetDatum(best_s + 1);
	values[1] = Int32GetDatum(best_s + window);
	if (days)
	{
		values[2] = DateADTGetDatum(days[best_s]);
		values[3] = DateADTGetDatum(days[best_s + window - 1]);
	}
	else
		isnull[2] = isnull[3] = true;
	values[4] = Float8GetDatum(best);
	values[5] = Int32GetDatum(nwin);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, isnull)));
}
