/*
 * var_tail.h
 *	  The tail of a VaR / ES margin as a list (pure numeric code: no
 *	  PostgreSQL headers): which scenarios the statistic is made of and each
 *	  one's weight, for a P&L vector or for a joint (var) scenario set's
 *	  groups (main and floor), and per-position Euler contributions over it.
 *
 * Everything goes through pm_tail (tailstat.h), the function behind
 * value_at_risk, expected_shortfall and the var method's margin, and the
 * binding group is chosen as method_var.c chooses it (the floor group when
 * its statistic is larger).  A group whose scenario weights are all equal
 * is passed to pm_tail as equally likely (as the var method does); a P&L
 * vector's explicit weights always take the weighted path (as
 * expected_shortfall does).
 *
 * Weights listed (weight[]): for ES, each scenario beyond the VaR carries
 * its own scenario weight (1 without weights) and the VaR scenario the part
 * of its weight that fills the tail (equal weights c: c (N beta -
 * floor(N beta)), N beta as pm_tail_equal_count gives it; weighted: its
 * tail probability times the group's total weight); for VaR the VaR
 * scenario alone, weight 1.  So statistic = -sum(weight pnl) / sum(weight).
 * share[] is each listed scenario's weight in the Euler contributions
 * (pm_tail's tail weights: summing to 1), the ones the margin method uses.
 */
#ifndef PORTMARGIN_VAR_TAIL_H
#define PORTMARGIN_VAR_TAIL_H

#include "tailstat.h"

typedef struct PmSetTail
{
	double		statistic;		/* the binding group's statistic (VaR or ES) */
	double		margin;			/* max(0, statistic) (1 + buffer) */
	int			use_floor;		/* the floor group binds */
	int			var_scenario;	/* the binding group's VaR scenario (0-based, in the whole vector) */
	int			ntail;			/* rows in tail[], weight[], share[] */
	int		   *tail;			/* scenario numbers (0-based, whole vector), increasing */
	double	   *weight;
	double	   *share;
	PmTailStatus status;		/* PM_TAIL_OK, or pm_tail's problem */
	int			bad_scenario;	/* then: the scenario it names (-1: none) */
} PmSetTail;

/*
 * pnl[0..n): the P&L vector; weights: n scenario weights or NULL (all 1);
 * detect_equal: a group whose weights are all equal is taken as equally
 * likely (the var method), else weights always take the weighted path;
 * floor_count: the last floor_count scenarios form the floor group (0:
 * none); es: 1 for ES, 0 for VaR.  work: 4n doubles; itail: n ints;
 * r->tail, r->weight, r->share: n elements each, filled.
 */
extern void pm_set_tail(const double *pnl, const double *weights, int n, int detect_equal, double alpha, int es,
						int floor_count, double buffer, PmSetTail *r, double *work, int *itail,
						void (*tick) (void *), void *tick_arg);

/*
 * Euler contributions of k positions: rows[i n + s] is position i's P&L in
 * scenario s times q[i] (q NULL: 1); contribution[i] = (1 + buffer) x
 * sum over the tail of share x (-row), added with compensation; all 0 when
 * the margin is 0 (as the var method's unit_margins).
 */
extern void pm_position_contributions(const double *rows, const double *q, int k, int n, const PmSetTail *r,
									  double buffer, double *contribution, void (*tick) (void *), void *tick_arg);

#endif							/* PORTMARGIN_VAR_TAIL_H */
