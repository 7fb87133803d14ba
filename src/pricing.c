/*
 * pricing.c
 *	  Black-76 and Black-Scholes-Merton values and Greeks (pure numeric code).
 *
 * Every value is computed as discounted intrinsic on the forward plus the
 * out-of-the-money option's value (put-call parity), so a price is never
 * below intrinsic and never suffers the cancellation of F N(d1) - K N(d2)
 * for in-the-money options.  The out-of-the-money value itself is computed
 * in double where that is well conditioned and recomputed in long double
 * (64-bit mantissa) where the two terms nearly cancel or N(d1) leaves the
 * normal double range.  See doc/pricing.md for conventions and accuracy.
 */
#include "pricing.h"

#include <float.h>
#include <math.h>

#define PM_INV_SQRT_2PI 0.398942280401432677939946059934381868
#define PM_SQRT1_2L		0.707106781186547524400844362104849039L

double
pm_norm_pdf(double x)
{
	return PM_INV_SQRT_2PI * exp(-0.5 * x * x);
}

static inline double
norm_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

double
pm_norm_cdf(double x)
{
	return norm_cdf(x);
}

static long double
norm_cdf_ld(long double x)
{
	return 0.5L * erfcl(-x * PM_SQRT1_2L);
}

double
pm_log_moneyness(double F, double K)
{
	double		d = F - K;
	double		q;

	/* F - K is exact here (Sterbenz), so log1p keeps full accuracy */
	if (fabs(d) <= 0.5 * K)
		return log1p(d / K);
	q = F / K;
	if (q > 0.0 && isfinite(q))
		return log(q);
	return log(F) - log(K);
}

/*
 * Long double evaluation of F N(d1) - K N(d2) for the out-of-the-money call.
 * Used where the double evaluation would lose too many bits to
 * cancellation or N(d1) leaves the normal double range.
 */
static double
black_otm_call_ld(double F, double K, long double x, double s)
{
	long double xs = x / (long double) s;
	long double hs = 0.5L * (long double) s;
	long double a = (long double) F * norm_cdf_ld(xs + hs);
	long double c = (long double) K * norm_cdf_ld(xs - hs);
	long double v = a - c;

	return v > 0.0L ? (double) v : 0.0;
}

/*
 * The double evaluation, or -1 where it is not accurate enough: c > ratio a
 * (condition number (a + c) / (a - c) above (1 + ratio) / (1 - ratio)) or
 * N(d1) near underflow.  Errors in ln(F/K) cancel to first order
 * (F phi(d1) = K phi(d2)); the rounding of N(d1), N(d2) and of d1, d2 is
 * about (2 + d^2/2) ulp each, so the result is within cond (2 + d^2/2) ulp.
 */
static inline double
black_otm_call_double(double F, double K, double x, double s, double ratio)
{
	double		xs = x / s;
	double		n1 = norm_cdf(xs + 0.5 * s);
	double		a,
				c;

	if (n1 > 1e-280)
	{
		a = F * n1;
		c = K * norm_cdf(xs - 0.5 * s);
		if (c <= ratio * a)
			return a - c;
	}
	return -1.0;
}

/*
 * For the implied-volatility solver: condition number at most 7, so the
 * value is within about 100 ulp and the iteration's noise floor stays
 * below its stopping rule.
 */
double
pm_black_otm_call(double F, double K, double x, double s)
{
	double		v;

	if (x == 0.0)
		return F * erf(s * (0.5 * M_SQRT1_2));	/* F (2N(s/2) - 1) */
	v = black_otm_call_double(F, K, x, s, 0.75);
	return v >= 0.0 ? v : black_otm_call_ld(F, K, x, s);
}

