/*
 * sqlargs.c
 *	  Validation of SQL arguments: option types and numeric domains; result
 *	  builders; interrupt checks for the numeric code.
 */
#include "postgres.h"

#include <math.h>

#include "sqlargs.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "utils/float.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

int
pm_agg_arg_kind(FunctionCallInfo fcinfo, int aggarg)
{
	Aggref	   *agg = AggGetAggref(fcinfo);
	Node	   *arg = agg && list_length(agg->args) > aggarg
		? (Node *) ((TargetEntry *) list_nth(agg->args, aggarg))->expr : NULL;

	if (arg && (IsA(arg, Const) || (IsA(arg, Param) && ((Param *) arg)->paramkind == PARAM_EXTERN)))
		return PM_ARG_CONSTANT;
	if (arg && IsA(arg, Param) && ((Param *) arg)->paramkind == PARAM_EXEC)
		return PM_ARG_PER_SCAN;
	return PM_ARG_VARYING;
}

void
pm_option_type_error(const text *option_type)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"option_type\": \"%s\"",
					text_to_cstring(option_type)),
			 errhint("Valid option types are 'call', 'put', 'c' and 'p', in any case.")));
	pg_unreachable();
}

/* ERROR 22023 naming an argument: what is wrong with it */
void
pm_arg_error(const char *name, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": %s", name, what)));
}

/* ERROR 22004 for a NULL argument; why: "" or " for an option" and the like */
void
pm_null_arg_error(const char *name, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("argument \"%s\" must not be NULL%s", name, why)));
}

void
pm_domain_error(const char *name, double value, const char *rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": %s", name, float8out_internal(value)),
			 errdetail("The argument must be %s.", rule)));
	pg_unreachable();
}

void
pm_result_error(const char *what, double value)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s is out of range for type double precision: %s",
					what, float8out_internal(value)),
			 errdetail("The inputs are too extreme for a finite result.")));
	pg_unreachable();
}

void
pm_check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

#define PM_COPY_PIECE ((Size) 16 * 1024 * 1024)

void
pm_copy_interruptible(void *dst, const void *src, Size n)
{
	Size		done;

	for (done = 0; done < n; done += PM_COPY_PIECE)
	{
		CHECK_FOR_INTERRUPTS();
		memcpy((char *) dst + done, (const char *) src + done, Min(PM_COPY_PIECE, n - done));
	}
}

TupleDesc
pm_result_tupdesc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (tupdesc == NULL)
	{
		tupdesc = pm_new_result_tupdesc(fcinfo);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	return tupdesc;
}

TupleDesc
pm_new_result_tupdesc(FunctionCallInfo fcinfo)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	TupleDesc	rt;

	if (get_call_result_type(fcinfo, NULL, &rt) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning a composite called in a context that cannot accept one")));
	rt = BlessTupleDesc(CreateTupleDescCopy(rt));
	MemoryContextSwitchTo(old);
	return rt;
}

/* built directly (no Datum array): a P&L vector can have 10M elements */
ArrayType *
pm_float8_array(const double *v, int n)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * (Size) n;
	ArrayType  *a;

	if (n <= 0)
		return construct_empty_array(FLOAT8OID);
	a = (ArrayType *) palloc(nbytes);
	memset(a, 0, ARR_OVERHEAD_NONULLS(1));
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	pm_copy_interruptible(ARR_DATA_PTR(a), v, sizeof(double) * (Size) n);
	return a;
}

char **
pm_text_array_arg(FunctionCallInfo fcinfo, int i, const char *name, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **v;
	int			k;

	if (PG_ARGISNULL(i))
		pm_null_arg_error(name, "");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(i), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	v = palloc(sizeof(char *) * Max(*n, 1));
	for (k = 0; k < *n; k++)
	{
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (nulls[k])
			pm_arg_error(name, psprintf("element %d is NULL", k + 1));
		v[k] = TextDatumGetCString(elems[k]);
	}
	return v;
}

