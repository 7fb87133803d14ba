/*
 * method_deribit.c
 *	  Deribit-style portfolio margin (pure numeric code): a risk matrix of
 *	  price moves in `buckets` steps up to +-price_range, each with the
 *	  volatility shocked up and down by Deribit's term rule (the shocked-up
 *	  volatility at least min_volatility_for_shock_up), plus the extended
 *	  moves (futures clamped, weight extended_factor x range / |move|); per
 *	  unit the worst case plus the roll shock (and the legacy option and
 *	  futures contingencies, 0 in the current presets) is the risk-matrix
 *	  margin, to which the market-maker-protection margin (mmp_rate x the
 *	  unit's MMP size) is added for the initial margin; maintenance margin is
 *	  mm_factor x the risk-matrix margin only (resting orders, margined by
 *	  margin.c's generic rule, are initial margin only too); optionally
 *	  gains of one unit offset losses of others.  doc/venues/deribit.md cites
 *	  the sources and lists what is not implemented (Deribit's own
 *	  open-order rule, the delta shock, the extended-table dampener) and why.
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
	/* 0.4.0; the defaults reproduce 0.3.x (no floor; no MMP rows existed) */
	{"min_volatility_for_shock_up", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"mmp_rate", PK_NUM, PR_NONNEG, false, 0.03, NULL, 0, 0},
	{0}
};

/*
 * The arguments before the extended moves are stored in table order, those
 * after it one place earlier (PM_P_DB_*), the moves last, after their count
 */
#define DB_ARG_EXTENDED 7
#define DB_ARG(p) ((p) < DB_ARG_EXTENDED ? (p) : (p) + 1)	/* the argument of parameter p */
#define DB_ARG_TAIL (PM_P_DB_NEXT + 1)	/* the argument of tail parameter 0 (PM_P_DB_T_*) */

/*
 * The stored count of extended moves says whether the 0.4.0 parameters
 * follow the moves: count n >= 0 without them (0.3.x's layout), -1 - n with
 * them.  A set whose new parameters keep their defaults is stored as in
 * 0.3.x, so 0.3.x values and the sets built today from the same arguments
 * are the same bytes.
 */
static int
db_next(const double *p)
{
	return p[PM_P_DB_NEXT] >= 0 ? (int) p[PM_P_DB_NEXT] : (int) (-1.0 - p[PM_P_DB_NEXT]);
}

/* the 0.4.0 parameters of a stored set; NULL when it has none (their defaults apply) */
static const double *
db_tail(const double *p)
{
	return p[PM_P_DB_NEXT] >= 0 ? NULL : p + PM_P_DB_NEXT + 1 + db_next(p);
}

static bool
db_has_tail(const PmSetArgs *a)
{
	int			k;

	for (k = 0; k < PM_P_DB_T_N; k++)
		if (a->num[DB_ARG_TAIL + k] != deribit_params[DB_ARG_TAIL + k].def)
			return true;
	return false;
}

static int
deribit_scenario_count(const PmSetArgs *a)
{
	return 3 * (2 * (int) a->num[PM_P_DB_BUCKETS] + 1) + a->narr[DB_ARG_EXTENDED];
}

static size_t
deribit_param_count(const PmSetArgs *a)
{
	return PM_P_DB_NEXT + 1 + a->narr[DB_ARG_EXTENDED] + (db_has_tail(a) ? PM_P_DB_T_N : 0);
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
	params[PM_P_DB_NEXT] = db_has_tail(a) ? -1.0 - next : next;
	for (k = 0; k < next; k++)
		params[PM_P_DB_NEXT + 1 + k] = ext[k];
	if (db_has_tail(a))
		for (k = 0; k < PM_P_DB_T_N; k++)
			params[PM_P_DB_NEXT + 1 + next + k] = n[DB_ARG_TAIL + k];
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
	double		c;

	if (np <= PM_P_DB_NEXT)
		return false;
	c = p[PM_P_DB_NEXT];
	if (!(c == floor(c) && c >= -1.0 - PM_MAX_SCENARIOS && c <= PM_MAX_SCENARIOS))
		return false;
	return np == PM_P_DB_NEXT + 1 + db_next(p) + (c < 0 ? PM_P_DB_T_N : 0);
}

