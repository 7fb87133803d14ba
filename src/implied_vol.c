/*
 * implied_vol.c
 *	  Implied volatility in the manner of Jaeckel, "Let's Be Rational"
 *	  (Wilmott 2015): the price is reduced to the normalised out-of-the-money
 *	  Black call b(x, s), x = ln(F/K) <= 0, s = vol sqrt(t), and s is found
 *	  by third-order Householder steps on one of three objective functions,
 *	  chosen by where the price lies relative to the inflection point
 *	  s_c = sqrt(2|x|) of b:
 *
 *	    low prices    (-2 ln b(s))^(-1/2) - (-2 ln beta)^(-1/2)   (~ s/|x|)
 *	    middle        b(s) - beta
 *	    high prices   ln((b_max - beta) / (b_max - b(s)))  b_max = exp(x/2)
 *
 *	  Initial guesses come from the asymptotic expansion of b for small s
 *	  (low), the tangent at the inflection point (middle) and the
 *	  large-s limit of b_max - b (high).  On the 149,000-point grid of
 *	  test/c/test_numeric.c (s from 1e-6 to 20) a solve takes 2.55 steps on
 *	  average and at most 8 to reach full double precision (2.4 and 5 where
 *	  s >= 1e-3).  The bracket starts at the region's bounds and an iterate
 *	  leaving it falls back to its midpoint (a safeguard, not the method).
 *	  Pure numeric code.
 */
#include "implied_vol.h"
#include "pricing.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#include <gsl/gsl_cdf.h>

#define PM_IV_MAX_STEPS 32
#define PM_LN_SQRT_2PI 0.918938533204672741780329736405617640
#define PM_SQRT_2PI 2.50662827463100050241576528481104525

/* b'(s), the normalised vega, and ln b'(s) */
static double
log_normalised_vega(double x, double s)
{
	double		h = x / s,
				t = 0.5 * s;

	return -0.5 * (h * h + t * t) - PM_LN_SQRT_2PI;
}

/* b''/b' and b'''/b' as functions of s */
static void
vega_ratios(double x, double s, double *r2, double *r3)
{
	double		x2 = x * x;
	double		s2 = s * s;
	double		q = x2 / (s2 * s) - 0.25 * s;

	*r2 = q;
	*r3 = q * q - 3.0 * x2 / (s2 * s2) - 0.25;
}

/* Householder's third-order step from f and its first three derivatives. */
static double
householder3_step(double f, double f1, double f2, double f3)
{
	double		nu = -f / f1;
	double		h2 = f2 / f1;
	double		h3 = f3 / f1;

	return nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
}

typedef enum Region
{
	REGION_LOW,
	REGION_MIDDLE,
	REGION_HIGH
} Region;

/* One solve: the target and exp(+-x/2), computed once rather than per step */
typedef struct Target
{
	double		x;
	double		beta;
	double		ln_beta;		/* low region */
	double		w_beta;			/* b_max - beta, high region */
	double		e_half;			/* exp(x/2) = b_max */
	double		e_neg_half;		/* exp(-x/2) */
	long double e_half_l;		/* the same in long double, low region */
	long double e_neg_half_l;
} Target;

/*
 * Evaluate the region's objective and its derivatives at s.  *below is set
 * to whether b(s) < beta, for bracketing.  Returns the Householder step.
 */
