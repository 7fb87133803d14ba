/*
 * method_okx.c
 *	  OKX-style portfolio margin (pure numeric code): the spot moves, each
 *	  also with relative volatility shifts up and down when given, and the
 *	  two extreme moves at their fraction; per unit the larger of the scan
 *	  loss plus basis risk (MR4) and the tiered minimum charge (MR7);
 *	  IMR = imr_ratio x MMR.  doc/margin.md cites the sources.
 */
#include "method.h"

#include <math.h>
#include <string.h>

static const double okx_spot_moves[] = {-0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12};
static const double okx_tiers[] = {0, 250000, 500000, 1000000, 2000000, 3000000, 4000000};
static const double okx_multipliers[] = {1, 2, 4, 6, 8, 10, 12};

#define OKX_DEFAULT(a) (a), (int) (sizeof(a) / sizeof(double))

static const PmParamSpec okx_params[] = {
	{"spot_moves", PK_ARRAY, PR_MOVES, false, 0, OKX_DEFAULT(okx_spot_moves), 0},
	{"vol_up", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"vol_down", PK_NUM, PR_BELOW_ONE, false, 0, NULL, 0, 0},
	{"extreme_move", PK_NUM, PR_MOVE, false, 0.24, NULL, 0, 0},
	{"extreme_fraction", PK_NUM, PR_UNIT, false, 0.5, NULL, 0, 0},
	{"basis_move_risk", PK_NUM, PR_NONNEG, false, 0.05, NULL, 0, 0},
	{"minimum_charge_rate", PK_NUM, PR_NONNEG, false, 0, NULL, 0, 0},
	{"minimum_charge_tiers", PK_ARRAY, PR_TIERS, false, 0, OKX_DEFAULT(okx_tiers), 0},
	{"minimum_charge_multipliers", PK_ARRAY, PR_TIER_MULTS, false, 0, OKX_DEFAULT(okx_multipliers), 0},
	{"imr_ratio", PK_NUM, PR_POS, false, 1.3, NULL, 0, 0},
	{0}
};

/*
 * The arguments, in table order; stored as PM_P_OKX_*, then
 * [nmoves, moves..., ntiers, tiers..., multipliers...]
 */
enum
{
	OKX_ARG_MOVES, OKX_ARG_VOL_UP, OKX_ARG_VOL_DOWN, OKX_ARG_EXTREME, OKX_ARG_FRACTION, OKX_ARG_BASIS,
	OKX_ARG_MR7_RATE, OKX_ARG_TIERS, OKX_ARG_MULTS, OKX_ARG_IMR_RATIO
};

static bool
okx_check(const PmSetArgs *a, PmSetProblem *pr)
{
	if (a->narr[OKX_ARG_TIERS] != a->narr[OKX_ARG_MULTS])
		return pm_argument_problem(pr, "minimum_charge_multipliers", "%d elements for %d minimum_charge_tiers",
								   a->narr[OKX_ARG_MULTS], a->narr[OKX_ARG_TIERS]);
	return true;
}

static int
okx_scenario_count(const PmSetArgs *a)
{
	return a->narr[OKX_ARG_MOVES] * (1 + (a->num[OKX_ARG_VOL_UP] > 0.0) + (a->num[OKX_ARG_VOL_DOWN] > 0.0)) + 2;
}

static size_t
okx_param_count(const PmSetArgs *a)
{
	return PM_P_OKX_NMOVES + 1 + a->narr[OKX_ARG_MOVES] + 1 + 2 * a->narr[OKX_ARG_TIERS];
}

static void
okx_expand(const PmSetArgs *a, double *p, PmScenario *sc)
{
	const double *n = a->num;
	const double *moves = a->arr[OKX_ARG_MOVES];
	int			nm = a->narr[OKX_ARG_MOVES];
	int			nt = a->narr[OKX_ARG_TIERS];
	double		up = n[OKX_ARG_VOL_UP],
				down = n[OKX_ARG_VOL_DOWN];
	int			k,
				m = 0;

	p[PM_P_OKX_VOL_UP] = up;
	p[PM_P_OKX_VOL_DOWN] = down;
	p[PM_P_OKX_EXTREME] = n[OKX_ARG_EXTREME];
	p[PM_P_OKX_EXTREME_FRACTION] = n[OKX_ARG_FRACTION];
	p[PM_P_OKX_BASIS] = n[OKX_ARG_BASIS];
	p[PM_P_OKX_MR7_RATE] = n[OKX_ARG_MR7_RATE];
	p[PM_P_OKX_IMR_RATIO] = n[OKX_ARG_IMR_RATIO];
	p[PM_P_OKX_NMOVES] = nm;
	memcpy(p + PM_P_OKX_NMOVES + 1, moves, sizeof(double) * nm);
	p[PM_P_OKX_NMOVES + 1 + nm] = nt;
	memcpy(p + PM_P_OKX_NMOVES + 2 + nm, a->arr[OKX_ARG_TIERS], sizeof(double) * nt);
	memcpy(p + PM_P_OKX_NMOVES + 2 + nm + nt, a->arr[OKX_ARG_MULTS], sizeof(double) * nt);
	for (k = 0; k < nm; k++)
	{
		pm_set_scenario(&sc[m++], moves[k], PM_VOL_NONE, 0.0, 1.0, 0);
		if (up > 0.0)
			pm_set_scenario(&sc[m++], moves[k], PM_VOL_RELATIVE, up, 1.0, 0);
		if (down > 0.0)
			pm_set_scenario(&sc[m++], moves[k], PM_VOL_RELATIVE, -down, 1.0, 0);
	}
	pm_set_scenario(&sc[m++], -n[OKX_ARG_EXTREME], PM_VOL_NONE, 0.0, n[OKX_ARG_FRACTION], 0);
	pm_set_scenario(&sc[m++], n[OKX_ARG_EXTREME], PM_VOL_NONE, 0.0, n[OKX_ARG_FRACTION], 0);
}

