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
 * normal double range.  Deep in the money the intrinsic value
 * S exp(-qt) - K exp(-rt) is formed in double-double (black_price).  See
 * doc/pricing.md for conventions and accuracy.
 */
#include "pricing.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#ifdef __GNUC__
#define PM_NOINLINE __attribute__((noinline))
#define PM_ALWAYS_INLINE inline __attribute__((always_inline))
#define unlikely(x) __builtin_expect((x) != 0, 0)
#else
#define PM_NOINLINE
#define PM_ALWAYS_INLINE inline
#define unlikely(x) (x)
#endif

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

/* ---- exp(a) and S exp(-q t) in double-double ---- */

#define PM_EXP_TABLE_SIZE 128
#define PM_LN2_HI	0x1.62e42fefa39efp-1	/* ln 2 = PM_LN2_HI + PM_LN2_LO to 2^-107 */
#define PM_LN2_LO	0x1.abc9e3b39803fp-56
#define PM_INV_LN2	0x1.71547652b82fep0

/* 2^(j/128), j = 0..127, as double-doubles; filled on first use */
static PmDD exp2_table[PM_EXP_TABLE_SIZE];
static int	exp2_table_ready = 0;

/* a * b, double-double times double-double (relative error about 2^-104) */
static PmDD
dd_mul(PmDD a, PmDD b)
{
	PmDD		p = pm_dd_two_prod(a.hi, b.hi);

	p.lo += a.hi * b.lo + a.lo * b.hi;
	return pm_dd_fast_two_sum(p.hi, p.lo);
}

/*
 * The table by the Taylor series of exp(j ln2 / 128) in double-double
 * arithmetic (terms to a^27/27!, below 2^-110 for a < ln 2): run once per
 * process, about 100 microseconds.
 */
static void
fill_exp2_table(void)
{
	int			j,
				n;

	for (j = 0; j < PM_EXP_TABLE_SIZE; j++)
	{
		PmDD		a = pm_dd_two_prod((double) j, PM_LN2_HI / PM_EXP_TABLE_SIZE);
		PmDD		term = {1.0, 0.0};
		PmDD		sum = {1.0, 0.0};

		a = pm_dd_add_d(a, (double) j * (PM_LN2_LO / PM_EXP_TABLE_SIZE));
		for (n = 1; n <= 27; n++)
		{
			/* term *= a / n: the double-double quotient by the integer n */
			double		q1,
						q2;
			PmDD		qn;

			term = dd_mul(term, a);
			q1 = term.hi / n;
			qn = pm_dd_two_prod(q1, (double) n);
			q2 = ((term.hi - qn.hi) - qn.lo + term.lo) / n;
			term = pm_dd_fast_two_sum(q1, q2);
			sum = pm_dd_add_d(sum, term.hi);
			sum = pm_dd_add_d(sum, term.lo);
		}
		exp2_table[j] = sum;
	}
	exp2_table_ready = 1;
}

/*
 * exp(a) for a = a.hi + a.lo, |a.hi| <= 700, relative error below 2^-78
 * (2^-78.7 the worst of 37,000 arguments against mpmath): a =
 * (128 m + j) ln2 / 128 + r with |r| <= ln2 / 256, exp(a) =
 * 2^m 2^(j/128) exp(r); expm1(r) is r + r^2/2 in double-double plus the
 * series r^3 (1/6 + r/24 + ... + r^5/40320) in double (below 3.4e-9, so
 * its rounding is below 2^-81).  About 20 ns.
 */
static PmDD
exp_dd(PmDD a)
{
	const double shift = 0x1.8p52;
	double		kd,
				tail,
				pow2;
	int			k,
				j;
	PmDD		p,
				r,
				r2,
				e,
				t,
				te,
				v;
	union
	{
		double		d;
		uint64_t	u;
	}			bits;

	if (a.hi == 0.0 && a.lo == 0.0)
	{
		PmDD		one = {1.0, 0.0};

		return one;
	}
	if (!exp2_table_ready)
		fill_exp2_table();

	/* k = round(a 128 / ln 2); r = a - k ln2 / 128, the first difference exact */
	kd = (a.hi * (PM_EXP_TABLE_SIZE * PM_INV_LN2) + shift) - shift;
	k = (int) kd;
	p = pm_dd_two_prod(kd, PM_LN2_HI / PM_EXP_TABLE_SIZE);
	r = pm_dd_two_sum(a.hi - p.hi, a.lo - p.lo - kd * (PM_LN2_LO / PM_EXP_TABLE_SIZE));

	r2 = pm_dd_two_prod(r.hi, r.hi);
	r2.lo += 2.0 * r.hi * r.lo;
	tail = r2.hi * r.hi * (1.0 / 6 + r.hi * (1.0 / 24 + r.hi * (1.0 / 120 + r.hi * (1.0 / 720
				+ r.hi * (1.0 / 5040 + r.hi * (1.0 / 40320))))));
	e = pm_dd_two_sum(r.hi, 0.5 * r2.hi);
	e.lo += r.lo + 0.5 * r2.lo + tail;

	/* 2^(j/128) (1 + e) */
	j = k & (PM_EXP_TABLE_SIZE - 1);
	t = exp2_table[j];
	te = pm_dd_two_prod(t.hi, e.hi);
	te.lo += t.hi * e.lo + t.lo * e.hi;
	v = pm_dd_two_sum(t.hi, te.hi);
	v.lo += t.lo + te.lo;
	v = pm_dd_fast_two_sum(v.hi, v.lo);

	/* times 2^m, m = (k - j) / 128 in -1011..1010: exact */
	bits.u = (uint64_t) ((k - j) / PM_EXP_TABLE_SIZE + 1023) << 52;
	pow2 = bits.d;
	v.hi *= pow2;
	v.lo *= pow2;
	return v;
}

