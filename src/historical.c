/*
 * historical.c
 *	  Historical-simulation scenario moves (historical.h has the
 *	  conventions and their sources).
 */
#include "historical.h"

#include <math.h>
#include <stddef.h>

/* one tick per PM_HIST_TICK_WORK units of work, counted in *work */
static inline void
tick(long *work, long units)
{
	*work += units;
	if (*work >= PM_HIST_TICK_WORK)
	{
		*work = 0;
		pm_check_interrupts(NULL);
	}
}

void
pm_hist_returns(const double *prices, int D, int nund, int log_returns, double *returns)
{
	long		work = 0;
	int			d,
				u;

	for (d = 1; d < D; d++)
		for (u = 0; u < nund; u++)
		{
			double		ratio = prices[(long) d * nund + u] / prices[(long) (d - 1) * nund + u];

			tick(&work, 1);
			returns[(long) (d - 1) * nund + u] = log_returns ? log(ratio) : ratio - 1.0;
		}
}

/* filtered historical simulation: r_t sigma_now / sigma_t, per underlying */
static void
ewma_filter(double *r, int T, int nund, double lambda)
{
	long		work = 0;
	int			t,
				u;

	for (u = 0; u < nund; u++)
	{
		double		s2 = 0.0,
					now;

		for (t = 0; t < T; t++)
		{
			tick(&work, 1);
			s2 += r[(long) t * nund + u] * r[(long) t * nund + u];
		}
		s2 /= T;
		if (!(s2 > 0.0))
			continue;			/* a constant price: nothing to rescale */
		/* first pass: sigma_now after the last return */
		now = s2;
		for (t = 0; t < T; t++)
		{
			tick(&work, 1);
			now = lambda * now + (1.0 - lambda) * r[(long) t * nund + u] * r[(long) t * nund + u];
		}
		now = sqrt(now);
		/* second pass: rescale each return by sigma_now / sigma_t (s2 before r_t) */
		for (t = 0; t < T; t++)
		{
			double		x = r[(long) t * nund + u];

			tick(&work, 1);
			r[(long) t * nund + u] = x * now / sqrt(s2);
			s2 = lambda * s2 + (1.0 - lambda) * x * x;
		}
	}
}

int
pm_hist_moves(double *r, int T, int nund, int horizon, int log_returns,
			  int sqrt_scaling, double ewma_lambda, double *out)
{
	long		work = 0;
	int			S,
				s,
				u,
				i;

	if (ewma_lambda > 0.0)
		ewma_filter(r, T, nund, ewma_lambda);
	if (sqrt_scaling || horizon == 1)
	{
		double		k = sqrt((double) horizon);

		for (s = 0; s < T; s++)
			for (u = 0; u < nund; u++)
			{
				double		x = r[(long) s * nund + u] * k;

				tick(&work, 1);
				out[(long) s * nund + u] = log_returns ? expm1(x) : fmax(x, PM_HIST_MIN_MOVE);
			}
		return T;
	}
	S = T - horizon + 1;
	if (S < 1)
		return 0;
	for (s = 0; s < S; s++)
		for (u = 0; u < nund; u++)
		{
			double		acc = log_returns ? 0.0 : 1.0;
			int			end = s + horizon;

			for (i = s; i < end;)
			{
				int			piece = end - i < PM_HIST_TICK_WORK ? end - i : PM_HIST_TICK_WORK;

				tick(&work, piece);
				for (; piece > 0; piece--, i++)
				{
					if (log_returns)
						acc += r[(long) i * nund + u];
					else
						acc *= 1.0 + r[(long) i * nund + u];
				}
			}
			out[(long) s * nund + u] = log_returns ? expm1(acc) : acc - 1.0;
		}
	return S;
}
