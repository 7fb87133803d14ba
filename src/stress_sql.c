/*
 * stress_sql.c
 *	  The stress_pnl aggregate: per group (an account), the USD profit and
 *	  loss of its positions in each scenario of a joint stress set
 *	  (stress_set(), a var scenario_set), valued at the stressed prices
 *	  (stress.c).  Parallel: partial sums are added (combine) and travel as
 *	  n doubles (serialize).  An option's P&L vector per contract is
 *	  computed once per query and instrument (many accounts hold the same
 *	  ones) and kept, up to STRESS_CACHE_BYTES, in the call site's cache.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "riskarray.h"
#include "scenario.h"
#include "sqlargs.h"
#include "stress.h"

typedef struct StressState
{
	int			n;				/* scenarios */
	PmVarId		id;				/* the group's set (unset in a deserialised or combined state) */
	/* a detoasted copy of the set, kept (aggctx) when the argument was toasted or compressed */
	PmScenarioSet *copy;
	Datum		copy_datum;		/* the argument it was read from */
	/* the last underlying seen (aggctx copy, NUL-terminated) and its column */
	char	   *und;
	int			und_len;
	int			und_max;
	int			col;			/* -1: not in the set (does not move) */
	double		pnl[FLEXIBLE_ARRAY_MEMBER];
} StressState;

static StressState *
stress_create(MemoryContext mcxt, int n)
{
	StressState *st = MemoryContextAllocZero(mcxt, offsetof(StressState, pnl) + sizeof(double) * n);

	st->n = n;
	st->col = -1;
	st->und_len = -1;
	return st;
}

/*
 * The stress set of this row, checked: the same set on every row of a
 * group.  A set passed in memory (stress_set()'s result, a parameter) is
 * read in place; a toasted one is detoasted once and kept.
 */
static PmScenarioSet *
stress_row_set(FunctionCallInfo fcinfo, MemoryContext aggctx, StressState **stp)
{
	StressState *st = *stp;
	Datum		d = PG_GETARG_DATUM(1);
	PmScenarioSet *s;
	PmVarId		id;

	if (st != NULL && st->copy != NULL && d == st->copy_datum)
		return st->copy;
	s = PG_GETARG_SCENARIO_SET(1);
	if (s->method != PM_METHOD_VAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"scenarios\": a %s scenario set", pm_set_method(s) ? pm_set_method(s)->name : "unknown"),
				 errdetail("stress_pnl revalues under joint moves per underlying."),
				 errhint("Build the set with portmargin.stress_set(stress_scenario[]).")));
	pm_var_id(&id, s);
	if (st == NULL)
	{
		st = *stp = stress_create(aggctx, s->nscenarios);
		st->id = id;
	}
	else if (memcmp(&st->id, &id, sizeof(id)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"scenarios\": rows of one group use different stress sets"),
				 errdetail("A group (an account) is revalued under one set.")));
	if (VARATT_IS_EXTENDED(DatumGetPointer(d)))
	{
		if (st->copy)
			pfree(st->copy);
		st->copy = MemoryContextAlloc(aggctx, VARSIZE(s));
		pm_copy_interruptible(st->copy, s, VARSIZE(s));
		st->copy_datum = d;
		pfree(s);
		return st->copy;
	}
	return s;
}

/* the set's column of the row's underlying (cached while it repeats); -1 if the set does not move it */
static int
stress_column(MemoryContext aggctx, StressState *st, const PmScenarioSet *set, const text *und)
{
	const char *name = VARDATA_ANY(und);
	int			len = VARSIZE_ANY_EXHDR(und);

	if (len == st->und_len && memcmp(st->und, name, len) == 0)
		return st->col;
	if (len + 1 > st->und_max)
	{
		st->und_max = Max(len + 1, 32);
		st->und = st->und ? repalloc(st->und, st->und_max) : MemoryContextAlloc(aggctx, st->und_max);
	}
	memcpy(st->und, name, len);
	st->und[len] = '\0';
	st->und_len = len;
	st->col = pm_var_column(set, name, len);
	return st->col;
}


/*
 * acc[i] += scale * P&L in scenario i of column col, for every scenario of
 * set: in pieces of STRESS_CHUNK scenarios, with a check for a query cancel
 * between them (a joint set can hold millions)
 */
#define STRESS_CHUNK 65536