/* S e, rounded to double-double, e = exp(-q t) from exp_dd */
static PmDD
scale_dd(double S, PmDD e)
{
	PmDD		v = pm_dd_two_prod(S, e.hi);

	v.lo += S * e.lo;
	v = pm_dd_fast_two_sum(v.hi, v.lo);
	if (!(fabs(v.hi) >= 0x1p-969))
		v.lo = 0.0;				/* near or below the subnormal range: no extra bits */
	return v;
}

/* exp(-q t) as a double-double, or lo = 0 where exp_dd does not apply */
static PmDD
discount_factor_dd(double q, double t, double S)
{
	PmDD		a = pm_dd_two_prod(-q, t);

	if (!(fabs(a.hi) <= 700.0 && fabs(q) < 0x1p995 && t < 0x1p995 && S < 0x1p995))
	{
		a.hi = exp(-q * t);
		a.lo = 0.0;
		return a;
	}
	if (fabs(a.hi) < 0x1p-969)
		a.lo = 0.0;				/* the product's error is below the subnormal range */
	return exp_dd(a);
}

void
pm_discounted_pair(double S, double q, double K, double r, double t, PmDD *A, PmDD *B)
{
	PmDD		er = discount_factor_dd(r, t, fmax(S, K));

	*A = scale_dd(S, q == r ? er : discount_factor_dd(q, t, S));
	*B = scale_dd(K, er);
}

/*
 * The discounted intrinsic value on the forward, theta (S e^{-qt} - K
 * e^{-rt}) if positive, 0 otherwise, as a double-double.
 */
static PmDD
intrinsic_dd(int theta, double S, double q, double K, double r, double t)
{
	PmDD		A,
				B,
				v;

	pm_discounted_pair(S, q, K, r, t, &A, &B);
	v = theta > 0 ? pm_dd_sub(A, B) : pm_dd_sub(B, A);
	if (!(v.hi > 0.0))
		v.hi = v.lo = 0.0;
	return v;
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
 * ln b(x, s) for x < 0, given E = exp(x/2) and 1/E in long double.  Within
 * long double range the value is computed directly; far in the tail (only
 * ever visited transiently by the implied volatility iteration) the
 * leading asymptotic term of Jaeckel (2015) eq. (2.8) is used.
 */
double
pm_log_black_otm_call(long double e_half, long double e_neg_half, double x, double s)
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
		a = e_half * norm_cdf_ld(xs + hs);
		c = e_neg_half * norm_cdf_ld(xs - hs);
		v = a - c;
		if (v > 0.0L)
			return (double) logl(v);
	}
	/* b ~ phi-scaled: exp(-(h^2+t^2)/2)/sqrt(2 pi) * 2t/(h^2 - t^2) */
	return (double) (-0.5L * (xs * xs + hs * hs) + logl((long double) PM_INV_SQRT_2PI)
					 + logl(2.0L * hs / (xs * xs - hs * hs)));
}

double
pm_log_normalised_black_otm(double x, double s)
{
	return pm_log_black_otm_call(expl(0.5L * x), expl(-0.5L * x), x, s);
}

double
pm_black_otm_call_complement(double F, double K, double x, double s)
{
	double		xs = x / s;

	return F * norm_cdf(-xs - 0.5 * s) + K * norm_cdf(xs - 0.5 * s);
}

double
pm_normalised_black_otm_complement(double x, double s)
{
	return pm_black_otm_call_complement(exp(0.5 * x), exp(-0.5 * x), x, s);
}

/*
 * max and min of two numbers, neither NaN, as maxsd / minsd on x86-64 (GCC
 * calls libm for fmax and fmin, for their NaN rules, and turns a
 * conditional expression into a branch that random rows mispredict)
 */
static inline double
pm_max(double a, double b)
{
#if defined(__GNUC__) && defined(__SSE2__)
	__asm__("maxsd %1, %0" : "+x"(a) : "x"(b));
	return a;
#else
	return a > b ? a : b;
#endif
}

static inline double
pm_min(double a, double b)
{
#if defined(__GNUC__) && defined(__SSE2__)
	__asm__("minsd %1, %0" : "+x"(a) : "x"(b));
	return a;
#else
	return a < b ? a : b;
#endif
}

/* intrinsic_dd + v rounded once; out of line, so that black_price stays small */
static PM_NOINLINE double
price_with_intrinsic_dd(int theta, double S, double q, double K, double r, double t, double v)
{
	return pm_dd_value(pm_dd_add_d(intrinsic_dd(theta, S, q, K, r, t), v));
}

