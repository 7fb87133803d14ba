/*
 * backtest.c
 *	  Kupiec, Christoffersen and Basel traffic-light statistics of a series
 *	  of exceptions (pure numeric code).
 *
 * Both likelihood ratios are written as deviances,
 *   LR = 2 sum_k [o_k ln(o_k / e_k) - o_k + e_k],
 * the observed counts o_k against their expectations e_k under the null
 * hypothesis (the linear terms sum to zero).  Kupiec: o = (x, n - x),
 * e = (np, n(1-p)).  Christoffersen: the 2x2 table of transitions, with
 * e_ij = (row i total)(column j total) / (n - 1), which is the formula of
 * backtest.h regrouped.  Every term is non-negative and is evaluated from
 * the residual o - e rounded only once (an fma, or integer arithmetic and
 * one division), with a series near o = e, so a statistic that is zero in exact arithmetic is computed
 * as 0 and a small one keeps its relative accuracy.  backtest.h states the
 * definitions and their sources.
 */
#include "backtest.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_cdf.h>

#define PM_GREEN_BELOW	0.95
#define PM_RED_FROM		0.9999
#define PM_LN_SQRT_2PI	0.918938533204672741780329736405617640

/*
 * o ln(o/e) - o + e, given d = o - e (exact or nearly so); 0 ln 0 = 0.
 * Near o = e the series of C. Loader, "Fast and accurate computation of
 * binomial probabilities" (2000), as in R's bd0(): with v = d/(o+e),
 *   o ln(o/e) - d = d v + 2 o sum_{j>=1} v^(2j+1) / (2j+1).
 */
static double
deviance(double o, double e, double d)
{
	if (o == 0.0)
		return e;
	if (e == 0.0)
		return INFINITY;		/* observed what the null hypothesis excludes */
	if (fabs(d) < 0.1 * (o + e))
	{
		double		v = d / (o + e);
		double		v2 = v * v;
		double		s = d * v;
		double		term = 2.0 * o * v;
		int			j;

		for (j = 1; j < 100; j++)
		{
			double		s1;

			term *= v2;
			s1 = s + term / (2 * j + 1);
			if (s1 == s)
				break;
			s = s1;
		}
		return s;
	}
	return o * log(o / e) - d;
}

/* Kupiec's LR_pof: deviance of (x, n - x) against (np, n(1-p)) */
static double
kupiec_lr(int x, int n, double p)
{
	double		e1 = (double) n * p;
	double		d1 = fma(-(double) n, p, (double) x);	/* x - np, one rounding */
	double		e0 = (double) n - e1;
	double		lr;

	lr = 2.0 * (deviance((double) x, e1, d1) + deviance((double) (n - x), e0, -d1));
	return lr > 0.0 ? lr : 0.0;
}

/* one cell of the transition table: o against row * col / total */
static double
cell_deviance(int o, int row, int col, int total)
{
	int64_t		num = (int64_t) o * total - (int64_t) row * col;

	return deviance((double) o, (double) row * (double) col / total,
					(double) num / total);
}

/* ln k! - [(k + 1/2) ln k - k + ln sqrt(2 pi)], Stirling's error, k >= 1 */
static double
stirling_error(double k)
{
	double		k2;

	if (k <= 15.0)
		return lgamma(k + 1.0) - (k + 0.5) * log(k) + k - PM_LN_SQRT_2PI;
	k2 = 1.0 / (k * k);
	return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - k2 / 1188) * k2) * k2) * k2) / k;
}

/*
 * P(X = k), X ~ Binomial(n, p), by the saddle-point form of Loader (2000):
 *   exp(se(n) - se(k) - se(n-k) - D(k; np) - D(n-k; n(1-p))) sqrt(n / (2 pi k (n-k)))
 * with se the Stirling error and D the deviance above.
 */
static double
binomial_pmf(int k, int n, double p)
{
	double		e1 = (double) n * p;
	double		d1 = fma(-(double) n, p, (double) k);

	if (k == 0)
		return exp((double) n * log1p(-p));
	if (k == n)
		return exp((double) n * log(p));
	return exp(stirling_error(n) - stirling_error(k) - stirling_error(n - k) -
			   deviance(k, e1, d1) - deviance(n - k, (double) n - e1, -d1) -
			   PM_LN_SQRT_2PI) *
		sqrt((double) n / ((double) k * ((double) n - k)));
}