static void
deribit_read_args(const PmSetView *s, PmSetArgs *a)
{
	const double *p = s->params;
	const double *tail = db_tail(p);
	int			k;

	for (k = 0; k < PM_P_DB_NEXT; k++)
		a->num[DB_ARG(k)] = p[k];
	a->narr[DB_ARG_EXTENDED] = db_next(p);
	a->arr[DB_ARG_EXTENDED] = (double *) (p + PM_P_DB_NEXT + 1);
	for (k = 0; k < PM_P_DB_T_N; k++)
		a->num[DB_ARG_TAIL + k] = tail ? tail[k] : deribit_params[DB_ARG_TAIL + k].def;
}

static void
deribit_reval_params(const PmSetView *s, PmRevalParams *p)
{
	const double *params = s->params;

	p->clamp = params[PM_P_DB_RANGE];
	p->vol_range_up = params[PM_P_DB_VOL_UP];
	p->vol_range_down = params[PM_P_DB_VOL_DOWN];
	p->short_term_power = params[PM_P_DB_SHORT_POWER];
	p->long_term_power = params[PM_P_DB_LONG_POWER];
	p->dte_floor = params[PM_P_DB_DTE_FLOOR];
	p->min_vol_up = db_tail(params) ? db_tail(params)[PM_P_DB_T_MIN_VOL_UP] : 0.0;
}

/* the parameter of a stored set's tail, or its default */
static double
db_tail_param(const double *params, int k)
{
	const double *tail = db_tail(params);

	return tail ? tail[k] : deribit_params[DB_ARG_TAIL + k].def;
}

/*
 * Market-maker-protection margin: mmp_rate x the unit's MMP size (Deribit:
 * "MMP margin reserved will be set to 3% of max(MQQ, Quantity Limit)"), a
 * size in the underlying: coin for an inverse unit, valued at the index
 * price (else its highest forward) for a linear one.  A linear unit with an
 * MMP size but no price (no position or order to take one from) gets NaN,
 * which the aggregate reports as an error, rather than a margin of 0.
 */
static double
deribit_mmp(const double *params, const PmUnit *unit)
{
	double		price = unit->index_price > 0.0 ? unit->index_price : unit->max_forward;

	if (unit->mmp_size <= 0.0)
		return 0.0;
	if (!unit->inverse && !(price > 0.0))
		return NAN;
	return db_tail_param(params, PM_P_DB_T_MMP_RATE) * unit->mmp_size * (unit->inverse ? 1.0 : price);
}

/* the risk-matrix add-ons of a unit: legacy contingencies and the roll shock, unit currency */
static void
deribit_addons(const double *params, const PmUnit *unit, double *oc, double *fc, double *roll)
{
	double		net_short = 0.0;
	int			k;

	for (k = 0; k < unit->strikes.n; k++)
		net_short += fmax(0.0, -unit->strikes.b[k].value);
	/* contingencies are quoted in coin: cash units pay them at the unit's highest forward */
	*oc = params[PM_P_DB_OPT_CONT] * net_short * (unit->inverse ? 1.0 : unit->max_forward);
	*fc = params[PM_P_DB_FUT_CONT] * fmin(unit->long_futures, unit->short_futures) *
		(unit->inverse ? 1.0 : unit->max_forward);
	*roll = pm_expiry_charge(unit, params[PM_P_DB_ROLL_RISK], params[PM_P_DB_ROLL_MIN]);
}

/*
 * A unit's requirement before its orders: the risk-matrix margin (worst
 * case, contingencies, roll shock) plus the MMP margin.  Open orders are
 * margined by margin.c's rule (the larger rise of this requirement if all
 * buys or all sells filled); the delta shock is not implemented
 * (doc/venues/deribit.md), its component left NULL.
 */
static double
deribit_unit_margin(const PmSetView *s, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	const double *params = s->params;
	double		oc,
				fc,
				roll,
				mmp = deribit_mmp(params, unit);

	deribit_addons(params, unit, &oc, &fc, &roll);
	r->option_contingency += oc * fx;
	r->futures_contingency += fc * fx;
	r->roll_shock += roll * fx;
	pm_unit_component(r, PM_COMP_OPTION_CONTINGENCY, oc);
	pm_unit_component(r, PM_COMP_FUTURES_CONTINGENCY, fc);
	pm_unit_component(r, PM_COMP_ROLL_SHOCK, roll);
	pm_unit_component(r, PM_COMP_MMP, mmp);
	return scan + oc + fc + roll + mmp;
}

/* a unit's risk-matrix margin (its scan under its own set and the add-ons), unit currency */
static double
deribit_risk_matrix(const PmSetView *us, const PmUnit *unit)
{
	double		scan = 0.0,
				oc,
				fc,
				roll;
	int			j;

	for (j = 0; j < us->nscen; j++)
		scan = fmax(scan, -unit->pnl[j] * us->sc[j].weight);
	deribit_addons(us->params, unit, &oc, &fc, &roll);
	return scan + oc + fc + roll;
}