/*
 * The same for option prices, given x ~ ln(F/K) to double precision (which
 * suffices for the double evaluation); the fallback recomputes ln(F/K) in
 * long double so that its conditioning does not amplify the rounding of the
 * logarithm.  Condition numbers up to 199 stay in double: within
 * 199 (2 + d^2/2) ulp, 3e-13 relative for |d| <= 5 (prices above 1e-6 of
 * the forward) and 2e-11 for |d| <= 38; the long double path costs about
 * ten times as much and is taken for 1% of random options.
 */
static inline double
black_otm_call_price(double F, double K, double x, double s)
{
	double		v;

	if (F == K)
		return F * erf(s * (0.5 * M_SQRT1_2));
	v = black_otm_call_double(F, K, x, s, 0.99);
	return v >= 0.0 ? v : black_otm_call_ld(F, K, logl((long double) F / (long double) K), s);
}

double
pm_normalised_black_otm(double x, double s)
{
	return pm_black_otm_call(exp(0.5 * x), exp(-0.5 * x), x, s);
}

/*
 * ln b(x, s) for x < 0.  Within long double range the value is computed
 * directly; far in the tail (only ever visited transiently by the implied
 * volatility iteration) the leading asymptotic term of Jaeckel (2015) eq.
 * (2.8) is used.
 */
double
pm_log_normalised_black_otm(double x, double s)
{
	long double xs = (long double) x / (long double) s;
	long double hs = 0.5L * (long double) s;
	long double a,
				c,
				v;

	if (x == 0.0)
		return log(erf(s * (0.5 * M_SQRT1_2)));
	if (xs + hs > -140.0L)
	{
		a = expl(0.5L * x) * norm_cdf_ld(xs + hs);
		c = expl(-0.5L * x) * norm_cdf_ld(xs - hs);
		v = a - c;
		if (v > 0.0L)
			return (double) logl(v);
	}
	/* b ~ phi-scaled: exp(-(h^2+t^2)/2)/sqrt(2 pi) * 2t/(h^2 - t^2) */
	return (double) (-0.5L * (xs * xs + hs * hs) + logl((long double) PM_INV_SQRT_2PI)
					 + logl(2.0L * hs / (xs * xs - hs * hs)));
}

double
pm_normalised_black_otm_complement(double x, double s)
{
	double		xs = x / s;

	return exp(0.5 * x) * norm_cdf(-xs - 0.5 * s)
		+ exp(-0.5 * x) * norm_cdf(xs - 0.5 * s);
}

double
pm_discounted_intrinsic(int theta, double F, double K, double df)
{
	double		v = theta > 0 ? F - K : K - F;

	return v > 0.0 ? df * v : 0.0;
}

/*
 * Undiscounted Black value: intrinsic on the forward plus out-of-the-money
 * value; x ~ ln(F/K).
 */
static inline double
black_undiscounted(int theta, double F, double K, double x, double s)
{
	/* branch-free choice of the out-of-the-money side: random option types
	 * and moneyness would otherwise mispredict on every other row */
	double		intrinsic = fmax(theta * (F - K), 0.0);

	return intrinsic + black_otm_call_price(fmin(F, K), fmax(F, K), -fabs(x), s);
}

/* Discounted Black value given x ~ ln(F/K). */
static inline double
black_price(int theta, double F, double K, double x, double t, double vol, double r)
{
	double		df = exp(-r * t);
	double		s = vol * sqrt(t);

	if (!(s > 0.0))
		return pm_discounted_intrinsic(theta, F, K, df);
	return df * black_undiscounted(theta, F, K, x, s);
}

/* The pieces shared by every Greek of a Black-76 option. */
typedef struct BlackTerms
{
	double		df;				/* exp(-r t) */
	double		sqrt_t;
	double		s;				/* vol sqrt(t) */
	int			smooth;			/* s > 0: the d-terms below are defined */
	double		x;				/* ln(F/K) */
	double		d1;
	double		d2;
	double		pdf1;			/* phi(d1) */
	double		itm;			/* s == 0: 1 in the money, 0 out, 1/2 at the money */
} BlackTerms;

