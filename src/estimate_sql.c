/*
 * estimate_sql.c
 *	  SQL glue for estimate_correlation (horizon vols and a correlation
 *	  matrix estimated from a price history, for monte_carlo_scenarios) and
 *	  nearest_correlation (Higham's repair, an explicit opt-in).  The
 *	  numerics are in estimate.c; the price history is read and aligned as
 *	  historical_scenarios reads it (var_sql.c): parallel arrays, complete
 *	  days only, returns across gaps, pm_hist_returns for the log returns.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"

#include <gsl/gsl_errno.h>

#include "estimate.h"
#include "history_args.h"
#include "historical.h"
#include "sqlargs.h"

/*
 * An eigen-decomposition is O(k^3) and cannot be interrupted inside GSL:
 * these bounds keep one under about 100 ms on a 2-vCPU machine (measured:
 * gsl_eigen_symm of a 500 x 500 matrix 133 ms; one iteration of the nearest
 * correlation matrix, gsl_eigen_symmv, 49 ms at 200 x 200, 145 ms at 300 x
 * 300), so that a query cancel is answered promptly.
 */
#define PM_EST_MAX_UNDERLYINGS 400
#define PM_NCM_MAX_SIZE 200

/* a float8[] argument (any shape) as doubles: no NULL elements, all finite */
static double *
float8_arg(FunctionCallInfo fcinfo, int i, const char *name, int *n)
{
	return pm_float8_array_arg(fcinfo, i, name, MAXDIM, n, NULL, NULL);
}

/* a k x k matrix argument: 2-D k x k, or flat with k * k elements (as monte_carlo_scenarios takes it) */
static double *
matrix_arg(FunctionCallInfo fcinfo, int i, const char *name, int *k)
{
	ArrayType  *arr;
	double	   *v;
	int			n;

	pm_need_arg(fcinfo, i, name, "");
	arr = PG_GETARG_ARRAYTYPE_P(i);
	v = float8_arg(fcinfo, i, name, &n);
	if (*k < 0)
	{
		/* the size from the argument itself */
		if (ARR_NDIM(arr) == 2 && ARR_DIMS(arr)[0] == ARR_DIMS(arr)[1])
			*k = ARR_DIMS(arr)[0];
		else if (ARR_NDIM(arr) == 1 && (int) lround(sqrt((double) n)) * (int) lround(sqrt((double) n)) == n && n > 0)
			*k = (int) lround(sqrt((double) n));
		else
			pm_arg_error(name, ARR_NDIM(arr) == 2 ?
						 psprintf("a square matrix is needed, got %d x %d", ARR_DIMS(arr)[0], ARR_DIMS(arr)[1]) :
						 psprintf("a square matrix is needed, got %d elements in %d dimensions", n, ARR_NDIM(arr)));
		if (*k == 0)
			pm_arg_error(name, "the matrix is empty");
	}
	else if (!((ARR_NDIM(arr) == 2 && ARR_DIMS(arr)[0] == *k && ARR_DIMS(arr)[1] == *k) ||
			   (ARR_NDIM(arr) == 1 && n == *k * *k)))
		pm_arg_error(name, psprintf("a %d x %d matrix is needed for %d underlyings%s", *k, *k, *k,
									ARR_NDIM(arr) == 2 ? psprintf(", got %d x %d", ARR_DIMS(arr)[0], ARR_DIMS(arr)[1])
									: psprintf(", got %d elements", n)));
	return v;
}

