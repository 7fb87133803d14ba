/*
 * margin.c
 *	  Each method's requirement from folded risk units (pure numeric code).
 *
 * Per unit: the scan loss is the largest weighted scenario loss,
 * max(0, max_j -pnl_j w_j); then the method's add-ons:
 *   span     max(scan, short option minimum) per unit; minus net option
 *            value across units; initial = im_ratio x maintenance
 *   tims     max(scan, per-contract minimum x multiplier x contracts)
 *   deribit  scan + option contingency + futures contingency + roll shock;
 *            optional cross-currency offset of gains; MM = mm_factor x IM
 *   okx      max(scan + basis risk, tiered minimum charge); IMR = ratio x MMR
 *   grid     scan; initial and maintenance ratios
 *   var      VaR or expected shortfall of the summed P&L over joint
 *            scenarios (tailstat.h), the larger of the main and floor
 *            groups, plus a buffer; per unit its Euler contribution
 * Units in different currencies are added in USD (inverse units at their
 * index price).  doc/margin.md states each rule with its source.
 */
#include "margin.h"
#include "scenario_params.h"
#include "tailstat.h"

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

/* roll shock (Deribit) or basis risk (OKX): sum_e |delta_e| x move(t_e) in unit currency */
static double
expiry_charge(const PmUnit *unit, double annual_rate, double min_move)
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

/* dst[0..n) += src[0..n) x fx, in blocks of constant length (which the compiler vectorises) */
static void
add_scaled(double *restrict dst, const double *restrict src, double fx, int n)
{
	int			b,
				j;

	for (b = 0; b + 512 <= n; b += 512)
		for (j = 0; j < 512; j++)
			dst[b + j] += src[b + j] * fx;
	for (j = b; j < n; j++)
		dst[j] += src[j] * fx;
}

/* the statistic of one scenario group (offset, n) of the total P&L */
static double
group_statistic(const double *params, const PmScenario *sc, int nscen, int offset, int n,
				PmMarginResult *r, double *tail_weight, PmTail *t)
{
	double	   *probs = r->work + 3 * (size_t) nscen + offset;	/* work: pm_tail's 2n, tail weights, probs */
	int			equal = 1,
				i;
	PmTailStatus status;

	for (i = 1; i < n && equal; i++)
	{
		equal = sc[offset + i].weight == sc[offset].weight;
		if ((i & 0xffff) == 0 && r->tick)
			r->tick(r->tick_arg);
	}
	for (i = 0; i < n && !equal; i++)
		probs[i] = sc[offset + i].weight;
	status = pm_tail(r->pnl + offset, equal ? NULL : probs, n, params[PM_P_VAR_CONFIDENCE], t,
					 tail_weight + offset, r->tail + offset, r->work, r->tick, r->tick_arg);
	if (status != PM_TAIL_OK && r->tail_status == PM_TAIL_OK)
	{
		r->tail_status = status;
		r->tail_scenario = t->var_index >= 0 ? offset + t->var_index : -1;
	}
	/* tail[] lists scenario numbers within the group */
	for (i = 0; i < t->ntail; i++)
		r->tail[offset + i] += offset;
	return params[PM_P_VAR_STATISTIC] > 0.0 ? t->es : t->var;
}