static double
objective_step(Region region, const Target *tg, double s, int *below)
{
	double		x = tg->x,
				beta = tg->beta,
				ln_beta = tg->ln_beta,
				w_beta = tg->w_beta;
	double		r2,
				r3;

	vega_ratios(x, s, &r2, &r3);

	if (region == REGION_LOW)
	{
		/* k(s) = (-2 ln b)^(-1/2), asymptotically s/|x|: close to linear */
		double		L = pm_log_black_otm_call(tg->e_half_l, tg->e_neg_half_l, x, s);
		double		u = exp(log_normalised_vega(x, s) - L); /* b'/b */
		double		b2 = u * r2;	/* b''/b */
		double		b3 = u * r3;	/* b'''/b */
		double		u1 = b2 - u * u;
		double		u2 = b3 - 3.0 * u * b2 + 2.0 * u * u * u;
		double		lam = -2.0 * L;
		double		k = 1.0 / sqrt(lam);
		double		k3 = k * k * k;
		double		k5 = k3 * k * k;
		double		k7 = k5 * k * k;
		double		f = k - 1.0 / sqrt(-2.0 * ln_beta);
		double		f1 = u * k3;
		double		f2 = u1 * k3 + 3.0 * u * u * k5;
		double		f3 = u2 * k3 + 9.0 * u * u1 * k5 + 15.0 * u * u * u * k7;

		*below = L < ln_beta;
		if (f == 0.0)
			return 0.0;
		return householder3_step(f, f1, f2, f3);
	}
	else if (region == REGION_MIDDLE)
	{
		double		b = pm_black_otm_call(tg->e_half, tg->e_neg_half, x, s);
		double		b1 = exp(log_normalised_vega(x, s));

		*below = b < beta;
		if (b == beta)
			return 0.0;
		return householder3_step(b - beta, b1, b1 * r2, b1 * r3);
	}
	else
	{
		double		w = pm_black_otm_call_complement(tg->e_half, tg->e_neg_half, x, s);
		double		b1 = exp(log_normalised_vega(x, s));
		double		g1 = b1 / w;
		double		g2 = g1 * r2;
		double		g3 = g1 * r3;

		*below = w > w_beta;
		if (w == w_beta)
			return 0.0;
		return householder3_step(log(w_beta / w), g1, g2 + g1 * g1,
								 g3 + 3.0 * g2 * g1 + 2.0 * g1 * g1 * g1);
	}
}

/* Initial guess below the lower tangent point: invert the small-s asymptotics. */
static double
low_guess(double x, double ln_beta, double s_upper)
{
	double		ax = fabs(x);
	double		s = ax / sqrt(-2.0 * ln_beta);
	int			i;

	/* ln b ~ -(h^2 + t^2)/2 - ln sqrt(2 pi) + ln(2t / (h^2 - t^2)) */
	for (i = 0; i < 2; i++)
	{
		double		h2 = x * x / (s * s);
		double		t = 0.5 * s;
		double		rest;

		if (!(h2 > t * t))
			break;
		rest = -ln_beta - 0.5 * t * t - PM_LN_SQRT_2PI + log(2.0 * t / (h2 - t * t));
		if (!(rest > 0.0))
			break;
		s = ax / sqrt(2.0 * rest);
	}
	return fmin(s, s_upper);
}

/* Initial guess above the upper tangent point: invert b_max - b ~ 2 cosh(x/2) N(-s/2). */
static double
high_guess(double x, double w_beta, double s_lower)
{
	double		p = w_beta / (2.0 * cosh(0.5 * x));
	double		s;

	if (!(p > 0.0))
		return 2.0 * s_lower;
	s = -2.0 * gsl_cdf_ugaussian_Pinv(fmin(p, 0.5));
	return isfinite(s) ? fmax(s, s_lower) : 2.0 * s_lower;
}

/*
 * The solve for 0 < beta < b_max = exp(x/2), given also w_beta = b_max -
 * beta (from the caller, who may know it without cancellation).
 */
