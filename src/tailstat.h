/*
 * tailstat.h
 *	  Value at risk and expected shortfall of a scenario P&L distribution
 *	  (pure numeric code, GSL sorting).
 *
 * Losses are L_i = -pnl_i (gains positive in pnl), scenario i having
 * probability p_i (equal, or weights normalised to sum 1).  With
 * beta = 1 - alpha:
 *
 *   VaR_alpha = inf { l : P(L <= l) >= alpha }, the lower alpha-quantile of
 *               the loss: going down the losses from the largest, the first
 *               loss at which the probability counted so far exceeds beta;
 *   ES_alpha  = ( sum of p_i L_i over the losses above VaR
 *                 + (beta - their probability) VaR ) / beta,
 *
 * the definitions of Acerbi & Tasche, "On the coherence of expected
 * shortfall", Journal of Banking & Finance 26 (2002), eq. (2.4) and
 * Proposition 3.2, which hold for discrete distributions with ties.  For N
 * equally likely scenarios, VaR is the ceil(N alpha)-th smallest loss, i.e.
 * the (floor(N beta) + 1)-th largest, and ES averages the floor(N beta)
 * largest losses and the next one with weight N beta - floor(N beta); N beta
 * is snapped to the nearest integer when within 1e-9 of it, so that 0.99
 * (whose double is a hair below 0.99) gives the textbook order statistic.
 *
 * Each scenario's weight in ES is also returned (tail_weight[i], summing to
 * 1), so that ES = sum_i tail_weight[i] L_i splits into per-position or
 * per-underlying contributions (Euler allocation; Tasche 1999, "Risk
 * contributions and performance measurement").
 */
#ifndef PORTMARGIN_TAILSTAT_H
#define PORTMARGIN_TAILSTAT_H

#include <stddef.h>

typedef struct PmTail
{
	double		var;
	double		es;
	int			var_index;		/* scenario at the VaR quantile */
} PmTail;

/*
 * pnl[0..n), prob[0..n) (NULL: equally likely; else non-negative weights,
 * normalised here), 0 < alpha < 1, n >= 1.  work: n doubles, order: n
 * size_t (caller-provided scratch).  tail_weight: n doubles or NULL.
 */
extern void pm_tail(const double *pnl, const double *prob, int n, double alpha, PmTail *t,
					double *tail_weight, double *work, size_t *order);

#endif							/* PORTMARGIN_TAILSTAT_H */
