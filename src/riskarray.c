/*
 * riskarray.c
 *	  Scenario P&L of one instrument: the "risk array" of CME SPAN, the
 *	  risk-matrix column of Deribit, computed once per instrument and then
 *	  folded into portfolios as quantity x array (pure numeric code).
 *
 * Options are revalued with the undiscounted Black-76 value on the
 * scenario's forward and volatility; coin-settled (inverse) contracts are
 * valued in coin, value / forward.  Futures, perpetuals and spot move
 * linearly; an inverse future of size q coins gains q m / (1 + m) coins
 * when the price moves by m.  See doc/scenarios.md.
 */
#include "riskarray.h"
#include "pricing.h"

#include <math.h>

double
pm_scenario_vol(const PmRevalParams *p, const PmScenario *sc, double vol, double t)
{
	double		dte,
				f;

	switch (sc->vol_rule)
	{
		case PM_VOL_ABSOLUTE:
			return fmax(vol + sc->vol_shift, 0.0);
		case PM_VOL_RELATIVE:
			return fmax(vol * (1.0 + sc->vol_shift), 0.0);
		case PM_VOL_TERM_UP:
		case PM_VOL_TERM_DOWN:
			/* f = (30 / max(DTE, floor))^p, p short-term up to 30 days */
			dte = t * 365.0;
			f = pow(30.0 / fmax(dte, p->dte_floor),
					dte <= 30.0 ? p->short_term_power : p->long_term_power);
			if (sc->vol_rule == PM_VOL_TERM_UP)
				return fmax(vol * (1.0 + p->vol_range_up * f), p->min_vol_up);
			return vol * fmax(0.0, 1.0 - p->vol_range_down * f);
		default:
			return vol;
	}
}

void
pm_risk_array(const PmRevalParams *p, const PmScenario *sc, int n,
			  const PmInstrument *ins, double *pnl, double *value, double *delta)
{
	double		F = ins->forward;
	double		mult = ins->multiplier;
	int			j;

	if (ins->kind == PM_KIND_OPTION)
	{
		double		t_after = fmax(ins->t - p->lookahead_years, 0.0);
		double		v0 = pm_black76_price(ins->theta, F, ins->strike, ins->t, ins->vol, 0.0);
		double		base = ins->inverse ? v0 / F : v0;
		double		d = pm_black76_delta(ins->theta, F, ins->strike, ins->t, ins->vol, 0.0);

		*value = mult * base;
		*delta = mult * (ins->inverse ? d - base : d);
		for (j = 0; j < n; j++)
		{
			double		Fj,
						volj,
						vj;

			if (p->tick && j % PM_RISK_TICK_EVERY == 0)
				p->tick(p->tick_arg);
			Fj = F * (1.0 + sc[j].move);
			volj = pm_scenario_vol(p, &sc[j], ins->vol, ins->t);
			vj = pm_black76_price(ins->theta, Fj, ins->strike, t_after, volj, 0.0);
			pnl[j] = mult * ((ins->inverse ? vj / Fj : vj) - base);
		}
		return;
	}

	*value = 0.0;
	*delta = mult;
	for (j = 0; j < n; j++)
	{
		double		m = sc[j].move;

		if (p->tick && j % PM_RISK_TICK_EVERY == 0)
			p->tick(p->tick_arg);
		if (sc[j].extended && p->clamp > 0.0)
			m = fmax(-p->clamp, fmin(p->clamp, m));
		pnl[j] = ins->inverse ? mult * m / (1.0 + m) : mult * F * m;
	}
}

double
pm_tiered_charge(double x, const double *bounds, const double *mults, int ntiers)
{
	double		charge = 0.0;
	int			i;

	for (i = 0; i < ntiers && x > bounds[i]; i++)
	{
		double		hi = i + 1 < ntiers ? bounds[i + 1] : INFINITY;

		charge += mults[i] * (fmin(x, hi) - bounds[i]);
	}
	return charge;
}
