/*
 * implied_vol.h
 *	  Implied volatility of Black-76 / Black-Scholes-Merton prices (pure
 *	  numeric code, no PostgreSQL headers).
 */
#ifndef PORTMARGIN_IMPLIED_VOL_H
#define PORTMARGIN_IMPLIED_VOL_H

/* Outcome of an implied-volatility solve. */
typedef enum PmIvStatus
{
	PM_IV_OK = 0,				/* a volatility was found */
	PM_IV_BELOW_INTRINSIC,		/* price below the discounted intrinsic value */
	PM_IV_ABOVE_MAXIMUM,		/* price at or above the discounted forward (or strike) */
	PM_IV_NO_TIME				/* t = 0 and price above intrinsic */
} PmIvStatus;

/*
 * Total standard deviation s with b(x, s) = beta for the normalised
 * out-of-the-money Black call (x <= 0, 0 < beta < exp(x/2)).  Returns -1
 * when beta is at or above the supremum.  *iterations (may be NULL)
 * receives the number of Householder steps taken.
 */
extern double pm_implied_normalised_vol(double beta, double x, int *iterations);

extern double pm_black76_implied_vol(int theta, double price, double F, double K, double t,
									 double r, PmIvStatus *status, int *iterations);
/* coin-settled options: the price in coin, i.e. the Black-76 value / F */
extern double pm_inverse_implied_vol(int theta, double coin_price, double F, double K, double t,
									 double r, PmIvStatus *status, int *iterations);
extern double pm_bs_implied_vol(int theta, double price, double S, double K, double t,
								double r, double q, PmIvStatus *status, int *iterations);

#endif							/* PORTMARGIN_IMPLIED_VOL_H */
