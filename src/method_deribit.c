/*
 * method_deribit.c
 *	  Deribit-style portfolio margin (pure numeric code): a risk matrix of
 *	  price moves in `buckets` steps up to +-price_range, each with the
 *	  volatility shocked up and down by Deribit's term rule, plus the
 *	  extended moves (futures clamped, weight extended_factor x range /
 *	  |move|); per unit the scan loss plus the option and futures
 *	  contingencies and the roll shock; optionally gains of one unit offset
 *	  losses of others; MM = mm_factor x IM.  doc/margin.md cites the
 *	  sources.
 */
#include "method.h"

#include <math.h>

static const double deribit_extended_moves[] = {-0.66, -0.33, 0.5, 1, 2, 3, 4, 5};

static const PmParamSpec deribit_params[] = {
	{"price_range", PK_NUM, PR_MOVE, false, 0.16, NULL, 0, 0},
	{"buckets", PK_INT, PR_INT_POS, false, 4, NULL, 0, 0},
	{"vol_range_up", PK_NUM, PR_NONNEG, false, 0.5, NULL, 0, 0},
	{"vol_range_down", PK_NUM, PR_NONNEG, false, 0.25, NULL, 0, 0},
	{"short_term_power", PK_NUM, PR_NONNEG, false, 0.30, NULL, 0, 0},
	{"long_term_power", PK_NUM, PR_NONNEG, false, 0.13, NULL, 0, 0},
	{"dte_floor", PK_NUM, PR_POS, false, 1, NULL, 0, 0},
	{"extended_moves", PK_ARRAY, PR_EXT_MOVES, false, 0, deribit_extended_moves,
	 sizeof(deribit_extended_moves) / sizeof(double), 0},
	{"extended_factor", PK_NUM, PR_NONNEG, false, 1, NULL, 0, 0},
	{"option_contingency", PK_NUM, PR_NONNEG, false, 0.01, NULL, 0, 0},
	{"futures_contingency", PK_NUM, PR_NONNEG, false, 0.01, NULL, 0, 0},
	{"roll_move_risk", PK_NUM, PR_NONNEG, false, 0.075, NULL, 0, 0},
	{"roll_min_move", PK_NUM, PR_NONNEG, false, 0.01, NULL, 0, 0},
	{"pnl_offset", PK_NUM, PR_UNIT, false, 0, NULL, 0, 0},
	{"max_offsetable_pnl", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"mm_factor", PK_NUM, PR_POS, false, 0.8, NULL, 0, 0},
	{0}
};

/*
 * The arguments before the extended moves are stored in table order, those
 * after it one place earlier (PM_P_DB_*), the moves last, after their count
 */
#define DB_ARG_EXTENDED 7
#define DB_ARG(p) ((p) < DB_ARG_EXTENDED ? (p) : (p) + 1)	/* the argument of parameter p */

static int
deribit_scenario_count(const PmSetArgs *a)
{
	return 3 * (2 * (int) a->num[PM_P_DB_BUCKETS] + 1) + a->narr[DB_ARG_EXTENDED];
}

static size_t
deribit_param_count(const PmSetArgs *a)
{
	return PM_P_DB_NEXT + 1 + a->narr[DB_ARG_EXTENDED];
}

static void
deribit_expand(const PmSetArgs *a, double *params, PmScenario *sc)
{
	const double *n = a->num;
	const double *ext = a->arr[DB_ARG_EXTENDED];
	int			next = a->narr[DB_ARG_EXTENDED];
	double		range = n[PM_P_DB_RANGE];
	int			B = (int) n[PM_P_DB_BUCKETS];
	int			k,
				m = 0;

	for (k = 0; k < PM_P_DB_NEXT; k++)
		params[k] = n[DB_ARG(k)];
	params[PM_P_DB_NEXT] = next;
	for (k = 0; k < next; k++)
		params[PM_P_DB_NEXT + 1 + k] = ext[k];
	for (k = 0; k <= 2 * B; k++)
	{
		double		move = range * (k - B) / B;

		pm_set_scenario(&sc[m++], move, PM_VOL_TERM_UP, 0.0, 1.0, 0);
		pm_set_scenario(&sc[m++], move, PM_VOL_NONE, 0.0, 1.0, 0);
		pm_set_scenario(&sc[m++], move, PM_VOL_TERM_DOWN, 0.0, 1.0, 0);
	}
	for (k = 0; k < next; k++)
		pm_set_scenario(&sc[m++], ext[k], PM_VOL_TERM_UP, 0.0,
						fmin(1.0, n[DB_ARG(PM_P_DB_EXT_FACTOR)] * range / fabs(ext[k])), 1);
}

