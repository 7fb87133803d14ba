/*
 * montecarlo.h
 *	  Monte Carlo joint scenarios for several underlyings (pure numeric
 *	  code: no PostgreSQL headers).  A correlation matrix is checked and
 *	  factored once; moves are then drawn from a normal or Student-t
 *	  variance mixture scaled by each underlying's horizon volatility.
 *
 * Conventions and where they come from:
 *   - Correlated normals z = L e, L L' = C the lower Cholesky factor,
 *     e ~ N(0, I): Glasserman, Monte Carlo Methods in Financial
 *     Engineering (2003), sec. 2.3.3.
 *   - Student: the multivariate t as a normal variance mixture,
 *     z = sqrt(df / w) L e with w ~ chi-squared(df) independent of e
 *     (McNeil, Frey & Embrechts, Quantitative Risk Management (2005),
 *     ch. 3, sec. 3.2, and ch. 5, sec. 5.1, for the Gaussian and t
 *     copulas; ch. 6 and 7 of the 2015 revised edition).  Its covariance
 *     is df / (df - 2) C, so the factor used here is sqrt((df - 2) / w),
 *     which gives every z_u unit variance and correlation matrix C.  The
 *     dependence is the t copula and the margins are (scaled) t as well,
 *     i.e. this is a multivariate t, not a t copula with normal margins.
 *   - Log returns: the horizon return x = sigma z is a log return and the
 *     price moves by exp(x) - 1 (RiskMetrics Technical Document, 4th ed.,
 *     J.P. Morgan/Reuters 1996, sec. 4.1).  Simple returns use x itself,
 *     floored at -0.99: a move of -100% or less is not a price.
 *   - A move m takes a price F to F (1 + m), as PmScenario.move does.
 */
#ifndef PORTMARGIN_MONTECARLO_H
#define PORTMARGIN_MONTECARLO_H

#include <gsl/gsl_rng.h>

/* smallest simple-return move (a price must stay positive) */
#define PM_MC_MIN_MOVE (-0.99)

/* scenarios between calls of the progress/interrupt callback, at most */
#define PM_MC_TICK_EVERY 4096
/* ... and multiply-adds (or matrix elements visited) between interrupt checks */
#define PM_MC_TICK_WORK (1L << 20)
/* correlation matrices larger than this are factored by tiles of this size */
#define PM_CHOL_TILE 128

/*
 * Defined by the server glue (sqlargs.c): services a pending query cancel
 * (longjmp).  pm_correlation_cholesky calls it between passes over large
 * matrices and between tiles of the factorisation; it allocates nothing
 * (GSL views of the caller's array).
 */
extern void pm_check_interrupts(void *arg);

/* what is wrong with a correlation matrix; PM_CORR_OK when nothing */
typedef enum PmCorrProblem
{
	PM_CORR_OK = 0,
	PM_CORR_NOT_FINITE,			/* element (i, j) is NaN or infinite */
	PM_CORR_DIAGONAL,			/* element (i, i) != 1 (tolerance 1e-12) */
	PM_CORR_RANGE,				/* |element (i, j)| > 1 */
	PM_CORR_ASYMMETRIC,			/* |c(i,j) - c(j,i)| > 1e-12 */
	PM_CORR_NOT_POSITIVE_DEFINITE	/* Cholesky failed; i = j = -1 */
} PmCorrProblem;

/*
 * Check a k x k correlation matrix (row-major) and replace it by its lower
 * Cholesky factor L (row-major, upper triangle zeroed) so that L L' = C.
 *
 * The checks run as whole passes in this order, each reporting the first
 * offending element in row-major order: any non-finite element; any
 * diagonal element more than 1e-12 from 1; any off-diagonal element with
 * |c| > 1; any pair i < j with |c(i,j) - c(j,i)| > 1e-12 (reported as
 * (i, j)).  Only then is the matrix factored (gsl_linalg_cholesky_decomp1,
 * which reads the lower triangle).  On a problem the problem is returned
 * and *bad_i, *bad_j (0-based) receive the element; both are -1 for
 * PM_CORR_OK and PM_CORR_NOT_POSITIVE_DEFINITE.  bad_i and bad_j may be
 * NULL.  After a problem the matrix contents are unspecified.  Up to
 * PM_CHOL_TILE underlyings the factor is one gsl_linalg_cholesky_decomp1
 * call; larger matrices are factored by tiles (montecarlo.c), with checks
 * for interrupts in between.
 *
 * A singular matrix (e.g. two underlyings with correlation exactly 1) is
 * rejected as not positive definite: no pivoted or modified Cholesky is
 * attempted.  Which singular matrices are caught depends on rounding: a
 * zero or negative pivot is rejected, while a matrix whose rounding leaves
 * a tiny positive pivot is accepted (its factor then reproduces C to
 * rounding, which is all a scenario generator needs).
 *
 * k <= 0 is an empty matrix: nothing is read and PM_CORR_OK is returned.
 */
extern PmCorrProblem pm_correlation_cholesky(double *c, int k, int *bad_i, int *bad_j);

/* joint distribution of the standardised moves */
typedef enum PmCopula
{
	PM_COPULA_GAUSSIAN = 0,
	PM_COPULA_STUDENT = 1
} PmCopula;

/*
 * n joint scenarios for k underlyings into out[n * k] (row-major: scenario
 * s, underlying u at out[s * k + u]):
 *
 *   z = L e,  e ~ N(0, I)            (gsl_ran_gaussian_ziggurat, sigma 1)
 *   Student: z = L e sqrt((df - 2) / w),  w ~ chi-squared(df) drawn once
 *            per scenario (gsl_ran_chisq): a multivariate t with unit
 *            variances and correlation C (df > 2; the caller validates)
 *   x_u = sigma[u] z_u               (sigma: horizon volatility, decimal)
 *   log_returns: move = expm1(x_u)
 *   otherwise:   move = max(x_u, PM_MC_MIN_MOVE)
 *
 * chol is the factor from pm_correlation_cholesky (only its lower triangle
 * is read).  The caller owns the generator: it allocates it with
 * gsl_rng_alloc(gsl_rng_mt19937), seeds it with gsl_rng_set(rng, seed) and
 * frees it; this function only draws from it.  Draws are made in a fixed
 * order, scenario by scenario: k normals, then (Student) one chi-squared,
 * so the same seed gives the same draws on every machine with the same
 * GSL (and the same moves, up to libm's expm1 and the compiler's
 * floating-point contraction).  Successive calls with one generator
 * continue the stream.
 *
 * tick(tick_arg), when tick is not NULL, is called before scenario 0 and
 * then every PM_MC_TICK_EVERY scenarios, or sooner, as soon as the
 * scenarios since the last call took PM_MC_TICK_WORK multiply-adds (k
 * underlyings cost k (k + 3) / 2 each); it may longjmp out (e.g. to
 * service a query cancel), which is why this function allocates nothing.
 * Nothing is drawn when n <= 0 or k <= 0.
 */
extern void pm_mc_moves(gsl_rng *rng, const double *chol, const double *sigma, int k, long n,
						PmCopula copula, double df, int log_returns, double *out,
						void (*tick) (void *), void *tick_arg);

#endif							/* PORTMARGIN_MONTECARLO_H */
