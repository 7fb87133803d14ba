/*
 * compensated.h
 *	  Neumaier's compensated sum (A. Neumaier, ZAMM 54(1), 1974), products
 *	  made exact with fma (Ogita, Rump & Oishi, SIAM J. Sci. Comput. 26(6),
 *	  2005, Sum2 / Dot2): the sums of tailstat.c and var_tail.c.  Pure
 *	  numeric code (no PostgreSQL headers).
 */
#ifndef PORTMARGIN_COMPENSATED_H
#define PORTMARGIN_COMPENSATED_H

#include <math.h>

typedef struct PmSum
{
	double		s;				/* the running sum */
	double		c;				/* the running compensation */
} PmSum;

static inline void
pm_sum_add(PmSum *a, double x)
{
	double		t = a->s + x;

	if (fabs(a->s) >= fabs(x))
		a->c += (a->s - t) + x;
	else
		a->c += (x - t) + a->s;
	a->s = t;
}

static inline void
pm_sum_add_product(PmSum *a, double x, double y)
{
	double		h = x * y;

	pm_sum_add(a, h);
	a->c += fma(x, y, -h);
}

static inline double
pm_sum_value(const PmSum *a)
{
	return a->s + a->c;
}

#endif							/* PORTMARGIN_COMPENSATED_H */
