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

/* buckets of a and b added up (linear search: orders are few), from alloc, without an index */
static void
buckets_sum(PmBucketSet *out, const PmBucketSet *a, const PmBucketSet *b, void *(*alloc) (size_t))
{
	int			i,
				k;

	memset(out, 0, sizeof(*out));
	out->keyed_x = a->keyed_x;
	out->max = a->n + b->n;
	out->b = alloc(sizeof(PmBucket) * (out->max > 0 ? out->max : 1));
	if (a->n > 0)
		memcpy(out->b, a->b, sizeof(PmBucket) * a->n);
	out->n = a->n;
	for (k = 0; k < b->n; k++)
	{
		const PmBucket *x = &b->b[k];

		for (i = 0; i < out->n; i++)
			if (out->b[i].t == x->t && (!out->keyed_x || out->b[i].x == x->x))
				break;
		if (i < out->n)
			out->b[i].value += x->value;
		else
			out->b[out->n++] = *x;
	}
}

void
pm_unit_add_sums(PmUnit *dst, const PmUnit *src)
{
	dst->max_forward = fmax(dst->max_forward, src->max_forward);
	dst->option_value += src->option_value;
	dst->short_options += src->short_options;
	dst->option_contracts += src->option_contracts;
	dst->long_futures += src->long_futures;
	dst->short_futures += src->short_futures;
	dst->gross_notional += src->gross_notional;
	dst->mmp_size += src->mmp_size;
	dst->liability += src->liability;
}

PmUnit *
pm_unit_with(const PmUnit *positions, const PmUnit *orders, int nscen, void *(*alloc) (size_t))
{
	PmUnit	   *u = alloc(sizeof(PmUnit));
	int			j;

	*u = *positions;
	u->buy_orders = u->sell_orders = NULL;
	u->side = PM_SIDE_POSITIONS;
	pm_unit_add_sums(u, orders);
	u->pnl = alloc(sizeof(double) * (nscen > 0 ? nscen : 1));
	for (j = 0; j < nscen; j++)
		u->pnl[j] = positions->pnl[j] + orders->pnl[j];
	buckets_sum(&u->expiries, &positions->expiries, &orders->expiries, alloc);
	buckets_sum(&u->strikes, &positions->strikes, &orders->strikes, alloc);
	return u;
}

/* a unit's requirement before orders: scan loss and the method's add-ons */
static double
unit_requirement(const PmSetView *set, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	return set->method->unit_margin ? set->method->unit_margin(set, unit, scan, fx, r) : scan;
}

/* the largest weighted scenario loss of a P&L vector, 0 at least */
static double
scan_loss(const PmSetView *set, const double *pnl)
{
	double		worst = 0.0;
	int			j;

	for (j = 0; j < set->nscen; j++)
		worst = fmax(worst, -pnl[j] * set->sc[j].weight);
	return worst;
}

/*
 * The margin of a unit's resting orders: the method's own rule, else what
 * the requirement would rise to if all its buy orders, or all its sell
 * orders, were filled at once (the larger), above the positions' own.  The
 * filled books are margined in a scratch result: they add nothing else.
 */
static double
orders_requirement(const PmSetView *set, const PmUnit *unit, double req, double fx, PmMarginResult *r)
{
	const PmUnit *sides[2] = {unit->buy_orders, unit->sell_orders};
	double		worst = req;
	int			k;

	if (set->method->orders_margin)
		return set->method->orders_margin(set, unit, req, fx, r);
	for (k = 0; k < 2; k++)
	{
		PmMarginResult scratch = *r;
		PmUnit	   *filled;

		if (sides[k] == NULL)
			continue;
		filled = pm_unit_with(unit, sides[k], set->nscen, r->alloc);
		scratch.unit_comp = NULL;
		worst = fmax(worst, unit_requirement(set, filled, scan_loss(set, filled->pnl), fx, &scratch));
	}
	return worst - req;
}

/*
 * Every unit scanned under its set (sets[u]): its scan loss, the method's
 * add-ons and orders, the account P&L per scenario (when all units share a
 * set) and the worst unit; then the account rule of the units' method,
 * called with the first unit's set (the group's account parameters are
 * equal).
 */
