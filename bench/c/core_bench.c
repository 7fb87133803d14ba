/*
 * bench/c/core_bench.c
 *	  Per-call cost of portmargin's numeric core (src/pricing.c,
 *	  src/implied_vol.c) without PostgreSQL: how much of the SQL per-row
 *	  time in bench/pricing.sql is the maths and how much is the executor
 *	  and fmgr.  Built and run by `bash bench/core.sh` (gcc -O2, the same
 *	  optimisation level as the PGXS build); nothing here is installed.
 *
 *	  The inputs follow bench/pricing.sql's distribution (its own RNG, so
 *	  not the same rows): 90% spot 50..150, 10% 20000..100000, k/s
 *	  0.7..1.3, t 1 day..2 years, vol 0.1..1, r 0..0.05, q 0..0.03, half
 *	  calls.  "plain BSM" is the textbook S e^-qt N(d1) - K e^-rt N(d2)
 *	  with libm erfc, the lower bound of what a price in double costs.
 *
 *	  Needs only the C compiler, libm and GSL (which the core links).
 */
#define _GNU_SOURCE
#include "implied_vol.h"
#include "pricing.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct Row
{
	int			theta;
	double		s,
				k,
				t,
				vol,
				r,
				q,
				price,
				d1;				/* the row's d1, argument of the erfc timings */
} Row;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double
uniform(void)
{
	/* xorshift64*: plenty for a benchmark's input distribution */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double) ((rng_state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double
norm_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

static double
plain_bsm(int theta, double S, double K, double t, double vol, double r, double q)
{
	double		sd = vol * sqrt(t);
	double		d1 = (log(S / K) + (r - q + 0.5 * vol * vol) * t) / sd;
	double		d2 = d1 - sd;

	return theta * (S * exp(-q * t) * norm_cdf(theta * d1) - K * exp(-r * t) * norm_cdf(theta * d2));
}

/*
 * Count the long double fallback: this definition of erfcl() takes
 * precedence over libm's for the core linked into this program (the
 * fallback evaluates N() twice in long double, so two calls per row).
 */
static long erfcl_calls = 0;

long double
erfcl(long double x)
{
	static long double (*real_erfcl) (long double) = NULL;

	if (real_erfcl == NULL)
		real_erfcl = (long double (*) (long double)) dlsym(RTLD_NEXT, "erfcl");
	erfcl_calls++;
	return real_erfcl(x);
}

#define TIME_LOOP(label, expr) \
	do { \
		double best = 1e300, sink = 0.0; \
		for (int rep = 0; rep < reps; rep++) \
		{ \
			double t0 = now_ns(); \
			sink = 0.0; \
			for (int i = 0; i < n; i++) \
			{ \
				const Row *o = &rows[i]; \
				sink += (expr); \
			} \
			double el = now_ns() - t0; \
			if (el < best) best = el; \
		} \
		printf("%-44s %8.1f ns/call   (sum %.9g)\n", label, best / n, sink); \
	} while (0)

int
main(int argc, char **argv)
{
	int			n = argc > 1 ? atoi(argv[1]) : 1000000;
	int			reps = argc > 2 ? atoi(argv[2]) : 5;
	Row		   *rows = malloc(sizeof(Row) * n);

	if (rows == NULL || n <= 0)
		return 1;
	for (int i = 0; i < n; i++)
	{
		Row		   *o = &rows[i];
		double		sp = uniform() < 0.1 ? 20000 + 80000 * uniform() : 50 + 100 * uniform();

		o->theta = uniform() < 0.5 ? PM_CALL : PM_PUT;
		o->s = sp;
		o->k = sp * (0.7 + 0.6 * uniform());
		o->t = 1.0 / 365 + (2.0 - 1.0 / 365) * uniform();
		o->vol = 0.1 + 0.9 * uniform();
		o->r = 0.05 * uniform();
		o->q = 0.03 * uniform();
		o->price = pm_bs_price(o->theta, o->s, o->k, o->t, o->vol, o->r, o->q);
		o->d1 = (log(o->s / o->k) + (o->r - o->q + 0.5 * o->vol * o->vol) * o->t) / (o->vol * sqrt(o->t));
	}

	erfcl_calls = 0;
	for (int i = 0; i < n; i++)
		(void) pm_bs_price(rows[i].theta, rows[i].s, rows[i].k, rows[i].t, rows[i].vol,
						   rows[i].r, rows[i].q);
	printf("%d rows, best of %d passes, one core\n", n, reps);
	printf("pm_bs_price: erfcl() calls per row %.3f (2 per row on the long double path: %.1f%% of rows)\n\n",
		   (double) erfcl_calls / n, 50.0 * erfcl_calls / n);

	TIME_LOOP("s*k  (loop overhead)", o->s * o->k);
	TIME_LOOP("N(d1) = erfc(-d1/sqrt2)/2  (double)", norm_cdf(o->theta * o->d1));
	TIME_LOOP("N(d1) = erfcl(-d1/sqrt2)/2  (long double)",
			  (double) (0.5L * erfcl(-(long double) (o->theta * o->d1) * M_SQRT1_2)));
	TIME_LOOP("plain BSM price (double, 2 erfc)", plain_bsm(o->theta, o->s, o->k, o->t, o->vol, o->r, o->q));
	TIME_LOOP("pm_bs_price", pm_bs_price(o->theta, o->s, o->k, o->t, o->vol, o->r, o->q));
	{
		PmGreeks	g;

		TIME_LOOP("pm_bs_greeks (.delta)",
				  (pm_bs_greeks(o->theta, o->s, o->k, o->t, o->vol, o->r, o->q, &g), g.delta));
	}
	{
		PmIvStatus	st;

		TIME_LOOP("pm_bs_implied_vol",
				  o->price > 0.0 ? pm_bs_implied_vol(o->theta, o->price, o->s, o->k, o->t, o->r, o->q, &st, NULL) : 0.0);
	}
	free(rows);
	return 0;
}