static void
black_terms(int theta, double F, double K, double t, double vol, double r, BlackTerms *bt)
{
	bt->df = exp(-r * t);
	bt->sqrt_t = sqrt(t);
	bt->s = vol * bt->sqrt_t;
	bt->smooth = bt->s > 0.0;
	if (bt->smooth)
	{
		double		x = pm_log_moneyness(F, K);

		bt->x = x;
		bt->d1 = x / bt->s + 0.5 * bt->s;
		bt->d2 = x / bt->s - 0.5 * bt->s;
		bt->pdf1 = pm_norm_pdf(bt->d1);
		bt->itm = 0.0;
	}
	else
	{
		double		v = theta * (F - K);

		bt->x = bt->d1 = bt->d2 = bt->pdf1 = 0.0;
		bt->itm = v > 0.0 ? 1.0 : (v == 0.0 ? 0.5 : 0.0);
	}
}

static double
black_price_from_terms(int theta, double F, double K, const BlackTerms *bt)
{
	if (!bt->smooth)
		return pm_discounted_intrinsic(theta, F, K, bt->df);
	return bt->df * black_undiscounted(theta, F, K, bt->x, bt->s);
}

static double
black_delta_from_terms(int theta, const BlackTerms *bt)
{
	double		n = bt->smooth ? norm_cdf(theta * bt->d1) : bt->itm;

	return theta * bt->df * n + 0.0;	/* + 0.0: an out-of-the-money put has delta 0, not -0 */
}

/* gamma, vega and the vol part of theta vanish when phi(d1) underflows */
static double
black_gamma_from_terms(double F, const BlackTerms *bt)
{
	return bt->pdf1 > 0.0 ? bt->df * bt->pdf1 / (F * bt->s) : 0.0;
}

static double
black_vega_from_terms(double F, double t, double vol, const BlackTerms *bt)
{
	if (bt->pdf1 > 0.0)
		return bt->df * F * bt->pdf1 * bt->sqrt_t;
	/* at vol = 0, t > 0 and F = K the right derivative is df F sqrt(t) phi(0) */
	if (!bt->smooth && bt->itm == 0.5 && t > 0.0 && vol == 0.0)
		return bt->df * F * bt->sqrt_t * PM_INV_SQRT_2PI;
	return 0.0;
}

static double
black_theta_from_terms(double price, double F, double vol, double r, const BlackTerms *bt)
{
	double		v = r * price;

	if (bt->pdf1 > 0.0)
		v -= bt->df * F * bt->pdf1 * vol / (2.0 * bt->sqrt_t);
	return v;
}

double
pm_black76_price(int theta, double F, double K, double t, double vol, double r)
{
	return black_price(theta, F, K, log(F / K), t, vol, r);
}

static void
black_greeks_from_terms(int theta, double F, double K, double t, double vol, double r,
						const BlackTerms *bt, PmGreeks *g)
{
	g->price = black_price_from_terms(theta, F, K, bt);
	g->delta = black_delta_from_terms(theta, bt);
	g->gamma = black_gamma_from_terms(F, bt);
	g->vega = black_vega_from_terms(F, t, vol, bt);
	g->theta = black_theta_from_terms(g->price, F, vol, r, bt);
	g->rho = -t * g->price;
	g->dividend_rho = 0.0;
	g->charm = r * g->delta;
	if (bt->pdf1 > 0.0)
	{
		g->vanna = -bt->df * bt->pdf1 * bt->d2 / vol;
		g->volga = g->vega * bt->d1 * bt->d2 / vol;
		g->charm += bt->df * bt->pdf1 * bt->d2 / (2.0 * t);
	}
	else
		g->vanna = g->volga = 0.0;
}

void
pm_black76_greeks(int theta, double F, double K, double t, double vol, double r, PmGreeks *g)
{
	BlackTerms	bt;

	black_terms(theta, F, K, t, vol, r, &bt);
	black_greeks_from_terms(theta, F, K, t, vol, r, &bt, g);
}

