/*
 * collateral.c
 *	  Tiered discount of collateral (pure numeric code, no PostgreSQL
 *	  headers): see collateral.h and doc/collateral.md.
 */
#include <math.h>

#include "collateral.h"

PmTierStatus
pm_tiers_check(int n, const double *lower, const double *upper, const double *rate, int *bad)
{
	int			k;

	*bad = 0;
	if (n < 1)
		return PM_TIERS_EMPTY;
	for (k = 0; k < n; k++)
	{
		*bad = k;
		if (!(lower[k] >= 0.0 && isfinite(lower[k])) || !(upper[k] >= 0.0))
			return PM_TIERS_BAD_BOUND;
		if (!(rate[k] >= 0.0 && rate[k] <= 1.0))
			return PM_TIERS_BAD_RATE;
		if (k == 0 && lower[0] != 0.0)
			return PM_TIERS_FIRST_NOT_ZERO;
		if (k > 0 && lower[k] != upper[k - 1])
			return PM_TIERS_GAP;
		if (!(upper[k] > lower[k]))
			return PM_TIERS_EMPTY_BAND;
		if (isinf(upper[k]) && k < n - 1)
			return PM_TIERS_UNBOUNDED_NOT_LAST;
	}
	*bad = -1;
	return PM_TIERS_OK;
}

double
pm_tiered_value(double amount, int n, const double *lower, const double *upper,
				const double *rate, double rate_beyond)
{
	double		value = 0.0;
	int			k;

	for (k = 0; k < n && amount > lower[k]; k++)
		value += rate[k] * (fmin(amount, upper[k]) - lower[k]);
	if (k == n && amount > upper[n - 1])
		value += rate_beyond * (amount - upper[n - 1]);
	return value;
}