/*
 * The cross-currency offset: scenario by scenario, gains of one unit offset
 * losses of others (pnl_offset of a gain, at most max_offsetable_pnl).
 * Scenario j is the same cell of each unit's risk matrix (each unit weighs
 * it by its own set); a unit whose matrix has fewer cells adds nothing to
 * the extra ones.  Maintenance margin is mm_factor x the risk-matrix
 * margin, less the offset: neither the MMP margin nor the margin of open
 * orders is in it (Deribit's pme/simulate example: maintenance_margin
 * 0.050274504784 = 0.8 x risk_matrix_margin 0.06284313098 while
 * initial_margin adds mmp_margin and open_orders_margin).
 */
static void
deribit_account_margin(const PmSetView *s, const PmUnit *units, int nunits, double total, PmMarginResult *r)
{
	const double *params = s->params;
	double		risk_matrix = 0.0,
				share,
			   *rm;
	int			nscen = s->nscen,
				u,
				j;
	bool		offsets = false;

	for (u = 0; u < nunits; u++)
	{
		nscen = nscen > pm_unit_set(s, r, u)->nscen ? nscen : pm_unit_set(s, r, u)->nscen;
		offsets = offsets || pm_unit_set(s, r, u)->params[PM_P_DB_PNL_OFFSET] > 0.0;
	}

	if (offsets && nunits >= 2)
	{
		double		worst_combined = 0.0;

		for (j = 0; j < nscen; j++)
		{
			double		combined = 0.0;

			for (u = 0; u < nunits; u++)
			{
				const PmSetView *us = pm_unit_set(s, r, u);
				double		loss = j < us->nscen ? -units[u].pnl[j] * us->sc[j].weight * pm_unit_fx(r, &units[u]) : 0.0;

				/* a gain offsets other units' losses at its own currency's rate and cap */
				combined += loss >= 0.0 ? loss
					: -fmin(us->params[PM_P_DB_PNL_OFFSET] * -loss, us->params[PM_P_DB_MAX_OFFSET]);
			}
			worst_combined = fmax(worst_combined, combined);
		}
		r->cross_offset = fmax(0.0, r->scan - worst_combined);
	}
	rm = r->alloc(sizeof(double) * (nunits > 0 ? nunits : 1));
	for (u = 0; u < nunits; u++)
	{
		/* the unit's risk-matrix margin: what its unit_margin recorded, else computed again */
		if (r->unit_comp)
		{
			const double *c = r->unit_comp + u * PM_COMP_N;

			rm[u] = c[PM_COMP_SCAN] + c[PM_COMP_OPTION_CONTINGENCY] + c[PM_COMP_FUTURES_CONTINGENCY] +
				c[PM_COMP_ROLL_SHOCK];
		}
		else
			rm[u] = deribit_risk_matrix(pm_unit_set(s, r, u), &units[u]);
		risk_matrix += rm[u] * pm_unit_fx(r, &units[u]);
	}
	r->initial = total - r->cross_offset;
	r->maintenance = params[PM_P_DB_MM_FACTOR] * fmax(0.0, risk_matrix - r->cross_offset);
	/* each unit's maintenance: mm_factor x its risk-matrix margin, the offset shared pro rata */
	share = risk_matrix > 0.0 ? fmax(0.0, risk_matrix - r->cross_offset) / risk_matrix : 0.0;
	for (u = 0; u < nunits; u++)
		pm_unit_component_of(r, u, PM_COMP_MAINTENANCE, params[PM_P_DB_MM_FACTOR] * share * rm[u]);
}

/* pnl_offset and max_offsetable_pnl are each unit's own (its gains offset at its rate): not group keys */
static const int deribit_account_params[] = {PM_P_DB_MM_FACTOR, -1};

/* the strikes are folded only for the option contingency (0 in the current model's presets) */
static int
deribit_folds_of(const double *params, int nparams PM_UNUSED)
{
	return PM_FOLD_EXPIRIES | (params[PM_P_DB_OPT_CONT] != 0.0 ? PM_FOLD_STRIKES : 0);
}

const PmMethod pm_method_deribit = {
	.id = PM_METHOD_DERIBIT,
	.name = "deribit",
	.params = deribit_params,
	.count_param = "buckets",
	.folds = PM_FOLD_STRIKES | PM_FOLD_EXPIRIES,	/* option contingency; roll shock */
	.folds_of = deribit_folds_of,
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
