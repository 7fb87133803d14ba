/*
 * sqlargs.h
 *	  Glue shared by portmargin's SQL-callable functions: argument checks
 *	  (each raises ERROR 22023, invalid_parameter_value, naming the argument
 *	  and its value) and result builders.
 */
#ifndef PORTMARGIN_SQLARGS_H
#define PORTMARGIN_SQLARGS_H

#include "postgres.h"

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/array.h"

#include <math.h>

/* the error paths, out of line */
extern void pm_option_type_error(const text *option_type) pg_attribute_noreturn();
extern void pm_domain_error(const char *name, double value, const char *rule) pg_attribute_noreturn();
extern void pm_arg_error(const char *name, const char *what) pg_attribute_noreturn();
extern void pm_null_arg_error(const char *name, const char *why) pg_attribute_noreturn();

/* ERROR 22004 naming argument i (0-based) when it is NULL; why is appended ("" or " for an option") */
#define pm_need_arg(fcinfo, i, name, why) \
	do { if (PG_ARGISNULL(i)) pm_null_arg_error((name), (why)); } while (0)

/*
 * 'call' / 'c' -> +1, 'put' / 'p' -> -1, in any case.  Called once per row,
 * so it compares bytes directly (ASCII letters: c | 0x20 folds case).
 */
static inline int
pm_option_type_arg(const text *option_type)
{
	const char *s = VARDATA_ANY(option_type);
	int			len = VARSIZE_ANY_EXHDR(option_type);

	if (len == 1 || len == 4)
	{
		if ((s[0] | 0x20) == 'c' && (len == 1 || ((s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'l' &&
												   (s[3] | 0x20) == 'l')))
			return 1;
		if (len == 1 && (s[0] | 0x20) == 'p')
			return -1;
	}
	else if (len == 3 && (s[0] | 0x20) == 'p' && (s[1] | 0x20) == 'u' && (s[2] | 0x20) == 't')
		return -1;
	pm_option_type_error(option_type);
}

static inline double
pm_positive_arg(const char *name, double value)
{
	if (unlikely(!(isfinite(value) && value > 0.0)))
		pm_domain_error(name, value, "a finite number greater than zero");
	return value;
}

static inline double
pm_nonnegative_arg(const char *name, double value)
{
	if (unlikely(!(isfinite(value) && value >= 0.0)))
		pm_domain_error(name, value, "a finite number greater than or equal to zero");
	return value;
}

static inline double
pm_finite_arg(const char *name, double value)
{
	if (unlikely(!isfinite(value)))
		pm_domain_error(name, value, "a finite number");
	return value;
}

extern void pm_result_error(const char *what, double value) pg_attribute_noreturn();

/*
 * How an aggregate's argument (0-based among its arguments) may change,
 * which says when a value already read can be recognised by its address:
 *   PM_ARG_CONSTANT  a constant or a query parameter: the same address
 *                    always holds the same value;
 *   PM_ARG_PER_SCAN  an executor parameter (an InitPlan's result, an outer
 *                    query's value): fixed during one scan of the input, but
 *                    it may change at the same address when the aggregate is
 *                    rescanned, which starts every group afresh: compare it
 *                    on each group's first row;
 *   PM_ARG_VARYING   a column or an expression: compare it on every row.
 */
#define PM_ARG_CONSTANT 1
#define PM_ARG_VARYING 2
#define PM_ARG_PER_SCAN 3
extern int	pm_agg_arg_kind(FunctionCallInfo fcinfo, int aggarg);

/* ERROR 22003 if a computed result is not finite (never return NaN or Inf) */
static inline double
pm_finite_result(const char *what, double value)
{
	if (unlikely(!isfinite(value)))
		pm_result_error(what, value);
	return value;
}

/*
 * CHECK_FOR_INTERRUPTS for the numeric code, which has no PostgreSQL headers:
 * passed as a callback (montecarlo.h, riskarray.h) or called directly
 * (historical.h).  May leave with a query-cancel ERROR (longjmp).
 */
extern void pm_check_interrupts(void *arg);

/* memcpy of n bytes, checking for interrupts between 16 MB pieces */
extern void pm_copy_interruptible(void *dst, const void *src, Size n);

/* the function's composite result descriptor, blessed once per call site */
extern TupleDesc pm_result_tupdesc(FunctionCallInfo fcinfo);
/* the same, built in fn_mcxt and not kept in fn_extra (for a caller that keeps more there) */
extern TupleDesc pm_new_result_tupdesc(FunctionCallInfo fcinfo);

/* a one-dimensional float8[] of v[0..n) */
extern ArrayType *pm_float8_array(const double *v, int n);

/* a text[] argument as C strings: ERROR 22004 if NULL, 22023 naming it for a NULL element */
extern char **pm_text_array_arg(FunctionCallInfo fcinfo, int i, const char *name, int *n);

/*
 * A float8[] argument as doubles: ERROR 22004 if NULL, 22023 naming the
 * argument for a NULL or non-finite element or for more than max_ndim
 * dimensions.  *n receives the number of elements; *ndim and dims[0..1]
 * (when not NULL) its shape.  Copied 64k elements at a time, with a check
 * for interrupts between pieces.
 */
extern double *pm_float8_array_arg(FunctionCallInfo fcinfo, int i, const char *name, int max_ndim, int *n,
								   int *ndim, int *dims);

/*
 * The arguments of the tail statistics (each ERROR 22004 when NULL, 22023
 * naming the argument otherwise):
 *   pm_choice_arg      a text option, any case: its index in choices (NULL-ended)
 *   pm_statistic_arg   'var' (0) or 'es' (1)
 *   pm_confidence_arg  a number strictly between 0 and 1
 *   pm_weights_arg     n scenario weights, each in [0, upper], with a positive sum
 */
extern int	pm_choice_arg(FunctionCallInfo fcinfo, int i, const char *name, const char *const *choices);
extern int	pm_statistic_arg(FunctionCallInfo fcinfo, int i);
extern double pm_confidence_arg(FunctionCallInfo fcinfo, int i);
extern double *pm_weights_arg(FunctionCallInfo fcinfo, int i, int n, double upper);

/*
 * A query on the extension's own tables (scenario_presets, rulebook_rules),
 * prepared once per backend and kept (SPI_keepplan): the plan cache
 * revalidates it when a table changes, so each call costs an execution, not
 * a parse and plan.  Call between SPI_connect and SPI_finish; query_fmt has
 * one %s per occurrence of the schema (quoted), nschema of them.
 */
typedef struct PmKeptPlan
{
	Oid			schema;			/* namespace the plan was prepared for */
	void	   *plan;			/* SPIPlanPtr */
} PmKeptPlan;

extern void *pm_kept_plan(PmKeptPlan *kept, Oid fn_oid, const char *query_fmt, int nschema,
						  int nargs, Oid *argtypes);

#endif							/* PORTMARGIN_SQLARGS_H */
