/*
 * test_numeric.c
 *	  Stand-alone checks of the pure numeric core (src/pricing.c,
 *	  src/implied_vol.c), run without a server by `make numericcheck`:
 *	  implied-volatility round trips over a wide grid of normalised inputs
 *	  (|x| from 1e-8 to 20, s from 1e-6 to 20, deep in- and out-of-the-
 *	  money),
 *	  with the number of Householder steps each solve took; the
 *	  double-double discount factors; model round trips (BSM, Black-76,
 *	  coin-settled) over random options down to seconds to expiry.
 *
 *	  Expected values are closed-form identities (the round trip itself,
 *	  put-call parity), not outputs pasted from an earlier run.
 */
#include "implied_vol.h"
#include "pricing.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int	failures = 0;
static int	checks = 0;

static void
check(int ok, const char *what, double a, double b, double c)
{
	checks++;
	if (!ok)
	{
		failures++;
		if (failures <= 20)
			fprintf(stderr, "not ok: %s (%.17g, %.17g, %.17g)\n", what, a, b, c);
	}
}

int
main(void)
{
	int			max_steps = 0;
	long		steps_total = 0,
				solves = 0;
	double		worst = 0.0;
	int			ix,
				is;

	gsl_set_error_handler_off();

	/* normalised round trip: beta = b(x, s) -> s' */
	for (ix = 0; ix <= 400; ix++)
	{
		double		x = ix == 0 ? 0.0 : -pow(10.0, -8.0 + 9.3 * ix / 400.0); /* to -20 */

		for (is = 0; is <= 500; is++)
		{
			double		s = pow(10.0, -6.0 + 7.3 * is / 500.0);	/* 1e-6 .. 20 */
			double		beta = pm_normalised_black_otm(x, s);
			double		vega = exp(-0.5 * (x * x / (s * s) + s * s / 4)) / sqrt(2 * M_PI);
			int			steps;
			double		s2,
						err;

			/* only where the price carries the information (vega > 0, beta not at its bounds) */
			if (!(beta > 1e-300) || !(beta < exp(0.5 * x) * (1 - 1e-15)) || vega < 1e-300)
				continue;
			s2 = pm_implied_normalised_vol(beta, x, &steps);
			err = fabs(s2 - s) / fmax(1.0, s);
			/* beta is rounded to double: the root can move by eps*beta/vega */
			check(err <= 1e-12 || fabs(s2 - s) <= 4e-16 * beta / vega, "normalised round trip", x, s, s2);
			if (err > worst && fabs(s2 - s) > 4e-16 * beta / vega)
				worst = err;
			if (steps > max_steps)
				max_steps = steps;
			steps_total += steps;
			solves++;
		}
	}
	printf("normalised IV: %ld solves, mean %.2f steps, max %d steps, worst unexplained rel err %.3g\n",
		   solves, (double) steps_total / solves, max_steps, worst);
	check(max_steps <= 8, "at most 8 Householder steps", max_steps, 0, 0);

	/*
	 * A Householder step from the low region's guess can overshoot far past
	 * the root (0.3.0: x = -3.87e-5, beta = 3.8151365119e-6 went from
	 * s = 7.8e-6 to 199, then crawled for 32 steps and returned s = 42 for
	 * a root of 4.1e-5): 20,001 betas around that one must all solve, in at
	 * most 8 steps, to b(x, s) = beta within 1e-9.
	 */
	{
		double		x = -3.8716121129118569e-05;
		int			i,
					bad = 0,
					most = 0;

		for (i = 0; i <= 20000; i++)
		{
			double		beta = 3.8151365119094526e-06 * (1 + (i - 10000) * 1e-6);
			int			steps;
			double		s2 = pm_implied_normalised_vol(beta, x, &steps);

			bad += !(fabs(pm_normalised_black_otm(x, s2) - beta) <= 1e-9 * beta);
			most = steps > most ? steps : most;
		}
		printf("low-region overshoot: %d of 20001 betas off, at most %d steps\n", bad, most);
		check(bad == 0 && most <= 8, "no overshoot past the low region", bad, most, 0);
	}

	/*
	 * The double-double discount factors (pricing.c exp_dd): exp(-qt) exp(qt)
	 * = 1 to 2^-76, and agreement with long double expl (x87: 64-bit mantissa,
	 * an independent implementation) to 2^-62 where |q t| <= 1.
	 */
	{
		unsigned long long seed = 12345;
		double		worst_id = 0.0,
					worst_ld = 0.0;
		int			i;

		for (i = 0; i < 100000; i++)
		{
			double		q,
						t,
						S;
			PmDD		A,
						B,
						P;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			q = ((double) (seed >> 11) / 9007199254740992.0 - 0.5) * (i % 3 == 0 ? 20.0 : 0.4);
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t = (double) (seed >> 11) / 9007199254740992.0 * 30.0;
			S = 1.0 + i % 977;
			pm_discounted_pair(S, q, 1.0, -q, t, &A, &B);
			P = pm_dd_two_prod(A.hi, B.hi);
			P.lo += A.hi * B.lo + A.lo * B.hi;
			worst_id = fmax(worst_id, fabs((P.hi - S) + P.lo) / S);
			/* |q t| <= 1: expl's own argument rounding (|qt| 2^-64) stays below 2^-63 */
			if (LDBL_MANT_DIG >= 64 && fabs(q * t) <= 1.0)
			{
				long double e = (long double) S * expl(-(long double) q * (long double) t);

				worst_ld = fmax(worst_ld, (double) fabsl(((long double) A.hi - e) + (long double) A.lo) / A.hi);
			}
		}
		printf("double-double discount factors: |S e^-qt e^qt - S| / S <= %.3g, |A - S expl(-qt)| / A <= %.3g\n",
			   worst_id, worst_ld);
		check(worst_id <= 0x1p-76, "S exp(-qt) exp(qt) = S to 2^-76", worst_id, 0, 0);
		check(worst_ld <= 0x1p-62, "S exp(-qt) = S expl(-qt) to 2^-62", worst_ld, 0, 0);
	}

	/*
	 * Model round trips (issue 9): price -> implied vol within
	 * 2 ulp(price) / vega + 1e-12 max(1, vol), over random options with
	 * t from 1e-5 to 5 years (deep in the money, seconds to expiry, included)
	 */
	{
		unsigned long long seed = 424242;
		double		worst_rt = 0.0;
		long		n = 0;
		int			i;

		for (i = 0; i < 300000; i++)
		{
			double		u[6],
						S,
						K,
						t,
						vol,
						r,
						q,
						p,
						lower,
						vega,
						iv,
						ulp,
						err;
			int			theta = i % 2 ? PM_CALL : PM_PUT,
						model = i % 3,
						j,
						e;
			PmIvStatus	st;

			for (j = 0; j < 6; j++)
			{
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				u[j] = (double) (seed >> 11) / 9007199254740992.0;
			}
			S = exp(u[0] * log(1e5));
			K = S * exp((u[1] - 0.5) * (i % 4 ? 0.5 : 3.2));	/* K/S 0.78..1.28 or 0.2..5 */
			t = exp(log(1e-5) + u[2] * log(5 / 1e-5));
			vol = exp(log(0.01) + u[3] * log(300.0));
			r = -0.05 + 0.2 * u[4];
			q = model == 0 ? 0.1 * u[5] : 0.0;
			if (model == 0)
			{
				p = pm_bs_price(theta, S, K, t, vol, r, q);
				lower = pm_bs_price(theta, S, K, t, 0.0, r, q);
				vega = pm_bs_vega(S, K, t, vol, r, q);
				iv = pm_bs_implied_vol(theta, p, S, K, t, r, q, &st, NULL);
			}
			else if (model == 1)
			{
				p = pm_black76_price(theta, S, K, t, vol, r);
				lower = pm_black76_price(theta, S, K, t, 0.0, r);
				vega = pm_black76_vega(S, K, t, vol, r);
				iv = pm_black76_implied_vol(theta, p, S, K, t, r, &st, NULL);
			}
			else
			{
				p = pm_black76_price(theta, S, K, t, vol, r) / S;
				lower = pm_black76_price(theta, S, K, t, 0.0, r) / S;
				vega = pm_black76_vega(S, K, t, vol, r) / S;
				iv = pm_inverse_implied_vol(theta, p, S, K, t, r, &st, NULL);
			}
			if (!(p > lower) || !(vega > 1e-10))
				continue;
			n++;
			(void) frexp(p, &e);
			ulp = ldexp(1.0, e - 53);
			err = fabs(iv - vol);
			check(st == PM_IV_OK && err <= 2.0 * ulp / vega + 1e-12 * fmax(1.0, vol),
				  "model round trip within 2 ulp(price)/vega + 1e-12 max(1, vol)", S, K, t);
			worst_rt = fmax(worst_rt, (err - 1e-12 * fmax(1.0, vol)) / (ulp / vega));
		}
		printf("model IV round trips: %ld, worst (|error| - 1e-12 max(1, vol)) / (ulp(price)/vega) %.3g\n",
			   n, worst_rt);
	}

	/* put-call parity on a grid of Black-76 prices */
	{
		double		F,
					K,
					t;

		for (F = 10; F < 1e5; F *= 3.7)
			for (K = 7; K < 2e5; K *= 2.9)
				for (t = 1.0 / 365; t < 6; t *= 3.1)
				{
					double		c = pm_black76_price(PM_CALL, F, K, t, 0.6, 0.03);
					double		p = pm_black76_price(PM_PUT, F, K, t, 0.6, 0.03);
					double		par = exp(-0.03 * t) * (F - K);

					check(fabs((c - p) - par) <= 1e-14 * fmax(F, K), "put-call parity", F, K, t);
				}
	}

	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