static void
stress_add(const PmScenarioSet *set, int col, const PmStressInstrument *ins, double scale, double *acc)
{
	const double *moves = pm_var_moves(set) + col;
	const double *vols = pm_var_vols(set);
	int			U = pm_var_nund(set);
	int			relative = set->params[PM_P_VAR_VOL_RELATIVE] != 0.0;
	int			i;

	for (i = 0; i < set->nscenarios; i += STRESS_CHUNK)
	{
		int			n = Min(STRESS_CHUNK, set->nscenarios - i);

		CHECK_FOR_INTERRUPTS();
		pm_stress_pnl(ins, moves + (Size) i * U, vols ? vols + col + (Size) i * U : NULL, (size_t) U, relative, n, scale,
					  acc + i);
	}
}

/* the per-contract P&L vectors of the options met so far, for one stress set (fn_extra of the transition function) */
#define STRESS_CACHE_BYTES (32 * 1024 * 1024)

typedef struct StressKey
{
	int32		col;
	int32		inverse;
	int32		theta;
	int32		pad;
	double		strike;
	double		t;
	double		forward;
	double		vol;
	double		index_price;
	double		rate;
} StressKey;

typedef struct StressEntry
{
	StressKey	key;
	double	   *pnl;
} StressEntry;

typedef struct StressCache
{
	PmVarId		id;				/* the set the vectors are for */
	HTAB	   *htab;			/* NULL: none yet */
	Size		bytes;
} StressCache;

/* the cached vector of an option (computed on first sight); NULL when the cache is full */
static const double *
stress_cached_pnl(FmgrInfo *flinfo, const PmScenarioSet *set, int col, const PmStressInstrument *ins)
{
	StressCache *c = (StressCache *) flinfo->fn_extra;
	PmVarId		id;
	StressKey	key;
	StressEntry *e;
	bool		found;

	if (c == NULL)
		c = flinfo->fn_extra = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(StressCache));
	pm_var_id(&id, set);
	if (c->htab == NULL || memcmp(&c->id, &id, sizeof(id)) != 0)
	{
		HASHCTL		ctl;

		if (c->htab)
			hash_destroy(c->htab);
		c->id = id;
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(StressKey);
		ctl.entrysize = sizeof(StressEntry);
		ctl.hcxt = flinfo->fn_mcxt;
		c->htab = hash_create("portmargin stress_pnl", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		c->bytes = 0;
	}
	memset(&key, 0, sizeof(key));
	key.col = col;
	key.inverse = ins->inverse;
	key.theta = ins->theta;
	key.strike = ins->strike;
	key.t = ins->t;
	key.forward = ins->forward;
	key.vol = ins->vol;
	key.index_price = ins->index_price;
	key.rate = ins->inverse ? 0.0 : ins->rate;
	e = hash_search(c->htab, &key, c->bytes < STRESS_CACHE_BYTES ? HASH_ENTER : HASH_FIND, &found);
	if (e == NULL)
		return NULL;
	if (!found || e->pnl == NULL)
	{
		/* the vector is stored once complete: a cancel while filling it leaves the entry empty (NULL) */
		double	   *v = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(double) * set->nscenarios);

		e->pnl = NULL;
		stress_add(set, col, ins, 1.0, v);
		e->pnl = v;
		c->bytes += sizeof(double) * set->nscenarios + sizeof(StressEntry);
	}
	return e->pnl;
}

/*
 * stress_pnl(scenarios, quantity, underlying, kind, settlement, option_type,
 *            forward, strike, t, vol, multiplier, index_price, rate)
 */
