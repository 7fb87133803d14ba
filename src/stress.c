/*
 * stress.c
 *	  Stress revaluation (stress.h): each instrument is valued in USD at the
 *	  stressed prices, so a coin-settled position's loss is counted at the
 *	  coin's stressed price, not today's.
 *
 * With the index P and the forward F both moved by the factor 1 + m:
 *   linear option     B(F (1 + m), K, t, vol', r) - B(F, K, t, vol, r)   (Black-76, discounted)
 *   inverse option    value in coin B / F, in USD B P / F; P / F does not change, so
 *                     (B(F (1 + m), K, t, vol', 0) - B(F, K, t, vol, 0)) P / F
 *   linear future     F m            (value F - entry)
 *   inverse future    P m            (value (1 - entry / F) P: the entry term, entry P / F, does not change)
 *   spot              F m            (F is the index for spot)
 * per contract; times quantity x multiplier by the caller.
 */
#include <math.h>

#include "pricing.h"
#include "riskarray.h"
#include "stress.h"

void
pm_stress_pnl(const PmStressInstrument *ins, const double *moves, const double *vol_shifts,
			  size_t stride, int vol_relative, int n, double scale, double *acc)
{
	int			i;

	if (ins->kind != PM_KIND_OPTION)
	{
		double		unit = (ins->kind == PM_KIND_SPOT || !ins->inverse) ? ins->forward : ins->index_price;

		for (i = 0; i < n; i++)
			acc[i] += scale * unit * moves[(size_t) i * stride];
		return;
	}
	else
	{
		double		r = ins->inverse ? 0.0 : ins->rate;
		double		now = pm_black76_price(ins->theta, ins->forward, ins->strike, ins->t, ins->vol, r);
		double		coin = ins->inverse ? ins->index_price / ins->forward : 1.0;

		for (i = 0; i < n; i++)
		{
			double		m = moves[(size_t) i * stride];
			double		v = ins->vol;

			if (vol_shifts)
			{
				double		s = vol_shifts[(size_t) i * stride];

				v = vol_relative ? v * (1.0 + s) : v + s;
				if (!(v > 0.0))
					v = 0.0;
			}
			acc[i] += scale * coin *
				(pm_black76_price(ins->theta, ins->forward * (1.0 + m), ins->strike, ins->t, v, r) - now);
		}
	}
}
