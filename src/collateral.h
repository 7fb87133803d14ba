/*
 * collateral.h
 *	  Collateral valuation (pure numeric code): the value of an amount of a
 *	  currency under a tiered discount schedule, as OKX defines its
 *	  "discount rate" tiers (each band of the amount counts at its tier's
 *	  rate) and as a flat haircut is a one-tier schedule (rate = 1 - haircut).
 *	  SQL glue: collateral_sql.c.  Sources: doc/collateral.md.
 */
#ifndef PORTMARGIN_COLLATERAL_H
#define PORTMARGIN_COLLATERAL_H

/* what pm_tiers_check finds wrong, with the tier's 0-based index */
typedef enum PmTierStatus
{
	PM_TIERS_OK = 0,
	PM_TIERS_EMPTY,				/* no tier */
	PM_TIERS_FIRST_NOT_ZERO,	/* lower[0] != 0 */
	PM_TIERS_GAP,				/* lower[k] != upper[k-1] */
	PM_TIERS_EMPTY_BAND,		/* upper[k] <= lower[k] */
	PM_TIERS_UNBOUNDED_NOT_LAST,	/* upper[k] infinite before the last tier */
	PM_TIERS_BAD_RATE,			/* rate[k] not in [0, 1] */
	PM_TIERS_BAD_BOUND			/* lower[k] or upper[k] negative or NaN */
} PmTierStatus;

/*
 * Check n tiers: tier k covers amounts in [lower[k], upper[k]) (upper[k] =
 * INFINITY: unbounded, last tier only) and counts them at rate[k].  The
 * tiers must start at 0 and be contiguous.  Sets *bad to the offending tier.
 */
extern PmTierStatus pm_tiers_check(int n, const double *lower, const double *upper,
								   const double *rate, int *bad);

/*
 * The discounted value of amount >= 0 under checked tiers: the sum over the
 * tiers of rate[k] x the part of the amount inside [lower[k], upper[k]),
 * plus rate_beyond x the part above the last tier's upper bound (OKX's
 * minDiscountRate; 0 if none).
 */
extern double pm_tiered_value(double amount, int n, const double *lower, const double *upper,
							  const double *rate, double rate_beyond);

#endif							/* PORTMARGIN_COLLATERAL_H */