PG_FUNCTION_INFO_V1(portmargin_stress_pnl_sfunc);
Datum
portmargin_stress_pnl_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	StressState *st = PG_ARGISNULL(0) ? NULL : (StressState *) PG_GETARG_POINTER(0);
	PmScenarioSet *set;
	PmStressInstrument ins;
	double		quantity,
				multiplier;
	int			col;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_stress_pnl_sfunc called in non-aggregate context");
	pm_need_arg(fcinfo, 1, "scenarios", "");
	set = stress_row_set(fcinfo, aggctx, &st);
	pm_need_arg(fcinfo, 2, "quantity", "");
	pm_need_arg(fcinfo, 3, "underlying", "");
	pm_need_arg(fcinfo, 4, "kind", "");
	pm_need_arg(fcinfo, 5, "settlement", "");
	pm_need_arg(fcinfo, 7, "forward", "");
	pm_need_arg(fcinfo, 11, "multiplier", "");
	pm_need_arg(fcinfo, 12, "index_price", "");
	quantity = pm_finite_arg("quantity", PG_GETARG_FLOAT8(2));
	memset(&ins, 0, sizeof(ins));
	ins.kind = pm_kind_arg(PG_GETARG_TEXT_PP(4));
	ins.inverse = pm_settlement_arg(PG_GETARG_TEXT_PP(5));
	ins.forward = pm_positive_arg("forward", PG_GETARG_FLOAT8(7));
	multiplier = pm_finite_arg("multiplier", PG_GETARG_FLOAT8(11));
	ins.index_price = pm_positive_arg("index_price", PG_GETARG_FLOAT8(12));
	ins.rate = PG_ARGISNULL(13) ? 0.0 : pm_finite_arg("rate", PG_GETARG_FLOAT8(13));
	if (ins.kind == PM_KIND_OPTION)
	{
		pm_need_arg(fcinfo, 6, "option_type", " for an option");
		pm_need_arg(fcinfo, 8, "strike", " for an option");
		pm_need_arg(fcinfo, 9, "t", " for an option");
		pm_need_arg(fcinfo, 10, "vol", " for an option");
		ins.theta = pm_option_type_arg(PG_GETARG_TEXT_PP(6));
		ins.strike = pm_positive_arg("strike", PG_GETARG_FLOAT8(8));
		ins.t = pm_nonnegative_arg("t", PG_GETARG_FLOAT8(9));
		ins.vol = pm_nonnegative_arg("vol", PG_GETARG_FLOAT8(10));
	}
	col = stress_column(aggctx, st, set, PG_GETARG_TEXT_PP(3));
	if (col >= 0 && quantity != 0.0)
	{
		const double *unit = ins.kind == PM_KIND_OPTION ? stress_cached_pnl(fcinfo->flinfo, set, col, &ins) : NULL;

		if (unit)
		{
			double		scale = quantity * multiplier;
			int			i;

			for (i = 0; i < st->n; i++)
			{
				if ((i & (STRESS_CHUNK - 1)) == 0)
					CHECK_FOR_INTERRUPTS();
				st->pnl[i] += scale * unit[i];
			}
		}
		else
			stress_add(set, col, &ins, quantity * multiplier, st->pnl);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(portmargin_stress_pnl_combine);
Datum
portmargin_stress_pnl_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	StressState *a = PG_ARGISNULL(0) ? NULL : (StressState *) PG_GETARG_POINTER(0);
	StressState *b = PG_ARGISNULL(1) ? NULL : (StressState *) PG_GETARG_POINTER(1);
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "portmargin_stress_pnl_combine called in non-aggregate context");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = stress_create(aggctx, b->n);
	else if (a->n != b->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"scenarios\": rows of one group use different stress sets")));
	for (i = 0; i < b->n; i++)
	{
		if ((i & (STRESS_CHUNK - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		a->pnl[i] += b->pnl[i];
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(portmargin_stress_pnl_serial);
Datum
portmargin_stress_pnl_serial(PG_FUNCTION_ARGS)
{
	StressState *st = (StressState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		if ((i & (STRESS_CHUNK - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendfloat8(&buf, st->pnl[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* the count is checked against the bytes present before anything is allocated */
PG_FUNCTION_INFO_V1(portmargin_stress_pnl_deserial);
Datum
portmargin_stress_pnl_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	StressState *st;
	int			n,
				i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 4)
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("invalid stress_pnl state")));
	n = pq_getmsgint(&buf, 4);
	if (n < 1 || (int64) n * 8 != buf.len - buf.cursor)
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("invalid stress_pnl state")));
	st = stress_create(CurrentMemoryContext, n);
	for (i = 0; i < n; i++)
	{
		if ((i & (STRESS_CHUNK - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		st->pnl[i] = pq_getmsgfloat8(&buf);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* the USD P&L per scenario; ERROR 22003 where a sum is not finite */
PG_FUNCTION_INFO_V1(portmargin_stress_pnl_ffunc);
Datum
portmargin_stress_pnl_ffunc(PG_FUNCTION_ARGS)
{
	StressState *st;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (StressState *) PG_GETARG_POINTER(0);
	for (i = 0; i < st->n; i++)
	{
		if ((i & (STRESS_CHUNK - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		pm_finite_result("stress_pnl", st->pnl[i]);
	}
	PG_RETURN_ARRAYTYPE_P(pm_float8_array(st->pnl, st->n));
}