static void
var_finalize(const double *params, const PmScenario *sc, int nscen,
			 const PmUnit *units, int nunits, PmMarginResult *r)
{
	int			F = (int) params[PM_P_VAR_FLOOR_COUNT];
	int			S0 = nscen - F;
	double	   *tail_weight = r->work + 2 * (size_t) nscen;
	PmTail		tm,
				tf;
	double		stat_m,
				stat_f = NAN,
				base,
				best = -INFINITY;
	const int  *tail;
	int			ntail,
				use_floor,
				u;

	for (u = 0; u < nunits; u++)
	{
		double		fx = r->fx_to_usd && units[u].inverse ? units[u].index_price : 1.0;

		if (r->tick)
			r->tick(r->tick_arg);
		add_scaled(r->pnl, units[u].pnl, fx, nscen);
		r->net_option_value += units[u].option_value * fx;
	}
	r->tail_status = PM_TAIL_OK;
	r->tail_scenario = -1;
	stat_m = group_statistic(params, sc, nscen, 0, S0, r, tail_weight, &tm);
	if (F > 0)
		stat_f = group_statistic(params, sc, nscen, S0, F, r, tail_weight, &tf);
	if (r->tail_status != PM_TAIL_OK)
		return;					/* the caller reports it */
	use_floor = F > 0 && stat_f > stat_m;
	base = fmax(0.0, use_floor ? stat_f : stat_m);

	r->scan = stat_m;
	r->var = tm.var;
	r->es = tm.es;
	r->floor_statistic = stat_f;
	r->apc_buffer = base * params[PM_P_VAR_BUFFER];
	r->maintenance = r->initial = base + r->apc_buffer;
	r->worst_scenario = use_floor ? S0 + tf.var_index : tm.var_index;
	tail = r->tail + (use_floor ? S0 : 0);
	ntail = use_floor ? tf.ntail : tm.ntail;

	/*
	 * Euler contributions: each unit's loss in the tail scenarios, same
	 * weights, added in increasing scenario order
	 */
	for (u = 0; u < nunits; u++)
	{
		double		fx = r->fx_to_usd && units[u].inverse ? units[u].index_price : 1.0;
		double		c = 0.0;
		int			i;

		if (r->tick)
			r->tick(r->tick_arg);
		if (base > 0.0)
		{
			if (params[PM_P_VAR_STATISTIC] > 0.0)
				for (i = 0; i < ntail; i++)
					c -= tail_weight[tail[i]] * units[u].pnl[tail[i]] * fx;
			else
				c = -units[u].pnl[r->worst_scenario] * fx;
		}
		r->unit_margin[u] = c * (1.0 + params[PM_P_VAR_BUFFER]);
		if (r->unit_margin[u] > best)
		{
			best = r->unit_margin[u];
			r->worst_unit = u;
		}
	}
}