static double
solve_normalised(double beta, double w_beta, double x, int *iterations)
{
	Target		tg;
	double		b_max,
				s_c,
				b_c,
				v_c,
				s_l,
				s_u,
				b_l,
				b_u,
				s,
				lo = 0.0,
				hi = INFINITY,
				ds_prev = INFINITY;
	Region		region;
	int			n;

	if (!(w_beta > 0.0))
		return -1.0;
	tg.x = x;
	tg.beta = beta;
	tg.w_beta = w_beta;
	tg.ln_beta = 0.0;
	tg.e_half = b_max = exp(0.5 * x);
	tg.e_neg_half = exp(-0.5 * x);

	/* inflection point and the tangents through it */
	s_c = sqrt(-2.0 * x);
	b_c = x == 0.0 ? 0.0 : pm_black_otm_call(tg.e_half, tg.e_neg_half, x, s_c);
	v_c = exp(log_normalised_vega(x, s_c));
	if (x == 0.0)
		v_c = 1.0 / PM_SQRT_2PI;
	s_l = s_c - b_c / v_c;
	s_u = s_c + (b_max - b_c) / v_c;
	b_l = s_l > 0.0 ? pm_black_otm_call(tg.e_half, tg.e_neg_half, x, s_l) : 0.0;
	b_u = pm_black_otm_call(tg.e_half, tg.e_neg_half, x, s_u);

	/*
	 * b increases with s, so the region bounds the root: [0, s_l] below
	 * b_l, [s_l, s_u] up to b_u, [s_u, inf) above.  Starting the bracket
	 * there keeps a step that overshoots from leaving the region (0.3.0
	 * jumped from the low guess 7.8e-6 to 199 for x = -3.9e-5, beta =
	 * 3.8e-6 and returned s = 42 instead of 4.1e-5 after 32 steps).  The
	 * bounds are widened by 1e-6 relative: a beta within rounding of b_l or
	 * b_u may have its root just beyond.
	 */
	if (beta < b_l)
	{
		region = REGION_LOW;
		hi = s_l * (1.0 + 1e-6);
		tg.ln_beta = log(beta);
		tg.e_half_l = expl(0.5L * x);
		tg.e_neg_half_l = expl(-0.5L * x);
		s = low_guess(x, tg.ln_beta, s_l);
	}
	else if (beta <= b_u)
	{
		region = REGION_MIDDLE;
		lo = fmax(s_l * (1.0 - 1e-6), 0.0);
		hi = s_u * (1.0 + 1e-6);
		s = s_c + (beta - b_c) / v_c;
		s = fmin(fmax(s, fmax(s_l, 0.0)), s_u);
		if (!(s > 0.0))
			s = 0.5 * s_u;
	}
	else
	{
		region = REGION_HIGH;
		lo = s_u * (1.0 - 1e-6);
		s = high_guess(x, w_beta, s_u);
	}

	for (n = 1; n <= PM_IV_MAX_STEPS; n++)
	{
		int			below;
		double		ds = objective_step(region, &tg, s, &below);
		double		next;

		if (below)
			lo = fmax(lo, s);
		else
			hi = fmin(hi, s);
		if (ds == 0.0)
			break;
		next = s + ds;

		/*
		 * Converged to the noise level of the objective, or no longer
		 * moving.  Near the money at tiny s (|x|, s below 1e-5) the
		 * objective's rounding noise exceeds 16 ulp of s: a step below 1e-9 s
		 * that is not less than half the previous one is that noise (a
		 * converging third-order step would be many orders smaller), so the
		 * iteration stops rather than bounce within the noise for 32 steps.
		 */
		if (fabs(ds) <= 16.0 * DBL_EPSILON * s || next == s
			|| (fabs(ds) <= 1e-9 * s && fabs(ds) >= 0.5 * fabs(ds_prev)))
		{
			s = next;
			break;
		}
		ds_prev = ds;
		if (!(next > lo && next < hi))
			next = isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * s;
		s = next;
	}
	if (iterations)
		*iterations = n > PM_IV_MAX_STEPS ? PM_IV_MAX_STEPS : n;
	return s;
}

double
pm_implied_normalised_vol(double beta, double x, int *iterations)
{
	double		b_max = exp(0.5 * x);

	if (iterations)
		*iterations = 0;
	if (!(beta > 0.0))
		return 0.0;
	if (!(beta < b_max))
		return -1.0;
	return solve_normalised(beta, b_max - beta, x, iterations);
}

/* half an ulp of a positive double: 2^(e - 53) for v in [2^e, 2^(e+1)) */
static double
half_ulp(double v)
{
	union
	{
		double		d;
		uint64_t	u;
	}			b;

	b.d = v;
	b.u &= UINT64_C(0x7ff0000000000000);	/* 2^e (0 for subnormal v) */
	return b.d * 0x1p-53;
}

/*
 * The solve common to every model, from the price and the discounted
 * forward A = F exp(-r t) and discounted strike B = K exp(-r t) as
 * double-doubles (pricing.h).  The time value above intrinsic,
 * price - theta (A - B), and the distance to the upper bound are formed in
 * double-double, so that they carry the rounding of the price, not that of
 * A and B (for a deep in-the-money option A and B can be a thousand times
 * the time value).  A price within half an ulp of the intrinsic value is
 * the intrinsic value (volatility 0), and one within half an ulp of the
 * upper bound is the upper bound (no volatility).
 */
