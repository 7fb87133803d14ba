/*
 * estimate.c
 *	  Covariance, correlation, shrinkage, eigenvalues and the nearest
 *	  correlation matrix (estimate.h has the conventions and their
 *	  sources).
 */
#include "estimate.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort_vector.h>

#define TICK_WORK 65536L

/* one interrupt check per TICK_WORK units of work, counted in *work */
static inline void
tick(long *work, long units)
{
	*work += units;
	if (*work >= TICK_WORK)
	{
		*work = 0;
		pm_check_interrupts(NULL);
	}
}

void
pm_est_covariance(const double *r, int T, int k, int method, double lambda,
				  double *mean, double *cov)
{
	long		work = 0;
	int			t,
				i,
				j;

	for (i = 0; i < k * k; i++)
		cov[i] = 0.0;
	if (method == PM_EST_SAMPLE)
	{
		for (i = 0; i < k; i++)
			mean[i] = 0.0;
		for (t = 0; t < T; t++)
		{
			tick(&work, k);
			for (i = 0; i < k; i++)
				mean[i] += r[(long) t * k + i];
		}
		for (i = 0; i < k; i++)
			mean[i] /= T;
		for (t = 0; t < T; t++)
		{
			const double *rt = r + (long) t * k;

			tick(&work, (long) k * (k + 1) / 2);
			for (i = 0; i < k; i++)
				for (j = 0; j <= i; j++)
					cov[i * k + j] += (rt[i] - mean[i]) * (rt[j] - mean[j]);
		}
		for (i = 0; i < k; i++)
			for (j = 0; j <= i; j++)
				cov[i * k + j] /= (T - 1);
	}
	else
	{
		/* the seed: the zero-mean sample covariance over the window */
		for (t = 0; t < T; t++)
		{
			const double *rt = r + (long) t * k;

			tick(&work, (long) k * (k + 1) / 2);
			for (i = 0; i < k; i++)
				for (j = 0; j <= i; j++)
					cov[i * k + j] += rt[i] * rt[j];
		}
		for (i = 0; i < k; i++)
			for (j = 0; j <= i; j++)
				cov[i * k + j] /= T;
		/* the recursion through the window, oldest return first */
		for (t = 0; t < T; t++)
		{
			const double *rt = r + (long) t * k;

			tick(&work, (long) k * (k + 1) / 2);
			for (i = 0; i < k; i++)
				for (j = 0; j <= i; j++)
					cov[i * k + j] = lambda * cov[i * k + j] + (1.0 - lambda) * rt[i] * rt[j];
		}
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			cov[j * k + i] = cov[i * k + j];
}

int
pm_est_correlation(double *cov, int k, double *sd)
{
	int			i,
				j;

	for (i = 0; i < k; i++)
	{
		if (!(cov[i * k + i] > 0.0))
			return i;
		sd[i] = sqrt(cov[i * k + i]);
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
		{
			if (i == j)
				cov[i * k + j] = 1.0;
			else
			{
				double		c = cov[i * k + j] / (sd[i] * sd[j]);

				/* rounding may leave |c| a hair above 1 */
				cov[i * k + j] = c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
			}
		}
	return -1;
}

double
pm_est_shrink(double *corr, int k, double s)
{
	double		avg = 0.0;
	int			i,
				j;

	if (k < 2)
		return 0.0;
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			avg += corr[i * k + j];
	avg /= (double) k * (k - 1) / 2.0;
	if (s > 0.0)
		for (i = 0; i < k; i++)
			for (j = 0; j < k; j++)
				if (i != j)
					corr[i * k + j] = (1.0 - s) * corr[i * k + j] + s * avg;
	return avg;
}

int
pm_est_eigenvalues(const double *a, int k, gsl_matrix *scratch,
				   gsl_eigen_symm_workspace *work, double *eval)
{
	gsl_matrix_const_view av = gsl_matrix_const_view_array(a, k, k);
	gsl_vector_view ev = gsl_vector_view_array(eval, k);
	int			status;

	status = gsl_matrix_memcpy(scratch, &av.matrix);
	if (status)
		return status;
	status = gsl_eigen_symm(scratch, &ev.vector, work);
	if (status)
		return status;
	gsl_sort_vector(&ev.vector);
	return GSL_SUCCESS;
}

void
pm_est_change(const double *a, const double *b, long n, double *max_abs, double *frobenius)
{
	double		m = 0.0,
				f = 0.0;
	long		i;

	for (i = 0; i < n; i++)
	{
		double		d = fabs(a[i] - b[i]);

		if (d > m)
			m = d;
		f += d * d;
	}
	*max_abs = m;
	*frobenius = sqrt(f);
}

/* ---- the nearest correlation matrix ---- */

PmNcmWork *
pm_ncm_alloc(int k)
{
	PmNcmWork  *w = calloc(1, sizeof(PmNcmWork));

	if (w == NULL)
		return NULL;
	w->k = k;
	w->y = gsl_matrix_alloc(k, k);
	w->x = gsl_matrix_alloc(k, k);
	w->ds = gsl_matrix_alloc(k, k);
	w->r = gsl_matrix_alloc(k, k);
	w->evec = gsl_matrix_alloc(k, k);
	w->tmp = gsl_matrix_alloc(k, k);
	w->prev = gsl_matrix_alloc(k, k);
	w->eval = gsl_vector_alloc(k);
	w->eig = gsl_eigen_symmv_alloc(k);
	if (!w->y || !w->x || !w->ds || !w->r || !w->evec || !w->tmp || !w->prev || !w->eval || !w->eig)
	{
		pm_ncm_free(w);
		return NULL;
	}
	return w;
}

void
pm_ncm_free(PmNcmWork *w)
{
	if (w == NULL)
		return;
	if (w->y)
		gsl_matrix_free(w->y);
	if (w->x)
		gsl_matrix_free(w->x);
	if (w->ds)
		gsl_matrix_free(w->ds);
	if (w->r)
		gsl_matrix_free(w->r);
	if (w->evec)
		gsl_matrix_free(w->evec);
	if (w->tmp)
		gsl_matrix_free(w->tmp);
	if (w->prev)
		gsl_matrix_free(w->prev);
	if (w->eval)
		gsl_vector_free(w->eval);
	if (w->eig)
		gsl_eigen_symmv_free(w->eig);
	free(w);
}

static double
frobenius(const gsl_matrix *m)
{
	double		f = 0.0;
	size_t		i,
				j;

	for (i = 0; i < m->size1; i++)
		for (j = 0; j < m->size2; j++)
			f += gsl_matrix_get(m, i, j) * gsl_matrix_get(m, i, j);
	return sqrt(f);
}

/* ||a - b||_F */
static double
frobenius_diff(const gsl_matrix *a, const gsl_matrix *b)
{
	double		f = 0.0;
	size_t		i,
				j;

	for (i = 0; i < a->size1; i++)
		for (j = 0; j < a->size2; j++)
		{
			double		d = gsl_matrix_get(a, i, j) - gsl_matrix_get(b, i, j);

			f += d * d;
		}
	return sqrt(f);
}

/*
 * P_S: the projection onto the positive semi-definite matrices,
 * V diag(max(lambda, 0)) V' (Higham 2002, with W = I), of w->r
 * into w->x.
 */
static int
project_psd(PmNcmWork *w)
{
	int			k = w->k,
				status,
				i,
				j;

	status = gsl_matrix_memcpy(w->tmp, w->r);
	if (status)
		return status;
	status = gsl_eigen_symmv(w->tmp, w->eval, w->evec, w->eig);
	if (status)
		return status;
	/* tmp = V diag(sqrt(max(lambda, 0))), then X = tmp tmp' */
	for (j = 0; j < k; j++)
	{
		double		l = gsl_vector_get(w->eval, j),
					s = l > 0.0 ? sqrt(l) : 0.0;

		for (i = 0; i < k; i++)
			gsl_matrix_set(w->tmp, i, j, gsl_matrix_get(w->evec, i, j) * s);
	}
	status = gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, w->tmp, 0.0, w->x);
	if (status)
		return status;
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			gsl_matrix_set(w->x, i, j, gsl_matrix_get(w->x, j, i));
	return GSL_SUCCESS;
}

/* a unit diagonal and a Cholesky factor: a positive definite correlation matrix */
static int
is_correlation(PmNcmWork *w, const gsl_matrix *a)
{
	int			i;

	for (i = 0; i < w->k; i++)
		if (gsl_matrix_get(a, i, i) != 1.0)
			return 0;
	if (gsl_matrix_memcpy(w->tmp, a))
		return 0;
	return gsl_linalg_cholesky_decomp1(w->tmp) == GSL_SUCCESS;
}

int
pm_nearest_correlation(double *a, PmNcmWork *w, double tolerance, int max_iterations)
{
	gsl_matrix_view av = gsl_matrix_view_array(a, w->k, w->k);
	int			k = w->k,
				it,
				i,
				status;

	/* already a positive definite correlation matrix: returned as it is */
	if (is_correlation(w, &av.matrix))
		return 0;
	/* Y_0 = A, Delta S_0 = 0; X_0 = A for the first change test */
	gsl_matrix_memcpy(w->y, &av.matrix);
	gsl_matrix_set_zero(w->ds);
	gsl_matrix_memcpy(w->x, &av.matrix);
	for (it = 1; it <= max_iterations; it++)
	{
		double		dx,
					dy,
					dxy,
					crit;

		pm_check_interrupts(NULL);
		/* R_k = Y_{k-1} - Delta S_{k-1} */
		gsl_matrix_memcpy(w->r, w->y);
		gsl_matrix_sub(w->r, w->ds);
		/* X_{k-1} kept in prev */
		gsl_matrix_memcpy(w->prev, w->x);
		/* X_k = P_S(R_k) */
		status = project_psd(w);
		if (status)
			return -2 - status;
		dx = frobenius_diff(w->x, w->prev) / frobenius(w->x);
		/* Delta S_k = X_k - R_k */
		gsl_matrix_memcpy(w->ds, w->x);
		gsl_matrix_sub(w->ds, w->r);
		/* Y_k = P_U(X_k): the unit diagonal; Y_{k-1} kept in prev */
		gsl_matrix_memcpy(w->prev, w->y);
		gsl_matrix_memcpy(w->y, w->x);
		for (i = 0; i < k; i++)
			gsl_matrix_set(w->y, i, i, 1.0);
		dy = frobenius_diff(w->y, w->prev) / frobenius(w->y);
		dxy = frobenius_diff(w->y, w->x) / frobenius(w->y);
		crit = fmax(fmax(dx, dy), dxy);
		if (!isfinite(crit))
			return -2 - GSL_EDOM;
		if (crit <= tolerance)
		{
			gsl_matrix_memcpy(&av.matrix, w->y);
			return it;
		}
	}
	return -1;
}
