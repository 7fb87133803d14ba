/*
 * tailstat.h
 *	  Value at risk and expected shortfall of a scenario P&L distribution
 *	  (pure numeric code: no PostgreSQL headers).
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
 * Order of the scenarios (ties).  "Going down the losses" follows one total
 * order: larger loss first, and among equal losses (-0 and +0 are equal)
 * the lower scenario index first.  So the VaR scenario (var_index), the
 * set of tail scenarios and each one's tail weight are fully determined by
 * the input, ties included.
 *
 * Weighted scenarios.  p_i = w_i / sum(w) in double; the probability
 * counted down the order is summed exactly on a grid of 2^-100 (each p_i
 * truncated to a multiple of 2^-100, then added in 128-bit fixed point), so
 * the VaR scenario is the first one in the order at which that sum exceeds
 * beta (1 + 1e-12) -- the 1e-12 lets weights such as 0.1 + 0.1 meet a beta
 * of 1 - 0.8 -- whatever order the selection visits them in.  If no
 * scenario gets there (beta within 1e-12 of 1), it is the last one in the
 * order.
 *
 * Summation.  ES adds its terms -- L_i (equal weights) or p_i L_i over the
 * scenarios above VaR in increasing scenario index, then the VaR term --
 * with Neumaier's compensated summation, products made exact with fma
 * (Ogita, Rump & Oishi, "Accurate sum and dot product", SIAM J. Sci.
 * Comput. 26(6), 2005, Sum2 / Dot2), and divides once: the error is about
 * 2 ulps of ES plus n u^2 times the sum of |terms| (u = 2^-53), where the
 * former recursive sum in descending order of loss could lose (k - 1) u
 * times that sum.  Losses above 2^900 in magnitude are scaled by 2^-128
 * first (exactly, a power of two), so that ES, a weighted mean of finite
 * losses, does not overflow on the way; likewise weights above 2^900 (or
 * all below 2^-900, scaled up).  The result is then clamped to [VaR, the
 * largest loss], where the exact value lies (this can only reduce the
 * error): ES of finite losses is always finite.
 *
 * Each scenario's weight in ES is also returned (tail_weight[i], summing to
 * 1), so that ES = sum_i tail_weight[i] L_i splits into per-position or
 * per-underlying contributions (Euler allocation; Tasche 1999, "Risk
 * contributions and performance measurement").
 *
 * Cost: O(n) expected.  Equal weights: Floyd & Rivest's SELECT (Comm. ACM
 * 18(3), 1975), whose pivot comes from a recursively selected sample, so
 * that a small tail costs about one pass; weights: quickselect with a
 * median-of-three (ninther) pivot and a three-way partition that carries
 * the exact probability sums.  Both heapsort what is left after about
 * 2 log2(n) rounds (O(n log n) at worst), and add O(n) passes for the tie
 * rule and the sums.  tick(tick_arg), when not NULL, is called at least
 * every PM_TAIL_TICK_EVERY elements of work (the glue checks for
 * interrupts there).
 */
#ifndef PORTMARGIN_TAILSTAT_H
#define PORTMARGIN_TAILSTAT_H

#include <stddef.h>

#define PM_TAIL_TICK_EVERY 65536

typedef struct PmTail
{
	double		var;
	double		es;
	int			var_index;		/* scenario at the VaR quantile */
	int			ntail;			/* scenarios listed in tail[] */
} PmTail;

/* pm_tail's result */
typedef enum PmTailStatus
{
	PM_TAIL_OK = 0,
	PM_TAIL_NOT_FINITE = 1,		/* pnl[var_index] is not finite; nothing computed */
	PM_TAIL_OVERFLOW = 2,		/* ES not finite (cannot happen: kept as a guard) */
	PM_TAIL_NO_WEIGHT = 3		/* the weights do not have a positive finite sum */
} PmTailStatus;

/*
 * pnl[0..n), prob[0..n) (NULL: equally likely; else non-negative finite
 * weights with a positive sum, normalised here), 0 < alpha < 1, n >= 1.
 * work: 2n doubles of scratch.  tail: n ints or NULL (receives the
 * t->ntail scenarios of the tail, VaR scenario included, in increasing
 * index).  tail_weight: n doubles or NULL: each tail scenario's weight in ES
 * (when tail is NULL, every element is set: 0 outside the tail).  tick: see
 * above; may be NULL.
 */
extern PmTailStatus pm_tail(const double *pnl, const double *prob, int n, double alpha, PmTail *t,
							double *tail_weight, int *tail, double *work,
							void (*tick) (void *), void *tick_arg);

/*
 * N beta for n equally likely scenarios, as pm_tail uses it: n (1 - alpha),
 * snapped to the nearest integer when within 1e-9 of it.  The equal-weights
 * tail is the floor(N beta) largest losses with weight 1 each and the VaR
 * scenario with weight N beta - floor(N beta), divided by N beta.
 */
extern double pm_tail_equal_count(int n, double alpha);

#endif							/* PORTMARGIN_TAILSTAT_H */
