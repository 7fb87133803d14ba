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

#include <math.h>

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

/*
 * Double-double numbers: hi + lo with |lo| <= ulp(hi)/2, about 106
 * significant bits, built from error-free transformations (Knuth's TwoSum,
 * Dekker's / FMA TwoProduct; see e.g. Muller et al., "Handbook of
 * Floating-Point Arithmetic", 2nd ed., 2018, ch. 4 and 14).  Used for the
 * intrinsic value on the forward, the difference of two discounted amounts
 * that may be 1,000 times larger than their difference (deep in the money,
 * short expiry): in double it would carry the rounding of the larger
 * amounts, ulp(spot), instead of ulp(price).  These require IEEE double
 * arithmetic rounded to nearest without excess precision
 * (FLT_EVAL_METHOD == 0: every 64-bit target).
 */
typedef struct PmDD
{
	double		hi;
	double		lo;
} PmDD;

/* a + b exactly (Knuth's TwoSum) */
static inline PmDD
pm_dd_two_sum(double a, double b)
{
	double		s = a + b;
	double		bb = s - a;
	PmDD		r = {s, (a - (s - bb)) + (b - bb)};

	return r;
}

/* a + b exactly when |a| >= |b| (Dekker's FastTwoSum) */
static inline PmDD
pm_dd_fast_two_sum(double a, double b)
{
	double		s = a + b;
	PmDD		r = {s, b - (s - a)};

	return r;
}

/* the double nearest to a double-double */
static inline double
pm_dd_value(PmDD a)
{
	return a.hi + a.lo;
}

/* a - b */
static inline PmDD
pm_dd_sub(PmDD a, PmDD b)
{
	PmDD		s = pm_dd_two_sum(a.hi, -b.hi);

	s.lo += a.lo - b.lo;
	return pm_dd_fast_two_sum(s.hi, s.lo);
}

/* a + b for a double b */
static inline PmDD
pm_dd_add_d(PmDD a, double b)
{
	PmDD		s = pm_dd_two_sum(a.hi, b);

	s.lo += a.lo;
	return pm_dd_fast_two_sum(s.hi, s.lo);
}

/*
 * a * b exactly, for |a|, |b| below 2^995 and a product that is 0 or above
 * 2^-969 in magnitude.  With a fused multiply-add in the target's
 * instruction set (FP_FAST_FMA) the error is fma(a, b, -p); otherwise
 * Dekker's product of Veltkamp halves.  (Without FP_FAST_FMA the compiler
 * has no FMA to contract the split into, which would break it.)
 */
static inline PmDD
pm_dd_two_prod(double a, double b)
{
	double		p = a * b;
	PmDD		r;

#ifdef FP_FAST_FMA
	r.hi = p;
	r.lo = fma(a, b, -p);
#else
	double		ca = 134217729.0 * a;	/* 2^27 + 1 */
	double		cb = 134217729.0 * b;
	double		ah = ca - (ca - a),
				al = a - ah;
	double		bh = cb - (cb - b),
				bl = b - bh;

	r.hi = p;
	r.lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
	return r;
}

/*
 * The discounted forward A = S exp(-q t) and discounted strike
 * B = K exp(-r t) as double-doubles, relative error below 2^-78, for S and
 * K below 2^995 and |q t|, |r t| up to 700; otherwise (and where a value
 * is near the subnormal range) the double value with lo = 0.  Black-76:
 * S = F, q = r.
 */
extern void pm_discounted_pair(double S, double q, double K, double r, double t,
							   PmDD *A, PmDD *B);

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

/*
 * The same for a caller that evaluates many s at one x (the implied
 * volatility solver): b(x, s) = pm_black_otm_call(exp(x/2), exp(-x/2), x, s);
 * ln b from exp(x/2) and exp(-x/2) in long double; exp(x/2) - b from
 * F = exp(x/2), K = exp(-x/2).
 */
extern double pm_log_black_otm_call(long double e_half, long double e_neg_half, double x,
									double s);
extern double pm_black_otm_call_complement(double F, double K, double x, double s);

/* ln(F/K), accurate near the money. */
extern double pm_log_moneyness(double F, double K);


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