double *
pm_float8_array_arg(FunctionCallInfo fcinfo, int i, const char *name, int max_ndim, int *n, int *ndim, int *dims)
{
	ArrayType  *arr;
	double	   *v;
	int			k;

	if (PG_ARGISNULL(i))
		pm_null_arg_error(name, "");
	arr = PG_GETARG_ARRAYTYPE_P(i);
	if (ARR_NDIM(arr) > max_ndim)
		pm_arg_error(name, max_ndim == 1 ? "the array must have one dimension"
					 : "the array must have one or two dimensions");
	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (ndim)
		*ndim = ARR_NDIM(arr);
	if (dims)
	{
		dims[0] = ARR_NDIM(arr) >= 1 ? ARR_DIMS(arr)[0] : 0;
		dims[1] = ARR_NDIM(arr) >= 2 ? ARR_DIMS(arr)[1] : 0;
	}
	if (ARR_HASNULL(arr))
	{
		bits8	   *bitmap = ARR_NULLBITMAP(arr);

		for (k = 0; k < *n; k++)
		{
			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!(bitmap[k / 8] & (1 << (k % 8))))
				pm_arg_error(name, psprintf("element %d is NULL", k + 1));
		}
	}
	/* without NULLs the elements are n aligned doubles */
	v = palloc_extended(sizeof(double) * Max(*n, 1), MCXT_ALLOC_HUGE);
	for (k = 0; k < *n; k += 65536)
	{
		int			m = Min(65536, *n - k),
					j;

		CHECK_FOR_INTERRUPTS();
		memcpy(v + k, (const double *) ARR_DATA_PTR(arr) + k, sizeof(double) * m);
		for (j = k; j < k + m; j++)
			if (!isfinite(v[j]))
				pm_arg_error(name, psprintf("element %d is %s", j + 1, float8out_internal(v[j])));
	}
	return v;
}

int
pm_choice_arg(FunctionCallInfo fcinfo, int i, const char *name, const char *const *choices)
{
	StringInfoData valid;
	char	   *s;
	int			k;

	pm_need_arg(fcinfo, i, name, "");
	s = text_to_cstring(PG_GETARG_TEXT_PP(i));
	for (k = 0; choices[k]; k++)
		if (pg_strcasecmp(s, choices[k]) == 0)
			return k;
	initStringInfo(&valid);
	for (k = 0; choices[k]; k++)
		appendStringInfo(&valid, "%s%s", k == 0 ? "" : choices[k + 1] ? ", " : " and ", choices[k]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": \"%s\"", name, s),
			 errhint("Valid values are %s.", valid.data)));
	pg_unreachable();
}

int
pm_statistic_arg(FunctionCallInfo fcinfo, int i)
{
	static const char *const choices[] = {"var", "es", NULL};

	return pm_choice_arg(fcinfo, i, "statistic", choices);
}

double
pm_confidence_arg(FunctionCallInfo fcinfo, int i)
{
	double		confidence;

	pm_need_arg(fcinfo, i, "confidence", "");
	confidence = PG_GETARG_FLOAT8(i);
	if (!(confidence > 0.0 && confidence < 1.0))
		pm_domain_error("confidence", confidence, "greater than 0 and less than 1");
	return confidence;
}

double *
pm_weights_arg(FunctionCallInfo fcinfo, int i, int n, double upper)
{
	int			nw,
				k;
	double	   *w = pm_float8_array_arg(fcinfo, i, "weights", 1, &nw, NULL, NULL);
	double		sum = 0.0;

	if (nw != n)
		pm_arg_error("weights", psprintf("%d elements for %d P&L values", nw, n));
	for (k = 0; k < n; k++)
	{
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!(w[k] >= 0.0 && w[k] <= upper))
			pm_arg_error("weights", upper < INFINITY
						 ? psprintf("element %d is %s; a weight must be between 0 and %s", k + 1,
									float8out_internal(w[k]), float8out_internal(upper))
						 : psprintf("element %d is %s; a weight must be at least 0", k + 1,
									float8out_internal(w[k])));
		sum += w[k];
	}
	if (!(sum > 0.0))
		pm_arg_error("weights", "the weights sum to 0");
	return w;
}

void *
pm_kept_plan(PmKeptPlan *kept, Oid fn_oid, const char *query_fmt, int nschema, int nargs, Oid *argtypes)
{
	Oid			nsp = get_func_namespace(fn_oid);
	const char *schema;
	char	   *query;
	SPIPlanPtr	plan;

	if (kept->plan != NULL && kept->schema == nsp)
		return kept->plan;
	schema = quote_identifier(get_namespace_name(nsp));
	Assert(nschema == 1 || nschema == 2);
	query = nschema == 1 ? psprintf(query_fmt, schema) : psprintf(query_fmt, schema, schema);
	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	if (kept->plan != NULL)
		SPI_freeplan((SPIPlanPtr) kept->plan);
	kept->plan = plan;
	kept->schema = nsp;
	return plan;
}
