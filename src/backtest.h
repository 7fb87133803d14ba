/*
 * backtest.h
 *	  Backtesting statistics for a series of margin (VaR) exceptions: the
 *	  Kupiec proportion-of-failures test, the Christoffersen independence
 *	  and conditional-coverage tests and the Basel traffic-light zone (pure
 *	  numeric code, no PostgreSQL headers).
 *
 * With n observations, x of them exceptions, p = 1 - confidence the
 * expected exception rate and 0 ln 0 = 0 throughout:
 *
 *   Kupiec (1995), "Techniques for verifying the accuracy of risk
 *   measurement models", Journal of Derivatives 3(2), pp. 73-84:
 *     LR_pof = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x]
 *     p-value: chi-squared with 1 degree of freedom, upper tail.
 *
 *   Christoffersen (1998), "Evaluating interval forecasts", International
 *   Economic Review 39(4), pp. 841-862.  n_ij counts the n - 1 pairs of
 *   consecutive days with state i followed by state j (1 = exception):
 *     pi0 = n01 / (n00 + n01), pi1 = n11 / (n10 + n11),
 *     pi  = (n01 + n11) / (n00 + n01 + n10 + n11)
 *     LR_ind = -2 ln[(1-pi)^(n00+n10) pi^(n01+n11)]
 *              + 2 ln[(1-pi0)^n00 pi0^n01 (1-pi1)^n10 pi1^n11]
 *     (a row whose denominator is zero contributes nothing); chi2(1).
 *     LR_cc = LR_pof + LR_ind; chi2(2).  As in most textbooks LR_pof here
 *     is taken over all n observations, while LR_ind uses the n - 1
 *     transitions.  The independence statistics are NAN when n < 2.
 *
 *   Basel Committee on Banking Supervision (1996), "Supervisory framework
 *   for the use of 'backtesting' in conjunction with the internal models
 *   approach to market risk capital requirements": the zone follows the
 *   cumulative probability P(X <= x), X ~ Binomial(n, p): green below
 *   0.95, red from 0.9999 on, yellow in between.  For n = 250 and p = 0.01
 *   this is the published table: green 0-4, yellow 5-9, red 10 or more.
 *
 * Both LRs are evaluated as sums of deviance terms x ln(x/m) - x + m with
 * the residual x - m rounded only once, so a statistic that is zero in exact
 * arithmetic comes out as 0 (and its p-value as 1), not as rounding noise.
 */
#ifndef PORTMARGIN_BACKTEST_H
#define PORTMARGIN_BACKTEST_H

#define PM_ZONE_GREEN	0
#define PM_ZONE_YELLOW	1
#define PM_ZONE_RED		2

typedef struct PmBacktestResult
{
	int			n;				/* observations */
	int			exceptions;		/* x: days with exception */
	double		exception_rate; /* x / n */
	double		expected_rate;	/* p = 1 - confidence */
	double		kupiec_lr;		/* Kupiec (1995) proportion-of-failures LR */
	double		kupiec_p;		/* chi-squared, 1 dof, upper tail */
	int			n00, n01, n10, n11;	/* transition counts i->j between consecutive days */
	double		independence_lr;	/* Christoffersen (1998) LR_ind; NAN when
									 * n < 2 */
	double		independence_p; /* chi2(1) upper tail; NAN when n < 2 */
	double		conditional_lr; /* LR_cc = LR_pof + LR_ind; NAN when n < 2 */
	double		conditional_p;	/* chi2(2) upper tail; NAN when n < 2 */
	double		binomial_cdf;	/* P(X <= x), X ~ Binomial(n, p) */
	int			zone;			/* 0 green, 1 yellow, 2 red (Basel traffic
								 * light) */
} PmBacktestResult;

/* exceptions[i] is 0 or 1, in time order; n >= 1; 0 < confidence < 1 (caller validates) */
extern void pm_backtest(const unsigned char *exceptions, int n, double confidence,
						PmBacktestResult *r);

/* "green", "yellow", "red"; NULL for any other value */
extern const char *pm_backtest_zone_name(int zone);

#endif							/* PORTMARGIN_BACKTEST_H */
