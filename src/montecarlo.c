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

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#define PM_CORR_TOLERANCE 1e-12

/* one interrupt check per PM_MC_TICK_WORK elements visited or multiply-adds */
static inline void
tick_work(long *work, long units)
{
	*work += units;
	if (*work >= PM_MC_TICK_WORK)
	{
		*work = 0;
		pm_check_interrupts(NULL);
	}
}

/*
 * Lower Cholesky factor of the k x k matrix in m, in place.  Up to
 * PM_CHOL_TILE underlyings: gsl_linalg_cholesky_decomp1 on the whole matrix.
 * Larger (k^3/3 multiply-adds: 9e9 for 3,000 underlyings): the same
 * factorisation by tiles of PM_CHOL_TILE (right-looking: factor the diagonal
 * tile with gsl_linalg_cholesky_decomp1, solve the tiles below it with
 * dtrsm, update the trailing lower tiles with dsyrk / dgemm), with an
 * interrupt check between tiles.  Rounding differs from the one-call
 * factorisation only there.  GSL_EDOM when not positive definite.
 */
static int
cholesky_by_tiles(gsl_matrix *m)
{
	size_t		k = m->size1,
				j,
				i,
				l;

	if (k <= PM_CHOL_TILE)
		return gsl_linalg_cholesky_decomp1(m);
	for (j = 0; j < k; j += PM_CHOL_TILE)
	{
		size_t		nj = k - j < PM_CHOL_TILE ? k - j : PM_CHOL_TILE;
		gsl_matrix_view ljj = gsl_matrix_submatrix(m, j, j, nj, nj);
		int			status;

		pm_check_interrupts(NULL);
		status = gsl_linalg_cholesky_decomp1(&ljj.matrix);
		if (status != GSL_SUCCESS)
			return status;
		/* the column of tiles below: L_ij = A_ij L_jj^-T */
		for (i = j + nj; i < k; i += PM_CHOL_TILE)
		{
			size_t		ni = k - i < PM_CHOL_TILE ? k - i : PM_CHOL_TILE;
			gsl_matrix_view aij = gsl_matrix_submatrix(m, i, j, ni, nj);

			pm_check_interrupts(NULL);
			status = gsl_blas_dtrsm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, 1.0, &ljj.matrix, &aij.matrix);
			if (status != GSL_SUCCESS)
				return status;
		}
		/* the trailing lower tiles: A_il -= L_ij L_lj' (l <= i) */
		for (i = j + nj; i < k; i += PM_CHOL_TILE)
		{
			size_t		ni = k - i < PM_CHOL_TILE ? k - i : PM_CHOL_TILE;
			gsl_matrix_view lij = gsl_matrix_submatrix(m, i, j, ni, nj);

			for (l = j + nj; l <= i; l += PM_CHOL_TILE)
			{
				size_t		nl = k - l < PM_CHOL_TILE ? k - l : PM_CHOL_TILE;
				gsl_matrix_view ail = gsl_matrix_submatrix(m, i, l, ni, nl);

				pm_check_interrupts(NULL);
				if (l == i)
					status = gsl_blas_dsyrk(CblasLower, CblasNoTrans, -1.0, &lij.matrix, 1.0, &ail.matrix);
				else
				{
					gsl_matrix_view llj = gsl_matrix_submatrix(m, l, j, nl, nj);

					status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, -1.0, &lij.matrix, &llj.matrix, 1.0, &ail.matrix);
				}
				if (status != GSL_SUCCESS)
					return status;
			}
		}
	}
	return GSL_SUCCESS;
}

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
	long		work = 0;
	int			i,
				j;

	corr_problem(PM_CORR_OK, -1, -1, bad_i, bad_j);
	if (k <= 0)
		return PM_CORR_OK;

	for (i = 0; i < k; i++)
	{
		tick_work(&work, k);
		for (j = 0; j < k; j++)
			if (!isfinite(c[(long) i * k + j]))
				return corr_problem(PM_CORR_NOT_FINITE, i, j, bad_i, bad_j);
	}
	for (i = 0; i < k; i++)
		if (fabs(c[(long) i * k + i] - 1.0) > PM_CORR_TOLERANCE)
			return corr_problem(PM_CORR_DIAGONAL, i, i, bad_i, bad_j);
	for (i = 0; i < k; i++)
	{
		tick_work(&work, k);
		for (j = 0; j < k; j++)
			if (i != j && fabs(c[(long) i * k + j]) > 1.0)
				return corr_problem(PM_CORR_RANGE, i, j, bad_i, bad_j);
	}
	for (i = 0; i < k; i++)
	{
		tick_work(&work, k - i);
		for (j = i + 1; j < k; j++)
			if (fabs(c[(long) i * k + j] - c[(long) j * k + i]) > PM_CORR_TOLERANCE)
				return corr_problem(PM_CORR_ASYMMETRIC, i, j, bad_i, bad_j);
	}

	/* GSL_EDOM (not positive definite) is the only failure possible here */
	m = gsl_matrix_view_array(c, (size_t) k, (size_t) k);
	if (cholesky_by_tiles(&m.matrix) != GSL_SUCCESS)
		return corr_problem(PM_CORR_NOT_POSITIVE_DEFINITE, -1, -1, bad_i, bad_j);

	for (i = 0; i < k; i++)
	{
		tick_work(&work, k - i);
		for (j = i + 1; j < k; j++)
			c[(long) i * k + j] = 0.0;
	}
	return PM_CORR_OK;
}

void
pm_mc_moves(gsl_rng *rng, const double *chol, const double *sigma, int k, long n,
			PmCopula copula, double df, int log_returns, double *out,
			void (*tick) (void *), void *tick_arg)
{
	long		s,
				work = 0,
				per = (long) k * (k + 3) / 2;	/* multiply-adds and draws per scenario */
	int			u,
				v;

	if (n <= 0 || k <= 0)
		return;

	for (s = 0; s < n; s++)
	{
		double	   *row = out + s * (long) k;
		double		scale = 1.0;

		if (tick && (s % PM_MC_TICK_EVERY == 0 || work >= PM_MC_TICK_WORK))
		{
			tick(tick_arg);
			work = 0;
		}
		work += per;

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