/*
 * Discounted Black value given x ~ ln(F/K), (S, q) the spot and dividend
 * yield with F = S exp((r - q) t) (Black-76: S = F, q = r).
 *
 * df (intrinsic + out-of-the-money value) in double, except in the money
 * with a nonzero rate or dividend (otherwise F = S and df = 1 exactly)
 * where the out-of-the-money (time) value is below 2^-10 min(vol, 1) of
 * max(F, K) or s = vol sqrt(t) is above 3: there the discounted intrinsic
 * value on the forward is computed in double-double (intrinsic_dd), the
 * time value added and the sum rounded once.  In double, df (F - K)
 * carries the rounding of F and df, below 4 ulp(df max(F, K)) =: 4u M,
 * rather than ulp(price): for a deep in-the-money option expiring soon,
 * tens of ulps of its price (issue 9).  Where double is used that error
 * moves the implied volatility by less than 5e-13 max(1, vol), so that
 * implied_vol round-trips (2 ulp(price) / vega + 1e-12 max(1, vol)):
 * writing tv for the time value and c = 2^-10 min(vol, 1),
 *   - below the inflection point s_c = sqrt(2|x|) the time value is
 *     convex in s from 0, so vega >= tv / vol >= c M / vol, and
 *     4u M / vega <= 4u 2^10 max(vol, 1) < 5e-13 max(1, vol);
 *   - above it, d = |x|/s + s/2 <= s, so vega >= M sqrt(t) phi(s) and
 *     4u M / vega <= 4u vol / (s phi(s)) (sqrt(t) = s / vol); tv <=
 *     M s phi(0) (the at-the-money value bounds it) gives s >= c / phi(0),
 *     and then s phi(s) >= 0.99 c >= 8.9e-4 min(vol, 1) for s up to 3.
 * 1.3% of the rows of bench/pricing.sql take the double-double path.
 */
static PM_ALWAYS_INLINE double
black_price(int theta, double S, double q, double F, double K, double x, double t,
			double vol, double r, double df)
{
	double		s = vol * sqrt(t);
	double		intrinsic,
				hi,
				otm;

	/* with exp(-r t) = exp(-q t) = 1 (no carry), F = S and df = 1 exactly,
	 * F - K is exact or rounded once, and double suffices */
	if (!(s > 0.0))
		return (r * t != 0.0 || q * t != 0.0) ? price_with_intrinsic_dd(theta, S, q, K, r, t, 0.0)
			: pm_max(theta * (F - K), 0.0);
	/* branch-free choice of the out-of-the-money side: random option types
	 * and moneyness would otherwise mispredict on every other row */
	intrinsic = pm_max(theta * (F - K), 0.0);
	hi = pm_max(F, K);
	otm = black_otm_call_price(pm_min(F, K), hi, -fabs(x), s);
	/* & rather than &&: one branch, rarely taken, instead of a random one */
	if (unlikely((intrinsic > 0.0) & ((otm < 0x1p-10 * pm_min(vol, 1.0) * hi) | (s > 3.0)))
		&& (r != 0.0 || q != 0.0))
		return price_with_intrinsic_dd(theta, S, q, K, r, t, df * otm);
	return df * (intrinsic + otm);
}

/*
 * The same, discounting with df = exp(-r t) computed here, after the
 * caller's forward and log-moneyness (in this order pm_bs_price is 4 ns
 * faster: the exp overlaps less with the other libm calls the other way)
 */
static PM_ALWAYS_INLINE double
black_price_discounted(int theta, double S, double q, double F, double K, double x, double t,
					   double vol, double r)
{
	return black_price(theta, S, q, F, K, x, t, vol, r, exp(-r * t));
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
black_price_from_terms(int theta, double S, double q, double F, double K, double t, double vol,
					   double r, const BlackTerms *bt)
{
	return black_price(theta, S, q, F, K, bt->x, t, vol, r, bt->df);
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
	return black_price_discounted(theta, F, r, F, K, log(F / K), t, vol, r);
}

/* (S, q) as for black_price */
static void
black_greeks_from_terms(int theta, double S, double q, double F, double K, double t, double vol,
						double r, const BlackTerms *bt, PmGreeks *g)
{
	g->price = black_price_from_terms(theta, S, q, F, K, t, vol, r, bt);
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
	black_greeks_from_terms(theta, F, r, F, K, t, vol, r, &bt, g);
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
	return black_theta_from_terms(black_price_from_terms(theta, F, r, F, K, t, vol, r, &bt),
								  F, vol, r, &bt);
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
	return black_price_discounted(theta, S, q, pm_bs_forward(S, t, r, q), K,
								  log(S / K) + (r - q) * t, t, vol, r);
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
	black_greeks_from_terms(theta, S, q, F, K, t, vol, r, &bt, g);
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
	return black_theta_from_terms(black_price_from_terms(theta, S, q, F, K, t, vol, r, &bt),
								  F, vol, r, &bt)
		- black_delta_from_terms(theta, &bt) * (r - q) * F;
}
