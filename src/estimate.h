/*
 * estimate.h
 *	  Volatilities and correlations estimated from a return history, and
 *	  the nearest correlation matrix (pure numeric code with GSL, no
 *	  PostgreSQL headers).  doc/var.md, "Estimating vols and correlations",
 *	  states the conventions with their sources:
 *
 *   sample   the unbiased sample covariance, the mean removed:
 *            C = sum_t (r_t - m)(r_t - m)' / (T - 1)           (np.cov)
 *   ewma     RiskMetrics (Technical Document, 4th ed., 1996, sec. 5.2.1),
 *            zero mean, seeded like filtered historical simulation
 *            (historical.h):  S_1 = sum_t r_t r_t' / T,
 *            S_{t+1} = lambda S_t + (1 - lambda) r_t r_t',  C = S_{T+1};
 *            i.e. weights (1 - lambda) lambda^(T-1-t) on r_t r_t' and
 *            lambda^T on the seed: they sum to 1
 *   shrink   R_s = (1 - s) R + s T_cc, T_cc the constant-correlation target
 *            (ones on the diagonal, the average off-diagonal sample
 *            correlation elsewhere): Ledoit & Wolf (2004), "Honey, I shrunk
 *            the sample covariance matrix", J. Portfolio Management 30(4)
 *   nearest  Higham (2002), "Computing the nearest correlation matrix - a
 *            problem from finance", IMA J. Numer. Anal. 22, 329-343:
 *            alternating projections with Dykstra's correction, Frobenius
 *            norm, unit weights (W = I)
 */
#ifndef PORTMARGIN_ESTIMATE_H
#define PORTMARGIN_ESTIMATE_H

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

/* the server glue's interrupt check (sqlargs.c); may longjmp, so nothing here allocates */
extern void pm_check_interrupts(void *arg);

#define PM_EST_SAMPLE 0
#define PM_EST_EWMA 1

/*
 * Covariance of the returns r[t * k + u] (t = 0..T-1, oldest first) into
 * cov[k * k] (row-major, symmetric), by method; T >= 2 (the caller checks).
 * mean[k] is scratch.
 */
extern void pm_est_covariance(const double *r, int T, int k, int method, double lambda,
							  double *mean, double *cov);

/*
 * The correlation matrix of a covariance matrix, in place, and the standard
 * deviations into sd[k].  Returns -1, or the first u whose variance is not
 * positive (its correlations are undefined; cov is then unspecified).
 */
extern int	pm_est_correlation(double *cov, int k, double *sd);

/*
 * R <- (1 - s) R + s T, T the constant-correlation target; returns the
 * average off-diagonal correlation of R before shrinking (0 when k < 2).
 */
extern double pm_est_shrink(double *corr, int k, double s);

/*
 * Eigenvalues of the symmetric k x k matrix a (row-major, not modified) into
 * eval[k], ascending.  scratch is a k x k matrix, work from
 * gsl_eigen_symm_alloc(k).  Returns a GSL status (GSL_SUCCESS = 0).
 */
extern int	pm_est_eigenvalues(const double *a, int k, gsl_matrix *scratch,
							   gsl_eigen_symm_workspace *work, double *eval);

/* largest |a - b| and the Frobenius norm of a - b over n elements */
extern void pm_est_change(const double *a, const double *b, long n, double *max_abs, double *frobenius);

/* the nearest correlation matrix's working storage, allocated by GSL (malloc) */
typedef struct PmNcmWork
{
	int			k;
	gsl_matrix *y,				/* Y_k: unit diagonal */
			   *x,				/* X_k: positive semi-definite */
			   *ds,				/* Dykstra's correction Delta S_k */
			   *r,				/* R_k = Y_{k-1} - Delta S_{k-1} */
			   *evec,			/* eigenvectors of R_k */
			   *tmp,			/* scratch */
			   *prev;			/* X_{k-1}, then Y_{k-1} */
	gsl_vector *eval;
	gsl_eigen_symmv_workspace *eig;
} PmNcmWork;

/* NULL when out of memory; free with pm_ncm_free (NULL is fine) */
extern PmNcmWork *pm_ncm_alloc(int k);
extern void pm_ncm_free(PmNcmWork *w);

/*
 * Higham's alternating projections with Dykstra's correction on the
 * symmetric k x k matrix a (row-major), in place: a receives Y (unit
 * diagonal, positive semi-definite to within tolerance).  Stops when
 *   max(||X_k - X_{k-1}||_F / ||X_k||_F, ||Y_k - Y_{k-1}||_F / ||Y_k||_F,
 *       ||Y_k - X_k||_F / ||Y_k||_F) <= tolerance
 * (the relative changes of X and Y and their relative distance) and returns the number of
 * iterations (0 when a already has a unit diagonal and a Cholesky factor:
 * it is then left as it is), or -1 when max_iterations were not enough, or -2 - status on
 * a GSL error.  Calls pm_check_interrupts(NULL) once per iteration.
 */
extern int	pm_nearest_correlation(double *a, PmNcmWork *w, double tolerance, int max_iterations);

#endif							/* PORTMARGIN_ESTIMATE_H */
