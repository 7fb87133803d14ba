/*
 * pricing.h
 *	  Pure numeric core of portmargin: Black-Scholes-Merton and Black-76
 *	  values and Greeks, and the normalised Black function used by the
 *	  implied-volatility solver.  No PostgreSQL headers: this code is also
 *	  compiled into the stand-alone numeric test (test/c/test_numeric.c).
 *
 * Conventions: t in years, vol as a decimal, rates continuously
 * compounded.  theta is +1 for a call and -1 for a put.  Callers validate
 * inputs (positive finite F, K, S; t >= 0; vol >= 0; finite rates).
 */
#ifndef PORTMARGIN_PRICING_H
#define PORTMARGIN_PRICING_H

#define PM_CALL 1
#define PM_PUT	(-1)

/* Sensitivities of one option; units follow QuantLib (see doc/pricing.md). */
typedef struct PmGreeks
{
	double		price;
	double		delta;			/* dV/dS (BSM) or dV/dF (Black-76) */
	double		gamma;
	double		vega;			/* per 1.00 of vol */
	double		theta;			/* -dV/dt per year */
	double		rho;			/* per 1.00 of rate; Black-76: forward fixed */
	double		dividend_rho;	/* dV/dq (BSM only; 0 for Black-76) */
	double		vanna;			/* d2V/dS dvol */
	double		volga;			/* d2V/dvol2 */
	double		charm;			/* -d(delta)/dt per year */
} PmGreeks;

/* Standard normal density and distribution function. */
extern double pm_norm_pdf(double x);
extern double pm_norm_cdf(double x);

/*
 * Undiscounted value of the out-of-the-money call on forward F <= K with
 * x = ln(F/K) <= 0 and total standard deviation s = vol*sqrt(t) > 0.
 * Ill-conditioned cases (condition number above 7) and N(d1) below 1e-280
 * are recomputed in long double, so the result keeps about 1e-14 relative
 * accuracy wherever it is a normal double.  Used by the implied-volatility
 * solver; option prices use a faster variant (see pricing.c).
 */
extern double pm_black_otm_call(double F, double K, double x, double s);

/* Jaeckel's normalised Black call b(x, s) for x <= 0, its logarithm
 * (no underflow) and its complement exp(x/2) - b (no cancellation). */
extern double pm_normalised_black_otm(double x, double s);
extern double pm_log_normalised_black_otm(double x, double s);
extern double pm_normalised_black_otm_complement(double x, double s);

/* ln(F/K), accurate near the money. */
extern double pm_log_moneyness(double F, double K);

/* Discounted intrinsic value on the forward: df * max(theta*(F-K), 0). */
extern double pm_discounted_intrinsic(int theta, double F, double K, double df);

/* Black-76 on a forward. */
extern double pm_black76_price(int theta, double F, double K, double t, double vol, double r);
extern void pm_black76_greeks(int theta, double F, double K, double t, double vol, double r,
							  PmGreeks *g);
extern double pm_black76_delta(int theta, double F, double K, double t, double vol, double r);
extern double pm_black76_gamma(double F, double K, double t, double vol, double r);
extern double pm_black76_vega(double F, double K, double t, double vol, double r);
extern double pm_black76_theta(int theta, double F, double K, double t, double vol, double r);

/* Black-Scholes-Merton on spot S with dividend (or foreign rate) q. */
extern double pm_bs_forward(double S, double t, double r, double q);
extern double pm_bs_price(int theta, double S, double K, double t, double vol, double r, double q);
extern void pm_bs_greeks(int theta, double S, double K, double t, double vol, double r, double q,
						 PmGreeks *g);
extern double pm_bs_delta(int theta, double S, double K, double t, double vol, double r, double q);
extern double pm_bs_gamma(double S, double K, double t, double vol, double r, double q);
extern double pm_bs_vega(double S, double K, double t, double vol, double r, double q);
extern double pm_bs_theta(int theta, double S, double K, double t, double vol, double r, double q);

#endif							/* PORTMARGIN_PRICING_H */
