/*
 * stress.h
 *	  Stress revaluation: the USD profit and loss of one instrument under
 *	  joint stress scenarios (relative moves of its underlying's index and
 *	  forwards, shifts of its implied volatility), valued at the stressed
 *	  prices, for the stress report (stress_sql.c, doc/stress-testing.md).
 */
#ifndef PORTMARGIN_STRESS_H
#define PORTMARGIN_STRESS_H

#include <stddef.h>

typedef struct PmStressInstrument
{
	int			kind;			/* PmKind (riskarray.h) */
	int			inverse;		/* coin-settled */
	int			theta;			/* options: +1 call, -1 put */
	double		strike;
	double		t;				/* years to expiry */
	double		forward;
	double		vol;
	double		index_price;	/* USD per coin */
	double		rate;			/* linear options: continuously compounded USD rate */
} PmStressInstrument;

/*
 * acc[i] += scale * (USD value per contract in scenario i - USD value now),
 * for i in [0, n): scenario i moves the index and the forward by
 * moves[i * stride] (relative, > -1) and the implied volatility by
 * vol_shifts[i * stride] (NULL: no shift; absolute points, or relative when
 * vol_relative), floored at 0.
 */
extern void pm_stress_pnl(const PmStressInstrument *ins, const double *moves, const double *vol_shifts,
						  size_t stride, int vol_relative, int n, double scale, double *acc);

#endif							/* PORTMARGIN_STRESS_H */