static double
implied_vol_discounted(int theta, PmDD price, PmDD A, PmDD B, double t,
					   PmIvStatus *status, int *iterations)
{
	PmDD		lower = theta > 0 ? pm_dd_sub(A, B) : pm_dd_sub(B, A);
	PmDD		upper = theta > 0 ? A : B;
	double		tv,
				w,
				d,
				x,
				norm,
				s;

	if (iterations)
		*iterations = 0;
	if (lower.hi < 0.0)
		lower.hi = lower.lo = 0.0;
	tv = pm_dd_value(pm_dd_sub(price, lower));
	if (tv < -half_ulp(price.hi))
	{
		*status = PM_IV_BELOW_INTRINSIC;
		return 0.0;
	}
	*status = PM_IV_OK;
	if (tv <= half_ulp(price.hi))
		return 0.0;
	w = pm_dd_value(pm_dd_sub(upper, price));
	if (w <= half_ulp(upper.hi))
	{
		*status = PM_IV_ABOVE_MAXIMUM;
		return 0.0;
	}
	if (!(t > 0.0))
	{
		*status = PM_IV_NO_TIME;
		return 0.0;
	}

	/* x = -|ln(A/B)|, accurate near the money: A - B is known to 2^-80 */
	d = pm_dd_value(pm_dd_sub(A, B));
	if (fabs(d) <= 0.5 * B.hi)
		x = log1p(d / B.hi);
	else if (A.hi / B.hi > 0.0 && isfinite(A.hi / B.hi))
		x = log(A.hi / B.hi);
	else
		x = log(A.hi) - log(B.hi);
	x = -fabs(x);

	/* normalise by sqrt(A B): b_max = exp(x/2) is the upper bound */
	norm = sqrt(A.hi) * sqrt(B.hi);
	s = solve_normalised(tv / norm, w / norm, x, iterations);
	if (!(s >= 0.0))
	{
		*status = PM_IV_ABOVE_MAXIMUM;
		return 0.0;
	}
	return s / sqrt(t);
}

/*
 * The model's solve: S exp(-q t) and K exp(-r t) in double where their
 * rounding cannot matter, in double-double (pm_discounted_pair) where it
 * can.  The criterion is black_price's (pricing.c): in double, the
 * intrinsic value theta (A - B) is off by up to 4 ulp(max(A, B)), which
 * moves the volatility by less than 5e-13 max(1, vol) unless the option is
 * in the money with a time value below 2^-10 min(vol, 1) max(A, B), or
 * s = vol sqrt(t) is above 3, or the price is at a bound in double.  The
 * volatility is not known before the solve: the double solve is tried
 * first when the time value is at least 2^-10 max(A, B) (enough for any
 * vol) and accepted if its vol meets the rule; otherwise the solve is
 * (re)done in double-double.  That path costs two exp_dd, about 40 ns, on
 * 2% of the random options of bench/pricing.sql.
 */
static double
implied_vol_model(int theta, PmDD price, double S, double q, double K, double r, double t,
				  PmIvStatus *status, int *iterations)
{
	double		df = exp(-r * t);
	PmDD		A = {S * (q == r ? df : exp(-q * t)), 0.0};
	PmDD		B = {K * df, 0.0};
	double		intrinsic = theta * (A.hi - B.hi);

	double		tv = pm_dd_value(price) - intrinsic;
	double		M = fmax(A.hi, B.hi);

	if (!(intrinsic > 0.0 && tv < 0x1p-10 * M))
	{
		double		vol = implied_vol_discounted(theta, price, A, B, t, status, iterations);

		if (*status == PM_IV_OK && vol * sqrt(t) <= 3.0
			&& (intrinsic <= 0.0 || tv >= 0x1p-10 * fmin(vol, 1.0) * M))
			return vol;
	}
	pm_discounted_pair(S, q, K, r, t, &A, &B);
	return implied_vol_discounted(theta, price, A, B, t, status, iterations);
}

double
pm_black76_implied_vol(int theta, double price, double F, double K, double t, double r,
					   PmIvStatus *status, int *iterations)
{
	PmDD		p = {price, 0.0};

	return implied_vol_model(theta, p, F, r, K, r, t, status, iterations);
}

double
pm_inverse_implied_vol(int theta, double coin_price, double F, double K, double t, double r,
					   PmIvStatus *status, int *iterations)
{
	PmDD		p;

	/* the USD price coin_price F exactly, not rounded to a double */
	if (coin_price < 0x1p995 && F < 0x1p995 && coin_price * F >= 0x1p-969)
		p = pm_dd_two_prod(coin_price, F);
	else
	{
		p.hi = coin_price * F;
		p.lo = 0.0;
	}
	return implied_vol_model(theta, p, F, r, K, r, t, status, iterations);
}

double
pm_bs_implied_vol(int theta, double price, double S, double K, double t, double r, double q,
				  PmIvStatus *status, int *iterations)
{
	PmDD		p = {price, 0.0};

	return implied_vol_model(theta, p, S, q, K, r, t, status, iterations);
}
