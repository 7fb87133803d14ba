/*
 * test_numeric.c
 *	  Stand-alone checks of the pure numeric core (src/pricing.c,
 *	  src/implied_vol.c), run without a server by `make numericcheck`:
 *	  implied-volatility round trips over a wide grid of normalised inputs
 *	  (|x| up to 20, s from 1e-3 to 20, deep in- and out-of-the-money),
 *	  with the number of Householder steps each solve took.
 *
 *	  Expected values are closed-form identities (the round trip itself,
 *	  put-call parity), not outputs pasted from an earlier run.
 */
#include "implied_vol.h"
#include "pricing.h"

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

		for (is = 0; is <= 400; is++)
		{
			double		s = pow(10.0, -3.0 + 4.3 * is / 400.0);	/* 1e-3 .. 20 */
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
