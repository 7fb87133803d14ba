/*
 * backtest_sql.c
 *	  The backtest aggregate: margin (or VaR) figures and realised P&L per
 *	  day in, Kupiec / Christoffersen statistics and the Basel traffic-light
 *	  zone out (the statistics are in backtest.c).
 *
 * The state collects (day, exception) pairs in any order and the final
 * function sorts them by day, so the aggregate needs no ORDER BY and can be
 * split by parallel query (combine / serialize / deserialize).  An exception
 * is a realised loss above the figure: -pnl > margin.  Rows whose margin or
 * pnl is NULL are skipped (as sum() skips NULLs); a day may appear once per
 * group.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"

#include "backtest.h"
#include "sqlargs.h"

typedef struct BacktestState
{
	double		confidence;
	int			n;
	int			max;
	DateADT    *days;
	uint8	   *exceptions;
} BacktestState;

static BacktestState *
bt_create(MemoryContext mcxt, double confidence)
{
	BacktestState *st = MemoryContextAllocZero(mcxt, sizeof(BacktestState));

	st->confidence = confidence;
	return st;
}

static void
bt_append(MemoryContext mcxt, BacktestState *st, DateADT day, uint8 exception)
{
	if (st->n == st->max)
	{
		st->max = Max(64, 2 * st->max);
		if (st->max > (int) (MaxAllocSize / sizeof(DateADT)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("backtest: too many observations in one group")));
		st->days = st->days ? repalloc(st->days, sizeof(DateADT) * st->max)
			: MemoryContextAlloc(mcxt, sizeof(DateADT) * st->max);
		st->exceptions = st->exceptions ? repalloc(st->exceptions, st->max)
			: MemoryContextAlloc(mcxt, st->max);
	}
	st->days[st->n] = day;
	st->exceptions[st->n] = exception;
	st->n++;
}

static void
confidence_mismatch(double a, double b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"confidence\": %s", float8out_internal(b)),
			 errdetail("Rows of one backtest group use confidence %s and %s; a group needs one.",
					   float8out_internal(a), float8out_internal(b))));
}

PG_FUNCTION_INFO_V1(portmargin_backtest_sfunc);
Datum
portmargin_backtest_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BacktestState *st;
	double		margin,
				pnl,
				confidence;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_backtest_sfunc called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (BacktestState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	if (PG_ARGISNULL(3))
		pm_null_arg_error("day", "");
	if (PG_ARGISNULL(4))
		pm_null_arg_error("confidence", "");
	margin = pm_finite_arg("margin", PG_GETARG_FLOAT8(1));
	pnl = pm_finite_arg("pnl", PG_GETARG_FLOAT8(2));
	confidence = PG_GETARG_FLOAT8(4);
	/* 1 - confidence must be a probability strictly between 0 and 1 in double precision */
	if (!(confidence > 0.0 && confidence < 1.0 && 1.0 - confidence < 1.0))
		pm_domain_error("confidence", confidence, "greater than 0 and less than 1 (and 1 - confidence less than 1)");
	if (DATE_NOT_FINITE(PG_GETARG_DATEADT(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"day\": %s",
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(3))))));
	if (st == NULL)
		st = bt_create(aggctx, confidence);
	else if (st->confidence != confidence)
		confidence_mismatch(st->confidence, confidence);
	bt_append(aggctx, st, PG_GETARG_DATEADT(3), -pnl > margin);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(portmargin_backtest_combine);