/*
 * P(X <= x) by summing the probabilities from x towards the nearer end of
 * the distribution until they no longer change the sum.  Only for when
 * GSL's continued fraction gives up (about n > 1.8 million at p = 0.5, 67
 * million at p = 0.01); it costs O(sqrt(n p (1-p))) terms there.
 */
static double
binomial_cdf_by_sum(int x, int n, double p)
{
	double		q = 1.0 - p;
	double		s = 0.0;
	double		t;
	int			k;

	if (x >= n)
		return 1.0;
	if (x < (double) n * p)
	{
		/* lower tail: k = x, x - 1, ..., the terms decrease */
		t = binomial_pmf(x, n, p);
		for (k = x; k >= 0 && t > 1e-17 * s; k--)
		{
			s += t;
			t *= k * q / (((double) n - k + 1) * p);
		}
		return s;
	}
	/* upper tail: 1 - P(X > x), at least about 1/2 */
	t = binomial_pmf(x + 1, n, p);
	for (k = x + 1; k <= n && t > 1e-17 * s; k++)
	{
		s += t;
		t *= ((double) n - k) * p / ((k + 1.0) * q);
	}
	return 1.0 - s;
}

static double
binomial_cdf(int x, int n, double p)
{
	double		v = gsl_cdf_binomial_P((unsigned int) x, p, (unsigned int) n);

	if (v >= 0.0 && v <= 1.0)
		return v;
	return binomial_cdf_by_sum(x, n, p);
}

/* chi-squared upper tail; 0 for an infinite statistic */
static double
chisq_upper(double lr, double dof)
{
	if (isinf(lr))
		return 0.0;
	return gsl_cdf_chisq_Q(lr, dof);
}

void
pm_backtest(const unsigned char *exceptions, int n, double confidence,
			PmBacktestResult *r)
{
	double		p = 1.0 - confidence;
	int			counts[2][2] = {{0, 0}, {0, 0}};
	int			x = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int			cur = exceptions[i] != 0;

		x += cur;
		if (i > 0)
			counts[exceptions[i - 1] != 0][cur]++;
	}

	r->n = n;
	r->exceptions = x;
	r->exception_rate = (double) x / n;
	r->expected_rate = p;
	r->kupiec_lr = kupiec_lr(x, n, p);
	r->kupiec_p = chisq_upper(r->kupiec_lr, 1.0);

	r->n00 = counts[0][0];
	r->n01 = counts[0][1];
	r->n10 = counts[1][0];
	r->n11 = counts[1][1];
	if (n < 2)
	{
		r->independence_lr = NAN;
		r->independence_p = NAN;
		r->conditional_lr = NAN;
		r->conditional_p = NAN;
	}
	else
	{
		int			total = n - 1;
		int			row0 = r->n00 + r->n01,
					row1 = r->n10 + r->n11,
					col0 = r->n00 + r->n10,
					col1 = r->n01 + r->n11;
		double		lr;

		lr = 2.0 * (cell_deviance(r->n00, row0, col0, total) +
					cell_deviance(r->n01, row0, col1, total) +
					cell_deviance(r->n10, row1, col0, total) +
					cell_deviance(r->n11, row1, col1, total));
		r->independence_lr = lr > 0.0 ? lr : 0.0;
		r->independence_p = chisq_upper(r->independence_lr, 1.0);
		r->conditional_lr = r->kupiec_lr + r->independence_lr;
		r->conditional_p = chisq_upper(r->conditional_lr, 2.0);
	}

	r->binomial_cdf = binomial_cdf(x, n, p);
	if (r->binomial_cdf < PM_GREEN_BELOW)
		r->zone = PM_ZONE_GREEN;
	else if (r->binomial_cdf >= PM_RED_FROM)
		r->zone = PM_ZONE_RED;
	else
		r->zone = PM_ZONE_YELLOW;
}

const char *
pm_backtest_zone_name(int zone)
{
	switch (zone)
	{
		case PM_ZONE_GREEN:
			return "green";
		case PM_ZONE_YELLOW:
			return "yellow";
		case PM_ZONE_RED:
			return "red";
	}
	return NULL;
}