static void
scan_units(const PmSetView *const *sets, const PmUnit *units, int nunits, PmMarginResult *r)
{
	const PmMethod *m = sets[0]->method;
	double		total = 0.0,
				best = -INFINITY;
	int			u,
				j;

	for (u = 0; u < nunits; u++)
	{
		const PmSetView *set = sets[u];
		const PmScenario *sc = set->sc;
		const PmUnit *unit = &units[u];
		double		fx = pm_unit_fx(r, unit);
		double		scan = 0.0,
					worst_loss = -INFINITY,
					req;
		int			worst = 0;

		for (j = 0; j < set->nscen; j++)
		{
			double		loss = -unit->pnl[j] * sc[j].weight;

			if (loss > worst_loss)
			{
				worst_loss = loss;
				worst = j;
			}
		}
		if (r->pnl)
			for (j = 0; j < set->nscen; j++)
				r->pnl[j] += unit->pnl[j] * fx;
		scan = fmax(0.0, worst_loss);
		r->cur_unit = u;
		pm_unit_component(r, PM_COMP_SCAN, scan);
		pm_unit_component(r, PM_COMP_NET_OPTION_VALUE, unit->option_value);
		if (r->unit_worst)
			r->unit_worst[u] = worst;
		req = unit_requirement(set, unit, scan, fx, r);
		if (unit->buy_orders || unit->sell_orders)
		{
			double		orders = orders_requirement(set, unit, req, fx, r);

			pm_unit_component(r, PM_COMP_OPEN_ORDERS, orders);
			req += orders;
		}
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
	m->account_margin(sets[0], units, nunits, total, r);

	/*
	 * Each unit's initial and maintenance margin, where its method set none:
	 * its requirement scaled as the account rule scaled the units' sum (SPAN's
	 * 1.10, OKX's IMR ratio, Deribit's mm_factor and cross offset shared
	 * pro rata), so the units' margins add up to the account's.
	 */
	for (u = 0; u < nunits && r->unit_comp; u++)
	{
		double	   *c = r->unit_comp + u * PM_COMP_N;
		double		req = r->unit_margin[u] / pm_unit_fx(r, &units[u]);

		if (isnan(c[PM_COMP_INITIAL]))
			c[PM_COMP_INITIAL] = total > 0.0 ? req * (r->initial / total) : req;
		if (isnan(c[PM_COMP_MAINTENANCE]))
			c[PM_COMP_MAINTENANCE] = total > 0.0 ? req * (r->maintenance / total) : req;
	}
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

/* r back to an empty result, keeping what the caller lent */
static void
reset_result(PmMarginResult *r, int nscen, int nunits)
{
	PmMarginResult keep = *r;
	int			j;

	memset(r, 0, sizeof(*r));
	r->unit_margin = keep.unit_margin;
	r->unit_comp = keep.unit_comp;
	r->unit_worst = keep.unit_worst;
	r->unit_sets = keep.unit_sets;
	r->pnl = keep.pnl;
	r->alloc = keep.alloc;
	r->tick = keep.tick;
	r->tick_arg = keep.tick_arg;
	r->tail_scenario = -1;
	r->var = r->es = r->floor_statistic = r->apc_buffer = r->worst_quantile = NAN;
	r->worst_scenario = r->worst_unit = -1;
	for (j = 0; r->pnl && j < nscen; j++)
		r->pnl[j] = 0.0;
	for (j = 0; r->unit_comp && j < nunits * PM_COMP_N; j++)
		r->unit_comp[j] = NAN;
	for (j = 0; r->unit_worst && j < nunits; j++)
		r->unit_worst[j] = -1;
}

void
pm_margin_finalize(const PmSetView *set, const PmUnit *units, int nunits, PmMarginResult *r)
{
	const PmSetView **sets;
	int			u;

	reset_result(r, set->nscen, nunits);
	r->unit_sets = NULL;
	if (nunits > 0)
		r->fx_to_usd = !single_currency(units, nunits);
	if (set->method->finalize)
		set->method->finalize(set, units, nunits, r);
	else if (nunits > 0)
	{
		sets = r->alloc(sizeof(PmSetView *) * nunits);
		for (u = 0; u < nunits; u++)
			sets[u] = set;
		scan_units(sets, units, nunits, r);
	}
	unit_maintenance(units, nunits, r);
}

/* units u and v are margined together: one method, equal account parameters */
static bool
same_group(const PmSetView *a, const PmSetView *b)
{
	const int  *p;

	if (a == b)
		return true;
	if (a->method != b->method)
		return false;
	for (p = a->method->account_params; p && *p >= 0; p++)
		if (a->params[*p] != b->params[*p])
			return false;
	return true;
}

void
pm_margin_finalize_units(const PmSetView *const *sets, const PmUnit *units, int nunits, PmMarginResult *r)
{
	bool		one_set = true;
	int		   *group,
			   *members;
	PmUnit	   *gunits;
	const PmSetView **gsets;
	double		initial = 0.0,
				maintenance = 0.0,
				best = -INFINITY;
	int			ngroups = 0,
				u,
				g;

	for (u = 1; u < nunits; u++)
		one_set = one_set && sets[u] == sets[0];
	if (nunits == 0 || one_set)
	{
		pm_margin_finalize(sets[0], units, nunits, r);
		return;
	}
	reset_result(r, 0, nunits);
	r->fx_to_usd = !single_currency(units, nunits);

	/* groups: each unit joins the first group whose first member it shares the rules of */
	group = r->alloc(sizeof(int) * nunits);
	members = r->alloc(sizeof(int) * nunits);
	for (u = 0; u < nunits; u++)
	{
		int			v;

		group[u] = -1;
		for (v = 0; v < u && group[u] < 0; v++)
			if (same_group(sets[v], sets[u]))
				group[u] = group[v];
		if (group[u] < 0)
			group[u] = ngroups++;
	}

	gunits = r->alloc(sizeof(PmUnit) * nunits);
	gsets = r->alloc(sizeof(PmSetView *) * nunits);
	for (g = 0; g < ngroups; g++)
	{
		PmMarginResult gr = *r;
		int			n = 0,
					k;

		for (u = 0; u < nunits; u++)
			if (group[u] == g)
			{
				members[n] = u;
				gunits[n] = units[u];
				gsets[n++] = sets[u];
			}
		/* the group's result: its own sums, the caller's per-unit arrays through a copy */
		memset(&gr, 0, offsetof(PmMarginResult, unit_margin));
		gr.fx_to_usd = r->fx_to_usd;
		gr.worst_scenario = gr.worst_unit = -1;
		gr.unit_margin = r->alloc(sizeof(double) * n);
		gr.unit_comp = r->alloc(sizeof(double) * n * PM_COMP_N);	/* always: the worst unit is chosen by it */
		gr.unit_worst = r->unit_worst ? r->alloc(sizeof(int) * n) : NULL;
		gr.unit_sets = gsets;
		gr.pnl = NULL;
		for (k = 0; k < n * PM_COMP_N; k++)
			gr.unit_comp[k] = NAN;
		scan_units(gsets, gunits, n, &gr);
		unit_maintenance(gunits, n, &gr);

		for (k = 0; k < n; k++)
		{
			u = members[k];
			r->unit_margin[u] = gr.unit_margin[k];
			if (r->unit_comp)
				memcpy(r->unit_comp + u * PM_COMP_N, gr.unit_comp + k * PM_COMP_N, sizeof(double) * PM_COMP_N);
			if (r->unit_worst)
				r->unit_worst[u] = gr.unit_worst[k];
		}
		initial += gr.initial;
		maintenance += gr.maintenance;
		r->scan += gr.scan;
		r->short_option_minimum += gr.short_option_minimum;
		r->net_option_value += gr.net_option_value;
		r->per_contract_minimum += gr.per_contract_minimum;
		r->option_contingency += gr.option_contingency;
		r->futures_contingency += gr.futures_contingency;
		r->roll_shock += gr.roll_shock;
		r->basis_risk += gr.basis_risk;
		r->minimum_charge += gr.minimum_charge;
		r->cross_offset += gr.cross_offset;
		if (gr.worst_unit >= 0)
		{
			/* the worst unit of the account: the largest scan loss, in report currency */
			double		unit_scan = gr.unit_comp[gr.worst_unit * PM_COMP_N + PM_COMP_SCAN] *
				pm_unit_fx(r, &gunits[gr.worst_unit]);

			if (unit_scan > best)
			{
				best = unit_scan;
				r->worst_unit = members[gr.worst_unit];
				r->worst_scenario = gr.worst_scenario;
			}
		}
	}
	r->initial = initial;
	r->maintenance = maintenance;
	r->unit_sets = NULL;
	/* per unit, maintenance is its group's (each group scales its own) */
}