static ArrayType *
matrix_result(const double *v, int k)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(k * k, 1));
	int			dims[2] = {k, k},
				lbs[2] = {1, 1},
				i;

	for (i = 0; i < k * k; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_md_array(d, NULL, 2, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static char *
date_str(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

/*
 * estimate_correlation(underlyings text[], days date[], prices float8[],
 *     method text, ewma_lambda float8, shrinkage float8, horizon integer,
 *     lookback integer, previous float8[]) -> correlation_estimate
 */
PG_FUNCTION_INFO_V1(portmargin_estimate_correlation);
Datum
portmargin_estimate_correlation(PG_FUNCTION_ARGS)
{
	static const char *const method_choices[] = {"sample", "ewma", NULL};
	char	  **uniq;
	int			U,
				D,
				T,
				i,
				method,
				horizon,
				lookback = -1,
				kprev;
	double	   *matrix,
			   *returns,
			   *cov,
			   *sd,
			   *eval,
			   *prev = NULL,
				lambda = 0.0,
				shrinkage,
				avg,
				hscale;
	DateADT    *dayv;
	PmHistoryArgs hist;
	Datum		values[16];
	bool		isnull[16];
	Datum	   *vol_d,
			   *name_d;

	/* arguments */
	pm_history_read(fcinfo, 0, "prices", &hist);
	method = pm_choice_arg(fcinfo, 3, "method", method_choices);
	if (!PG_ARGISNULL(4))
	{
		lambda = PG_GETARG_FLOAT8(4);
		if (method != PM_EST_EWMA)
			pm_domain_error("ewma_lambda", lambda, "NULL with method 'sample' (it is the decay of method 'ewma')");
		if (!(lambda > 0.0 && lambda < 1.0))
			pm_domain_error("ewma_lambda", lambda, "greater than 0 and less than 1");
	}
	else if (method == PM_EST_EWMA)
		lambda = 0.94;			/* RiskMetrics' decay factor for daily data (Technical Document, 1996) */
	pm_need_arg(fcinfo, 5, "shrinkage", "");
	shrinkage = PG_GETARG_FLOAT8(5);
	if (!(shrinkage >= 0.0 && shrinkage <= 1.0))
		pm_domain_error("shrinkage", shrinkage, "between 0 and 1");
	pm_need_arg(fcinfo, 6, "horizon", "");
	horizon = PG_GETARG_INT32(6);
	if (horizon < 1)
		pm_domain_error("horizon", horizon, "an integer of at least 1 (days)");
	if (!PG_ARGISNULL(7))
	{
		lookback = PG_GETARG_INT32(7);
		if (lookback < 2)
			pm_domain_error("lookback", lookback, "an integer of at least 2 (returns)");
	}

	/* the complete days, oldest first; columns: the distinct underlyings, sorted */
	pm_history_align(&hist, 0.0, "a price must be positive");
	U = hist.nund;
	uniq = hist.uniq;
	D = hist.ndays;
	matrix = hist.values;
	dayv = hist.days;
	if (U > PM_EST_MAX_UNDERLYINGS)
		pm_arg_error("underlyings", psprintf("%d underlyings; at most %d are estimated at once", U, PM_EST_MAX_UNDERLYINGS));
	T = D - 1;
	if (T < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"days\": the history has %d complete days", D),
				 errdetail("An estimate needs at least 3 days on which every underlying has a price (2 returns).")));
	if (lookback > 0)
	{
		if (lookback > T)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for argument \"lookback\": %d returns, but the history has %d", lookback, T),
					 errdetail("The history has %d days on which every underlying has a price.", D)));
		/* the last lookback returns: the last lookback + 1 complete days */
		matrix += (Size) (T - lookback) * U;
		dayv += T - lookback;
		D = lookback + 1;
		T = lookback;
	}

	/* the estimate */
	returns = palloc(sizeof(double) * (Size) T * U);
	pm_hist_returns(matrix, D, U, 1, returns);
	for (i = 0; i < T * U; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!isfinite(returns[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for argument \"prices\": the log return of \"%s\" from %s to %s is %s",
							uniq[i % U], date_str(dayv[i / U]), date_str(dayv[i / U + 1]), float8out_internal(returns[i])),
					 errdetail("The ratio of its prices %s and %s is not a finite positive number.",
							   float8out_internal(matrix[i]), float8out_internal(matrix[i + U]))));
	}
	cov = palloc(sizeof(double) * (Size) U * U);
	sd = palloc(sizeof(double) * U);
	pm_est_covariance(returns, T, U, method, lambda, sd, cov);
	i = pm_est_correlation(cov, U, sd);
	if (i >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"prices\": the returns of \"%s\" have zero variance over the %d returns from %s to %s",
						uniq[i], T, date_str(dayv[0]), date_str(dayv[D - 1])),
				 errdetail("Its correlations are undefined; leave it out of the estimate.")));
	avg = pm_est_shrink(cov, U, shrinkage);
	for (i = 0; i < U * U; i++)
		pm_finite_result("a correlation", cov[i]);

	/* the estimate's condition */
	eval = palloc(sizeof(double) * U);
	{
		gsl_matrix *volatile scratch = NULL;
		gsl_eigen_symm_workspace *volatile work = NULL;
		int			status = GSL_ENOMEM;

		PG_TRY();
		{
			scratch = gsl_matrix_alloc(U, U);
			work = gsl_eigen_symm_alloc(U);
			if (scratch != NULL && work != NULL)
				status = pm_est_eigenvalues(cov, U, (gsl_matrix *) scratch, (gsl_eigen_symm_workspace *) work, eval);
		}
		PG_FINALLY();
		{
			if (scratch)
				gsl_matrix_free((gsl_matrix *) scratch);
			if (work)
				gsl_eigen_symm_free((gsl_eigen_symm_workspace *) work);
		}
		PG_END_TRY();
		if (status == GSL_ENOMEM)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		if (status != GSL_SUCCESS)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the eigenvalues of the estimated correlation matrix failed: %s", gsl_strerror(status))));
	}

	/* the change since the previous estimate */
	if (!PG_ARGISNULL(8))
	{
		kprev = U;
		prev = matrix_arg(fcinfo, 8, "previous", &kprev);
	}

	/* the result */
	hscale = sqrt((double) horizon);
	name_d = palloc(sizeof(Datum) * U);
	vol_d = palloc(sizeof(Datum) * U);
	for (i = 0; i < U; i++)
	{
		name_d[i] = CStringGetTextDatum(uniq[i]);
		vol_d[i] = Float8GetDatum(pm_finite_result("a volatility", sd[i] * hscale));
	}
	memset(isnull, 0, sizeof(isnull));
	values[0] = PointerGetDatum(construct_array(name_d, U, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = CStringGetTextDatum(method_choices[method]);
	if (method == PM_EST_EWMA)
		values[2] = Float8GetDatum(lambda);
	else
		isnull[2] = true;
	values[3] = Float8GetDatum(shrinkage);
	values[4] = Int32GetDatum(horizon);
	values[5] = Int32GetDatum(T);
	values[6] = DateADTGetDatum(dayv[0]);
	values[7] = DateADTGetDatum(dayv[D - 1]);
	values[8] = PointerGetDatum(construct_array(vol_d, U, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[9] = PointerGetDatum(matrix_result(cov, U));
	if (U >= 2)
		values[10] = Float8GetDatum(avg);
	else
		isnull[10] = true;
	values[11] = Float8GetDatum(eval[0]);
	values[12] = Float8GetDatum(eval[U - 1]);
	if (eval[0] > 0.0)
		values[13] = Float8GetDatum(pm_finite_result("the condition number", eval[U - 1] / eval[0]));
	else
		isnull[13] = true;		/* singular or indefinite: no finite condition number */
	if (prev)
	{
		double		max_abs,
					frob;

		pm_est_change(cov, prev, (long) U * U, &max_abs, &frob);
		values[14] = Float8GetDatum(max_abs);
		values[15] = Float8GetDatum(frob);
	}
	else
		isnull[14] = isnull[15] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(pm_result_tupdesc(fcinfo), values, isnull)));
}

/*
 * nearest_correlation(matrix float8[], tolerance float8, max_iterations
 *     integer) -> float8[] (k x k)
 */
PG_FUNCTION_INFO_V1(portmargin_nearest_correlation);
Datum
portmargin_nearest_correlation(PG_FUNCTION_ARGS)
{
	int			k = -1,
				i,
				j,
				maxit,
				it = -1;
	double	   *a,
				tol;
	PmNcmWork  *volatile w = NULL;

	a = matrix_arg(fcinfo, 0, "matrix", &k);
	if (k > PM_NCM_MAX_SIZE)
		pm_arg_error("matrix", psprintf("a %d x %d matrix; at most %d x %d is repaired", k, k,
										PM_NCM_MAX_SIZE, PM_NCM_MAX_SIZE));
	for (i = 0; i < k * k; i++)
		if (!(fabs(a[i]) <= 1.0))
			pm_arg_error("matrix", psprintf("element (%d, %d) is %s; the elements must be in [-1, 1]", i / k + 1, i % k + 1,
											float8out_internal(a[i])));
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (!(fabs(a[i * k + j] - a[j * k + i]) <= 1e-12))
				pm_arg_error("matrix", psprintf("element (%d, %d) = %s differs from its transpose %s", i + 1, j + 1,
												float8out_internal(a[i * k + j]), float8out_internal(a[j * k + i])));
	/* exactly symmetric from here on: the lower triangle mirrored */
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			a[i * k + j] = a[j * k + i];
	pm_need_arg(fcinfo, 1, "tolerance", "");
	tol = PG_GETARG_FLOAT8(1);
	if (!(tol > 0.0 && tol < 1.0))
		pm_domain_error("tolerance", tol, "greater than 0 and less than 1");
	pm_need_arg(fcinfo, 2, "max_iterations", "");
	maxit = PG_GETARG_INT32(2);
	if (maxit < 1)
		pm_domain_error("max_iterations", maxit, "an integer of at least 1");

	/* the only 1 x 1 correlation matrix (GSL's eigensolver refuses a 1 x 1 problem) */
	if (k == 1)
	{
		a[0] = 1.0;
		PG_RETURN_ARRAYTYPE_P(matrix_result(a, 1));
	}
	PG_TRY();
	{
		w = pm_ncm_alloc(k);
		if (w != NULL)
			it = pm_nearest_correlation(a, (PmNcmWork *) w, tol, maxit);
	}
	PG_FINALLY();
	{
		pm_ncm_free((PmNcmWork *) w);
	}
	PG_END_TRY();
	if (w == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (it == -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for argument \"max_iterations\": %d iterations did not reach tolerance %s", maxit,
						float8out_internal(tol)),
				 errhint("Allow more iterations or a larger tolerance.")));
	if (it < -1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the nearest correlation matrix failed: %s", gsl_strerror(-2 - it))));
	PG_RETURN_ARRAYTYPE_P(matrix_result(a, k));
}
