/*
 * liquidation.c
 *	  Liquidation prices: the underlying price at which an account's equity
 *	  falls to its maintenance margin, found with GSL's Brent solver on
 *	  equity_excess_at() of a reference schema (create_reference_schema).
 *
 * From the index price P0 the excess f(P) = equity - maintenance margin is
 * evaluated on 48 log-spaced prices down to P0 (1 - range) and 48 up to
 * P0 / (1 - range); the first sign change on each side brackets a root,
 * which gsl_root_fsolver_brent refines to 1e-10 relative.  Each evaluation
 * is one SPI query (the whole account revalued and margined at P).
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"

#include "progress.h"
#include "sqlargs.h"

#define LIQ_GRID 48

typedef struct ExcessCtx
{
	SPIPlanPtr	plan;
	int64		account;
	Datum		underlying;
	bool		found;			/* last query returned a value */
	PmProgress	progress;		/* evaluations (portmargin.progress_interval) */
} ExcessCtx;

static double
excess_at(double price, void *arg)
{
	ExcessCtx  *c = (ExcessCtx *) arg;
	Datum		values[3];
	bool		isnull;
	Datum		d;

	CHECK_FOR_INTERRUPTS();
	values[0] = Int64GetDatum(c->account);
	values[1] = c->underlying;
	values[2] = Float8GetDatum(price);
	if (SPI_execute_plan(c->plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "liquidation_prices: equity_excess_at failed");
	c->found = SPI_processed == 1;
	pm_progress_add(&c->progress, 1);
	if (!c->found)
		return NAN;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		c->found = false;
		return NAN;
	}
	return DatumGetFloat8(d);
}

/* Brent between a (f(a) = fa) and b of opposite sign */
static double
brent(ExcessCtx *c, double a, double b)
{
	gsl_function F;
	gsl_root_fsolver *volatile s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
	double		root = NAN;

	if (s == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	F.function = excess_at;
	F.params = c;
	PG_TRY();
	{
		int			it,
					status = GSL_CONTINUE;
		double		lo = fmin(a, b),
					hi = fmax(a, b);

		if (gsl_root_fsolver_set(s, &F, lo, hi) != GSL_SUCCESS)
			elog(ERROR, "liquidation_prices: the root is not bracketed");
		for (it = 0; it < 200 && status == GSL_CONTINUE; it++)
		{
			if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
				break;
			lo = gsl_root_fsolver_x_lower(s);
			hi = gsl_root_fsolver_x_upper(s);
			status = gsl_root_test_interval(lo, hi, 0, 1e-10);
		}
		root = gsl_root_fsolver_root(s);
	}
	PG_FINALLY();
	{
		gsl_root_fsolver_free(s);
	}
	PG_END_TRY();
	return root;
}

/* the nearest root from p0 towards p0 * factor^LIQ_GRID, or NAN */
static double
search_side(ExcessCtx *c, double p0, double f0, double factor)
{
	double		prev = p0,
				fprev = f0;
	int			k;

	for (k = 1; k <= LIQ_GRID; k++)
	{
		double		p = p0 * pow(factor, k);
		double		f = excess_at(p, c);

		if (isnan(f))
			return NAN;
		if (f == 0.0)
			return p;
		if ((f < 0.0) != (fprev < 0.0))
			return brent(c, prev, p);
		prev = p;
		fprev = f;
	}
	return NAN;
}

/*
 * target must name a reference schema: a schema with an index_prices table
 * and an equity_excess_at(bigint, text, float8) function.  Checked in the
 * catalogs before any query is prepared, so that a wrong name is an error
 * naming the argument, not a parser error about the internal query.
 */
static void
check_reference_schema(const char *target, Oid *argtypes)
{
	Oid			nsp = get_namespace_oid(target, true);
	const char *missing = NULL;

	if (!OidIsValid(nsp))
		missing = "is not a schema";
	else if (!OidIsValid(get_relname_relid("index_prices", nsp)))
		missing = "has no index_prices table";
	else if (!OidIsValid(LookupFuncName(list_make2(makeString(pstrdup(target)), makeString("equity_excess_at")),
										3, argtypes, true)))
		missing = "has no equity_excess_at(bigint, text, float8) function";
	if (missing)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"target\": \"%s\" %s", target, missing),
				 errhint("Create a reference schema with portmargin.create_reference_schema().")));
}

/*
 * liquidation_prices(target text, account_id bigint, underlying text,
 *                    search_range float8) -> (lower float8, upper float8)
 */
PG_FUNCTION_INFO_V1(portmargin_liquidation_prices);
Datum
portmargin_liquidation_prices(PG_FUNCTION_ARGS)
{
	text	   *target;
	double		range,
				p0,
				f0,
				lower = NAN,
				upper = NAN;
	ExcessCtx	c;
	Oid			argtypes[3] = {INT8OID, TEXTOID, FLOAT8OID};
	Oid			idxtypes[1] = {TEXTOID};
	const char *schema;
	bool		isnull;
	Datum		values[2];
	bool		nulls[2];
	TupleDesc	tupdesc;
	SPIPlanPtr	idxplan;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		pm_null_arg_error(PG_ARGISNULL(0) ? "target" : PG_ARGISNULL(1) ? "account_id" :
						  PG_ARGISNULL(2) ? "underlying" : "search_range", "");
	target = PG_GETARG_TEXT_PP(0);
	if (VARSIZE_ANY_EXHDR(target) == 0)
		pm_arg_error("target", "a schema name is needed");
	range = PG_GETARG_FLOAT8(3);
	if (!(range > 0.0 && range < 1.0))
		pm_domain_error("search_range", range, "greater than 0 and less than 1");
	schema = quote_identifier(text_to_cstring(target));
	c.account = PG_GETARG_INT64(1);
	c.underlying = PG_GETARG_DATUM(2);

	check_reference_schema(text_to_cstring(target), argtypes);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	idxplan = SPI_prepare(psprintf("SELECT price FROM %s.index_prices WHERE underlying OPERATOR(pg_catalog.=) $1", schema),
						  1, idxtypes);
	if (idxplan == NULL)
		elog(ERROR, "liquidation_prices: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	values[0] = c.underlying;
	if (SPI_execute_plan(idxplan, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"underlying\": \"%s\" has no index price", TextDatumGetCString(c.underlying))));
	p0 = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	c.plan = SPI_prepare(psprintf("SELECT %s.equity_excess_at($1, $2, $3)", schema), 3, argtypes);
	/* the number of evaluations is not known in advance: at most 1 + 2 x (48 + 2 + 200) */
	pm_progress_start(&c.progress, psprintf("liquidation_prices(account " INT64_FORMAT ", %s)", c.account,
											TextDatumGetCString(c.underlying)),
					  "evaluations of equity_excess_at", -1);
	if (c.plan == NULL)
		elog(ERROR, "liquidation_prices: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	f0 = excess_at(p0, &c);
	if (!c.found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"account_id\": " INT64_FORMAT " is not an account", c.account)));
	if (f0 <= 0.0)
		lower = upper = p0;		/* at or below maintenance already */
	else
	{
		double		down = pow(1.0 - range, 1.0 / LIQ_GRID);

		lower = search_side(&c, p0, f0, down);
		upper = search_side(&c, p0, f0, 1.0 / down);
	}
	pm_progress_finish(&c.progress);
	SPI_finish();

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "liquidation_prices must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	nulls[0] = isnan(lower);
	nulls[1] = isnan(upper);
	values[0] = Float8GetDatum(nulls[0] ? 0.0 : lower);
	values[1] = Float8GetDatum(nulls[1] ? 0.0 : upper);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