/* the counts of moves and tiers are integers that fit before they are used as sizes */
static bool
okx_layout_ok(const double *p, int np, int nscen PM_UNUSED)
{
	double		nm = np > PM_P_OKX_NMOVES ? p[PM_P_OKX_NMOVES] : -1;
	double		nt;

	if (!(nm >= 0 && nm <= PM_MAX_SCENARIOS && nm == floor(nm) && PM_P_OKX_NMOVES + 1 + (int) nm < np))
		return false;
	nt = p[PM_P_OKX_NMOVES + 1 + (int) nm];
	return nt >= 0 && nt <= PM_MAX_SCENARIOS && nt == floor(nt) &&
		np == PM_P_OKX_NMOVES + 2 + (int) nm + 2 * (int) nt;
}

static void
okx_read_args(const PmSetView *s, PmSetArgs *a)
{
	const double *p = s->params;

	a->narr[OKX_ARG_MOVES] = (int) p[PM_P_OKX_NMOVES];
	a->arr[OKX_ARG_MOVES] = (double *) (p + PM_P_OKX_NMOVES + 1);
	a->num[OKX_ARG_VOL_UP] = p[PM_P_OKX_VOL_UP];
	a->num[OKX_ARG_VOL_DOWN] = p[PM_P_OKX_VOL_DOWN];
	a->num[OKX_ARG_EXTREME] = p[PM_P_OKX_EXTREME];
	a->num[OKX_ARG_FRACTION] = p[PM_P_OKX_EXTREME_FRACTION];
	a->num[OKX_ARG_BASIS] = p[PM_P_OKX_BASIS];
	a->num[OKX_ARG_MR7_RATE] = p[PM_P_OKX_MR7_RATE];
	a->narr[OKX_ARG_TIERS] = a->narr[OKX_ARG_MULTS] = pm_okx_ntiers_p(p);
	a->arr[OKX_ARG_TIERS] = (double *) pm_okx_tiers_p(p);
	a->arr[OKX_ARG_MULTS] = a->arr[OKX_ARG_TIERS] + a->narr[OKX_ARG_TIERS];
	a->num[OKX_ARG_IMR_RATIO] = p[PM_P_OKX_IMR_RATIO];
}

static double
okx_unit_margin(const PmSetView *s, const PmUnit *unit, double scan, double fx, PmMarginResult *r)
{
	const double *params = s->params;
	double		basis = pm_expiry_charge(unit, params[PM_P_OKX_BASIS], 0.0);
	double		usd = unit->inverse ? unit->index_price : 1.0;
	double		raw = params[PM_P_OKX_MR7_RATE] * unit->gross_notional;
	double		mr7 = 0.0;

	if (raw > 0.0 && usd > 0.0)
		mr7 = pm_tiered_charge(raw * usd, pm_okx_tiers_p(params),
							   pm_okx_tiers_p(params) + pm_okx_ntiers_p(params),
							   pm_okx_ntiers_p(params)) / usd;
	r->basis_risk += basis * fx;
	r->minimum_charge += mr7 * fx;
	pm_unit_component(r, PM_COMP_BASIS, basis);
	pm_unit_component(r, PM_COMP_MINIMUM_CHARGE, mr7);
	return fmax(scan + basis, mr7);
}

static void
okx_account_margin(const PmSetView *s, const PmUnit *units PM_UNUSED, int nunits PM_UNUSED, double total,
				   PmMarginResult *r)
{
	r->maintenance = total;
	r->initial = s->params[PM_P_OKX_IMR_RATIO] * total;
}

static const int okx_account_params[] = {PM_P_OKX_IMR_RATIO, -1};

const PmMethod pm_method_okx = {
	.id = PM_METHOD_OKX,
	.name = "okx",
	.params = okx_params,
	.count_param = "spot_moves",
	.folds = PM_FOLD_EXPIRIES,	/* basis risk */
	.check = okx_check,
	.scenario_count = okx_scenario_count,
	.param_count = okx_param_count,
	.expand = okx_expand,
	.layout_ok = okx_layout_ok,
	.read_args = okx_read_args,
	.unit_margin = okx_unit_margin,
	.account_margin = okx_account_margin,
	.account_params = okx_account_params,
};