double
pm_black76_delta(int theta, double F, double K, double t, double vol, double r)
{
	BlackTerms	bt;

	black_terms(theta, F, K, t, vol, r, &bt);
	return black_delta_from_terms(theta, &bt);
}

double
pm_black76_gamma(double F, double K, double t, double vol, double r)
{
	BlackTerms	bt;

	black_terms(PM_CALL, F, K, t, vol, r, &bt);
	return black_gamma_from_terms(F, &bt);
}

double
pm_black76_vega(double F, double K, double t, double vol, double r)
{
	BlackTerms	bt;

	black_terms(PM_CALL, F, K, t, vol, r, &bt);
	return black_vega_from_terms(F, t, vol, &bt);
}

double
pm_black76_theta(int theta, double F, double K, double t, double vol, double r)
{
	BlackTerms	bt;

	black_terms(theta, F, K, t, vol, r, &bt);
	return black_theta_from_terms(black_price_from_terms(theta, F, K, &bt), F, vol, r, &bt);
}

/*
 * Black-Scholes-Merton: the Black-76 value on F = S exp((r - q) t); spot
 * Greeks follow from the chain rule through dF/dS = exp((r - q) t),
 * dF/dt = (r - q) F, dF/dr = t F and dF/dq = -t F.
 */
double
pm_bs_forward(double S, double t, double r, double q)
{
	return S * exp((r - q) * t);
}

double
pm_bs_price(int theta, double S, double K, double t, double vol, double r, double q)
{
	/* ln(F/K) = ln(S/K) + (r - q) t: the log need not wait for the exp */
	return black_price(theta, pm_bs_forward(S, t, r, q), K, log(S / K) + (r - q) * t, t, vol, r);
}

void
pm_bs_greeks(int theta, double S, double K, double t, double vol, double r, double q, PmGreeks *g)
{
	double		b = r - q;
	double		growth = exp(b * t);
	double		F = S * growth;
	double		delta_f,
				gamma_f;
	BlackTerms	bt;

	black_terms(theta, F, K, t, vol, r, &bt);
	black_greeks_from_terms(theta, F, K, t, vol, r, &bt, g);
	delta_f = g->delta;
	gamma_f = g->gamma;
	g->delta = delta_f * growth;
	g->gamma = gamma_f * growth * growth;
	g->vanna *= growth;
	g->theta -= delta_f * b * F;
	/* rho = theta t K df N(theta d2) directly: -t V + t F delta_f cancels at high vol */
	g->rho = theta * t * K * bt.df * (bt.smooth ? norm_cdf(theta * bt.d2) : bt.itm);
	g->dividend_rho = -delta_f * t * F;
	g->charm = growth * (g->charm - b * F * gamma_f - b * delta_f);
}

double
pm_bs_delta(int theta, double S, double K, double t, double vol, double r, double q)
{
	double		growth = exp((r - q) * t);

	return growth * pm_black76_delta(theta, S * growth, K, t, vol, r);
}

double
pm_bs_gamma(double S, double K, double t, double vol, double r, double q)
{
	double		growth = exp((r - q) * t);

	return growth * growth * pm_black76_gamma(S * growth, K, t, vol, r);
}

double
pm_bs_vega(double S, double K, double t, double vol, double r, double q)
{
	return pm_black76_vega(pm_bs_forward(S, t, r, q), K, t, vol, r);
}

double
pm_bs_theta(int theta, double S, double K, double t, double vol, double r, double q)
{
	double		F = pm_bs_forward(S, t, r, q);
	BlackTerms	bt;

	black_terms(theta, F, K, t, vol, r, &bt);
	return black_theta_from_terms(black_price_from_terms(theta, F, K, &bt), F, vol, r, &bt)
		- black_delta_from_terms(theta, &bt) * (r - q) * F;
}
