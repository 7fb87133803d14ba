/*
 * margin.c
 *	  The steps of finalisation that every margin method shares (pure
 *	  numeric code): the result reset, the report currency, and for the
 *	  methods that scan each unit the scan loss, the worst scenario and the
 *	  account P&L, with each method's own add-ons and account rules called
 *	  through its PmMethod (method.h).
 *
 * Per unit: the scan loss is the largest weighted scenario loss,
 * max(0, max_j -pnl_j w_j); the method adds its per-unit charges
 * (unit_margin), then turns the units' sum into initial and maintenance
 * margin (account_margin).  The var method margins the account as a whole
 * (method_var.c).  Units in different currencies are added in USD (inverse
 * units at their index price).  doc/margin.md states each rule with its
 * source.
 */
#include "margin.h"
#include "method.h"

#include <math.h>
#include <string.h>

/* all units in one currency: the same coin, or all cash-settled */
static int
single_currency(const PmUnit *units, int nunits)
{
	int			u;

	for (u = 1; u < nunits; u++)
	{
		if (units[u].inverse != units[0].inverse)
			return 0;
		if (units[0].inverse && strcmp(units[u].underlying, units[0].underlying) != 0)
			return 0;
	}
	return 1;
}

double
pm_expiry_charge(const PmUnit *unit, double annual_rate, double min_move)
{
	double		charge = 0.0;
	int			e;

	for (e = 0; e < unit->expiries.n; e++)
	{
		const PmBucket *b = &unit->expiries.b[e];
		double		move = fmax(min_move, annual_rate * b->t);

		charge += fabs(b->value) * move * (unit->inverse ? 1.0 : b->x);
	}
	return charge;
}

/*
 * Every unit scanned under the set: its scan loss, the method's add-ons,
 * the account P&L per scenario and the worst unit; then the account rule.
 */
static void
scan_units(const PmSetView *set, const PmUnit *units, int nunits, PmMarginResult *r)
{
	const PmMethod *m = set->method;
	const PmScenario *sc = set->sc;
	int			nscen = set->nscen;
	double		total = 0.0,
				best = -INFINITY;
	int			u,
				j;

	for (u = 0; u < nunits; u++)
	{
		const PmUnit *unit = &units[u];
		double		fx = pm_unit_fx(r, unit);
		double		scan = 0.0,
					worst_loss = -INFINITY,
					req;
		int			worst = 0;

		for (j = 0; j < nscen; j++)
		{
			double		loss = -unit->pnl[j] * sc[j].weight;

			if (loss > worst_loss)
			{
				worst_loss = loss;
				worst = j;
			}
			r->pnl[j] += unit->pnl[j] * fx;
		}
		scan = fmax(0.0, worst_loss);
		r->cur_unit = u;
		pm_unit_component(r, PM_COMP_SCAN, scan);
		pm_unit_component(r, PM_COMP_NET_OPTION_VALUE, unit->option_value);
		if (r->unit_worst)
			r->unit_worst[u] = worst;
		req = m->unit_margin ? m->unit_margin(set, unit, scan, fx, r) : scan;
		pm_unit_component(r, PM_COMP_INITIAL, req);

		r->scan += scan * fx;
		r->net_option_value += unit->option_value * fx;
		r->unit_margin[u] = req * fx;
		total += req * fx;
		if (scan * fx > best)
		{
			best = scan * fx;
			r->worst_unit = u;
			r->worst_scenario = worst;
		}
	}
	m->account_margin(set, units, nunits, total, r);
}

/*
 * A unit's maintenance margin, where its method did not set one: its initial
 * margin scaled as the account's is (maintenance / initial), which is each
 * method's own ratio (SPAN 1 / 1.10, Deribit mm_factor, OKX 1 / imr_ratio).
 */
static void
unit_maintenance(const PmUnit *units, int nunits, PmMarginResult *r)
{
	int			u;

	if (r->unit_comp == NULL)
		return;
	for (u = 0; u < nunits; u++)
	{
		double	   *c = r->unit_comp + u * PM_COMP_N;

		if (isnan(c[PM_COMP_INITIAL]) && r->unit_margin)
			c[PM_COMP_INITIAL] = r->unit_margin[u] / pm_unit_fx(r, &units[u]);
		if (isnan(c[PM_COMP_MAINTENANCE]) && !isnan(c[PM_COMP_INITIAL]))
			c[PM_COMP_MAINTENANCE] = r->initial > 0.0 ? c[PM_COMP_INITIAL] * (r->maintenance / r->initial)
				: c[PM_COMP_INITIAL];
	}
}

void
pm_margin_finalize(const PmSetView *set, const PmUnit *units, int nunits, PmMarginResult *r)
{
	double	   *unit_margin = r->unit_margin;
	double	   *unit_comp = r->unit_comp;
	int		   *unit_worst = r->unit_worst;
	double	   *pnl = r->pnl;
	void	   *(*alloc) (size_t) = r->alloc;
	void		(*tick) (void *) = r->tick;
	void	   *tick_arg = r->tick_arg;
	int			j;

	memset(r, 0, sizeof(*r));
	r->unit_margin = unit_margin;
	r->unit_comp = unit_comp;
	r->unit_worst = unit_worst;
	r->pnl = pnl;
	r->alloc = alloc;
	r->tick = tick;
	r->tick_arg = tick_arg;
	r->tail_scenario = -1;
	r->var = r->es = r->floor_statistic = r->apc_buffer = r->worst_quantile = NAN;
	r->worst_scenario = r->worst_unit = -1;
	for (j = 0; j < set->nscen; j++)
		pnl[j] = 0.0;
	if (nunits > 0)
		r->fx_to_usd = !single_currency(units, nunits);
	for (j = 0; unit_comp && j < nunits * PM_COMP_N; j++)
		unit_comp[j] = NAN;
	for (j = 0; unit_worst && j < nunits; j++)
		unit_worst[j] = -1;
	if (set->method->finalize)
		set->method->finalize(set, units, nunits, r);
	else if (nunits > 0)
		scan_units(set, units, nunits, r);
	unit_maintenance(units, nunits, r);
}