/* the count of extended moves is an integer that fits before it is used as one */
static bool
deribit_layout_ok(const double *p, int np, int nscen PM_UNUSED)
{
	return np > PM_P_DB_NEXT && p[PM_P_DB_NEXT] >= 0 && p[PM_P_DB_NEXT] <= PM_MAX_SCENARIOS &&
		p[PM_P_DB_NEXT] == floor(p[PM_P_DB_NEXT]) && np == PM_P_DB_NEXT + 1 + (int) p[PM_P_DB_NEXT];
}

static void
deribit_read_args(const PmSetView *s, PmSetArgs *a)
{
	const double *p = s->params;
	int			k;

	for (k = 0; k < PM_P_DB_NEXT; k++)
		a->num[DB_ARG(k)] = p[k];
	a->narr[DB_ARG_EXTENDED] = (int) p[PM_P_DB_NEXT];
	a->arr[DB_ARG_EXTENDED] = (double *) (p + PM_P_DB_NEXT + 1);
}

static void
deribit_reval_params(const double *params, PmRevalParams *p)
{
	p->clamp = params[PM_P_DB_RANGE];
	p->vol_range_up = params[PM_P_DB_VOL_UP];
	p->vol_range_down = params[PM_P_DB_VOL_DOWN];
	p->short_term_power = params[PM_P_DB_SHORT_POWER];
	p->long_term_power = params[PM_P_DB_LONG_POWER];
	p->dte_floor = params[PM_P_DB_DTE_FLOOR];
}

static double
deribit_unit_margin(const PmSetView *s, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	const double *params = s->params;
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
	roll = pm_expiry_charge(unit, params[PM_P_DB_ROLL_RISK], params[PM_P_DB_ROLL_MIN]);
	r->option_contingency += oc * fx;
	r->futures_contingency += fc * fx;
	r->roll_shock += roll * fx;
	pm_unit_component(r, PM_COMP_OPTION_CONTINGENCY, oc);
	pm_unit_component(r, PM_COMP_FUTURES_CONTINGENCY, fc);
	pm_unit_component(r, PM_COMP_ROLL_SHOCK, roll);
	return scan + oc + fc + roll;
}

/*
 * The cross-currency offset: scenario by scenario, gains of one unit offset
 * losses of others (pnl_offset of a gain, at most max_offsetable_pnl).
 * Scenario j is the same cell of each unit's risk matrix (each unit weighs
 * it by its own set); a unit whose matrix has fewer cells adds nothing to
 * the extra ones.
 */
static void
deribit_account_margin(const PmSetView *s, const PmUnit *units, int nunits, double total, PmMarginResult *r)
{
	const double *params = s->params;
	int			nscen = s->nscen,
				u,
				j;

	for (u = 1; u < nunits; u++)
		nscen = nscen > pm_unit_set(s, r, u)->nscen ? nscen : pm_unit_set(s, r, u)->nscen;

	if (params[PM_P_DB_PNL_OFFSET] > 0.0 && nunits >= 2)
	{
		double		worst_combined = 0.0;

		for (j = 0; j < nscen; j++)
		{
			double		combined = 0.0;

			for (u = 0; u < nunits; u++)
			{
				const PmSetView *us = pm_unit_set(s, r, u);
				double		loss = j < us->nscen ? -units[u].pnl[j] * us->sc[j].weight * pm_unit_fx(r, &units[u]) : 0.0;

				combined += loss >= 0.0 ? loss
					: -fmin(params[PM_P_DB_PNL_OFFSET] * -loss, params[PM_P_DB_MAX_OFFSET]);
			}
			worst_combined = fmax(worst_combined, combined);
		}
		r->cross_offset = fmax(0.0, r->scan - worst_combined);
	}
	r->initial = total - r->cross_offset;
	r->maintenance = params[PM_P_DB_MM_FACTOR] * r->initial;
}

static const int deribit_account_params[] = {PM_P_DB_PNL_OFFSET, PM_P_DB_MAX_OFFSET, PM_P_DB_MM_FACTOR, -1};

const PmMethod pm_method_deribit = {
	.id = PM_METHOD_DERIBIT,
	.name = "deribit",
	.params = deribit_params,
	.count_param = "buckets",
	.folds = PM_FOLD_STRIKES | PM_FOLD_EXPIRIES,	/* option contingency; roll shock */
	.scenario_count = deribit_scenario_count,
	.param_count = deribit_param_count,
	.expand = deribit_expand,
	.layout_ok = deribit_layout_ok,
	.read_args = deribit_read_args,
	.reval_params = deribit_reval_params,
	.unit_margin = deribit_unit_margin,
	.account_margin = deribit_account_margin,
	.account_params = deribit_account_params,
};