void
pm_margin_finalize(int method, const double *params, const PmScenario *sc, int nscen,
				   const PmUnit *units, int nunits, PmMarginResult *r)
{
	double	   *unit_margin = r->unit_margin;
	double	   *pnl = r->pnl;
	double	   *work = r->work;
	int		   *tail = r->tail;
	void		(*tick) (void *) = r->tick;
	void	   *tick_arg = r->tick_arg;
	double		total = 0.0,
				best = -INFINITY;
	int			u,
				j;

	memset(r, 0, sizeof(*r));
	r->unit_margin = unit_margin;
	r->pnl = pnl;
	r->work = work;
	r->tail = tail;
	r->tick = tick;
	r->tick_arg = tick_arg;
	r->tail_scenario = -1;
	r->var = r->es = r->floor_statistic = r->apc_buffer = NAN;
	r->worst_scenario = r->worst_unit = -1;
	for (j = 0; j < nscen; j++)
		pnl[j] = 0.0;
	if (nunits == 0)
		return;
	r->fx_to_usd = !single_currency(units, nunits);
	if (method == PM_METHOD_VAR)
	{
		var_finalize(params, sc, nscen, units, nunits, r);
		return;
	}

	for (u = 0; u < nunits; u++)
	{
		const PmUnit *unit = &units[u];
		double		fx = r->fx_to_usd && unit->inverse ? unit->index_price : 1.0;
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
			pnl[j] += unit->pnl[j] * fx;
		}
		scan = fmax(0.0, worst_loss);

		switch (method)
		{
			case PM_METHOD_SPAN:
				{
					/* per-contract amounts are quoted in USD: coin units pay them at the index */
					double		som = params[PM_P_SPAN_SOM] * unit->short_options /
						(unit->inverse ? unit->index_price : 1.0);

					r->short_option_minimum += som * fx;
					req = fmax(scan, som);
					break;
				}
			case PM_METHOD_TIMS:
				{
					double		pcm = params[PM_P_TIMS_PCM] * unit->option_contracts /
						(unit->inverse ? unit->index_price : 1.0);

					r->per_contract_minimum += pcm * fx;
					req = fmax(scan, pcm);
					break;
				}
			case PM_METHOD_DERIBIT:
				{
					double		net_short = 0.0,
								oc,
								fc,
								roll;
					int			k;

					for (k = 0; k < unit->strikes.n; k++)
						net_short += fmax(0.0, -unit->strikes.b[k].value);
					/* contingencies are quoted in coin: cash units pay them at the unit's highest forward */
					oc = params[PM_P_DB_OPT_CONT] * net_short * (unit->inverse ? 1.0 : unit->max_forward);
					fc = params[PM_P_DB_FUT_CONT] * fmin(unit->long_futures, unit->short_futures) *
						(unit->inverse ? 1.0 : unit->max_forward);
					roll = expiry_charge(unit, params[PM_P_DB_ROLL_RISK], params[PM_P_DB_ROLL_MIN]);
					r->option_contingency += oc * fx;
					r->futures_contingency += fc * fx;
					r->roll_shock += roll * fx;
					req = scan + oc + fc + roll;
					break;
				}
			case PM_METHOD_OKX:
				{
					double		basis = expiry_charge(unit, params[PM_P_OKX_BASIS], 0.0);
					double		usd = unit->inverse ? unit->index_price : 1.0;
					double		raw = params[PM_P_OKX_MR7_RATE] * unit->gross_notional;
					double		mr7 = 0.0;

					if (raw > 0.0 && usd > 0.0)
						mr7 = pm_tiered_charge(raw * usd, pm_okx_tiers_p(params),
											   pm_okx_tiers_p(params) + pm_okx_ntiers_p(params),
											   pm_okx_ntiers_p(params)) / usd;
					r->basis_risk += basis * fx;
					r->minimum_charge += mr7 * fx;
					req = fmax(scan + basis, mr7);
					break;
				}
			default:
				req = scan;
				break;
		}

		r->scan += scan * fx;
		r->net_option_value += unit->option_value * fx;
		unit_margin[u] = req * fx;
		total += req * fx;
		if (scan * fx > best)
		{
			best = scan * fx;
			r->worst_unit = u;
			r->worst_scenario = worst;
		}
	}

	switch (method)
	{
		case PM_METHOD_SPAN:
			r->maintenance = fmax(0.0, total - r->net_option_value);
			r->initial = params[PM_P_SPAN_IM_RATIO] * r->maintenance;
			break;
		case PM_METHOD_TIMS:
			r->maintenance = r->initial = total;
			break;
		case PM_METHOD_DERIBIT:
			if (params[PM_P_DB_PNL_OFFSET] > 0.0 && nunits >= 2)
			{
				/* gains of one unit offset losses of others, scenario by scenario */
				double		worst_combined = 0.0;

				for (j = 0; j < nscen; j++)
				{
					double		combined = 0.0;

					for (u = 0; u < nunits; u++)
					{
						double		fx = r->fx_to_usd && units[u].inverse ? units[u].index_price : 1.0;
						double		loss = -units[u].pnl[j] * sc[j].weight * fx;

						combined += loss >= 0.0 ? loss
							: -fmin(params[PM_P_DB_PNL_OFFSET] * -loss, params[PM_P_DB_MAX_OFFSET]);
					}
					worst_combined = fmax(worst_combined, combined);
				}
				r->cross_offset = fmax(0.0, r->scan - worst_combined);
			}
			r->initial = total - r->cross_offset;
			r->maintenance = params[PM_P_DB_MM_FACTOR] * r->initial;
			break;
		case PM_METHOD_OKX:
			r->maintenance = total;
			r->initial = params[PM_P_OKX_IMR_RATIO] * total;
			break;
		default:
			r->maintenance = params[PM_P_GRID_MM_RATIO] * total;
			r->initial = params[PM_P_GRID_IM_RATIO] * total;
			break;
	}
}