Datum
portmargin_backtest_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	BacktestState *a = PG_ARGISNULL(0) ? NULL : (BacktestState *) PG_GETARG_POINTER(0);
	BacktestState *b = PG_ARGISNULL(1) ? NULL : (BacktestState *) PG_GETARG_POINTER(1);
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_backtest_combine called in non-aggregate context");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = bt_create(aggctx, b->confidence);
	else if (a->confidence != b->confidence)
		confidence_mismatch(a->confidence, b->confidence);
	for (i = 0; i < b->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		bt_append(aggctx, a, b->days[i], b->exceptions[i]);
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(portmargin_backtest_serial);
Datum
portmargin_backtest_serial(PG_FUNCTION_ARGS)
{
	BacktestState *st = (BacktestState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendfloat8(&buf, st->confidence);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendint32(&buf, st->days[i]);
		pq_sendbyte(&buf, st->exceptions[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
corrupt_backtest_state(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid backtest state")));
}

/* the count is checked against the bytes present before anything is allocated */
PG_FUNCTION_INFO_V1(portmargin_backtest_deserial);
Datum
portmargin_backtest_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	BacktestState *st;
	double		confidence;
	int			n,
				i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 12)
		corrupt_backtest_state();
	confidence = pq_getmsgfloat8(&buf);
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * 5 != buf.len - buf.cursor ||
		!(confidence > 0.0 && confidence < 1.0 && 1.0 - confidence < 1.0))
		corrupt_backtest_state();
	st = bt_create(CurrentMemoryContext, confidence);
	if (n > 0)
	{
		st->max = n;
		st->days = palloc(sizeof(DateADT) * n);
		st->exceptions = palloc(n);
	}
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		st->days[i] = pq_getmsgint(&buf, 4);
		st->exceptions[i] = pq_getmsgbyte(&buf) != 0;
		if (DATE_NOT_FINITE(st->days[i]))
			corrupt_backtest_state();
	}
	st->n = n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

typedef struct DayException
{
	DateADT		day;
	uint8		exception;
} DayException;

static int
day_cmp(const void *a, const void *b, void *arg)
{
	DateADT		x = ((const DayException *) a)->day;
	DateADT		y = ((const DayException *) b)->day;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static Datum
nullable_float8(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(*isnull ? 0.0 : v);
}

PG_FUNCTION_INFO_V1(portmargin_backtest_ffunc);
Datum
portmargin_backtest_ffunc(PG_FUNCTION_ARGS)
{
	BacktestState *st = PG_ARGISNULL(0) ? NULL : (BacktestState *) PG_GETARG_POINTER(0);
	DayException *pairs;
	uint8	   *seq;
	PmBacktestResult r;
	Datum		values[16];
	bool		nulls[16] = {false};
	int			i;

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	pairs = palloc(sizeof(DayException) * st->n);
	for (i = 0; i < st->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		pairs[i].day = st->days[i];
		pairs[i].exception = st->exceptions[i];
	}
	qsort_interruptible(pairs, st->n, sizeof(DayException), day_cmp, NULL);
	seq = palloc(st->n);
	for (i = 0; i < st->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i > 0 && pairs[i].day == pairs[i - 1].day)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for argument \"day\": %s appears twice in one backtest group",
							DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(pairs[i].day)))),
					 errhint("Group by account (and figure), one row per day.")));
		seq[i] = pairs[i].exception;
	}
	pm_backtest(seq, st->n, st->confidence, &r);

	values[0] = Int32GetDatum(r.n);
	values[1] = Int32GetDatum(r.exceptions);
	values[2] = Float8GetDatum(r.exception_rate);
	values[3] = Float8GetDatum(r.expected_rate);
	values[4] = nullable_float8(r.kupiec_lr, &nulls[4]);
	values[5] = nullable_float8(r.kupiec_p, &nulls[5]);
	values[6] = Int32GetDatum(r.n00);
	values[7] = Int32GetDatum(r.n01);
	values[8] = Int32GetDatum(r.n10);
	values[9] = Int32GetDatum(r.n11);
	values[10] = nullable_float8(r.independence_lr, &nulls[10]);
	values[11] = nullable_float8(r.independence_p, &nulls[11]);
	values[12] = nullable_float8(r.conditional_lr, &nulls[12]);
	values[13] = nullable_float8(r.conditional_p, &nulls[13]);
	values[14] = nullable_float8(r.binomial_cdf, &nulls[14]);
	values[15] = CStringGetTextDatum(pm_backtest_zone_name(r.zone));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(pm_result_tupdesc(fcinfo), values, nulls)));
}
