/*
 * montecarlo.c
 *	  Monte Carlo joint scenarios: correlation check and Cholesky factor,
 *	  then correlated normal or Student-t moves (pure numeric code).
 *
 * montecarlo.h states the conventions and their sources.  Each scenario's
 * row of the output doubles as scratch space: the k normals are drawn into
 * it and L e is formed in place from the last underlying to the first
 * (z_u needs e_0 .. e_u only, and L is lower triangular), so nothing is
 * allocated and a callback that longjmps out leaks nothing.
 */
#include "montecarlo.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#define PM_CORR_TOLERANCE 1e-12

static PmCorrProblem
corr_problem(PmCorrProblem problem, int i, int j, int *bad_i, int *bad_j)
{
	if (bad_i)
		*bad_i = i;
	if (bad_j)
		*bad_j = j;
	return problem;
}

PmCorrProblem
pm_correlation_cholesky(double *c, int k, int *bad_i, int *bad_j)
{
	gsl_matrix_view m;
	int			i,
				j;

	corr_problem(PM_CORR_OK, -1, -1, bad_i, bad_j);
	if (k <= 0)
		return PM_CORR_OK;

	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			if (!isfinite(c[i * k + j]))
				return corr_problem(PM_CORR_NOT_FINITE, i, j, bad_i, bad_j);
	for (i = 0; i < k; i++)
		if (fabs(c[i * k + i] - 1.0) > PM_CORR_TOLERANCE)
			return corr_problem(PM_CORR_DIAGONAL, i, i, bad_i, bad_j);
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			if (i != j && fabs(c[i * k + j]) > 1.0)
				return corr_problem(PM_CORR_RANGE, i, j, bad_i, bad_j);
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			if (fabs(c[i * k + j] - c[j * k + i]) > PM_CORR_TOLERANCE)
				return corr_problem(PM_CORR_ASYMMETRIC, i, j, bad_i, bad_j);

	/* GSL_EDOM (not positive definite) is the only failure possible here */
	m = gsl_matrix_view_array(c, (size_t) k, (size_t) k);
	if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS)
		return corr_problem(PM_CORR_NOT_POSITIVE_DEFINITE, -1, -1, bad_i, bad_j);

	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			c[i * k + j] = 0.0;
	return PM_CORR_OK;
}

void
pm_mc_moves(gsl_rng *rng, const double *chol, const double *sigma, int k, long n,
			PmCopula copula, double df, int log_returns, double *out,
			void (*tick) (void *), void *tick_arg)
{
	long		s;
	int			u,
				v;

	if (n <= 0 || k <= 0)
		return;

	for (s = 0; s < n; s++)
	{
		double	   *row = out + s * (long) k;
		double		scale = 1.0;

		if (tick && s % PM_MC_TICK_EVERY == 0)
			tick(tick_arg);

		for (u = 0; u < k; u++)
			row[u] = gsl_ran_gaussian_ziggurat(rng, 1.0);
		if (copula == PM_COPULA_STUDENT)
			scale = sqrt((df - 2.0) / gsl_ran_chisq(rng, df));

		/* row <- L row, bottom up, then sigma and the move convention */
		for (u = k - 1; u >= 0; u--)
		{
			const double *l = chol + (long) u * k;
			double		z = 0.0,
						x;

			for (v = 0; v <= u; v++)
				z += l[v] * row[v];
			x = sigma[u] * (scale * z);
			if (log_returns)
				row[u] = expm1(x);
			else
				row[u] = x < PM_MC_MIN_MOVE ? PM_MC_MIN_MOVE : x;
		}
	}
}
